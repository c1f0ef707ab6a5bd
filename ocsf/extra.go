package ocsf

import (
	"encoding/json"
	"slices"
)

// extState is embedded in every generated type. It holds what the typed
// fields cannot: the attributes of the input that the type does not define
// (for example those added by OCSF releases after 1.6.0), attributes whose
// value had the wrong JSON type or was null, and which attributes were
// present with a zero value. Encoding writes all of it back, which is what
// makes decoding lossless.
type extState struct {
	zero    fieldSet  // fields present in the input with their zero value
	kept    fieldSet  // fields whose input value is in typed
	typed   []rawAttr // values of defined attributes with the wrong JSON type or null, one per field
	extra   []rawAttr // undefined attributes (and SetExtra's), in input order
	decoded bool      // the value was decoded, not built in Go
}

// rawAttr is one attribute kept verbatim.
type rawAttr struct {
	name  string
	value json.RawMessage
}

// fieldSet is a set of field indexes (a generated type has at most 128
// fields; the generator checks this).
type fieldSet [2]uint64

func (s *fieldSet) set(i int)     { s[i>>6] |= 1 << (i & 63) }
func (s *fieldSet) clear(i int)   { s[i>>6] &^= 1 << (i & 63) }
func (s fieldSet) has(i int) bool { return s[i>>6]&(1<<(i&63)) != 0 }

// Extra returns the raw JSON of an attribute that the decoded input had but
// the Go type could not hold: an attribute the generated type does not define
// (such as resources[].provider, added in OCSF 1.8.0), or a defined attribute
// whose value was null or of the wrong JSON type (the typed field is then
// left at its zero value; the validator reports the problem). If the input
// repeated the name, the last value is returned.
func (x *extState) Extra(name string) (json.RawMessage, bool) {
	for i := len(x.extra) - 1; i >= 0; i-- {
		if x.extra[i].name == name {
			return x.extra[i].value, true
		}
	}
	for _, a := range x.typed {
		if a.name == name {
			return a.value, true
		}
	}
	return nil, false
}

// ExtraNames lists the names of the attributes that Extra returns: defined
// attributes whose value was kept, then undefined ones in input order.
func (x *extState) ExtraNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, a := range append(slices.Clip(x.typed), x.extra...) {
		if !seen[a.name] {
			seen[a.name] = true
			names = append(names, a.name)
		}
	}
	return names
}

// SetExtra sets the raw JSON of an extra attribute, to be written when the
// value is encoded; a nil value removes it. When a typed field with the same
// JSON name is set (not zero), the typed field wins. Encoding fails if value
// is not valid JSON.
func (x *extState) SetExtra(name string, value json.RawMessage) {
	drop := func(a rawAttr) bool { return a.name == name }
	x.typed = slices.DeleteFunc(slices.Clone(x.typed), drop)
	x.extra = slices.DeleteFunc(slices.Clone(x.extra), drop)
	if value != nil {
		x.extra = append(x.extra, rawAttr{name: name, value: slices.Clone(value)})
	}
}
