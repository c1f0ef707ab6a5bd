package validator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// SchemaStyle selects how a class's JSON Schema is generated.
type SchemaStyle int

const (
	// StyleValidator is the schema this package validates with: only the
	// attributes known under the active profiles (at every level), objects
	// reachable through them, required = required attributes known under the
	// profiles minus constraint members. Constraints are checked outside the
	// schema, with precise problems.
	StyleValidator SchemaStyle = iota
	// StyleServer mirrors the OCSF server's per-class JSON Schema
	// (ocsf-server lib/schema/json_schema.ex): objects gathered from the
	// unfiltered class into $defs, at_least_one as anyOf and just_one as
	// oneOf, and, without a profile filter, every profile's attributes
	// included, so profile-required cloud and osint become required.
	StyleServer
)

// JSONSchema returns the Draft-07 JSON Schema of class in model m.
// profiles filters the attributes at every level (an attribute gated by a
// profile is kept when one of its profiles is in the set); a nil profiles
// with StyleServer means no filter, as the OCSF server does without
// ?profiles=.
func JSONSchema(m *Model, class *Item, profiles ProfileSet, style SchemaStyle) map[string]any {
	return jsonSchema(m, class, profiles, style, false)
}

// jsonSchema generates the schema. native (the form this package compiles
// and validates with) expresses each object's scalar attributes and its
// closed attribute set with the x-ocsf-object keyword (see objKeyword)
// instead of "properties" and "additionalProperties", and inlines small
// non-recursive objects instead of referencing them (each $ref costs
// jsonschema/v5 a second pass over the object).
func jsonSchema(m *Model, class *Item, profiles ProfileSet, style SchemaStyle, native bool) map[string]any {
	filter := profiles != nil || style == StyleValidator
	g := &schemaGen{
		m:      m,
		known:  func(a *Attr) bool { return !filter || a.Known(profiles) },
		style:  style,
		native: native,
		defs:   "definitions",
		needed: map[string]bool{},
		size:   map[string]int{},
	}
	if style == StyleServer {
		g.defs = "$defs"
		// The server gathers every object the unfiltered class reaches.
		var gather func(it *Item)
		gather = func(it *Item) {
			for _, name := range sortedAttrNames(it) {
				if o := it.Attributes[name].Object; o != "" && !g.needed[o] {
					g.needed[o] = true
					gather(m.Objects[o])
				}
			}
		}
		gather(class)
	}
	if native {
		g.budget = inlineBudget
	}
	root := g.item(class)
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	root["title"] = class.Caption
	defs := map[string]any{}
	for {
		var todo []string
		for name := range g.needed {
			if _, done := defs[name]; !done {
				todo = append(todo, name)
			}
		}
		if len(todo) == 0 {
			break
		}
		sort.Strings(todo)
		for _, name := range todo {
			d := g.item(m.Objects[name])
			d["title"] = m.Objects[name].Caption
			defs[name] = d
		}
	}
	root[g.defs] = defs
	return root
}

// inlineBudget is the largest number of object schemas one inlined object
// may expand to.
const inlineBudget = 12

type schemaGen struct {
	m      *Model
	known  func(*Attr) bool
	style  SchemaStyle
	native bool
	defs   string
	budget int
	needed map[string]bool // objects referenced with $ref
	size   map[string]int  // memo: inlined size of an object, -1 when not inlinable
	onPath map[string]bool
}

// inlineSize is the number of object schemas obj expands to when inlined,
// or -1 when it must be referenced (recursive, or over the budget).
func (g *schemaGen) inlineSize(obj string) int {
	if n, ok := g.size[obj]; ok {
		return n
	}
	if g.onPath == nil {
		g.onPath = map[string]bool{}
	}
	if g.onPath[obj] {
		return -1 // a cycle: never inline
	}
	g.onPath[obj] = true
	n := 1
	it := g.m.Objects[obj]
	for _, name := range sortedAttrNames(it) {
		a := it.Attributes[name]
		if a.Object == "" || !g.known(a) {
			continue
		}
		if a.Object == obj || g.onPath[a.Object] {
			n = -1
			break
		}
		if k := g.inlineSize(a.Object); k > 0 {
			n += k
		}
	}
	delete(g.onPath, obj)
	if n > g.budget {
		n = -1
	}
	if n > 0 && g.reaches(obj, obj, map[string]bool{}) {
		n = -1
	}
	g.size[obj] = n
	return n
}

// reaches reports whether target is reachable from obj through known
// object attributes.
func (g *schemaGen) reaches(obj, target string, seen map[string]bool) bool {
	for _, a := range g.m.Objects[obj].Attributes {
		if a.Object == "" || !g.known(a) || seen[a.Object] {
			continue
		}
		if a.Object == target {
			return true
		}
		seen[a.Object] = true
		if g.reaches(a.Object, target, seen) {
			return true
		}
	}
	return false
}

// objectRef returns the schema of a use of object obj.
func (g *schemaGen) objectRef(obj string) map[string]any {
	if g.budget > 0 && g.inlineSize(obj) > 0 {
		return g.item(g.m.Objects[obj])
	}
	g.needed[obj] = true
	return map[string]any{"$ref": "#/" + g.defs + "/" + escapeToken(obj)}
}

func sortedAttrNames(it *Item) []string {
	names := make([]string, 0, len(it.Attributes))
	for n := range it.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (g *schemaGen) item(it *Item) map[string]any {
	props := map[string]any{}
	members := constraintMembers(it)
	var required []string
	var native map[string]any
	if g.native && len(it.Attributes) > 0 {
		native = map[string]any{}
	}
	for _, name := range sortedAttrNames(it) {
		a := it.Attributes[name]
		if !g.known(a) {
			continue
		}
		switch {
		case native == nil:
			props[name] = g.attr(a)
		case a.Object != "":
			props[name] = g.attr(a)
			native[name] = true
		default:
			native[name] = g.attr(a)
		}
		if a.Requirement == Required && !members[name] {
			required = append(required, name)
		}
	}
	s := map[string]any{"type": "object"}
	if len(props) > 0 {
		s["properties"] = props
	}
	if len(required) > 0 {
		s["required"] = required
	}
	if native != nil {
		s[objKeyword] = map[string]any{"attributes": native}
	} else {
		// An object without attributes (the "object" type of unmapped) is open.
		s["additionalProperties"] = len(it.Attributes) == 0
	}
	if g.style == StyleServer {
		if ms := it.Constraints["at_least_one"]; len(ms) > 0 {
			var alts []any
			for _, n := range ms {
				alts = append(alts, map[string]any{"required": []string{n}})
			}
			s["anyOf"] = alts
		}
		if ms := it.Constraints["just_one"]; len(ms) > 0 {
			var one []any
			for _, n := range ms {
				var others []string
				for _, o := range ms {
					if o != n {
						others = append(others, o)
					}
				}
				one = append(one, map[string]any{"required": []string{n}, "not": map[string]any{"required": others}})
			}
			s["oneOf"] = one
		}
	}
	return s
}

func (g *schemaGen) attr(a *Attr) map[string]any {
	var s map[string]any
	switch g.m.Primitive(a.Type) {
	case "object_t":
		s = g.objectRef(a.Object)
	case "string_t":
		s = map[string]any{"type": "string"}
	case "integer_t", "long_t":
		s = map[string]any{"type": "integer"}
	case "float_t":
		s = map[string]any{"type": "number"}
	case "boolean_t":
		s = map[string]any{"type": "boolean"}
	default: // json_t: any value
		s = map[string]any{}
	}
	if len(a.Enum) > 0 && (a.Type == "integer_t" || a.Type == "string_t") {
		var vals []any
		if a.Type == "integer_t" {
			ints := make([]int64, 0, len(a.Enum))
			for k := range a.Enum {
				if n, err := strconv.ParseInt(k, 10, 64); err == nil {
					ints = append(ints, n)
				}
			}
			sort.Slice(ints, func(i, j int) bool { return ints[i] < ints[j] })
			for _, n := range ints {
				vals = append(vals, n)
			}
		} else {
			strs := make([]string, 0, len(a.Enum))
			for k := range a.Enum {
				strs = append(strs, k)
			}
			sort.Strings(strs)
			for _, k := range strs {
				vals = append(vals, k)
			}
		}
		if len(vals) == 1 {
			s["const"] = vals[0]
		} else {
			s["enum"] = vals
		}
	}
	if a.Array {
		return map[string]any{"type": "array", "items": s}
	}
	return s
}

// compileJSONSchema compiles a generated schema document with jsonschema/v5.
func compileJSONSchema(doc map[string]any, id string) (*jsonschema.Schema, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	c.RegisterExtension(objKeyword, nil, objExtension{})
	c.LoadURL = func(s string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("no remote schemas: %s", s)
	}
	if err := c.AddResource(id, bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	return c.Compile(id)
}

// schemaID is the URL a generated schema is registered under.
func schemaID(version, class string, profiles ProfileSet, style SchemaStyle) string {
	p := "all"
	if profiles != nil {
		p = "p=" + url.PathEscape(profiles.Key())
	}
	return fmt.Sprintf("https://ocsfhub.invalid/ocsf/%s/%s/%d/%s.json", url.PathEscape(version), url.PathEscape(class), style, p)
}
