package modelgen

import (
	"path/filepath"

	"github.com/ocsfhub/ocsfhub/internal/ocsfschema"
)

// compileSource compiles <shared>/ocsf-schema-<version> with its platform
// extensions plus the AWS extension, with the project's own compiler.
func compileSource(shared, version string) (*ocsfschema.Schema, error) {
	return ocsfschema.Compile(ocsfschema.Options{
		SchemaDir:     filepath.Join(shared, "ocsf-schema-"+version),
		ExtensionDirs: []string{filepath.Join(shared, AWSExtension)},
	})
}
