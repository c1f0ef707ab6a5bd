package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/internal/ocsfschema"
	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
)

// tinySchema is the smallest schema tree that compiles: one class, one object.
var tinySchema = map[string]string{
	"version.json":    `{"version": "0.1.0"}`,
	"categories.json": `{"attributes": {"system": {"uid": 1, "caption": "System <Activity>"}}}`,
	"dictionary.json": `{"types": {"attributes": {"string_t": {"caption": "String"}, "integer_t": {"caption": "Integer"}, "long_t": {"caption": "Long"}}},
		"attributes": {
			"activity_id": {"caption": "Activity ID", "type": "integer_t"},
			"class_uid": {"caption": "Class ID", "type": "integer_t"},
			"class_name": {"caption": "Class", "type": "string_t"},
			"category_name": {"caption": "Category", "type": "string_t"},
			"category_uid": {"caption": "Category ID", "type": "integer_t"},
			"type_uid": {"caption": "Type ID", "type": "long_t"},
			"user": {"caption": "User", "type": "user"},
			"name": {"caption": "Name", "type": "string_t"}}}`,
	"events/base_event.json": `{"name": "base_event", "caption": "Base Event", "category": "other",
		"attributes": {"activity_id": {"requirement": "required", "enum": {"0": {"caption": "Unknown"}}},
			"class_uid": {"requirement": "required"}, "category_uid": {"requirement": "required"}, "type_uid": {"requirement": "required"}}}`,
	"events/logon.json": `{"name": "logon", "caption": "Logon", "category": "system", "extends": "base_event", "uid": 5,
		"attributes": {"activity_id": {"enum": {"1": {"caption": "Logon"}}}, "user": {"requirement": "required"}}}`,
	"objects/user.json": `{"name": "user", "caption": "User", "attributes": {"name": {"requirement": "recommended"}}}`,
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRunWritesDeterministicOutput(t *testing.T) {
	schema := writeTree(t, tinySchema)
	out := filepath.Join(t.TempDir(), "schema.json")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-schema", schema, "-o", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stdout.Len() != 0 || stderr.Len() != 0 {
		t.Errorf("unexpected output: stdout %q stderr %q", stdout.String(), stderr.String())
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ocsfschema.Load(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Classes["logon"]; c == nil || c.UID != 1005 || s.Version != "0.1.0" {
		t.Fatalf("compiled logon = %+v", c)
	}
	if !strings.Contains(string(first), "System <Activity>") {
		t.Error("HTML characters must not be escaped")
	}

	// Same input, same bytes; an unchanged file is not rewritten.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(out, old, old); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"-schema", schema, "-o", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if !st.ModTime().Equal(old) {
		t.Error("an unchanged output file was rewritten")
	}

	// Standard output gets the same bytes.
	stdout.Reset()
	if code := run([]string{"-schema", schema}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !bytes.Equal(stdout.Bytes(), first) {
		t.Error("standard output differs from the file output")
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestRunVerboseLogs(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-v", "-schema", writeTree(t, tinySchema)}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "compiled OCSF schema") {
		t.Errorf("no progress log: %q", stderr.String())
	}
}

func TestRunErrors(t *testing.T) {
	bad := map[string]string{}
	for k, v := range tinySchema {
		bad[k] = v
	}
	bad["objects/user.json"] = `{"name": "user", "attributes": {"name": {"requirement": "always"}}}`
	badDir := writeTree(t, bad)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no schema", nil, 2, "-schema is required"},
		{"extra argument", []string{"-schema", "x", "y"}, 2, "unexpected arguments: y"},
		{"unknown flag", []string{"-bogus"}, 2, "flag provided but not defined"},
		{"empty ext", []string{"-schema", "x", "-ext", ""}, 2, "empty directory"},
		{"help", []string{"-h"}, 0, "usage: ocsfcompile"},
		{"compile error", []string{"-schema", badDir}, 1, filepath.Join(badDir, "objects", "user.json") + "#/attributes/name/requirement"},
		{"missing schema", []string{"-schema", filepath.Join(badDir, "nope")}, 1, "no such file"},
		{"unwritable output", []string{"-schema", writeTree(t, tinySchema), "-o", filepath.Join(badDir, "no", "dir", "x.json")}, 1, "ocsfcompile:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != tt.code {
				t.Errorf("exit %d; want %d (stderr %q)", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.msg) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.msg)
			}
		})
	}
}

// TestRunOfficialSchema runs the command on OCSF 1.6.0 with the AWS
// extension and checks the file against the official compiler's output.
func TestRunOfficialSchema(t *testing.T) {
	schema := sharedtest.Dir(t, "ocsf-schema-1.6.0")
	aws := sharedtest.Dir(t, "ocsf-aws-extension-1.0.0")
	golden := filepath.Join(sharedtest.Dir(t, "ocsf-schema-1.6.0-compiled"), "schema-1.6.0-with-aws-1.0.0.json")
	out := filepath.Join(t.TempDir(), "schema.json")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-schema", schema, "-ext", aws, "-o", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	load := func(path string) *ocsfschema.Schema {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		s, err := ocsfschema.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if d := ocsfschema.Diff(load(golden), load(out)); len(d) != 0 {
		t.Errorf("%d differences from the official output, first %v", len(d), d[0])
	}
}
