package eventbridge

import (
	"slices"
	"strings"
)

// Pattern is a parsed EventBridge event pattern: one JSON object of the
// pattern language. It mirrors the nesting of the events it matches.
//
// Every named field must match (AND). When Or is set, at least one of its
// branches must match too: Or is the object's "$or" key, whose branches are
// themselves objects at the same level (so a branch may name fields, nest
// objects and hold a further $or).
//
// A Pattern is plain data: build one with [ParsePattern], with the Security
// Hub builder ([NewSecurityHubRule]) or by hand, check it with
// [Pattern.Validate], render it with [Pattern.MarshalJSON] and match events
// with [Compile]. [ParsePattern] returns patterns in canonical form (fields
// sorted by name, the form [Pattern.MarshalJSON] prints), so
// ParsePattern(p.MarshalJSON()) gives back a pattern equal to p (compare
// with reflect.DeepEqual or go-cmp).
type Pattern struct {
	// Fields are the object's keys other than "$or", each a leaf (a list of
	// conditions) or a nested object.
	Fields []Field
	// Or holds the branches of the object's "$or" key: nil, or at least two.
	Or []*Pattern
}

// Field is one key of a pattern object. Exactly one of Conditions and
// Pattern is set.
type Field struct {
	// Name is the key as written. A name containing dots is equivalent to the
	// nested keys ({"a.b": …} ≡ {"a": {"b": …}}), as in EventBridge.
	Name string
	// Conditions is the list of a leaf ("name": [ … ]): the field matches when
	// any condition matches (OR).
	Conditions []Condition
	// Pattern is the nested object of a non-leaf field ("name": { … }).
	Pattern *Pattern
}

// Leaf returns a leaf field named name with the given conditions.
func Leaf(name string, conds ...Condition) Field {
	return Field{Name: name, Conditions: conds}
}

// Object returns a non-leaf field named name holding p.
func Object(name string, p *Pattern) Field { return Field{Name: name, Pattern: p} }

// Field returns the field named name, or nil.
func (p *Pattern) Field(name string) *Field {
	if p == nil {
		return nil
	}
	for i := range p.Fields {
		if p.Fields[i].Name == name {
			return &p.Fields[i]
		}
	}
	return nil
}

// Clone returns a deep copy of p.
func (p *Pattern) Clone() *Pattern {
	if p == nil {
		return nil
	}
	q := &Pattern{}
	if p.Fields != nil {
		q.Fields = make([]Field, len(p.Fields))
		for i, f := range p.Fields {
			q.Fields[i] = Field{Name: f.Name, Pattern: f.Pattern.Clone()}
			if f.Conditions != nil {
				q.Fields[i].Conditions = make([]Condition, len(f.Conditions))
				for j, c := range f.Conditions {
					q.Fields[i].Conditions[j] = c.clone()
				}
			}
		}
	}
	if p.Or != nil {
		q.Or = make([]*Pattern, len(p.Or))
		for i, b := range p.Or {
			q.Or[i] = b.Clone()
		}
	}
	return q
}

// Equal reports whether p and q are the same pattern, field by field (the
// order of fields and of $or branches matters; call [Pattern.Canonical] on
// both first to ignore field order).
func (p *Pattern) Equal(q *Pattern) bool {
	if p == nil || q == nil {
		return p == q
	}
	if len(p.Fields) != len(q.Fields) || len(p.Or) != len(q.Or) {
		return false
	}
	for i := range p.Fields {
		a, b := &p.Fields[i], &q.Fields[i]
		if a.Name != b.Name || !a.Pattern.Equal(b.Pattern) || len(a.Conditions) != len(b.Conditions) ||
			(a.Conditions == nil) != (b.Conditions == nil) {
			return false
		}
		for j := range a.Conditions {
			if !a.Conditions[j].Equal(b.Conditions[j]) {
				return false
			}
		}
	}
	for i := range p.Or {
		if !p.Or[i].Equal(q.Or[i]) {
			return false
		}
	}
	return true
}

// Canonical returns a copy of p with every object's fields sorted by name,
// the order in which [Pattern.MarshalJSON] renders them and [ParsePattern]
// returns them.
func (p *Pattern) Canonical() *Pattern {
	q := p.Clone()
	q.sortFields()
	return q
}

func (p *Pattern) sortFields() {
	if p == nil {
		return
	}
	slices.SortStableFunc(p.Fields, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
	for i := range p.Fields {
		p.Fields[i].Pattern.sortFields()
	}
	for _, b := range p.Or {
		b.sortFields()
	}
}
