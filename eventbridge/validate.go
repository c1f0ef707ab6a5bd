package eventbridge

import (
	"math"
	"strconv"
)

// Validate reports whether p is a valid event pattern that EventBridge
// accepts: well formed (a *PatternError naming the path and operator
// otherwise) and within [MaxPatternSize] and [MaxOrCombinations] (a
// *LimitError otherwise). Use [Pattern.Warnings] for the softer checks.
func (p *Pattern) Validate() error {
	if err := p.validateStructure(); err != nil {
		return err
	}
	return p.checkLimits()
}

func (p *Pattern) validateStructure() error { return validateObject(p, "", false) }

func validateObject(p *Pattern, path pointer, inOr bool) error {
	if p == nil {
		return path.err("", "missing object")
	}
	if len(p.Fields) == 0 && len(p.Or) == 0 {
		return path.err("", "empty objects are not allowed")
	}
	seen := make(map[string]bool, len(p.Fields))
	for _, f := range p.Fields {
		fp := path.key(f.Name)
		switch {
		case f.Name == "$or":
			return fp.err("$or", "a field may not be named $or: set Pattern.Or")
		case seen[f.Name]:
			return fp.err("", "duplicate field %q", f.Name)
		case inOr && reservedInOr[f.Name]:
			return fp.err("$or", "%q is an operator name and cannot be a field name inside $or", f.Name)
		}
		seen[f.Name] = true
		switch {
		case f.Pattern != nil && f.Conditions != nil:
			return fp.err("", "a field holds either conditions or a nested object, not both")
		case f.Pattern != nil:
			if err := validateObject(f.Pattern, fp, inOr); err != nil {
				return err
			}
		case len(f.Conditions) == 0:
			return fp.err("", "empty arrays are not allowed")
		default:
			for i, c := range f.Conditions {
				if err := validateCondition(fp.index(i), c); err != nil {
					return err
				}
			}
		}
	}
	if p.Or != nil {
		op := path.key("$or")
		if len(p.Or) < 2 {
			return op.err("$or", "$or needs at least two objects, found %d", len(p.Or))
		}
		for i, b := range p.Or {
			if err := validateObject(b, op.index(i), true); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkValue reports whether v is a well-formed JSON scalar.
func checkValue(v Value) error {
	switch v.kind {
	case KindString:
		return nil
	case KindNumber:
		if !isJSONNumber(v.text) {
			return &PatternError{Msg: strconv.Quote(v.text) + " is not a JSON number"}
		}
		return nil
	case KindBool:
		if v.text == "true" || v.text == "false" {
			return nil
		}
	case KindNull:
		if v.text == "null" {
			return nil
		}
	}
	return &PatternError{Msg: "unset or malformed value"}
}

func validateCondition(path pointer, c Condition) error {
	// Fields an operator does not use must stay zero, so that rendering
	// and parsing back gives the same condition.
	stray := func(ok bool, what string) error {
		if !ok {
			return path.err(c.Op, "%s is not used by this operator", what)
		}
		return nil
	}
	unused := func(value, ignoreCase, exists, numeric, except bool) error {
		for _, e := range []error{
			stray(value || c.Value == (Value{}), "Value"),
			stray(ignoreCase || !c.IgnoreCase, "IgnoreCase"),
			stray(exists || !c.Exists, "Exists"),
			stray(numeric || c.Numeric == nil, "Numeric"),
			stray(except || (c.Except == "" && c.Values == nil), "Except/Values"),
		} {
			if e != nil {
				return e
			}
		}
		return nil
	}
	str := func() error {
		if c.Value.kind != KindString {
			return path.err(c.Op, "the value of %s must be a string", c.Op)
		}
		return nil
	}
	var err error
	switch c.Op {
	case OpEquals:
		if err = unused(true, false, false, false, false); err == nil {
			if e := checkValue(c.Value); e != nil {
				err = path.err(c.Op, "%s", e.(*PatternError).Msg)
			}
		}
	case OpPrefix, OpSuffix:
		if err = unused(true, true, false, false, false); err == nil {
			err = str()
		}
	case OpEqualsIgnoreCase:
		if err = unused(true, false, false, false, false); err == nil {
			err = str()
		}
	case OpWildcard:
		if err = unused(true, false, false, false, false); err == nil {
			if err = str(); err == nil {
				if _, msg := parseWildcard(c.Value.text); msg != "" {
					err = path.key(string(c.Op)).err(c.Op, "%s", msg)
				}
			}
		}
	case OpCIDR:
		if err = unused(true, false, false, false, false); err == nil {
			if err = str(); err == nil {
				if _, msg := parseCIDR(c.Value.text); msg != "" {
					err = path.key(string(c.Op)).err(c.Op, "%s", msg)
				}
			}
		}
	case OpExists:
		err = unused(false, false, true, false, false)
	case OpNumeric:
		if err = unused(false, false, false, true, false); err == nil {
			err = validateNumeric(path.key(string(c.Op)), c.Numeric)
		}
	case OpAnythingBut:
		if err = unused(false, false, false, false, true); err == nil {
			err = validateAnythingBut(path.key(string(c.Op)), c)
		}
	default:
		err = path.err("", "unknown operator %q", string(c.Op))
	}
	return err
}

var numericOps = map[string]bool{"=": true, "<": true, "<=": true, ">": true, ">=": true}

func validateNumeric(path pointer, terms []Comparison) error {
	if len(terms) == 0 || len(terms) > 2 {
		return path.err(OpNumeric, "expected one comparison or a range of two, found %d", len(terms))
	}
	vals := make([]float64, len(terms))
	for i, t := range terms {
		if !numericOps[t.Op] {
			return path.index(2*i).err(OpNumeric, "unrecognized comparison operator %q", t.Op)
		}
		if t.Value.kind != KindNumber || !isJSONNumber(t.Value.text) {
			return path.index(2*i+1).err(OpNumeric, "the value of %q must be a number", t.Op)
		}
		f, err := strconv.ParseFloat(t.Value.text, 64)
		if err != nil || math.IsInf(f, 0) {
			return path.index(2*i+1).err(OpNumeric, "%s is out of range", t.Value.text)
		}
		vals[i] = f
	}
	if len(terms) == 2 {
		if terms[0].Op != ">" && terms[0].Op != ">=" {
			return path.index(0).err(OpNumeric, "a range must start with > or >=, not %q", terms[0].Op)
		}
		if terms[1].Op != "<" && terms[1].Op != "<=" {
			return path.index(2).err(OpNumeric, "a range must end with < or <=, not %q", terms[1].Op)
		}
		if vals[0] >= vals[1] {
			return path.index(3).err(OpNumeric, "the bottom of a range must be less than its top")
		}
	}
	return nil
}

func validateAnythingBut(path pointer, c Condition) error {
	if len(c.Values) == 0 {
		return path.err(OpAnythingBut, "anything-but needs at least one value")
	}
	vp := path
	if c.Except != OpEquals {
		vp = path.key(string(c.Except))
	}
	at := func(i int) pointer {
		if len(c.Values) == 1 {
			return vp
		}
		return vp.index(i)
	}
	switch c.Except {
	case OpEquals:
		kind := c.Values[0].kind
		if kind != KindString && kind != KindNumber {
			return at(0).err(OpAnythingBut, "anything-but values must be strings or numbers")
		}
		for i, v := range c.Values {
			if v.kind != kind {
				return at(i).err(OpAnythingBut, "anything-but values must be all strings or all numbers")
			}
			if v.kind == KindNumber {
				if _, ok := v.Float(); !ok {
					return at(i).err(OpAnythingBut, "%q is not a number in range", v.text)
				}
			}
		}
	case OpPrefix, OpSuffix, OpEqualsIgnoreCase, OpWildcard:
		for i, v := range c.Values {
			if v.kind != KindString {
				return at(i).err(OpAnythingBut, "anything-but %s values must be strings", c.Except)
			}
			if (c.Except == OpPrefix || c.Except == OpSuffix) && v.text == "" {
				return at(i).err(OpAnythingBut, "an empty %s is not allowed in anything-but", c.Except)
			}
			if c.Except == OpWildcard {
				if _, msg := parseWildcard(v.text); msg != "" {
					return at(i).err(OpAnythingBut, "%s", msg)
				}
			}
		}
	default:
		return path.err(OpAnythingBut, "anything-but cannot be combined with %q", string(c.Except))
	}
	return nil
}
