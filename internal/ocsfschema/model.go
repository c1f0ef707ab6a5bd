// Package ocsfschema holds the compiled OCSF schema model and the compiler that
// produces it from OCSF schema source data.
//
// The model mirrors the output format of the official OCSF compiler
// ("compile_version": 1): top-level categories, dictionary, classes, objects,
// profiles, extensions and version. [Load] reads that format, whether it was
// written by the official compiler or by this package, so the code generator
// and the validator never care which one produced a model.
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
}

// Class is an event class or an object: both are a named set of attributes.
// Event classes have a UID and a category; objects do not.
type Class struct {
	Name         string                `json:"name"`
	Caption      string                `json:"caption,omitempty"`
	Description  string                `json:"description,omitempty"`
	Extends      string                `json:"extends,omitempty"`
	UID          int                   `json:"uid,omitempty"`
	Category     string                `json:"category,omitempty"`
	CategoryName string                `json:"category_name,omitempty"`
	CategoryUID  int                   `json:"category_uid,omitempty"`
	Profiles     []string              `json:"profiles,omitempty"`
	Constraints  map[string][]string   `json:"constraints,omitempty"`
	Associations map[string][]string   `json:"associations,omitempty"`
	Observable   int                   `json:"observable,omitempty"`
	Extension    string                `json:"extension,omitempty"`
	ExtensionID  int                   `json:"extension_id,omitempty"`
	Deprecated   *Deprecation          `json:"@deprecated,omitempty"`
	References   []Reference           `json:"references,omitempty"`
	Attributes   map[string]*Attribute `json:"attributes"`
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
type EnumItem struct {
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
