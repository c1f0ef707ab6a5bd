// Command ocsfcompile compiles an OCSF schema checkout (the source layout of
// github.com/ocsf/ocsf-schema) into one JSON document in the format of the
// official OCSF schema compiler ("compile_version": 1), using
// [ocsfschema.CompileJSON]. The output is deterministic (sorted keys,
// two-space indentation), so a regenerated file diffs cleanly.
//
// Usage:
//
//	ocsfcompile -schema DIR [-ext DIR]... [-no-platform] [-o FILE] [-v]
//
// Flags:
//
//	-schema DIR     the schema checkout (holds version.json, dictionary.json, events/, objects/, ...)
//	-ext DIR        an extra extension, or a directory searched for extensions; repeatable
//	-no-platform    leave out the platform extensions under DIR/extensions (linux, win, ...)
//	-o FILE         where to write the result (default "-", standard output); the file is
//	                replaced atomically and left untouched when its content is unchanged
//	-v              log progress and schema warnings to standard error
//
// The exit status is 0 on success, 1 when the schema does not compile (the
// message names the file and JSON pointer), and 2 on a usage error.
//
// Regenerating a compiled schema with go generate, from a directory two
// levels below the repository root, with the reference data beside the
// repository as ../shared:
//
//	//go:generate go run github.com/ocsfhub/ocsfhub/internal/cmd/ocsfcompile -schema ../../../shared/ocsf-schema-1.6.0 -ext ../../../shared/ocsf-aws-extension-1.0.0 -o schema-1.6.0-aws.json
//
// Against a later OCSF release, point -schema at a checkout of that tag.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/ocsfhub/ocsfhub/internal/ocsfschema"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// dirList is a repeatable string flag.
type dirList []string

func (d *dirList) String() string { return strings.Join(*d, ",") }

func (d *dirList) Set(v string) error {
	if v == "" {
		return errors.New("empty directory")
	}
	*d = append(*d, v)
	return nil
}

// run is main without the process: it parses args, compiles, writes the
// result and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ocsfcompile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	schema := fs.String("schema", "", "OCSF schema checkout `DIR` (required)")
	var exts dirList
	fs.Var(&exts, "ext", "extra extension `DIR` (repeatable)")
	noPlatform := fs.Bool("no-platform", false, "leave out the platform extensions under DIR/extensions")
	out := fs.String("o", "-", "output `FILE`; - for standard output")
	verbose := fs.Bool("v", false, "log progress and schema warnings to standard error")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ocsfcompile -schema DIR [-ext DIR]... [-no-platform] [-o FILE] [-v]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *schema == "" || fs.NArg() > 0 {
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "ocsfcompile: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		} else {
			fmt.Fprintln(stderr, "ocsfcompile: -schema is required")
		}
		fs.Usage()
		return 2
	}

	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	data, err := ocsfschema.CompileJSON(ocsfschema.Options{
		SchemaDir:              *schema,
		ExtensionDirs:          exts,
		SkipPlatformExtensions: *noPlatform,
		Logger:                 logger,
	})
	if err != nil {
		fmt.Fprintf(stderr, "ocsfcompile: %v\n", err)
		return 1
	}
	if *out == "-" {
		if _, err := stdout.Write(data); err != nil {
			fmt.Fprintf(stderr, "ocsfcompile: write: %v\n", err)
			return 1
		}
		return 0
	}
	if err := writeFile(*out, data); err != nil {
		fmt.Fprintf(stderr, "ocsfcompile: %v\n", err)
		return 1
	}
	return 0
}

// writeFile replaces path with data atomically (a temporary file in the
// same directory, then a rename), and leaves an identical file untouched.
func writeFile(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
