package validator

import (
	"encoding/json"
	"strconv"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// fastSchema is a conservative, allocation-free pre-check of a compiled
// jsonschema/v5 schema: valid reports true only when the schema would
// accept the value. When it reports false (the value is invalid, or uses
// something the pre-check does not model) the engine runs jsonschema/v5 as
// before, so the problems reported are exactly those of jsonschema/v5; the
// pre-check only spares the valid case, which is the common one, the cost
// of jsonschema/v5's error-tracking walk (about a microsecond and several
// allocations per value).
//
// Only the keywords the generated schemas use are modelled: $ref (draft 7:
// siblings ignored), type, required, properties, additionalProperties,
// items (one schema), enum and const of strings and numbers, boolean
// schemas and the x-ocsf-object keyword. A schema using any other
// assertion compiles to nil: no pre-check.
type fastSchema struct {
	ref      *fastSchema
	always   int8 // 0: not a boolean schema; 1: true; -1: false
	types    uint8
	required []string
	props    map[string]*fastSchema
	addl     int8        // additionalProperties: 0 absent or true, -1 false, 1 schema
	addlSch  *fastSchema // when addl == 1
	items    *fastSchema
	enum     []any // json.Number and string values; nil when absent
	obj      *objSchema
	// members merges props and obj.attrs, so that an object's keys are
	// looked up once: nil when there is neither.
	members map[string]fastMember
}

// fastMember is what applies to one key of an object.
type fastMember struct {
	sub    *fastSchema // from properties; nil when not a property
	spec   *scalarSpec // from x-ocsf-object; nil when none or no scalar check
	inAttr bool        // listed in x-ocsf-object's attributes
}

const (
	ftNull uint8 = 1 << iota
	ftBoolean
	ftInteger
	ftNumber
	ftString
	ftArray
	ftObject
)

// maxRefHops bounds chains of $ref that do not descend into the value.
const maxRefHops = 32

// compileFast builds the pre-check of s, or returns nil when s uses
// something it does not model.
func compileFast(s *jsonschema.Schema) *fastSchema {
	fc := &fastCompiler{memo: map[*jsonschema.Schema]*fastSchema{}}
	f := fc.compile(s)
	if fc.failed {
		return nil
	}
	return f
}

type fastCompiler struct {
	memo   map[*jsonschema.Schema]*fastSchema
	failed bool
}

func (fc *fastCompiler) compile(s *jsonschema.Schema) *fastSchema {
	if s == nil || fc.failed {
		return nil
	}
	if f, ok := fc.memo[s]; ok {
		return f
	}
	f := &fastSchema{}
	fc.memo[s] = f
	if s.Ref != nil {
		// Draft 7: all other keywords beside $ref are ignored.
		f.ref = fc.compile(s.Ref)
		return f
	}
	if s.Always != nil {
		f.always = -1
		if *s.Always {
			f.always = 1
		}
		return f
	}
	if s.Format != "" || s.RecursiveRef != nil || s.DynamicRef != nil || s.Not != nil ||
		len(s.AllOf) > 0 || len(s.AnyOf) > 0 || len(s.OneOf) > 0 || s.If != nil || s.Then != nil || s.Else != nil ||
		s.MinProperties > 0 || s.MaxProperties >= 0 || s.PropertyNames != nil || len(s.PatternProperties) > 0 ||
		len(s.Dependencies) > 0 || len(s.DependentRequired) > 0 || len(s.DependentSchemas) > 0 || s.UnevaluatedProperties != nil ||
		s.MinItems > 0 || s.MaxItems >= 0 || s.UniqueItems || s.AdditionalItems != nil || len(s.PrefixItems) > 0 ||
		s.Items2020 != nil || s.Contains != nil || s.UnevaluatedItems != nil ||
		s.MinLength > 0 || s.MaxLength >= 0 || s.Pattern != nil || s.ContentEncoding != "" || s.ContentMediaType != "" || s.ContentSchema != nil ||
		s.Minimum != nil || s.ExclusiveMinimum != nil || s.Maximum != nil || s.ExclusiveMaximum != nil || s.MultipleOf != nil {
		fc.failed = true
		return nil
	}
	for _, t := range s.Types {
		switch t {
		case "null":
			f.types |= ftNull
		case "boolean":
			f.types |= ftBoolean
		case "integer":
			f.types |= ftInteger
		case "number":
			f.types |= ftNumber
		case "string":
			f.types |= ftString
		case "array":
			f.types |= ftArray
		case "object":
			f.types |= ftObject
		default:
			fc.failed = true
			return nil
		}
	}
	vals := s.Enum
	if len(s.Constant) > 0 {
		if len(vals) > 0 {
			fc.failed = true
			return nil
		}
		vals = s.Constant[:1]
	}
	if vals != nil {
		f.enum = make([]any, 0, len(vals))
		for _, v := range vals {
			switch v.(type) {
			case json.Number, string:
				f.enum = append(f.enum, v)
			default:
				// Other kinds never match in the pre-check: sound, if slow.
			}
		}
	}
	f.required = s.Required
	if len(s.Properties) > 0 {
		f.props = make(map[string]*fastSchema, len(s.Properties))
		for name, ps := range s.Properties {
			f.props[name] = fc.compile(ps)
		}
	}
	switch ap := s.AdditionalProperties.(type) {
	case nil:
	case bool:
		if !ap {
			f.addl = -1
		}
	case *jsonschema.Schema:
		f.addl, f.addlSch = 1, fc.compile(ap)
	default:
		fc.failed = true
		return nil
	}
	switch it := s.Items.(type) {
	case nil:
	case *jsonschema.Schema:
		f.items = fc.compile(it)
	default:
		fc.failed = true
		return nil
	}
	for name, ext := range s.Extensions {
		o, ok := ext.(*objSchema)
		if name != objKeyword || !ok || f.obj != nil {
			fc.failed = true
			return nil
		}
		f.obj = o
	}
	if f.props != nil || f.obj != nil {
		f.members = make(map[string]fastMember, len(f.props))
		for name, sub := range f.props {
			f.members[name] = fastMember{sub: sub}
		}
		if f.obj != nil {
			for name, sp := range f.obj.attrs {
				m := f.members[name]
				m.spec, m.inAttr = sp, true
				f.members[name] = m
			}
		}
	}
	return f
}

// valid reports whether the schema certainly accepts v.
func (f *fastSchema) valid(v any) bool { return f.check(v, 0) }

func (f *fastSchema) check(v any, hops int) bool {
	if f.ref != nil {
		if hops >= maxRefHops {
			return false
		}
		return f.ref.check(v, hops+1)
	}
	switch f.always {
	case 1:
		return true
	case -1:
		return false
	}
	if f.types != 0 && !f.typeOK(v) {
		return false
	}
	if f.enum != nil && !f.inEnum(v) {
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		for _, r := range f.required {
			if _, ok := v[r]; !ok {
				return false
			}
		}
		if f.members != nil || f.addl != 0 {
			for key, val := range v {
				m := f.members[key]
				if f.obj != nil && !m.inAttr {
					return false // x-ocsf-object: not an attribute
				}
				if m.spec != nil && !m.spec.validValue(val) {
					return false
				}
				if m.sub != nil {
					if !m.sub.check(val, 0) {
						return false
					}
					continue // a property: additionalProperties does not apply
				}
				switch f.addl {
				case -1:
					return false
				case 1:
					if !f.addlSch.check(val, 0) {
						return false
					}
				}
			}
		}
	case []any:
		if f.items != nil {
			for _, el := range v {
				if !f.items.check(el, 0) {
					return false
				}
			}
		}
	}
	return true
}

func (f *fastSchema) typeOK(v any) bool {
	switch v := v.(type) {
	case nil:
		return f.types&ftNull != 0
	case bool:
		return f.types&ftBoolean != 0
	case json.Number:
		if f.types&ftNumber != 0 {
			return true
		}
		if f.types&ftInteger != 0 {
			_, err := strconv.ParseInt(string(v), 10, 64)
			return err == nil
		}
		return false
	case string:
		return f.types&ftString != 0
	case []any:
		return f.types&ftArray != 0
	case map[string]any:
		return f.types&ftObject != 0
	}
	return false
}

func (f *fastSchema) inEnum(v any) bool {
	switch v := v.(type) {
	case json.Number:
		for _, e := range f.enum {
			if n, ok := e.(json.Number); ok && n == v {
				return true
			}
		}
	case string:
		for _, e := range f.enum {
			if s, ok := e.(string); ok && s == v {
				return true
			}
		}
	}
	return false
}

// validValue reports whether the x-ocsf-object keyword certainly accepts
// val as the value of an attribute with this spec (see objSchema.Validate).
func (sp *scalarSpec) validValue(val any) bool {
	if !sp.array {
		return sp.valid(val)
	}
	arr, ok := val.([]any)
	if !ok {
		return false
	}
	for _, el := range arr {
		if !sp.valid(el) {
			return false
		}
	}
	return true
}

// valid reports whether check would report nothing for v.
func (sp *scalarSpec) valid(v any) bool {
	switch sp.typ {
	case "string":
		s, ok := v.(string)
		return ok && (sp.strs == nil || sp.strs[s])
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		return err == nil && (sp.ints == nil || sp.ints[i])
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	}
	return true
}
