// Package ocsfschema holds the compiled OCSF schema model and the compiler that
// produces it from OCSF schema source data.
//
// The model mirrors the output format of the official OCSF compiler
// ("compile_version": 1): top-level categories, dictionary, classes, objects,
// profiles, extensions and version. [Load] reads that format, whether it was
// written by the official compiler or by this package, so the code generator
// and the validator never care which one produced a model.
//
// # Compiling
//
// [Compile] reads a schema checkout in the official layout (version.json,
// categories.json, dictionary.json, events/, objects/, profiles/ and the
// platform extensions under extensions/) plus any extra extensions, and
// returns the compiled [Schema]; [CompileJSON] returns the same result as
// deterministic JSON in the official format. The rules are those of the
// official compiler, ocsf-schema-compiler 0.9.2, and the output is proven
// identical to its output (every key of every class, object, attribute,
// dictionary entry and profile) for OCSF 1.6.0, 1.7.0 and 1.8.0, each with
// platform extensions, without them, and with the AWS extension 1.0.0. [Diff]
// compares two compiled schemas on what generation and validation use and
// reports each difference by JSON pointer.
//
// Where 0.9.2 is silent or would crash, this package is explicit:
//
//   - Source files are checked for JSON types (a uid that is a string, an
//     unknown requirement, an attribute that is not an object, ...), and
//     every failure is a [*SourceError] naming the file and JSON pointer and
//     wrapping [ErrMalformed], [ErrUndefined], [ErrCollision] or [ErrInvalid].
//   - Class uids, extension names and extension uids must be unique; extends
//     cycles are errors; uids are range-checked so uid arithmetic cannot
//     overflow.
//   - A class of an extension that uses a category of the same extension
//     keeps that (already extension-scoped) category uid; 0.9.2 stops on an
//     assertion there.
//
// Two 0.9.2 behaviours are kept on purpose, because the output must match:
// an attribute that refines its dictionary type (path: file_path_t over
// string_t) keeps the dictionary's type_name ("String"); and extension
// classes, objects and dictionary attributes keep their unscoped names
// (cloud_function, not aws/cloud_function), while extension profiles are
// scoped ("aws/cloud_resources").
//
// # Regenerating
//
// The command internal/cmd/ocsfcompile wraps CompileJSON for go generate, for
// example, in a package two directories below the repository root:
//
//	//go:generate go run github.com/ocsfhub/ocsfhub/internal/cmd/ocsfcompile -schema ../../../shared/ocsf-schema-1.6.0 -ext ../../../shared/ocsf-aws-extension-1.0.0 -o schema-1.6.0-aws.json
//
// To move to a later OCSF release, point -schema at a checkout of its tag.
package ocsfschema

import (
	"encoding/json"
	"fmt"
	"io"
)

// Schema is a compiled (fully resolved) OCSF schema.
type Schema struct {
	Version        string                `json:"version"`
	CompileVersion int                   `json:"compile_version,omitempty"`
	Categories     *Categories           `json:"categories,omitempty"`
	Dictionary     *Dictionary           `json:"dictionary,omitempty"`
	Classes        map[string]*Class     `json:"classes"`
	Objects        map[string]*Class     `json:"objects"`
	Profiles       map[string]*Profile   `json:"profiles,omitempty"`
	Extensions     map[string]*Extension `json:"extensions,omitempty"`
}

// Categories lists the event categories by name.
type Categories struct {
	Caption     string               `json:"caption,omitempty"`
	Description string               `json:"description,omitempty"`
	Name        string               `json:"name,omitempty"`
	Attributes  map[string]*Category `json:"attributes"`
}

// Category is one event category (findings is uid 2).
type Category struct {
	UID         int    `json:"uid"`
	Caption     string `json:"caption,omitempty"`
	Description string `json:"description,omitempty"`
	// Extension and ExtensionID name the extension that defines the category
	// (its UID is then extension-scoped: extension UID * 100 + category UID).
	Extension   string `json:"extension,omitempty"`
	ExtensionID int    `json:"extension_id,omitempty"`
}

// Dictionary holds the dictionary attributes and the data types.
type Dictionary struct {
	Caption     string                `json:"caption,omitempty"`
	Description string                `json:"description,omitempty"`
	Name        string                `json:"name,omitempty"`
	Attributes  map[string]*Attribute `json:"attributes"`
	Types       *Types                `json:"types,omitempty"`
}

// Types holds the dictionary data types (string_t, timestamp_t, ...).
type Types struct {
	Caption     string           `json:"caption,omitempty"`
	Description string           `json:"description,omitempty"`
	Attributes  map[string]*Type `json:"attributes"`
}

// Type is one dictionary data type. Base is the primitive type it refines
// ("string_t", "long_t", ...); it is empty for the primitive types themselves.
type Type struct {
	Caption     string      `json:"caption,omitempty"`
	Description string      `json:"description,omitempty"`
	Base        string      `json:"type,omitempty"`
	BaseName    string      `json:"type_name,omitempty"`
	Regex       string      `json:"regex,omitempty"`
	MaxLen      int         `json:"max_len,omitempty"`
	Range       []float64   `json:"range,omitempty"`
	Values      []any       `json:"values,omitempty"`
	Observable  int         `json:"observable,omitempty"`
	References  []Reference `json:"references,omitempty"`
	// Extension and ExtensionID name the extension that defines the type.
	Extension   string `json:"extension,omitempty"`
	ExtensionID int    `json:"extension_id,omitempty"`
}

// Class is an event class or an object: both are a named set of attributes.
// Event classes have a UID and a category; objects do not.
type Class struct {
	Name         string              `json:"name"`
	Caption      string              `json:"caption,omitempty"`
	Description  string              `json:"description,omitempty"`
	Extends      string              `json:"extends,omitempty"`
	UID          int                 `json:"uid,omitempty"`
	Category     string              `json:"category,omitempty"`
	CategoryName string              `json:"category_name,omitempty"`
	CategoryUID  int                 `json:"category_uid,omitempty"`
	Profiles     []string            `json:"profiles,omitempty"`
	Constraints  map[string][]string `json:"constraints,omitempty"`
	Associations map[string][]string `json:"associations,omitempty"`
	// Observables maps attribute paths of an event class to observable
	// type IDs (class-level "observables").
	Observables map[string]int        `json:"observables,omitempty"`
	Observable  int                   `json:"observable,omitempty"`
	Extension   string                `json:"extension,omitempty"`
	ExtensionID int                   `json:"extension_id,omitempty"`
	Deprecated  *Deprecation          `json:"@deprecated,omitempty"`
	References  []Reference           `json:"references,omitempty"`
	Attributes  map[string]*Attribute `json:"attributes"`
}

// Attribute is one attribute of a class or object, after all merging.
//
// Profiles is nil when the attribute is not gated by a profile; otherwise it
// lists the profiles that bring it in (the attribute applies when any is active).
type Attribute struct {
	Caption        string               `json:"caption,omitempty"`
	Description    string               `json:"description,omitempty"`
	Type           string               `json:"type"`
	TypeName       string               `json:"type_name,omitempty"`
	ObjectType     string               `json:"object_type,omitempty"`
	ObjectName     string               `json:"object_name,omitempty"`
	IsArray        bool                 `json:"is_array,omitempty"`
	Requirement    string               `json:"requirement,omitempty"`
	Group          string               `json:"group,omitempty"`
	Profiles       []string             `json:"profiles"`
	Enum           map[string]*EnumItem `json:"enum,omitempty"`
	Sibling        string               `json:"sibling,omitempty"`
	Observable     int                  `json:"observable,omitempty"`
	Source         string               `json:"source,omitempty"`
	SuppressChecks []string             `json:"suppress_checks,omitempty"`
	Extension      string               `json:"extension,omitempty"`
	ExtensionID    int                  `json:"extension_id,omitempty"`
	Deprecated     *Deprecation         `json:"@deprecated,omitempty"`
	References     []Reference          `json:"references,omitempty"`
}

// EnumItem is one value of an enumerated attribute; the map key is the value.
//
// UID is set only in the generated category_uid enum of a class, whose single
// item is a copy of the category definition.
type EnumItem struct {
	UID         int          `json:"uid,omitempty"`
	Caption     string       `json:"caption,omitempty"`
	Description string       `json:"description,omitempty"`
	Deprecated  *Deprecation `json:"@deprecated,omitempty"`
	References  []Reference  `json:"references,omitempty"`
}

// Profile is a named set of attributes that a producer opts into through
// metadata.profiles. Extension profiles are named "<extension>/<profile>".
type Profile struct {
	Name        string                `json:"name"`
	Caption     string                `json:"caption,omitempty"`
	Description string                `json:"description,omitempty"`
	Meta        string                `json:"meta,omitempty"`
	Annotations map[string]string     `json:"annotations,omitempty"`
	Attributes  map[string]*Attribute `json:"attributes,omitempty"`
	Deprecated  *Deprecation          `json:"@deprecated,omitempty"`
	// Extension and ExtensionID name the extension that defines the profile.
	Extension   string `json:"extension,omitempty"`
	ExtensionID int    `json:"extension_id,omitempty"`
}

// Extension describes a schema extension (linux uid 1, win uid 2, aws uid 998, ...).
type Extension struct {
	UID               int    `json:"uid"`
	Name              string `json:"name"`
	Caption           string `json:"caption,omitempty"`
	Description       string `json:"description,omitempty"`
	Version           string `json:"version,omitempty"`
	PlatformExtension bool   `json:"platform_extension?,omitempty"`
}

// Deprecation marks a deprecated class, object, attribute or enum value.
type Deprecation struct {
	Message string `json:"message,omitempty"`
	Since   string `json:"since,omitempty"`
}

// Reference is a documentation link.
type Reference struct {
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
}

// Load reads a compiled schema in the official compiler's output format.
func Load(r io.Reader) (*Schema, error) {
	var s Schema
	dec := json.NewDecoder(r)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("ocsfschema: load compiled schema: %w", err)
	}
	if s.Version == "" {
		return nil, fmt.Errorf("ocsfschema: load compiled schema: no version")
	}
	if len(s.Classes) == 0 && len(s.Objects) == 0 {
		return nil, fmt.Errorf("ocsfschema: load compiled schema %s: no classes or objects", s.Version)
	}
	return &s, nil
}
