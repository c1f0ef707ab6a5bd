// Package modelgen turns a compiled OCSF schema (internal/ocsfschema) into the
// compact model the validator embeds. It is used by the embedding generator
// and by tests; the validator itself never imports it.
package modelgen

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ocsfhub/ocsfhub/internal/ocsfschema"
	"github.com/ocsfhub/ocsfhub/ocsf/internal/validator"
)

// Build converts a compiled schema into a compact model, keeping only what
// validation needs: per class and object the attributes with their type,
// object type, array-ness, requirement, profiles, enum values and captions,
// sibling and deprecation; constraints; the data types' value rules; and the
// known profile names.
func Build(s *ocsfschema.Schema) (*validator.Model, error) {
	if s == nil {
		return nil, fmt.Errorf("modelgen: nil schema")
	}
	m := &validator.Model{
		Format:  validator.ModelFormat,
		Version: s.Version,
		Types:   map[string]*validator.Type{},
		Classes: make(map[string]*validator.Item, len(s.Classes)),
		Objects: make(map[string]*validator.Item, len(s.Objects)),
	}
	for name := range s.Profiles {
		m.Profiles = append(m.Profiles, name)
	}
	sort.Strings(m.Profiles)
	if s.Dictionary != nil && s.Dictionary.Types != nil {
		for name, t := range s.Dictionary.Types.Attributes {
			if t == nil {
				continue
			}
			vt := &validator.Type{Base: t.Base, Regex: t.Regex, MaxLen: t.MaxLen}
			if len(t.Range) == 2 {
				lo, hi := t.Range[0], t.Range[1]
				if lo != math.Trunc(lo) || hi != math.Trunc(hi) {
					return nil, fmt.Errorf("modelgen: type %s: non-integer range %v", name, t.Range)
				}
				vt.Range = []int64{int64(lo), int64(hi)}
			}
			m.Types[name] = vt
		}
	}
	for name, c := range s.Classes {
		it, err := convertItem(name, c)
		if err != nil {
			return nil, err
		}
		it.UID = int64(c.UID)
		it.CategoryUID = int64(c.CategoryUID)
		m.Classes[name] = it
	}
	for name, o := range s.Objects {
		it, err := convertItem(name, o)
		if err != nil {
			return nil, err
		}
		m.Objects[name] = it
	}
	if err := m.Index(); err != nil {
		return nil, fmt.Errorf("modelgen: %w", err)
	}
	for _, c := range m.Classes {
		c.Profiles = reachableProfiles(m, c)
	}
	return m, nil
}

func convertItem(name string, c *ocsfschema.Class) (*validator.Item, error) {
	if c == nil {
		return nil, fmt.Errorf("modelgen: %s is null", name)
	}
	it := &validator.Item{
		Caption:    c.Caption,
		Deprecated: deprecation(c.Deprecated),
		Attributes: make(map[string]*validator.Attr, len(c.Attributes)),
	}
	for kind, members := range c.Constraints {
		if len(members) == 0 {
			continue
		}
		if it.Constraints == nil {
			it.Constraints = map[string][]string{}
		}
		it.Constraints[kind] = append([]string(nil), members...)
	}
	for an, a := range c.Attributes {
		if a == nil {
			return nil, fmt.Errorf("modelgen: %s.%s is null", name, an)
		}
		va := &validator.Attr{
			Type:       a.Type,
			Object:     a.ObjectType,
			Array:      a.IsArray,
			Sibling:    a.Sibling,
			Deprecated: deprecation(a.Deprecated),
		}
		switch a.Requirement {
		case validator.Required, validator.Recommended:
			va.Requirement = a.Requirement
		}
		if len(a.Profiles) > 0 {
			va.Profiles = append([]string(nil), a.Profiles...)
			sort.Strings(va.Profiles)
		}
		if len(a.Enum) > 0 {
			va.Enum = make(map[string]*validator.EnumValue, len(a.Enum))
			for k, e := range a.Enum {
				ev := &validator.EnumValue{}
				if e != nil {
					ev.Caption = e.Caption
					ev.Deprecated = deprecation(e.Deprecated)
				}
				va.Enum[k] = ev
			}
		}
		if a.Type == "object_t" && a.ObjectType == "" {
			return nil, fmt.Errorf("modelgen: %s.%s is object_t without object_type", name, an)
		}
		it.Attributes[an] = va
	}
	return it, nil
}

func deprecation(d *ocsfschema.Deprecation) string {
	if d == nil {
		return ""
	}
	msg := strings.TrimSpace(stripTags(d.Message))
	switch {
	case d.Since != "" && msg != "":
		return "deprecated since " + d.Since + ": " + msg
	case d.Since != "":
		return "deprecated since " + d.Since
	case msg != "":
		return "deprecated: " + msg
	}
	return "deprecated"
}

// stripTags removes the HTML markup OCSF puts in descriptions.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// reachableProfiles is the sorted union of the profiles that gate any
// attribute of c or of any object reachable from it.
func reachableProfiles(m *validator.Model, c *validator.Item) []string {
	seen := map[string]bool{}
	set := map[string]bool{}
	var visit func(it *validator.Item)
	visit = func(it *validator.Item) {
		for _, a := range it.Attributes {
			for _, p := range a.Profiles {
				set[p] = true
			}
			if a.Object != "" && !seen[a.Object] {
				seen[a.Object] = true
				visit(m.Objects[a.Object])
			}
		}
	}
	visit(c)
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Diff lists the differences between two models, one line per difference,
// each naming the path (classes/<name>/attributes/<attr>/<field>, ...).
// Nil means the models are equal.
func Diff(a, b *validator.Model) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if a.Version != b.Version {
		add("version: %q != %q", a.Version, b.Version)
	}
	if strings.Join(a.Profiles, ",") != strings.Join(b.Profiles, ",") {
		add("profiles: %v != %v", a.Profiles, b.Profiles)
	}
	for _, name := range unionKeys(a.Types, b.Types) {
		x, y := a.Types[name], b.Types[name]
		switch {
		case x == nil || y == nil:
			add("types/%s: present only in one model", name)
		case x.Base != y.Base || x.Regex != y.Regex || x.MaxLen != y.MaxLen || fmt.Sprint(x.Range) != fmt.Sprint(y.Range):
			add("types/%s: {%s %q %d %v} != {%s %q %d %v}", name, x.Base, x.Regex, x.MaxLen, x.Range, y.Base, y.Regex, y.MaxLen, y.Range)
		}
	}
	diffItems := func(kind string, xs, ys map[string]*validator.Item) {
		for _, name := range unionKeys(xs, ys) {
			x, y := xs[name], ys[name]
			p := kind + "/" + name
			if x == nil || y == nil {
				add("%s: present only in one model", p)
				continue
			}
			if x.UID != y.UID || x.CategoryUID != y.CategoryUID {
				add("%s: uid %d/%d != %d/%d", p, x.UID, x.CategoryUID, y.UID, y.CategoryUID)
			}
			if x.Deprecated != y.Deprecated {
				add("%s: deprecated %q != %q", p, x.Deprecated, y.Deprecated)
			}
			if fmt.Sprint(x.Constraints) != fmt.Sprint(y.Constraints) {
				add("%s: constraints %v != %v", p, x.Constraints, y.Constraints)
			}
			if strings.Join(x.Profiles, ",") != strings.Join(y.Profiles, ",") {
				add("%s: profiles %v != %v", p, x.Profiles, y.Profiles)
			}
			for _, an := range unionKeys(x.Attributes, y.Attributes) {
				xa, ya := x.Attributes[an], y.Attributes[an]
				ap := p + "/attributes/" + an
				if xa == nil || ya == nil {
					add("%s: present only in one model", ap)
					continue
				}
				if xa.Type != ya.Type || xa.Object != ya.Object || xa.Array != ya.Array {
					add("%s: type %s/%s/%v != %s/%s/%v", ap, xa.Type, xa.Object, xa.Array, ya.Type, ya.Object, ya.Array)
				}
				if xa.Requirement != ya.Requirement {
					add("%s: requirement %q != %q", ap, xa.Requirement, ya.Requirement)
				}
				if strings.Join(xa.Profiles, ",") != strings.Join(ya.Profiles, ",") {
					add("%s: profiles %v != %v", ap, xa.Profiles, ya.Profiles)
				}
				if xa.Sibling != ya.Sibling || xa.Deprecated != ya.Deprecated {
					add("%s: sibling/deprecated %q/%q != %q/%q", ap, xa.Sibling, xa.Deprecated, ya.Sibling, ya.Deprecated)
				}
				for _, k := range unionKeys(xa.Enum, ya.Enum) {
					xe, ye := xa.Enum[k], ya.Enum[k]
					if xe == nil || ye == nil {
						add("%s/enum/%s: present only in one model", ap, k)
					} else if *xe != *ye {
						add("%s/enum/%s: %+v != %+v", ap, k, *xe, *ye)
					}
				}
			}
		}
	}
	diffItems("classes", a.Classes, b.Classes)
	diffItems("objects", a.Objects, b.Objects)
	return out
}

func unionKeys[V any](a, b map[string]V) []string {
	set := map[string]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
