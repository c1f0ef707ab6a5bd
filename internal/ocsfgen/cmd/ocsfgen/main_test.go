package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
)

func TestRun(t *testing.T) {
	shared := sharedtest.Dir(t)
	out := t.TempDir()
	compiled := []string{"-shared", shared, "-compiled", "ocsf-schema-1.6.0-compiled/schema-1.6.0-with-aws-1.0.0.json", "-out", out}

	if err := run(compiled); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(names) != 4 {
		t.Fatalf("wrote %v", names)
	}
	for _, n := range names {
		if !strings.HasSuffix(n, "_gen.go") {
			t.Errorf("unexpected file %s (a temporary file left behind?)", n)
		}
		// The committed package is what the command writes.
		got, _ := os.ReadFile(n)
		committed, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "ocsf", filepath.Base(n)))
		if err != nil || !bytes.Equal(got, committed) {
			t.Errorf("ocsf/%s differs from the command's output (run go generate ./ocsf)", filepath.Base(n))
		}
	}

	// -check names a file that changed, and writes nothing.
	stale := filepath.Join(out, "enums_gen.go")
	if err := os.WriteFile(stale, []byte("package ocsf\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(append(compiled, "-check")); err == nil || !strings.Contains(err.Error(), "enums_gen.go") ||
		strings.Contains(err.Error(), "codec_gen.go") {
		t.Errorf("-check after a change: %v", err)
	}
	if got, _ := os.ReadFile(stale); string(got) != "package ocsf\n" {
		t.Error("-check rewrote the file")
	}

	for _, args := range [][]string{
		{},
		{"-compiled", "a", "-schema", "b"},
		{"-shared", shared, "-compiled", "missing.json"},
		{"-shared", shared, "-schema", "missing-dir"},
		{"-no-such-flag"},
	} {
		if err := run(args); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
