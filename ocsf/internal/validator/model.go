package validator

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"sync"
)

// ModelFormat is the version of the compact model format; a generator and the
// validator must agree on it.
const ModelFormat = 1

// Model is the compact compiled form of one OCSF schema version: only what
// validation needs (no descriptions, references or dictionary). It is produced
// by package modelgen from a compiled schema and embedded by package schemas.
type Model struct {
	Format   int              `json:"format"`
	Version  string           `json:"version"`
	Profiles []string         `json:"profiles"`
	Types    map[string]*Type `json:"types"`
	Classes  map[string]*Item `json:"classes"`
	Objects  map[string]*Item `json:"objects"`

	byUID      map[int64]*Item
	profileSet map[string]bool
}

// Type is a dictionary data type: the primitive it refines and the value
// constraints the OCSF validator applies to it.
type Type struct {
	Base   string  `json:"base,omitempty"`
	Regex  string  `json:"regex,omitempty"`
	MaxLen int     `json:"max_len,omitempty"`
	Range  []int64 `json:"range,omitempty"`

	reOnce sync.Once
	re     *regexp.Regexp
}

// Item is a class or an object.
type Item struct {
	Name        string              `json:"-"`
	Caption     string              `json:"caption,omitempty"`
	UID         int64               `json:"uid,omitempty"`
	CategoryUID int64               `json:"category_uid,omitempty"`
	Deprecated  string              `json:"deprecated,omitempty"`
	Constraints map[string][]string `json:"constraints,omitempty"`
	// Profiles lists every profile that gates an attribute of this class or
	// of an object it reaches (classes only).
	Profiles   []string         `json:"profiles,omitempty"`
	Attributes map[string]*Attr `json:"attributes"`
}

// Attr is one attribute of a class or object.
type Attr struct {
	Type        string                `json:"type"`
	Object      string                `json:"object,omitempty"`
	Array       bool                  `json:"array,omitempty"`
	Requirement string                `json:"requirement,omitempty"`
	Profiles    []string              `json:"profiles,omitempty"`
	Enum        map[string]*EnumValue `json:"enum,omitempty"`
	Sibling     string                `json:"sibling,omitempty"`
	Deprecated  string                `json:"deprecated,omitempty"`

	// Derived by Model.Index.
	prim   string // primitive type (string_t, integer_t, ..., object_t)
	obj    *Item  // the object, for object_t
	checks bool   // the value needs the walk: an object, a range, a length, a pattern or a deprecated enum value
}

// EnumValue is one value of an enumerated attribute.
type EnumValue struct {
	Caption    string `json:"caption"`
	Deprecated string `json:"deprecated,omitempty"`
}

// Requirement levels as they appear in Attr.Requirement ("optional" is
// stored as the empty string).
const (
	Required    = "required"
	Recommended = "recommended"
)

// Known reports whether the attribute is known for the active profile set:
// core attributes always, profile-gated ones when one of their profiles is active.
func (a *Attr) Known(active ProfileSet) bool {
	if len(a.Profiles) == 0 {
		return true
	}
	for _, p := range a.Profiles {
		if active.Has(p) {
			return true
		}
	}
	return false
}

// ProfileSet is a sorted, duplicate-free set of profile names.
type ProfileSet []string

// Has reports whether p is in the set.
func (s ProfileSet) Has(p string) bool {
	for _, q := range s {
		if q == p {
			return true
		}
	}
	return false
}

// Key is a canonical string for the set, used in cache keys.
func (s ProfileSet) Key() string {
	var b bytes.Buffer
	for i, p := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p)
	}
	return b.String()
}

// NewProfileSet returns the sorted set of the given names.
func NewProfileSet(names ...string) ProfileSet {
	s := make(ProfileSet, 0, len(names))
	for _, n := range names {
		if !s.Has(n) {
			s = append(s, n)
		}
	}
	sort.Strings(s)
	return s
}

// ClassByUID returns the class with the given class_uid, or nil.
func (m *Model) ClassByUID(uid int64) *Item { return m.byUID[uid] }

// Object returns the named object, or nil.
func (m *Model) Object(name string) *Item { return m.Objects[name] }

// HasProfile reports whether the model defines the named profile.
func (m *Model) HasProfile(name string) bool { return m.profileSet[name] }

// TypeOf returns the dictionary type t, or nil when t is not a known type.
func (m *Model) TypeOf(t string) *Type { return m.Types[t] }

// Primitive returns the primitive type (string_t, integer_t, long_t, float_t,
// boolean_t, json_t, object_t) an attribute type refines.
func (m *Model) Primitive(t string) string {
	for range 8 {
		ty := m.Types[t]
		if ty == nil || ty.Base == "" {
			return t
		}
		t = ty.Base
	}
	return t
}

// Regexp returns the compiled regular expression of the type, or nil when the
// type has none or its expression is not valid RE2 syntax.
func (t *Type) Regexp() *regexp.Regexp {
	t.reOnce.Do(func() {
		if t.Regex != "" {
			t.re, _ = regexp.Compile(t.Regex)
		}
	})
	return t.re
}

// Index fills the derived lookup tables; it must be called once after the
// model is built or decoded and before it is used.
func (m *Model) Index() error {
	m.byUID = make(map[int64]*Item, len(m.Classes))
	for name, c := range m.Classes {
		c.Name = name
		if c.UID != 0 || name == "base_event" {
			if prev := m.byUID[c.UID]; prev != nil {
				return fmt.Errorf("model %s: classes %s and %s share uid %d", m.Version, prev.Name, name, c.UID)
			}
			m.byUID[c.UID] = c
		}
	}
	for name, o := range m.Objects {
		o.Name = name
	}
	for _, items := range []map[string]*Item{m.Classes, m.Objects} {
		for _, it := range items {
			for an, a := range it.Attributes {
				if a == nil {
					return fmt.Errorf("model %s: %s.%s is null", m.Version, it.Name, an)
				}
				if a.Object != "" {
					if a.obj = m.Objects[a.Object]; a.obj == nil {
						return fmt.Errorf("model %s: %s.%s refers to unknown object %q", m.Version, it.Name, an, a.Object)
					}
				}
				a.prim = m.Primitive(a.Type)
				a.checks = a.obj != nil
				for ty := m.Types[a.Type]; ty != nil && !a.checks; ty = m.Types[ty.Base] {
					a.checks = len(ty.Range) == 2 || ty.MaxLen > 0 || ty.Regex != ""
					if ty.Base == "" {
						break
					}
				}
				for _, ev := range a.Enum {
					if ev != nil && ev.Deprecated != "" {
						a.checks = true
					}
				}
			}
		}
	}
	m.profileSet = make(map[string]bool, len(m.Profiles))
	for _, p := range m.Profiles {
		m.profileSet[p] = true
	}
	return nil
}

// DecodeModel reads a model written by EncodeModel (gzip-compressed JSON).
func DecodeModel(gz []byte) (*Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	return DecodeModelJSON(raw)
}

// DecodeModelJSON reads an uncompressed model.
func DecodeModelJSON(raw []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	if m.Format != ModelFormat {
		return nil, fmt.Errorf("decode model %s: format %d, want %d (regenerate with go generate)", m.Version, m.Format, ModelFormat)
	}
	if err := m.Index(); err != nil {
		return nil, err
	}
	return &m, nil
}

// MarshalModelJSON returns the canonical (deterministic, indented) JSON of m.
func MarshalModelJSON(m *Model) ([]byte, error) {
	return json.Marshal(m)
}

// EncodeModel returns the canonical JSON of m, gzip-compressed with a fixed
// header so that the output depends only on the model.
func EncodeModel(m *Model) ([]byte, error) {
	raw, err := MarshalModelJSON(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// enumKeyInt formats an integer enum key the way the schema spells it.
func enumKeyInt(v int64) string { return strconv.FormatInt(v, 10) }
