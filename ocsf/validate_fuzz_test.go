package ocsf_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

var knownCodes = []string{
	ocsf.CodeJSON, ocsf.CodeLimitSize, ocsf.CodeLimitDepth, ocsf.CodeLimitValues, ocsf.CodeLimitProblems, ocsf.CodeClassUnknown,
	ocsf.CodeRequired, ocsf.CodeRecommended, ocsf.CodeType, ocsf.CodeEnum, ocsf.CodeRange, ocsf.CodeMaxLength,
	ocsf.CodeFormat, ocsf.CodeUnknownAttribute, ocsf.CodeProfileInactive, ocsf.CodeProfileUnknown,
	ocsf.CodeTypeUIDMismatch, ocsf.CodeConstraintAtLeastOne, ocsf.CodeConstraintJustOne,
	ocsf.CodeEnumCaptionMismatch, ocsf.CodeObservableName, ocsf.CodeDeprecated, ocsf.CodeDuplicateKey,
	ocsf.CodeVersionInvalid, ocsf.CodeVersionNewer, ocsf.CodeVersionPrerelease, ocsf.CodeVersionOlder,
	ocsf.CodeVersionUnsupported, ocsf.CodeSchema,
}

// fuzzSeeds are the invalid corpus, the project fixtures and, when present,
// the real samples.
func fuzzSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.json"))
	for _, f := range files {
		if filepath.Base(f) != "want.json" {
			seeds = append(seeds, readTestFile(t, f))
		}
	}
	fixtures, _ := filepath.Glob(filepath.Join("..", "testdata", "findings", "*.json"))
	for _, f := range fixtures {
		for _, fd := range envelopeFindings(t, readTestFile(t, f)) {
			seeds = append(seeds, fd)
		}
	}
	if root, ok := sharedtest.Root(); ok {
		samples, _ := filepath.Glob(filepath.Join(root, "securityhub-samples", "*.json"))
		for _, f := range samples {
			seeds = append(seeds, readTestFile(t, f))
		}
	}
	return seeds
}

// FuzzValidate: Validate never panics, is deterministic, reports only known
// codes in order, points into the input, and uses memory in proportion to
// the input (the limits are small here so the fuzzer reaches them).
func FuzzValidate(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte(`{"class_uid":2004,"metadata":{"version":"1.9.0-dev","profiles":["x"]},"type_uid":1}`))
	f.Add([]byte(strings.Repeat("[", 100)))
	opts := &ocsf.ValidatorOptions{MaxBytes: 64 << 10, MaxDepth: 24, MaxValues: 4000}
	compat, err := ocsf.NewValidator(opts)
	if err != nil {
		f.Fatal(err)
	}
	strict, err := ocsf.NewValidator(&ocsf.ValidatorOptions{Mode: ocsf.ModeStrict, MaxBytes: opts.MaxBytes, MaxDepth: opts.MaxDepth, MaxValues: opts.MaxValues})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []*ocsf.Validator{compat, strict} {
			res := v.Validate(data)
			checkResult(t, data, res)
			// Again, with the schema cached: same result, bounded allocation.
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			again := v.Validate(data)
			runtime.ReadMemStats(&after)
			if a, b := mustMarshal(t, res), mustMarshal(t, again); !bytes.Equal(a, b) {
				t.Fatalf("not deterministic:\n%s\n%s", a, b)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(256*len(data)+(2<<20)) {
				t.Fatalf("%d bytes allocated for %d bytes of input", alloc, len(data))
			}
		}
	})
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkResult(t *testing.T, data []byte, res *ocsf.Result) {
	t.Helper()
	if res == nil {
		t.Fatal("nil result")
	}
	for i, p := range res.Problems {
		if !slices.Contains(knownCodes, p.Code) || p.Message == "" || (p.Severity != ocsf.SeverityError && p.Severity != ocsf.SeverityWarning) {
			t.Fatalf("bad problem %+v", p)
		}
		if p.Pointer != "" && p.Pointer[0] != '/' {
			t.Fatalf("bad pointer %q", p.Pointer)
		}
		if i > 0 && p.Code != ocsf.CodeLimitProblems {
			q := res.Problems[i-1]
			if q.Pointer > p.Pointer || (q.Pointer == p.Pointer && q.Code > p.Code) {
				t.Fatalf("problems out of order: %+v before %+v", q, p)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if !json.Valid(data) || dec.Decode(&doc) != nil {
		if len(res.Problems) != 1 || res.Valid() {
			t.Fatalf("invalid JSON: problems %+v", res.Problems)
		}
		return
	}
	for _, p := range res.Problems {
		switch p.Code {
		case ocsf.CodeLimitDepth, ocsf.CodeLimitValues, ocsf.CodeJSON, ocsf.CodeLimitProblems:
			continue // where parsing stopped; the value may be cut
		}
		// The pointer, or for a missing attribute its parent, is in the input.
		ptr := p.Pointer
		if p.Code == ocsf.CodeRequired || p.Code == ocsf.CodeRecommended {
			ptr = ptr[:max(strings.LastIndexByte(ptr, '/'), 0)]
		}
		if !resolves(doc, ptr) {
			t.Fatalf("pointer %q of %+v is not in the input", ptr, p)
		}
	}
}

// resolves reports whether an RFC 6901 pointer names a value of doc.
func resolves(doc any, ptr string) bool {
	if ptr == "" {
		return true
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch v := doc.(type) {
		case map[string]any:
			var ok bool
			if doc, ok = v[tok]; !ok {
				return false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return false
			}
			doc = v[i]
		default:
			return false
		}
	}
	return true
}

// TestBoundedMemory feeds inputs at the default limits and checks what one
// validation allocates.
func TestBoundedMemory(t *testing.T) {
	v := newValidator(t, ocsf.ModeCompatible)
	base := readTestFile(t, filepath.Join("testdata", "invalid", "wrong-type-uid.json"))
	v.Validate(base) // compile the schema first
	wide := []byte(`{"class_uid":2004,"unmapped":{` + strings.Repeat(`"k":{"a":[1,2,3]},`, 40000) + `"z":1}}`)
	inputs := map[string][]byte{
		"deep brackets (1 MiB)":  bytes.Repeat([]byte("["), 1<<20),
		"many numbers (1 MiB)":   append(append([]byte(`{"unmapped":[`), bytes.Repeat([]byte("0,"), 500_000)...), []byte("0]}")...),
		"oversized (4 MiB)":      bytes.Repeat([]byte(" "), 4<<20),
		"wide duplicate objects": wide,
		"long string (1 MiB)":    []byte(`{"class_uid":2004,"message":"` + strings.Repeat("x", 1<<20-40) + `"}`),
	}
	for name, in := range inputs {
		v.Validate(in) // a new class or profile set compiles its schema once
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res := v.Validate(in)
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d bytes in, %d bytes allocated, first problem %+v", name, len(in), alloc, res.Problems[0])
		// About 120 bytes per JSON value at most, 100,000 values by default.
		if alloc > 16<<20 {
			t.Errorf("%s: %d bytes allocated", name, alloc)
		}
		if res.Valid() {
			t.Errorf("%s: valid", name)
		}
	}
}
