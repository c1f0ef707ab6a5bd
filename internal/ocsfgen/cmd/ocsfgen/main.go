// The ocsfgen command generates the OCSF Go types of package ocsf.
//
// It reads either an OCSF schema source checkout plus extensions, compiled
// with the project's compiler:
//
//	ocsfgen -schema ocsf-schema-1.6.0 -ext ocsf-aws-extension-1.0.0 -out .
//
// or a schema already compiled by the official OCSF compiler:
//
//	ocsfgen -compiled ocsf-schema-1.6.0-compiled/schema-1.6.0-with-aws-1.0.0.json -out .
//
// Relative -schema, -ext and -compiled paths are resolved against -shared,
// the reference-data directory, which defaults to $OCSFHUB_SHARED and
// otherwise to ../../shared (the directory beside the repository, seen from
// package ocsf, where go generate runs). Each output file is written to a
// temporary file in the output directory and then renamed into place, so
// the package never holds a half-written file. With -check nothing is
// written; the command fails if a file would change.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ocsfhub/ocsfhub/internal/ocsfgen"
	"github.com/ocsfhub/ocsfhub/internal/ocsfschema"
)

// stringList is a repeatable string flag.
type stringList []string

// String joins the values with commas.
func (s *stringList) String() string { return strings.Join(*s, ",") }

// Set adds a value.
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ocsfgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("ocsfgen", flag.ContinueOnError)
	defShared := os.Getenv("OCSFHUB_SHARED")
	if defShared == "" {
		defShared = filepath.Join("..", "..", "shared")
	}
	shared := fs.String("shared", defShared, "directory that relative -schema, -ext and -compiled paths are resolved against")
	compiled := fs.String("compiled", "", "compiled schema JSON (official OCSF compiler output)")
	schemaDir := fs.String("schema", "", "OCSF schema source checkout")
	var exts stringList
	fs.Var(&exts, "ext", "extension source directory (repeatable)")
	out := fs.String("out", ".", "output directory (package ocsf)")
	check := fs.Bool("check", false, "write nothing; fail if any output file would change")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*compiled == "") == (*schemaDir == "") {
		return errors.New("give exactly one of -compiled and -schema")
	}
	resolve := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(*shared, p)
	}

	var (
		s   *ocsfschema.Schema
		err error
	)
	if *compiled != "" {
		f, err := os.Open(resolve(*compiled))
		if err != nil {
			return err
		}
		s, err = ocsfschema.Load(f)
		f.Close()
		if err != nil {
			return err
		}
	} else {
		opts := ocsfschema.Options{SchemaDir: resolve(*schemaDir)}
		for _, e := range exts {
			opts.ExtensionDirs = append(opts.ExtensionDirs, resolve(e))
		}
		if s, err = ocsfschema.Compile(opts); err != nil {
			return err
		}
	}

	files, err := ocsfgen.Generate(s, ocsfgen.DefaultOptions())
	if err != nil {
		return err
	}
	var stale []string
	for _, name := range files.Names() {
		path := filepath.Join(*out, name)
		old, _ := os.ReadFile(path)
		if bytes.Equal(old, files[name]) {
			continue
		}
		if *check {
			stale = append(stale, path)
			continue
		}
		if err := writeAtomic(path, files[name]); err != nil {
			return err
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("out of date: %s (run go generate ./ocsf)", strings.Join(stale, ", "))
	}
	return nil
}

// writeAtomic writes data to a temporary file beside path (with a name the
// go tool ignores) and renames it into place.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ocsfgen-*.tmp")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
	}
	return werr
}
