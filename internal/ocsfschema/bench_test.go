package ocsfschema

import (
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
)

// BenchmarkCompile compiles the official OCSF 1.6.0 sources (platform
// extensions included, as schema.ocsf.io shows them), with and without the
// AWS extension, to the typed model (Compile) and to JSON (CompileJSON).
func BenchmarkCompile(b *testing.B) {
	opts := Options{SchemaDir: sharedtest.Dir(b, "ocsf-schema-1.6.0")}
	withAWS := opts
	withAWS.ExtensionDirs = []string{sharedtest.Dir(b, "ocsf-aws-extension-1.0.0")}
	for _, bc := range []struct {
		name string
		opts Options
		run  func(Options) error
	}{
		{"1.6.0/Compile", opts, func(o Options) error { _, err := Compile(o); return err }},
		{"1.6.0/CompileJSON", opts, func(o Options) error { _, err := CompileJSON(o); return err }},
		{"1.6.0+aws/Compile", withAWS, func(o Options) error { _, err := Compile(o); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.run(bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompileMini compiles the small synthetic tree: the fixed cost
// of a compile (file system walk, validation, pipeline).
func BenchmarkCompileMini(b *testing.B) {
	opts := Options{SchemaDir: writeTree(b, miniSchema())}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(opts); err != nil {
			b.Fatal(err)
		}
	}
}
