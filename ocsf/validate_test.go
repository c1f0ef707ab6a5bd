package ocsf_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

// invalidCase is one entry of testdata/invalid/want.json.
type invalidCase struct {
	File     string     `json:"file"`
	Mode     string     `json:"mode"`
	What     string     `json:"what"`
	Errors   []wantProb `json:"errors"`
	Warnings []wantProb `json:"warnings"` // checked only when present
}

type wantProb struct {
	Pointer string `json:"pointer"`
	Code    string `json:"code"`
}

// readTestFile reads a test input, decompressing *.gz files.
func readTestFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

func newValidator(t testing.TB, mode ocsf.Mode) *ocsf.Validator {
	t.Helper()
	v, err := ocsf.NewValidator(&ocsf.ValidatorOptions{Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func probSet(ps []ocsf.Problem) []wantProb {
	out := make([]wantProb, 0, len(ps))
	for _, p := range ps {
		out = append(out, wantProb{p.Pointer, p.Code})
	}
	slices.SortFunc(out, func(a, b wantProb) int { return strings.Compare(a.Pointer+" "+a.Code, b.Pointer+" "+b.Code) })
	return slices.Compact(out)
}

// TestInvalidCorpus validates every file of testdata/invalid and requires
// exactly the errors (pointer and code) its want.json entry lists.
func TestInvalidCorpus(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "invalid", "want.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []invalidCase
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	validators := map[string]*ocsf.Validator{
		"compatible": newValidator(t, ocsf.ModeCompatible),
		"strict":     newValidator(t, ocsf.ModeStrict),
	}
	listed := map[string]bool{"want.json": true, "README.md": true}
	for _, c := range cases {
		listed[c.File] = true
		t.Run(c.File+"/"+c.Mode, func(t *testing.T) {
			v := validators[c.Mode]
			if v == nil {
				t.Fatalf("unknown mode %q", c.Mode)
			}
			res := v.Validate(readTestFile(t, filepath.Join("testdata", "invalid", c.File)))
			want := probSet(nil)
			for _, w := range c.Errors {
				want = append(want, w)
			}
			slices.SortFunc(want, func(a, b wantProb) int { return strings.Compare(a.Pointer+" "+a.Code, b.Pointer+" "+b.Code) })
			if got := probSet(res.Errors()); !slices.Equal(got, want) {
				t.Errorf("%s (%s)\nerrors: got %v\n        want %v\nall problems: %v", c.File, c.What, got, want, res.Problems)
			}
			if len(c.Errors) > 0 && (res.Valid() || res.Err() == nil) {
				t.Errorf("%s: Valid() = true", c.File)
			}
			if c.Warnings != nil {
				got := probSet(res.Warnings())
				for _, w := range c.Warnings {
					if !slices.Contains(got, w) {
						t.Errorf("%s: warning %v missing; got %v", c.File, w, got)
					}
				}
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*"))
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no entry in want.json", f)
		}
	}
}

// TestSecurityHubSamples: every real Security Hub finding claiming OCSF 1.5
// or later validates with zero errors in the default mode.
func TestSecurityHubSamples(t *testing.T) {
	dir := sharedtest.Dir(t, "securityhub-samples")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in %s: %v", dir, err)
	}
	v := newValidator(t, ocsf.ModeCompatible)
	checked := 0
	for _, f := range files {
		data := readTestFile(t, f)
		var head struct {
			Metadata struct {
				Version string `json:"version"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !atLeast15(head.Metadata.Version) {
			continue
		}
		checked++
		res := v.Validate(data)
		if errs := res.Errors(); len(errs) > 0 {
			t.Errorf("%s (OCSF %s): %d errors: %v", filepath.Base(f), head.Metadata.Version, len(errs), errs)
		}
		if res.SchemaVersion == "" || res.ClassUID == 0 {
			t.Errorf("%s: result %+v", filepath.Base(f), res)
		}
	}
	if checked == 0 {
		t.Fatal("no sample claims OCSF 1.5 or later")
	}
	t.Logf("%d samples claiming OCSF >= 1.5 validated with zero errors", checked)
}

func atLeast15(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 1 || (major == 1 && minor >= 5)
}

// TestSecurityLakeSamples: the older Security Lake mappings (OCSF 1.0.0-rc.2
// and 1.1.0) are checked against 1.6.0 and reported precisely.
func TestSecurityLakeSamples(t *testing.T) {
	dir := sharedtest.Dir(t, "securityhub-samples")
	type want struct {
		sev           ocsf.ProblemSeverity
		pointer, code string
	}
	tests := []struct {
		file    string
		mode    ocsf.Mode
		class   ocsf.ClassUID
		version string
		valid   bool
		want    []want
	}{
		{"securitylake-ocsf10rc2-securityfinding-1.json", ocsf.ModeCompatible, ocsf.ClassSecurityFinding, "1.0.0-rc.2", false, []want{
			{ocsf.SeverityWarning, "/metadata/version", ocsf.CodeVersionUnsupported},
			{ocsf.SeverityWarning, "", ocsf.CodeDeprecated}, // class security_finding
			{ocsf.SeverityWarning, "/finding", ocsf.CodeDeprecated},
			{ocsf.SeverityWarning, "/cloud/account_uid", ocsf.CodeUnknownAttribute},
			{ocsf.SeverityWarning, "/resources/0/details", ocsf.CodeUnknownAttribute},
			{ocsf.SeverityError, "/vulnerabilities/0/cve/cvss", ocsf.CodeType}, // an object where 1.6.0 has an array
		}},
		{"securitylake-ocsf10rc2-securityfinding-1.json", ocsf.ModeStrict, ocsf.ClassSecurityFinding, "1.0.0-rc.2", false, []want{
			{ocsf.SeverityError, "/metadata/version", ocsf.CodeVersionUnsupported}, // a prerelease
			{ocsf.SeverityError, "/cloud/account_uid", ocsf.CodeUnknownAttribute},
		}},
		{"securitylake-ocsf11-compliance-1.json", ocsf.ModeCompatible, ocsf.ClassComplianceFinding, "1.1.0", true, []want{
			{ocsf.SeverityWarning, "/metadata/version", ocsf.CodeVersionUnsupported},
			{ocsf.SeverityWarning, "/resource", ocsf.CodeDeprecated},
		}},
		{"securitylake-ocsf11-detection-1.json", ocsf.ModeCompatible, ocsf.ClassDetectionFinding, "1.1.0", true, []want{
			{ocsf.SeverityWarning, "/metadata/profiles/2", ocsf.CodeProfileUnknown}, // "linux"
			{ocsf.SeverityWarning, "/metadata/version", ocsf.CodeVersionUnsupported},
		}},
		{"securitylake-ocsf11-detection-1.json", ocsf.ModeStrict, ocsf.ClassDetectionFinding, "1.1.0", false, []want{
			{ocsf.SeverityError, "/metadata/profiles/2", ocsf.CodeProfileUnknown},
			{ocsf.SeverityError, "/observables/0/name", ocsf.CodeObservableName}, // "evidences[].src_endpoint.ip"
			{ocsf.SeverityError, "/observables/1/name", ocsf.CodeObservableName},
		}},
		{"securitylake-ocsf11-vulnerability-1.json", ocsf.ModeCompatible, ocsf.ClassVulnerabilityFinding, "1.1.0", true, []want{
			{ocsf.SeverityWarning, "/metadata/version", ocsf.CodeVersionUnsupported},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.mode.String(), func(t *testing.T) {
			res := newValidator(t, tt.mode).Validate(readTestFile(t, filepath.Join(dir, tt.file)))
			if res.ClassUID != tt.class || res.Version != tt.version || res.SchemaVersion != "1.6.0" {
				t.Errorf("class %d version %q schema %q", res.ClassUID, res.Version, res.SchemaVersion)
			}
			if res.Valid() != tt.valid {
				t.Errorf("Valid() = %v; errors %v", res.Valid(), res.Errors())
			}
			for _, w := range tt.want {
				found := false
				for _, p := range res.Problems {
					if p.Pointer == w.pointer && p.Code == w.code && p.Severity == w.sev {
						found = true
						if p.Message == "" {
							t.Errorf("%v: empty message", w)
						}
					}
				}
				if !found {
					t.Errorf("missing %s %s at %q; got %v", w.sev, w.code, w.pointer, res.Problems)
				}
			}
		})
	}
}

// TestFixtures: every project fixture (an EventBridge envelope) holds
// findings that validate with zero errors in both modes.
func TestFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "findings", "*.json"))
	if len(files) == 0 {
		t.Skip("no fixtures in testdata/findings yet")
	}
	for _, mode := range []ocsf.Mode{ocsf.ModeCompatible, ocsf.ModeStrict} {
		v := newValidator(t, mode)
		for _, f := range files {
			findings := envelopeFindings(t, readTestFile(t, f))
			if len(findings) == 0 {
				t.Errorf("%s: no findings", f)
			}
			for i, fd := range findings {
				if res := v.Validate(fd); !res.Valid() {
					t.Errorf("%s finding %d (%s mode): %v", filepath.Base(f), i, mode, res.Err())
				}
			}
		}
	}
}

// envelopeFindings returns the raw findings of an EventBridge event.
func envelopeFindings(t testing.TB, data []byte) []json.RawMessage {
	t.Helper()
	var env struct {
		DetailType string `json:"detail-type"`
		Detail     struct {
			Findings []json.RawMessage `json:"findings"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	return env.Detail.Findings
}

func TestResultAndError(t *testing.T) {
	v := newValidator(t, ocsf.ModeCompatible)
	data := readTestFile(t, filepath.Join("testdata", "invalid", "wrong-type-uid.json"))
	res := v.Validate(data)
	if res.ClassUID != ocsf.ClassDetectionFinding || res.Version != "1.6.0" || res.SchemaVersion != "1.6.0" {
		t.Errorf("result %+v", res)
	}
	err := res.Err()
	var ve *ocsf.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Err() = %v, not a *ValidationError", err)
	}
	if len(ve.Problems) != 1 || ve.Problems[0].Code != ocsf.CodeTypeUIDMismatch || ve.Problems[0].Pointer != "/type_uid" {
		t.Errorf("problems %v", ve.Problems)
	}
	if msg := err.Error(); !strings.Contains(msg, "/type_uid: type_uid_mismatch") || !strings.HasPrefix(msg, "ocsf: ") {
		t.Errorf("Error() = %q", msg)
	}
	// type_name still says "Create": its caption check is a warning.
	if w := res.Warnings(); len(w) != 1 || w[0].Code != ocsf.CodeEnumCaptionMismatch || w[0].Pointer != "/type_name" || len(res.Errors()) != 1 {
		t.Errorf("errors %v warnings %v", res.Errors(), res.Warnings())
	}
	b, err := json.Marshal(res.Errors()[0])
	if err != nil || !strings.Contains(string(b), `"severity":"error"`) {
		t.Errorf("JSON %s, %v", b, err)
	}
	if ocsf.ModeStrict.String() != "strict" || ocsf.SeverityWarning.String() != "warning" {
		t.Error("String methods")
	}
}

func TestNewValidatorOptions(t *testing.T) {
	if _, err := ocsf.NewValidator(nil); err != nil {
		t.Errorf("NewValidator(nil): %v", err)
	}
	if _, err := ocsf.NewValidator(&ocsf.ValidatorOptions{Mode: 7}); err == nil {
		t.Error("mode 7 accepted")
	}
	if _, err := ocsf.NewValidator(&ocsf.ValidatorOptions{MaxDepth: -1}); err == nil {
		t.Error("negative limit accepted")
	}
	v, err := ocsf.NewValidator(&ocsf.ValidatorOptions{MaxBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	res := v.Validate(readTestFile(t, filepath.Join("testdata", "invalid", "wrong-type-uid.json")))
	if len(res.Problems) != 1 || res.Problems[0].Code != ocsf.CodeLimitSize {
		t.Errorf("MaxBytes 100: %v", res.Problems)
	}
	if got := strings.Join(v.SchemaVersions(), ","); got != "1.6.0,1.7.0,1.8.0" {
		t.Errorf("SchemaVersions() = %s", got)
	}
}

func TestJSONSchema(t *testing.T) {
	v := newValidator(t, ocsf.ModeCompatible)
	raw, err := v.JSONSchema("1.6.0", ocsf.ClassDetectionFinding, []string{"cloud", "datetime"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema     string                     `json:"$schema"`
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(doc.Required, "cloud") || slices.Contains(doc.Required, "osint") || doc.Properties["time_dt"] == nil || doc.Properties["osint"] != nil {
		t.Errorf("required %v, properties %d", doc.Required, len(doc.Properties))
	}
	if bytes.Contains(raw, []byte("x-ocsf")) {
		t.Error("exported schema uses a private keyword")
	}
	if _, err := v.JSONSchema("1.6.0", 4242, nil); err == nil {
		t.Error("unknown class accepted")
	}
}

// TestConcurrentValidate shares one Validator between goroutines (run with -race).
func TestConcurrentValidate(t *testing.T) {
	v := newValidator(t, ocsf.ModeCompatible)
	inputs := [][]byte{
		readTestFile(t, filepath.Join("testdata", "invalid", "wrong-type-uid.json")),
		readTestFile(t, filepath.Join("testdata", "invalid", "profile-attribute-without-profile.json")),
		readTestFile(t, filepath.Join("testdata", "invalid", "unknown-attribute-strict.json")),
	}
	want := make([]string, len(inputs))
	for i, in := range inputs {
		want[i] = problemsString(v.Validate(in))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				k := (g + i) % len(inputs)
				if got := problemsString(v.Validate(inputs[k])); got != want[k] {
					t.Errorf("goroutine %d: got %s, want %s", g, got, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func problemsString(r *ocsf.Result) string {
	b, _ := json.Marshal(r)
	return string(b)
}
