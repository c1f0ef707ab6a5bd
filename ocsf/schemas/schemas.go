// Package schemas embeds the compact compiled OCSF models that the ocsf
// package's validator checks findings against: OCSF 1.6.0, 1.7.0 and 1.8.0,
// each with the platform extensions (linux, win, and macos where the release
// has it) and the AWS extension 1.0.0 (uid 998, profile aws/cloud_resources).
//
// A model keeps only what validation needs: for every class and object its
// attributes (type, object type, array-ness, requirement, profiles, enum
// values with captions, sibling, deprecation) and constraints, the data
// types' value rules, and the profile names. The files are generated; to
// regenerate them after changing the generator or the schema data, run
//
//	go generate ./ocsf/schemas
//
// with the reference data in ../shared beside the repository root (or in
// $OCSFHUB_SHARED).
package schemas

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:generate go run ./internal/ocsfembed -out .

//go:embed ocsf-*.json.gz
var files embed.FS

// Versions returns the embedded OCSF versions, oldest first.
func Versions() []string { return []string{"1.6.0", "1.7.0", "1.8.0"} }

// Model returns the gzip-compressed compact model of version.
func Model(version string) ([]byte, error) {
	b, err := fs.ReadFile(files, "ocsf-"+version+".json.gz")
	if err != nil {
		return nil, fmt.Errorf("schemas: no embedded model for OCSF %q", version)
	}
	return b, nil
}
