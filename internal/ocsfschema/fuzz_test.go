package ocsfschema

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fuzzTargets are the source files FuzzCompileSource replaces, chosen by
// the first fuzz argument.
var fuzzTargets = []string{
	"objects/device.json",
	"events/findings/thing_finding.json",
	"dictionary.json",
	"profiles/cloud.json",
	"categories.json",
	"extensions/plat/objects/device.json",
	"extensions/plat/extension.json",
}

// FuzzCompileSource replaces one source file of a small valid schema with
// arbitrary bytes. Compile must never panic; it either succeeds, with a
// result that CompileJSON and Load agree on, or fails with a *SourceError.
func FuzzCompileSource(f *testing.F) {
	files := withFiles(platformExtension())
	for i, name := range fuzzTargets {
		f.Add(uint8(i), []byte(files[name]))
	}
	f.Add(uint8(0), []byte(`{"name": "device", "extends": "device"}`))
	f.Add(uint8(0), []byte(`{"name": "device", "attributes": {"$include": 7}}`))
	f.Add(uint8(0), []byte(`{"name": "device", "attributes": {"name": {"enum": {"1": 2}}}}`))
	f.Add(uint8(0), []byte(`{"name": "device", "observable": 1e300, "attributes": {}}`))
	f.Add(uint8(1), []byte(`{"name": "thing_finding", "uid": 999999999999, "category": "findings", "extends": "finding"}`))
	f.Add(uint8(1), []byte(`{"name": "thing_finding", "uid": 1, "category": "findings", "extends": "thing_finding"}`))
	f.Add(uint8(2), []byte(`{"attributes": {"x": {"type": "x"}}}`))
	f.Add(uint8(3), []byte(`{"name": "cloud", "meta": "profile", "annotations": {"profiles": "x"}, "attributes": {}}`))
	f.Add(uint8(6), []byte(`{"uid": 1e12, "name": "plat"}`))
	f.Add(uint8(6), []byte(`{"uid": 2, "name": "a/b"}`))

	root := f.TempDir()
	writeFiles(f, root, files)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		name := fuzzTargets[int(which)%len(fuzzTargets)]
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(path, []byte(files[name]), 0o644)

		opts := Options{SchemaDir: root}
		s, err := Compile(opts)
		if err != nil {
			var se *SourceError
			if !errors.As(err, &se) || se.File == "" {
				t.Fatalf("error is not a *SourceError with a file: %T %v", err, err)
			}
			return
		}
		out, err := CompileJSON(opts)
		if err != nil {
			t.Fatalf("Compile succeeded but CompileJSON failed: %v", err)
		}
		loaded, err := Load(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("Load(CompileJSON) failed: %v", err)
		}
		if d := Diff(s, loaded); len(d) != 0 {
			t.Fatalf("Compile and Load(CompileJSON) differ: %v", d[0])
		}
	})
}

// FuzzLoad feeds arbitrary bytes to Load: it must not panic, and a
// successful load has a version and classes or objects.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"version": "1.6.0", "classes": {"a": {"name": "a", "attributes": {}}}, "objects": {}}`))
	f.Add([]byte(`{"version": "1.6.0", "classes": {}, "objects": {}}`))
	f.Add([]byte(`{"version": 1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	if out, err := CompileJSON(Options{SchemaDir: writeTree(f, miniSchema())}); err == nil {
		f.Add(out)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		if s.Version == "" || (len(s.Classes) == 0 && len(s.Objects) == 0) {
			t.Fatalf("Load accepted a schema without version or items: %+v", s)
		}
	})
}
