package validator

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fastDocs returns the base finding, its forward-version variant and the
// first findings of the fixtures, as parsed trees.
func fastDocs(t *testing.T) []map[string]any {
	t.Helper()
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
		if v, err := newParser(env.Detail.Findings[0], Limits{}.withDefaults()).parse(); err == nil {
			docs = append(docs, v.(map[string]any))
		}
		if len(docs) == 5 {
			break
		}
	}
	return docs
}

// TestFastPathSound checks the pre-check against jsonschema/v5 itself: for
// every compiled schema (both keyword forms) and every input (valid
// findings and their mutations), the pre-check accepting an input implies
// that jsonschema/v5 accepts it. It also checks that the pre-check exists
// for every generated schema and accepts the valid findings, so that it is
// in use.
func TestFastPathSound(t *testing.T) {
	docs := fastDocs(t)
	for _, std := range []bool{false, true} {
		e := newEngine(t, Options{StandardKeywords: std})
		var inputs [][]byte
		for _, doc := range docs {
			in := mustJSON(t, doc)
			if r := e.Validate(in); !isValid(r) {
				continue // some fixtures claim attributes of other profiles
			}
			inputs = append(inputs, in)
			inputs = append(inputs, mutations(doc, mutationPaths())...)
		}
		for _, in := range inputs {
			e.Validate(in) // compiles the schemas the inputs use
		}
		var entries []*cacheEntry
		e.cache.mu.Lock()
		for _, ent := range e.cache.m {
			entries = append(entries, ent)
		}
		e.cache.mu.Unlock()
		if len(entries) == 0 {
			t.Fatal("no schema compiled")
		}
		var trees []any
		for _, in := range inputs {
			if tree, err := newParser(in, Limits{}.withDefaults()).parse(); err == nil {
				trees = append(trees, tree)
			}
		}
		accepted, rejected := 0, 0
		for _, ent := range entries {
			if ent.err != nil {
				continue
			}
			if ent.fast == nil {
				t.Fatalf("standard=%v: schema %s has no pre-check", std, ent.sch.Location)
			}
			for _, tree := range trees {
				if !ent.fast.valid(tree) {
					rejected++
					continue
				}
				accepted++
				if err := ent.sch.Validate(tree); err != nil {
					t.Fatalf("standard=%v: pre-check of %s accepts input jsonschema/v5 rejects (%v):\n%s", std, ent.sch.Location, err, mustJSON(t, tree))
				}
			}
		}
		if accepted == 0 {
			t.Fatalf("standard=%v: the pre-check accepted nothing", std)
		}
		t.Logf("standard=%v: %d schemas, pre-check accepted %d and deferred %d (schema, input) pairs", std, len(entries), accepted, rejected)
	}
}

// TestFastPathUnsupported: a schema using a keyword the pre-check does not
// model gets no pre-check.
func TestFastPathUnsupported(t *testing.T) {
	for _, doc := range []map[string]any{
		{"type": "string", "pattern": "^a"},
		{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "string", "maxLength": 3}}},
		{"anyOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}},
	} {
		sch, err := compileJSONSchema(doc, "https://ocsfhub.invalid/test/unsupported.json")
		if err != nil {
			t.Fatal(err)
		}
		if f := compileFast(sch); f != nil {
			t.Errorf("%v: pre-check compiled", doc)
		}
	}
	sch, err := compileJSONSchema(map[string]any{"type": "object", "required": []string{"a"},
		"properties": map[string]any{"a": map[string]any{"type": "integer", "enum": []any{1, 2}}}, "additionalProperties": false},
		"https://ocsfhub.invalid/test/supported.json")
	if err != nil {
		t.Fatal(err)
	}
	f := compileFast(sch)
	if f == nil {
		t.Fatal("no pre-check")
	}
	for in, want := range map[string]bool{`{"a":1}`: true, `{"a":3}`: false, `{"a":"1"}`: false, `{}`: false, `{"a":1,"b":1}`: false, `{"a":1.0}`: false} {
		tree, err := newParser([]byte(in), Limits{}.withDefaults()).parse()
		if err != nil {
			t.Fatal(err)
		}
		if got := f.valid(tree); got != want {
			t.Errorf("%s: valid = %v, want %v", in, got, want)
		}
	}
}
