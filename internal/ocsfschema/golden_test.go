package ocsfschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
)

// maxReported caps the differences reported per variant, so a broken
// compiler produces a readable failure rather than thousands of lines.
const maxReported = 40

type goldenVariant struct {
	label   string // subtest name
	suffix  string // golden file name suffix after schema-<version>
	noPlat  bool
	withAWS bool
}

var goldenVariants = []goldenVariant{
	{label: "default"},
	{label: "no-platform-extensions", suffix: "-no-platform-extensions", noPlat: true},
	{label: "with-aws-1.0.0", suffix: "-with-aws-1.0.0", withAWS: true},
}

// TestGolden compiles the schema sources in ../shared and compares the
// result with the official compiler's output (ocsf-schema-compiler 0.9.2)
// for every variant: with the typed Diff (what generation and validation
// use) and on the complete JSON (every key, captions and descriptions too).
// In -short mode only 1.6.0 runs.
func TestGolden(t *testing.T) {
	versions := []string{"1.6.0", "1.7.0", "1.8.0"}
	if testing.Short() {
		versions = versions[:1]
	}
	for _, version := range versions {
		for _, v := range goldenVariants {
			t.Run(version+"/"+v.label, func(t *testing.T) {
				t.Parallel()
				opts := Options{
					SchemaDir:              sharedtest.Dir(t, "ocsf-schema-"+version),
					SkipPlatformExtensions: v.noPlat,
				}
				if v.withAWS {
					opts.ExtensionDirs = []string{sharedtest.Dir(t, "ocsf-aws-extension-1.0.0")}
				}
				goldenFile := filepath.Join(sharedtest.Dir(t, "ocsf-schema-"+version+"-compiled"),
					"schema-"+version+v.suffix+".json")
				compareGolden(t, opts, goldenFile)
			})
		}
	}
}

func compareGolden(t *testing.T, opts Options, goldenFile string) {
	t.Helper()
	data, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Skipf("golden file: %v", err)
	}
	raw, err := compileRaw(opts)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}

	// Typed comparison, as the generator and the validator see the model.
	want, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("load golden: %v", err)
	}
	got, err := schemaFromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Classes) == 0 || len(want.Objects) == 0 {
		t.Fatalf("golden %s has no classes or objects", goldenFile)
	}
	diffs := Diff(want, got)
	for i, d := range diffs {
		if i == maxReported {
			t.Errorf("... and %d more typed differences", len(diffs)-maxReported)
			break
		}
		t.Errorf("typed difference %s", d)
	}

	// Complete comparison with the golden file: every key of the compiler's
	// output (the value CompileJSON encodes), captions and descriptions too.
	var wantAny any
	if err := json.Unmarshal(data, &wantAny); err != nil {
		t.Fatal(err)
	}
	var rawDiffs []string
	jsonDiff("", wantAny, map[string]any(raw), &rawDiffs)
	for i, d := range rawDiffs {
		if i == maxReported {
			t.Errorf("... and %d more JSON differences", len(rawDiffs)-maxReported)
			break
		}
		t.Errorf("JSON difference %s", d)
	}
	t.Logf("%s: %d classes, %d objects; %d typed differences, %d JSON differences",
		filepath.Base(goldenFile), len(got.Classes), len(got.Objects), len(diffs), len(rawDiffs))
}

// jsonDiff appends one line per difference between two decoded JSON values.
func jsonDiff(path string, want, got any, out *[]string) {
	w, wok := want.(map[string]any)
	g, gok := got.(map[string]any)
	if !wok || !gok {
		if !jsonEqual(want, got) {
			*out = append(*out, fmt.Sprintf("%s: want %s, got %s", path, short(want), short(got)))
		}
		return
	}
	for _, k := range sortedKeys(w) {
		gv, ok := g[k]
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: missing, want %s", path+ptr(k), short(w[k])))
			continue
		}
		jsonDiff(path+ptr(k), w[k], gv, out)
	}
	for _, k := range sortedKeys(g) {
		if _, ok := w[k]; !ok {
			*out = append(*out, fmt.Sprintf("%s: unexpected %s", path+ptr(k), short(g[k])))
		}
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		return string(b[:120]) + "..."
	}
	return string(b)
}
