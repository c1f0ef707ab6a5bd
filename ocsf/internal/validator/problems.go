package validator

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Severity is the severity of a problem.
type Severity int

const (
	// Error marks a data-integrity problem: the finding does not conform.
	Error Severity = iota
	// Warning marks a deviation that a consumer can tolerate.
	Warning
)

// Problem is one finding of the validator.
type Problem struct {
	Severity Severity
	Pointer  string // RFC 6901 JSON pointer into the validated finding ("" is the whole finding)
	Code     string // one of the Code* constants
	Message  string
}

// Problem codes. They are stable: callers may switch on them. The severity of
// some codes depends on the mode (see Options.Mode); the others are the same
// in both modes.
const (
	// CodeJSON: the input is not well-formed JSON, or not a JSON object. Error.
	CodeJSON = "json"
	// CodeLimitSize: the input is larger than Limits.MaxBytes. Error.
	CodeLimitSize = "limit_size"
	// CodeLimitDepth: the input nests deeper than Limits.MaxDepth. Error.
	CodeLimitDepth = "limit_depth"
	// CodeLimitValues: the input has more than Limits.MaxValues values. Error.
	CodeLimitValues = "limit_values"
	// CodeLimitProblems: more than MaxProblems problems were found; the
	// rest are not reported. An error when an unreported problem is one,
	// otherwise a warning.
	CodeLimitProblems = "limit_problems"

	// CodeClassUnknown: class_uid names no class of the schema version in use.
	// Error; a warning in compatible mode when metadata.version is newer than
	// every embedded schema (the class may be new). Nothing else is checked.
	CodeClassUnknown = "class_unknown"
	// CodeRequired: a required attribute is missing (profile-required ones,
	// such as cloud and osint, only when their profile is active). Error.
	CodeRequired = "required"
	// CodeRecommended: a recommended attribute is missing; reported only when
	// Options.WarnMissingRecommended is set. Warning.
	CodeRecommended = "recommended"
	// CodeType: a value has the wrong JSON type (including an integer
	// attribute holding a fraction or exponent). Error.
	CodeType = "type"
	// CodeEnum: a value is not one of an enumerated attribute's values.
	// Error; a warning in compatible mode when metadata.version is newer than
	// every embedded schema (later versions add values).
	CodeEnum = "enum"
	// CodeRange: an integer outside its type's range (port_t 0..65535) or
	// outside 64 bits. Error.
	CodeRange = "range"
	// CodeMaxLength: a string longer than its type allows (ip_t 40, mac_t 32,
	// subnet_t 42). Error.
	CodeMaxLength = "max_length"
	// CodeFormat: a string does not match its type's regular expression
	// (datetime_t, email_t, ip_t, mac_t, uuid_t, ...). Warning.
	CodeFormat = "format"
	// CodeUnknownAttribute: an attribute the schema version in use does not
	// define for that class or object. Error in strict mode, warning in
	// compatible mode.
	CodeUnknownAttribute = "unknown_attribute"
	// CodeProfileInactive: an attribute that only a profile brings in, used
	// while metadata.profiles does not list that profile. Error; a warning in
	// compatible mode when metadata.version is newer than every embedded
	// schema.
	CodeProfileInactive = "profile_inactive"
	// CodeProfileUnknown: metadata.profiles names a profile the schema version
	// in use does not define. Error in strict mode, warning in compatible mode.
	CodeProfileUnknown = "profile_unknown"
	// CodeTypeUIDMismatch: type_uid is not class_uid*100 + activity_id. Error.
	CodeTypeUIDMismatch = "type_uid_mismatch"
	// CodeConstraintAtLeastOne: none of a class's or object's at_least_one
	// attributes is present. Error.
	CodeConstraintAtLeastOne = "constraint_at_least_one"
	// CodeConstraintJustOne: not exactly one of a just_one constraint's
	// attributes is present. Error.
	CodeConstraintJustOne = "constraint_just_one"
	// CodeEnumCaptionMismatch: an enum's string sibling (severity for
	// severity_id, ...) differs from the caption of the enum value. Warning.
	CodeEnumCaptionMismatch = "enum_caption_mismatch"
	// CodeObservableName: observables[].name does not name an attribute path
	// of the class (dot-separated, as "resources.uid"; compatible mode also
	// accepts "resources[].uid"). Error in strict mode, warning in compatible
	// mode.
	CodeObservableName = "observable_name"
	// CodeDeprecated: a deprecated class, object, attribute or enum value is
	// used. Warning.
	CodeDeprecated = "deprecated"
	// CodeDuplicateKey: an object has the same key twice (the last one is
	// validated, as encoding/json keeps it). Warning.
	CodeDuplicateKey = "duplicate_key"
	// CodeVersionInvalid: metadata.version is not a semantic version. Error;
	// a warning in compatible mode when it is a shortened one such as "1.6".
	CodeVersionInvalid = "version_invalid"
	// CodeVersionNewer: metadata.version is later than the schema used (the
	// newest embedded one). Error in strict mode, warning in compatible mode.
	CodeVersionNewer = "version_newer"
	// CodeVersionPrerelease: metadata.version is a prerelease of an embedded
	// version (1.8.0-dev). Error in strict mode, warning in compatible mode.
	CodeVersionPrerelease = "version_prerelease"
	// CodeVersionOlder: metadata.version is earlier than the schema used, and
	// at most one minor version before the oldest embedded one (1.5.x).
	// Warning; an error in strict mode for a prerelease or 0.x version.
	CodeVersionOlder = "version_older"
	// CodeVersionUnsupported: metadata.version is older than 1.5.0; the
	// finding is checked against the oldest embedded schema (1.6.0), so
	// expect problems that are differences between the versions. Warning; an
	// error in strict mode for a prerelease or 0.x version.
	CodeVersionUnsupported = "version_unsupported"
	// CodeSchema: any other JSON Schema violation (should not happen with the
	// schemas this package generates). Error.
	CodeSchema = "schema"
)

// Codes lists every problem code.
func Codes() []string {
	return []string{
		CodeJSON, CodeLimitSize, CodeLimitDepth, CodeLimitValues, CodeLimitProblems,
		CodeClassUnknown, CodeRequired, CodeRecommended, CodeType, CodeEnum, CodeRange,
		CodeMaxLength, CodeFormat, CodeUnknownAttribute, CodeProfileInactive,
		CodeProfileUnknown, CodeTypeUIDMismatch, CodeConstraintAtLeastOne,
		CodeConstraintJustOne, CodeEnumCaptionMismatch, CodeObservableName,
		CodeDeprecated, CodeDuplicateKey, CodeVersionInvalid, CodeVersionNewer,
		CodeVersionPrerelease, CodeVersionOlder, CodeVersionUnsupported, CodeSchema,
	}
}

// MaxProblems is the most problems one validation reports.
const MaxProblems = 1000

// truncateProblems keeps the first MaxProblems-1 problems of a sorted list
// and replaces the rest by one limit_problems problem.
func truncateProblems(ps []Problem) []Problem {
	if len(ps) <= MaxProblems {
		return ps
	}
	rest := ps[MaxProblems-1:]
	sev := Warning
	for _, p := range rest {
		if p.Severity == Error {
			sev = Error
			break
		}
	}
	out := append(ps[:MaxProblems-1:MaxProblems-1], Problem{Severity: sev, Code: CodeLimitProblems,
		Message: fmt.Sprintf("%d more problems are not reported (at most %d are)", len(rest), MaxProblems)})
	return out
}

// escapeToken escapes one reference token of a JSON pointer (RFC 6901).
func escapeToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	s = strings.ReplaceAll(s, "~", "~0")
	return strings.ReplaceAll(s, "/", "~1")
}

// joinPointer builds a JSON pointer from unescaped reference tokens.
func joinPointer(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	n := 0
	for _, t := range tokens {
		n += len(t) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken(t))
	}
	return b.String()
}

// childPointer appends one token to a pointer.
func childPointer(ptr, token string) string { return ptr + "/" + escapeToken(token) }

// indexPointer appends an array index to a pointer.
func indexPointer(ptr string, i int) string { return ptr + "/" + strconv.Itoa(i) }

// sortProblems orders problems by pointer, then code, then message, so that
// output is deterministic.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Message < b.Message
	})
}
