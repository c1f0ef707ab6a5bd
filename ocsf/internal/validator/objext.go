package validator

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// objKeyword is a JSON Schema keyword this package adds, as a
// jsonschema/v5 extension, to the schemas it validates with. On an object
// schema,
//
//	"x-ocsf-object": {"attributes": {
//	    "name":        {"type": "string"},
//	    "severity_id": {"type": "integer", "enum": [0, 1, 2, 3, 4, 5, 6, 99]},
//	    "types":       {"type": "array", "items": {"type": "string"}},
//	    "metadata":    true}}
//
// means exactly what these standard keywords mean together:
//
//	"properties": {"name": {...}, "severity_id": {...}, "types": {...}},
//	"additionalProperties": false
//
// (attributes mapped to true are listed in "properties" beside it, with
// their object schemas). It exists for speed: jsonschema/v5 spends about a
// microsecond and half a dozen allocations on every value it visits, and
// checks "integer" and numeric "enum" through math/big. Scalar attributes are
// most of a finding's values; this keyword checks them in one pass over the
// object, reporting errors with the instance and keyword locations the
// standard keywords would have. Only scalar schemas of the forms above are
// accepted. JSONSchema (the exported form) uses the standard keywords, and
// the tests check that both forms give the same problems.
//
// One difference: an integer written with a fraction or exponent ("1.0",
// "1e3") is not an integer here (OCSF producers and Go's int64 agree), and
// an integer must fit in 64 bits.
const objKeyword = "x-ocsf-object"

type objExtension struct{}

// objSchema is the compiled keyword: the known attribute names, with the
// scalar checks of each (nil for attributes whose schema is in properties).
type objSchema struct {
	attrs map[string]*scalarSpec
}

type scalarSpec struct {
	typ   string // "string", "integer", "number", "boolean", or "" for any value
	array bool
	ints  map[int64]bool  // integer enum, nil when not enumerated
	strs  map[string]bool // string enum, nil when not enumerated
}

// Compile compiles the keyword of one schema object (nil when absent).
func (objExtension) Compile(_ jsonschema.CompilerContext, m map[string]any) (jsonschema.ExtSchema, error) {
	raw, ok := m[objKeyword]
	if !ok {
		return nil, nil
	}
	spec, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an object", objKeyword)
	}
	attrs, ok := spec["attributes"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s.attributes must be an object", objKeyword)
	}
	o := &objSchema{attrs: make(map[string]*scalarSpec, len(attrs))}
	for name, v := range attrs {
		switch v := v.(type) {
		case bool:
			if !v {
				return nil, fmt.Errorf("%s.attributes.%s: false is not allowed", objKeyword, name)
			}
			o.attrs[name] = nil
		case map[string]any:
			sp, err := compileScalar(v)
			if err != nil {
				return nil, fmt.Errorf("%s.attributes.%s: %w", objKeyword, name, err)
			}
			o.attrs[name] = sp
		default:
			return nil, fmt.Errorf("%s.attributes.%s: unsupported schema %T", objKeyword, name, v)
		}
	}
	return o, nil
}

func compileScalar(m map[string]any) (*scalarSpec, error) {
	sp := &scalarSpec{}
	if m["type"] == "array" {
		items, ok := m["items"].(map[string]any)
		if !ok || len(m) != 2 {
			return nil, fmt.Errorf("array schema must be {type: array, items: {...}}")
		}
		sp.array = true
		m = items
	}
	var vals []any
	for k, v := range m {
		switch k {
		case "type":
			t, ok := v.(string)
			if !ok || (t != "string" && t != "integer" && t != "number" && t != "boolean") {
				return nil, fmt.Errorf("unsupported type %v", v)
			}
			sp.typ = t
		case "enum":
			list, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("enum must be an array")
			}
			vals = append(vals, list...)
		case "const":
			vals = append(vals, v)
		default:
			return nil, fmt.Errorf("unsupported keyword %q", k)
		}
	}
	for _, v := range vals {
		switch v := v.(type) {
		case json.Number:
			i, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil || sp.typ != "integer" {
				return nil, fmt.Errorf("enum value %s needs type integer", v)
			}
			if sp.ints == nil {
				sp.ints = map[int64]bool{}
			}
			sp.ints[i] = true
		case string:
			if sp.typ != "string" {
				return nil, fmt.Errorf("enum value %q needs type string", v)
			}
			if sp.strs == nil {
				sp.strs = map[string]bool{}
			}
			sp.strs[v] = true
		default:
			return nil, fmt.Errorf("unsupported enum value %v", v)
		}
	}
	return sp, nil
}

// Validate checks one object: its keys against the known attributes and its
// scalar values against their schemas.
func (o *objSchema) Validate(ctx jsonschema.ValidationContext, v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil // the type keyword reports it
	}
	var errs []error
	var unknown []string
	for key, val := range obj {
		sp, known := o.attrs[key]
		switch {
		case !known:
			unknown = append(unknown, key)
		case sp == nil:
		case sp.array:
			arr, ok := val.([]any)
			if !ok {
				errs = append(errs, attrError(ctx, key, -1, "type", "expected array, but got %s", kindOf(val)))
				continue
			}
			for i, el := range arr {
				errs = sp.check(ctx, key, i, el, errs)
			}
		default:
			errs = sp.check(ctx, key, -1, val, errs)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		for i, u := range unknown {
			unknown[i] = strconv.Quote(u)
		}
		errs = append(errs, ctx.Error(objKeyword+"/additionalProperties", "additionalProperties %s not allowed", strings.Join(unknown, ", ")))
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	parent := ctx.Error(objKeyword, "attributes failed")
	return jsonschema.ValidationError{}.Group(parent, errs...)
}

// check validates one scalar value (index >= 0 for an array element) and
// appends its errors to errs. It reports what the standard keywords report:
// a wrong type alone, or a failed enum (or both, for an integral number the
// standard "integer" accepts but this keyword does not).
func (sp *scalarSpec) check(ctx jsonschema.ValidationContext, key string, index int, v any, errs []error) []error {
	switch sp.typ {
	case "string":
		s, ok := v.(string)
		if !ok {
			return append(errs, attrError(ctx, key, index, "type", "expected string, but got %s", kindOf(v)))
		}
		if sp.strs != nil && !sp.strs[s] {
			return append(errs, attrError(ctx, key, index, "enum", "value %q is not one of the enum values", s))
		}
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return append(errs, attrError(ctx, key, index, "type", "expected integer, but got %s", kindOf(v)))
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			if !strings.ContainsAny(string(n), ".eE") {
				errs = append(errs, attrError(ctx, key, index, "range", "%s does not fit in a 64-bit integer", n))
				if sp.ints != nil {
					errs = append(errs, attrError(ctx, key, index, "enum", "value %s is not one of the enum values", n))
				}
				return errs
			}
			f, ferr := strconv.ParseFloat(string(n), 64)
			if ferr != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
				return append(errs, attrError(ctx, key, index, "type", "expected integer, but got number"))
			}
			errs = append(errs, attrError(ctx, key, index, "integer", "%s is an integer written with a fraction or exponent", n))
			if sp.ints != nil && (f < math.MinInt64 || f >= math.MaxInt64 || !sp.ints[int64(f)]) {
				errs = append(errs, attrError(ctx, key, index, "enum", "value %s is not one of the enum values", n))
			}
			return errs
		}
		if sp.ints != nil && !sp.ints[i] {
			return append(errs, attrError(ctx, key, index, "enum", "value %d is not one of the enum values", i))
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			return append(errs, attrError(ctx, key, index, "type", "expected number, but got %s", kindOf(v)))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return append(errs, attrError(ctx, key, index, "type", "expected boolean, but got %s", kindOf(v)))
		}
	}
	return errs
}

// attrError builds the error the standard keyword would report for
// attribute key (element index when index >= 0).
func attrError(ctx jsonschema.ValidationContext, key string, index int, kw, format string, args ...any) error {
	kwPath := objKeyword + "/attributes/" + v5Escape(key)
	loc := "/" + v5Escape(key)
	if index >= 0 {
		kwPath += "/items"
		loc += "/" + strconv.Itoa(index)
	}
	ve := ctx.Error(kwPath+"/"+kw, format, args...)
	ve.InstanceLocation += loc
	return ve
}

// v5Escape escapes a token the way jsonschema/v5 does in locations: RFC 6901
// escaping, then URL path escaping.
func v5Escape(token string) string { return url.PathEscape(escapeToken(token)) }

// kindOf names the JSON type of a value as jsonschema/v5 does.
func kindOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return "number"
		}
		return "integer"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
