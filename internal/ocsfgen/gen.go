// Package ocsfgen generates the Go types of package ocsf from a compiled OCSF
// schema: one struct per event class and per object the classes reach, one
// integer type per enumeration, and for every struct a single-pass JSON
// decoder and encoder that keep attributes the schema does not define.
//
// The command ocsfgen (in cmd/ocsfgen) runs it from go generate; see
// ocsf/generate.go.
package ocsfgen

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ocsfhub/ocsfhub/internal/ocsfschema"
)

// Options controls what is generated.
type Options struct {
	// Package is the package name of the output; "ocsf" when empty.
	Package string
	// Classes lists the event classes to generate, by schema name. When
	// empty, every class of the findings category (category_uid 2) is.
	Classes []string
	// TypeNames overrides the Go name of classes and objects, by schema name.
	TypeNames map[string]string
	// ReservedNames are Go names the hand-written part of the package
	// declares; a generated type that would take one is an error.
	ReservedNames []string
	// Source describes the input, for the header of every file.
	Source string
}

// DefaultOptions are the options package ocsf is generated with.
func DefaultOptions() Options {
	return Options{
		Package: "ocsf",
		// The deprecated "finding" object would otherwise take the name of
		// the Finding interface.
		TypeNames: map[string]string{"finding": "FindingObject"},
		ReservedNames: []string{
			"Finding", "OtherEvent", "Event", "EventDetail", "Summary", "ResourceRef", "FindingKey",
			"DecodeError", "ARN", "ClassUID", "Decode", "DecodeEvent", "Validator", "ValidatorOptions",
			"Result", "Problem", "ProblemSeverity", "Mode", "ValidationError", "Severity", "Ptr",
		},
	}
}

// Files are the generated files, by file name.
type Files map[string][]byte

// Names returns the file names in order.
func (f Files) Names() []string { return slices.Sorted(maps.Keys(f)) }

// Generate generates the Go source of package ocsf from s. The output
// depends only on s and opts.
func Generate(s *ocsfschema.Schema, opts Options) (Files, error) {
	if opts.Package == "" {
		opts.Package = "ocsf"
	}
	if opts.Source == "" {
		opts.Source = describe(s)
	}
	m, err := buildModel(s, opts)
	if err != nil {
		return nil, err
	}
	files := Files{}
	add := func(name string, w *writer) error {
		out, err := gofmt(name, w.String())
		if err != nil {
			return err
		}
		files[name] = out
		return nil
	}

	var classes writer
	m.header(&classes, opts, "encoding/json")
	for _, t := range m.classes {
		m.emitStruct(&classes, t)
	}
	if err := add("classes_gen.go", &classes); err != nil {
		return nil, err
	}

	var objects writer
	m.header(&objects, opts, "encoding/json")
	for _, t := range m.objects {
		m.emitStruct(&objects, t)
	}
	if err := add("objects_gen.go", &objects); err != nil {
		return nil, err
	}

	var enums writer
	m.header(&enums, opts)
	for _, e := range m.enums {
		m.emitEnum(&enums, e)
	}
	if err := add("enums_gen.go", &enums); err != nil {
		return nil, err
	}

	var codec writer
	m.header(&codec, opts)
	for _, t := range append(slices.Clone(m.classes), m.objects...) {
		m.emitCodec(&codec, t)
	}
	if err := add("codec_gen.go", &codec); err != nil {
		return nil, err
	}
	return files, nil
}

// describe names the schema and its extensions.
func describe(s *ocsfschema.Schema) string {
	var exts []string
	for _, n := range slices.Sorted(maps.Keys(s.Extensions)) {
		e := s.Extensions[n]
		exts = append(exts, fmt.Sprintf("%s %s (uid %d)", e.Name, e.Version, e.UID))
	}
	d := "OCSF " + s.Version
	if len(exts) > 0 {
		d += " with extensions " + strings.Join(exts, ", ")
	}
	return d
}
