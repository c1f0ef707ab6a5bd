package modelgen

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ocsfhub/ocsfhub/internal/ocsfschema"
	"github.com/ocsfhub/ocsfhub/ocsf/internal/validator"
)

// Versions are the OCSF versions whose models are embedded.
var Versions = []string{"1.6.0", "1.7.0", "1.8.0"}

// AWSExtension is the directory name (inside the shared data) of the AWS
// extension every embedded model includes.
const AWSExtension = "ocsf-aws-extension-1.0.0"

// Source selects where a model is built from.
type Source string

const (
	// SourceCompiler compiles the OCSF schema source data with our compiler
	// (internal/ocsfschema.Compile), platform extensions and the AWS extension
	// included.
	SourceCompiler Source = "source"
	// SourceOfficial loads the official compiler's output
	// (ocsf-schema-<v>-compiled/schema-<v>-with-aws-1.0.0.json).
	SourceOfficial Source = "compiled"
)

// FromShared builds the model of version from the shared reference data
// directory (the layout of ../shared: ocsf-schema-<v>, ocsf-schema-<v>-compiled,
// ocsf-aws-extension-1.0.0).
func FromShared(shared, version string, src Source) (*validator.Model, error) {
	var (
		s   *ocsfschema.Schema
		err error
	)
	switch src {
	case SourceOfficial:
		s, err = loadOfficial(shared, version)
	case SourceCompiler:
		s, err = compileSource(shared, version)
	default:
		return nil, fmt.Errorf("modelgen: unknown source %q", src)
	}
	if err != nil {
		return nil, err
	}
	if s.Version != version {
		return nil, fmt.Errorf("modelgen: %s schema says version %q", version, s.Version)
	}
	return Build(s)
}

func loadOfficial(shared, version string) (*ocsfschema.Schema, error) {
	p := filepath.Join(shared, "ocsf-schema-"+version+"-compiled", "schema-"+version+"-with-aws-1.0.0.json")
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("modelgen: %w", err)
	}
	defer f.Close()
	return ocsfschema.Load(f)
}

// FileName is the name of the embedded model file of version.
func FileName(version string) string { return "ocsf-" + version + ".json.gz" }

// SharedDir locates the reference data: $OCSFHUB_SHARED when set, otherwise
// ../shared beside the repository root (the nearest directory above the
// working directory that holds go.mod).
func SharedDir() (string, error) {
	if d := os.Getenv("OCSFHUB_SHARED"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("modelgen: no go.mod above the working directory; set OCSFHUB_SHARED")
		}
		dir = parent
	}
}
