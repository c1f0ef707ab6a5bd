// Command ocsfembed writes the compact OCSF models that package schemas
// embeds: one gzip-compressed JSON file per version (ocsf-<version>.json.gz),
// each built from the OCSF schema with its platform extensions and the AWS
// extension 1.0.0.
//
// It is run by go generate in ocsf/schemas:
//
//	go generate ./ocsf/schemas
//
// The reference data directory is $OCSFHUB_SHARED, or ../shared beside the
// repository root (the directory holding go.mod). -from source (the default)
// compiles the schema source data with the project's compiler; -from compiled
// reads the official compiler's output instead.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ocsfhub/ocsfhub/ocsf/internal/validator"
	"github.com/ocsfhub/ocsfhub/ocsf/internal/validator/modelgen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ocsfembed:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("ocsfembed", flag.ContinueOnError)
	out := fs.String("out", ".", "output directory")
	from := fs.String("from", string(modelgen.SourceCompiler), "source: \"source\" (our compiler) or \"compiled\" (official compiled JSON)")
	shared := fs.String("shared", "", "reference data directory (default $OCSFHUB_SHARED or ../shared beside the repository root)")
	versions := fs.String("versions", strings.Join(modelgen.Versions, ","), "comma-separated OCSF versions")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := *shared
	if dir == "" {
		var err error
		if dir, err = modelgen.SharedDir(); err != nil {
			return err
		}
	}
	for _, v := range strings.Split(*versions, ",") {
		m, err := modelgen.FromShared(dir, v, modelgen.Source(*from))
		if err != nil {
			return err
		}
		gz, err := validator.EncodeModel(m)
		if err != nil {
			return err
		}
		name := filepath.Join(*out, modelgen.FileName(v))
		if err := os.WriteFile(name, gz, 0o644); err != nil {
			return err
		}
		fmt.Printf("ocsfembed: wrote %s (%d bytes, %d classes, %d objects)\n", name, len(gz), len(m.Classes), len(m.Objects))
	}
	return nil
}
