package validator

import (
	"fmt"
	"strconv"
	"strings"
)

// semver is a parsed semantic version (major.minor.patch[-prerelease][+build]).
type semver struct {
	major, minor, patch int
	pre                 string
	short               bool // written without a patch number ("1.6")
}

// parseSemver parses s. Shortened versions ("1.6") are accepted and flagged.
func parseSemver(s string) (semver, bool) {
	var v semver
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		v.pre = s[i+1:]
		s = s[:i]
		if v.pre == "" {
			return v, false
		}
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, false
	}
	nums := [3]int{}
	for i, p := range parts {
		if p == "" || len(p) > 6 || (len(p) > 1 && p[0] == '0') {
			return v, false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		nums[i] = n
	}
	v.major, v.minor, v.patch = nums[0], nums[1], nums[2]
	v.short = len(parts) == 2
	return v, true
}

// String formats the version (without build metadata).
func (v semver) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
	if v.pre != "" {
		s += "-" + v.pre
	}
	return s
}

// compare orders versions by semantic-versioning precedence; a prerelease
// sorts before its release. Prerelease identifiers compare as strings.
func (v semver) compare(w semver) int {
	for _, d := range [3]int{v.major - w.major, v.minor - w.minor, v.patch - w.patch} {
		if d != 0 {
			if d < 0 {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.pre == w.pre:
		return 0
	case v.pre == "":
		return 1
	case w.pre == "":
		return -1
	case v.pre < w.pre:
		return -1
	default:
		return 1
	}
}

// versionChoice is the outcome of choosing the schema for a claimed version.
type versionChoice struct {
	schema   string // embedded version to validate against
	newer    bool   // the claimed version is later than every embedded one
	problems []Problem
}

// defaultVersion is what a finding without a usable metadata.version is
// checked against: the version Security Hub documents.
const defaultVersion = "1.6.0"

// chooseVersion picks the embedded schema for the claimed metadata.version
// (embedded is sorted oldest first) and reports version problems.
func chooseVersion(claimed string, present bool, embedded []string, mode Mode) versionChoice {
	const ptr = "/metadata/version"
	oldest, newest := embedded[0], embedded[len(embedded)-1]
	if !present {
		// The missing attribute is reported as required by the schema check.
		return versionChoice{schema: pick(embedded, defaultVersion)}
	}
	v, ok := parseSemver(claimed)
	if !ok {
		return versionChoice{schema: pick(embedded, defaultVersion), problems: []Problem{{
			Severity: Error, Pointer: ptr, Code: CodeVersionInvalid,
			Message: fmt.Sprintf("metadata.version %q is not a semantic version (major.minor.patch); checked against OCSF %s", claimed, pick(embedded, defaultVersion)),
		}}}
	}
	var out versionChoice
	if v.short {
		sev := Error
		if mode == Compatible {
			sev = Warning
		}
		out.problems = append(out.problems, Problem{Severity: sev, Pointer: ptr, Code: CodeVersionInvalid,
			Message: fmt.Sprintf("metadata.version %q lacks the patch number; read as %s", claimed, v)})
	}
	strictSev := func() Severity {
		if mode == Strict {
			return Error
		}
		return Warning
	}
	newestV, _ := parseSemver(newest)
	oldestV, _ := parseSemver(oldest)
	// Same major.minor as an embedded version: use it.
	for _, e := range embedded {
		ev, _ := parseSemver(e)
		if ev.major != v.major || ev.minor != v.minor {
			continue
		}
		out.schema = e
		switch c := v.compare(ev); {
		case v.pre != "":
			out.problems = append(out.problems, Problem{Severity: strictSev(), Pointer: ptr, Code: CodeVersionPrerelease,
				Message: fmt.Sprintf("metadata.version %s is a prerelease; checked against OCSF %s", claimed, e)})
		case c > 0:
			out.newer = ev.compare(newestV) == 0
			out.problems = append(out.problems, Problem{Severity: strictSev(), Pointer: ptr, Code: CodeVersionNewer,
				Message: fmt.Sprintf("metadata.version %s is later than the schema used, OCSF %s", claimed, e)})
		case c < 0:
			out.problems = append(out.problems, Problem{Severity: Warning, Pointer: ptr, Code: CodeVersionOlder,
				Message: fmt.Sprintf("metadata.version %s is earlier than the schema used, OCSF %s", claimed, e)})
		}
		return out
	}
	switch {
	case v.compare(newestV) > 0:
		out.schema = newest
		out.newer = true
		what := "later than"
		if v.pre != "" {
			what = "a prerelease later than"
		}
		out.problems = append(out.problems, Problem{Severity: strictSev(), Pointer: ptr, Code: CodeVersionNewer,
			Message: fmt.Sprintf("metadata.version %s is %s the newest embedded schema; checked against OCSF %s forward-compatibly", claimed, what, newest)})
	case v.compare(oldestV) < 0:
		out.schema = oldest
		sev := Warning
		if mode == Strict && (v.pre != "" || v.major == 0) {
			sev = Error
		}
		if v.major == oldestV.major && v.minor+1 >= oldestV.minor {
			out.problems = append(out.problems, Problem{Severity: sev, Pointer: ptr, Code: CodeVersionOlder,
				Message: fmt.Sprintf("metadata.version %s is earlier than the oldest embedded schema; checked against OCSF %s", claimed, oldest)})
		} else {
			out.problems = append(out.problems, Problem{Severity: sev, Pointer: ptr, Code: CodeVersionUnsupported,
				Message: fmt.Sprintf("metadata.version %s is not supported; checked against OCSF %s, so some problems may be differences between the versions", claimed, oldest)})
		}
	default:
		// Between two embedded versions (not a case with consecutive minors):
		// use the greatest earlier one.
		out.schema = oldest
		for _, e := range embedded {
			ev, _ := parseSemver(e)
			if ev.compare(v) <= 0 {
				out.schema = e
			}
		}
		out.problems = append(out.problems, Problem{Severity: strictSev(), Pointer: ptr, Code: CodeVersionNewer,
			Message: fmt.Sprintf("metadata.version %s is later than the schema used, OCSF %s", claimed, out.schema)})
	}
	return out
}

// pick returns want when it is embedded, else the oldest embedded version.
func pick(embedded []string, want string) string {
	for _, e := range embedded {
		if e == want {
			return e
		}
	}
	return embedded[0]
}
