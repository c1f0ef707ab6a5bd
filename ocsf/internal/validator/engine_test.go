package validator

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// baseFinding is a valid Detection Finding (OCSF 1.6.0, profiles cloud and
// datetime) from the project's invalid corpus.
func baseFinding(t testing.TB) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../../testdata/invalid/wrong-type-uid.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := newParser(data, Limits{}.withDefaults()).parse()
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	m["type_uid"] = json.Number("200401") // make it valid
	return m
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func problemLines(r *Report) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, fmt.Sprintf("%d %s %s %s", p.Severity, p.Pointer, p.Code, p.Message))
	}
	return out
}

func find(r *Report, pointer, code string) *Problem {
	for i, p := range r.Problems {
		if p.Pointer == pointer && p.Code == code {
			return &r.Problems[i]
		}
	}
	return nil
}

func TestBaseFindingIsValid(t *testing.T) {
	for _, mode := range []Mode{Compatible, Strict} {
		r := newEngine(t, Options{Mode: mode}).Validate(mustJSON(t, baseFinding(t)))
		if len(r.Problems) != 0 || r.ClassUID != 2004 || r.SchemaVersion != "1.6.0" || r.Version != "1.6.0" {
			t.Errorf("mode %d: %+v", mode, r)
		}
	}
}

// mutations returns copies of doc with one value replaced or removed at
// each path (a deterministic sample of paths).
func mutations(doc map[string]any, limit int) [][]byte {
	replacements := []any{nil, "x", json.Number("1.5"), json.Number("7"), json.Number("1.0"), true, map[string]any{}, []any{}, deleteMark}
	var out [][]byte
	var paths [][]string
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		if len(path) > 0 {
			paths = append(paths, slices.Clone(path))
		}
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(v[k], append(path, k))
			}
		case []any:
			for i, e := range v {
				walk(e, append(path, strconv.Itoa(i)))
			}
		}
	}
	walk(doc, nil)
	for i, p := range paths {
		if limit > 0 && i >= limit {
			break
		}
		for _, r := range replacements {
			c := deepCopy(doc).(map[string]any)
			setPath(c, p, r)
			b, _ := json.Marshal(c)
			out = append(out, b)
		}
	}
	return out
}

var deleteMark = struct{}{}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = deepCopy(e)
		}
		return a
	}
	return v
}

func setPath(v any, path []string, r any) {
	for i, tok := range path {
		last := i == len(path)-1
		switch c := v.(type) {
		case map[string]any:
			if last {
				if r == deleteMark {
					delete(c, tok)
				} else {
					c[tok] = r
				}
				return
			}
			v = c[tok]
		case []any:
			n, _ := strconv.Atoi(tok)
			if last {
				if r == deleteMark {
					r = nil
				}
				c[n] = r
				return
			}
			v = c[n]
		}
	}
}

// TestNativeMatchesStandard checks that the x-ocsf-object form of the
// schemas gives exactly the problems of the standard-keyword form, over
// mutations of valid findings (every value replaced by null, a string, a
// fraction, an integer, a boolean, an object, an array, or removed).
func TestNativeMatchesStandard(t *testing.T) {
	newer := baseFinding(t)
	newer["metadata"].(map[string]any)["version"] = "1.9.0"
	docs := []map[string]any{baseFinding(t), newer}
	files, _ := filepath.Glob("../../../testdata/findings/*.json")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		var env struct {
			Detail struct{ Findings []json.RawMessage }
		}
		if json.Unmarshal(data, &env) != nil || len(env.Detail.Findings) == 0 {
			continue
		}
		v, err := newParser(env.Detail.Findings[0], Limits{}.withDefaults()).parse()
		if err == nil {
			docs = append(docs, v.(map[string]any))
		}
		if len(docs) == 4 {
			break
		}
	}
	for _, mode := range []Mode{Compatible, Strict} {
		native := newEngine(t, Options{Mode: mode})
		standard := newEngine(t, Options{Mode: mode, StandardKeywords: true})
		n := 0
		for _, doc := range docs {
			for _, in := range mutations(doc, mutationPaths()) {
				n++
				a, b := problemLines(native.Validate(in)), problemLines(standard.Validate(in))
				if !slices.Equal(a, b) {
					t.Fatalf("mode %d, input %s\nnative:   %q\nstandard: %q", mode, in, a, b)
				}
			}
		}
		t.Logf("mode %d: %d mutated findings, same problems", mode, n)
	}
}

// TestCompiledOnce: no schema is compiled per call; one per (version,
// class, profiles that matter to the class), even under concurrency.
func TestCompiledOnce(t *testing.T) {
	e := newEngine(t, Options{})
	doc := baseFinding(t)
	in := mustJSON(t, doc)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if r := e.Validate(in); len(r.Problems) != 0 {
					t.Errorf("problems %v", r.Problems)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := e.Compiles(); got != 1 {
		t.Errorf("%d compilations for one (version, class, profiles)", got)
	}
	// Same profiles in another order, repeated, and a profile that gates
	// nothing the class reaches: the same schema.
	doc["metadata"].(map[string]any)["profiles"] = []any{"datetime", "cloud", "cloud", "load_balancer"}
	if r := e.Validate(mustJSON(t, doc)); len(r.Problems) != 0 || e.Compiles() != 1 {
		t.Errorf("compiles %d, problems %v", e.Compiles(), r.Problems)
	}
	doc["metadata"].(map[string]any)["version"] = "1.8.0"
	e.Validate(mustJSON(t, doc))
	if e.Compiles() != 2 {
		t.Errorf("compiles %d after a second version", e.Compiles())
	}
}

func TestCacheBounded(t *testing.T) {
	e := newEngine(t, Options{CacheSize: 2})
	doc := baseFinding(t)
	for _, ps := range [][]any{{"cloud", "datetime"}, {"cloud", "datetime", "host"}, {"cloud", "datetime", "container"}, {"cloud", "datetime"}} {
		doc["metadata"].(map[string]any)["profiles"] = ps
		e.Validate(mustJSON(t, doc))
		if n := e.cache.len(); n > 2 {
			t.Fatalf("cache holds %d schemas, limit 2", n)
		}
	}
	if e.Compiles() != 4 {
		t.Errorf("compiles %d, want 4 (the first set was evicted)", e.Compiles())
	}
}

func TestForwardCompatibility(t *testing.T) {
	doc := baseFinding(t)
	md := doc["metadata"].(map[string]any)
	md["version"] = "1.9.0"
	doc["severity_id"] = json.Number("7")
	doc["finding_info"].(map[string]any)["new_in_1_9"] = "x"
	in := mustJSON(t, doc)

	r := newEngine(t, Options{}).Validate(in)
	if r.SchemaVersion != "1.8.0" || !isValid(r) {
		t.Fatalf("compatible: schema %s, %v", r.SchemaVersion, problemLines(r))
	}
	for _, want := range [][2]string{{"/metadata/version", CodeVersionNewer}, {"/severity_id", CodeEnum}, {"/finding_info/new_in_1_9", CodeUnknownAttribute}} {
		if p := find(r, want[0], want[1]); p == nil || p.Severity != Warning {
			t.Errorf("compatible: no warning %v in %v", want, problemLines(r))
		}
	}
	r = newEngine(t, Options{Mode: Strict}).Validate(in)
	for _, want := range [][2]string{{"/metadata/version", CodeVersionNewer}, {"/severity_id", CodeEnum}, {"/finding_info/new_in_1_9", CodeUnknownAttribute}} {
		if p := find(r, want[0], want[1]); p == nil || p.Severity != Error {
			t.Errorf("strict: no error %v in %v", want, problemLines(r))
		}
	}
	// Not newer: an unknown enum value stays an error in compatible mode.
	md["version"] = "1.8.0"
	r = newEngine(t, Options{}).Validate(mustJSON(t, doc))
	if p := find(r, "/severity_id", CodeEnum); p == nil || p.Severity != Error {
		t.Errorf("1.8.0: %v", problemLines(r))
	}
	// A class unknown to every embedded version, in a newer finding.
	md["version"] = "2.0.0"
	doc["class_uid"] = json.Number("2099")
	r = newEngine(t, Options{}).Validate(mustJSON(t, doc))
	if p := find(r, "/class_uid", CodeClassUnknown); p == nil || p.Severity != Warning || r.ClassUID != 2099 {
		t.Errorf("unknown class in 2.0.0: %v", problemLines(r))
	}
	// An older 1.5.0 finding is checked against 1.6.0.
	md["version"] = "1.5.0"
	doc["class_uid"] = json.Number("2004")
	doc["severity_id"] = json.Number("4")
	r = newEngine(t, Options{}).Validate(mustJSON(t, doc))
	if r.SchemaVersion != "1.6.0" || !isValid(r) || find(r, "/metadata/version", CodeVersionOlder) == nil {
		t.Errorf("1.5.0: schema %s %v", r.SchemaVersion, problemLines(r))
	}
}

func TestWarnings(t *testing.T) {
	doc := baseFinding(t)
	doc["severity"] = "high"                                         // caption is "High"
	doc["time_dt"] = "2026-01-01 10:00:00Z"                          // a space instead of T
	doc["status_id"], doc["status"] = json.Number("99"), "Escalated" // 99 carries the source's value
	doc["evidences"].([]any)[0].(map[string]any)["src_endpoint"].(map[string]any)["ip"] = "not-an-ip"
	doc["observables"] = []any{
		map[string]any{"name": "resources[].uid", "type_id": json.Number("10"), "value": "i-1"},
		map[string]any{"name": "resources.uid", "type_id": json.Number("10"), "value": "i-1"},
		map[string]any{"name": "fileSystemType", "type_id": json.Number("99"), "value": "ext4"},
		map[string]any{"name": "severity_id[]", "type_id": json.Number("99"), "value": "4"},
	}
	in := mustJSON(t, doc)
	in = append([]byte(`{"count":1,"count":2,`), in[1:]...) // a duplicate key
	r := newEngine(t, Options{WarnMissingRecommended: true}).Validate(in)
	if !isValid(r) {
		t.Fatalf("errors: %v", problemLines(r))
	}
	for _, want := range [][2]string{
		{"/severity", CodeEnumCaptionMismatch},
		{"/time_dt", CodeFormat},
		{"/evidences/0/src_endpoint/ip", CodeFormat},
		{"/observables/2/name", CodeObservableName},
		{"/observables/3/name", CodeObservableName},
		{"/count", CodeDuplicateKey},
		{"/confidence_id", CodeRecommended},
	} {
		if p := find(r, want[0], want[1]); p == nil || p.Severity != Warning || p.Message == "" {
			t.Errorf("no warning %v in %v", want, problemLines(r))
		}
	}
	for _, absent := range [][2]string{{"/status", CodeEnumCaptionMismatch}, {"/observables/0/name", CodeObservableName}, {"/observables/1/name", CodeObservableName}} {
		if find(r, absent[0], absent[1]) != nil {
			t.Errorf("unexpected %v", absent)
		}
	}
	// Strict mode: observable names are errors, and the [] notation is not accepted.
	r = newEngine(t, Options{Mode: Strict}).Validate(in)
	for _, ptr := range []string{"/observables/0/name", "/observables/2/name"} {
		if p := find(r, ptr, CodeObservableName); p == nil || p.Severity != Error {
			t.Errorf("strict: %s: %v", ptr, problemLines(r))
		}
	}
	if find(r, "/observables/1/name", CodeObservableName) != nil {
		t.Errorf("strict: resources.uid rejected")
	}
}

func TestDeprecatedAndOlderClass(t *testing.T) {
	doc := baseFinding(t)
	doc["finding_info"].(map[string]any)["product_uid"] = "x" // deprecated since 1.4.0
	r := newEngine(t, Options{}).Validate(mustJSON(t, doc))
	if p := find(r, "/finding_info/product_uid", CodeDeprecated); p == nil || p.Severity != Warning || !strings.Contains(p.Message, "1.4.0") {
		t.Errorf("%v", problemLines(r))
	}
}

func TestInputShapes(t *testing.T) {
	e := newEngine(t, Options{Limits: Limits{MaxBytes: 4096}})
	tests := []struct {
		in, pointer, code string
	}{
		{`[]`, "", CodeJSON},
		{`"x"`, "", CodeJSON},
		{`{"class_uid":"2004"}`, "/class_uid", CodeType},
		{`{"class_uid":2004.5}`, "/class_uid", CodeType},
		{`{"class_uid":99999999999999999999}`, "/class_uid", CodeType},
		{`{"a":` + strings.Repeat(" ", 5000) + `1}`, "", CodeLimitSize},
		{`{"a":1`, "", CodeJSON},
		{`{"class_uid":0}`, "/metadata", CodeRequired}, // base_event exists (uid 0)
	}
	for _, tt := range tests {
		r := e.Validate([]byte(tt.in))
		if find(r, tt.pointer, tt.code) == nil {
			t.Errorf("%.40q: want %s at %q, got %v", tt.in, tt.code, tt.pointer, problemLines(r))
		}
	}
}

// TestCustomModels validates against a model given in the options.
func TestCustomModels(t *testing.T) {
	embedded := newEngine(t, Options{})
	m, err := embedded.Model("1.7.0")
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, Options{Models: map[string]*Model{"1.7.0": m}})
	r := e.Validate(mustJSON(t, baseFinding(t)))
	if r.SchemaVersion != "1.7.0" || find(r, "/metadata/version", CodeVersionOlder) == nil {
		t.Errorf("schema %s: %v", r.SchemaVersion, problemLines(r))
	}
	if _, err := New(Options{Models: map[string]*Model{"x": m}}); err == nil {
		t.Error("bad model version accepted")
	}
	if _, err := New(Options{Mode: 9}); err == nil {
		t.Error("bad mode accepted")
	}
}

// mutationPaths is how many paths of each finding TestNativeMatchesStandard
// mutates (every path with -long).
func mutationPaths() int {
	if testing.Short() {
		return 8
	}
	if os.Getenv("OCSFHUB_LONG_TESTS") != "" {
		return 0
	}
	return 25
}

// FuzzNativeMatchesStandard: for any input, the x-ocsf-object form and the
// standard-keyword form of the schemas give the same problems.
func FuzzNativeMatchesStandard(f *testing.F) {
	base := baseFinding(f)
	f.Add(mustJSON(f, base))
	base["metadata"].(map[string]any)["version"] = "1.9.0"
	base["severity_id"] = json.Number("4.0")
	f.Add(mustJSON(f, base))
	native := newEngine(f, Options{Limits: Limits{MaxBytes: 64 << 10, MaxValues: 5000}})
	standard := newEngine(f, Options{Limits: Limits{MaxBytes: 64 << 10, MaxValues: 5000}, StandardKeywords: true})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := problemLines(native.Validate(data)), problemLines(standard.Validate(data))
		if !slices.Equal(a, b) {
			t.Fatalf("input %q\nnative:   %q\nstandard: %q", data, a, b)
		}
	})
}

func TestProblemsCapped(t *testing.T) {
	doc := baseFinding(t)
	fi := doc["finding_info"].(map[string]any)
	for i := range 3000 {
		fi[fmt.Sprintf("extra_%04d", i)] = json.Number("1")
	}
	for _, tt := range []struct {
		mode Mode
		sev  Severity
	}{{Compatible, Warning}, {Strict, Error}} {
		r := newEngine(t, Options{Mode: tt.mode}).Validate(mustJSON(t, doc))
		if len(r.Problems) != MaxProblems {
			t.Fatalf("%d problems", len(r.Problems))
		}
		last := r.Problems[len(r.Problems)-1]
		if last.Code != CodeLimitProblems || last.Severity != tt.sev || !strings.Contains(last.Message, "2001 more") {
			t.Errorf("mode %d: last problem %+v", tt.mode, last)
		}
	}
}
