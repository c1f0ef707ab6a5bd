package eventbridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// ParsePattern parses an EventBridge event pattern written as JSON.
//
// It accepts what EventBridge accepts and rejects the rest with a
// *PatternError naming the JSON Pointer of the offending element and the
// operator being parsed, or with a *LimitError when the pattern is larger
// than [MaxPatternSize] characters (measured on its compact rendering) or
// expands to more than [MaxOrCombinations] $or combinations. Both match
// [ErrInvalidPattern] with errors.Is. Patterns between the default quota
// (2,048 characters) and the maximum parse; [Pattern.Warnings] reports them.
//
// As in EventBridge, when a key appears twice in one object the last
// occurrence wins. The result is canonical: every object's fields are sorted
// by name, so that rendering it with [Pattern.MarshalJSON] and parsing the
// result gives an equal pattern.
func ParsePattern(data []byte) (*Pattern, error) {
	p, err := parsePatternJSON(data)
	if err != nil {
		return nil, err
	}
	if err := p.validateStructure(); err != nil {
		return nil, err
	}
	if err := p.checkLimits(); err != nil {
		return nil, err
	}
	return p, nil
}

// UnmarshalJSON parses data with [ParsePattern] into p.
func (p *Pattern) UnmarshalJSON(data []byte) error {
	q, err := ParsePattern(data)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// reservedInOr lists the names Event Ruler refuses as field names inside
// $or branches (its operator names and names reserved for future operators).
var reservedInOr = map[string]bool{
	"exactly": true, "equals-ignore-case": true, "prefix": true, "suffix": true, "anything-but": true,
	"exists": true, "wildcard": true, "numeric": true, "cidr": true,
	"=": true, "<": true, "<=": true, ">": true, ">=": true,
	"regex": true, "not-wildcard": true, "not-equals-ignore-case": true,
	"date-after": true, "date-on-or-after": true, "date-before": true, "date-on-or-before": true,
	"in-date-range": true, "ip-address-in-range": true, "ip-address-not-in-range": true,
}

// parser reads a pattern token by token, so that errors can name the JSON
// path, duplicate keys follow "last wins" and numbers keep their spelling.
type parser struct {
	dec *json.Decoder
}

func parsePatternJSON(data []byte) (*Pattern, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	ps := &parser{dec: dec}
	tok, err := ps.token("")
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, pointer("").err("", "an event pattern must be a JSON object")
	}
	p, err := ps.object("", false)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &PatternError{Msg: "unexpected data after the pattern object", Err: nilIfEOF(err)}
	}
	p.sortFields()
	return p, nil
}

func nilIfEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

func (ps *parser) token(path pointer) (json.Token, error) {
	tok, err := ps.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, &PatternError{Path: string(path), Msg: "malformed JSON", Err: err}
	}
	return tok, nil
}

// object parses the members of an object whose '{' has been read.
func (ps *parser) object(path pointer, inOr bool) (*Pattern, error) {
	p := &Pattern{}
	index := map[string]int{}
	members := 0
	for ps.dec.More() {
		tok, err := ps.token(path)
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string) // the decoder only yields string keys here
		members++
		kp := path.key(key)
		if key == "$or" {
			branches, err := ps.or(kp)
			if err != nil {
				return nil, err
			}
			p.Or = branches
			continue
		}
		if inOr && reservedInOr[key] {
			return nil, kp.err("$or", "%q is an operator name and cannot be a field name inside $or", key)
		}
		tok, err = ps.token(kp)
		if err != nil {
			return nil, err
		}
		var f Field
		switch tok {
		case json.Delim('{'):
			child, err := ps.object(kp, inOr)
			if err != nil {
				return nil, err
			}
			f = Field{Name: key, Pattern: child}
		case json.Delim('['):
			conds, err := ps.leaf(kp)
			if err != nil {
				return nil, err
			}
			f = Field{Name: key, Conditions: conds}
		default:
			return nil, kp.err("", "the value of %q must be an object or an array", key)
		}
		if i, ok := index[key]; ok {
			p.Fields[i] = f // the last occurrence wins, as in EventBridge
		} else {
			index[key] = len(p.Fields)
			p.Fields = append(p.Fields, f)
		}
	}
	if _, err := ps.token(path); err != nil { // '}'
		return nil, err
	}
	if members == 0 {
		return nil, path.err("", "empty objects are not allowed")
	}
	return p, nil
}

// or parses the value of a "$or" key.
func (ps *parser) or(path pointer) ([]*Pattern, error) {
	const op = Op("$or")
	tok, err := ps.token(path)
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		return nil, path.err(op, "the value of $or must be an array of at least two objects")
	}
	var branches []*Pattern
	for i := 0; ps.dec.More(); i++ {
		ip := path.index(i)
		tok, err := ps.token(ip)
		if err != nil {
			return nil, err
		}
		if tok != json.Delim('{') {
			return nil, ip.err(op, "$or may only hold objects")
		}
		b, err := ps.object(ip, true)
		if err != nil {
			return nil, err
		}
		branches = append(branches, b)
	}
	if _, err := ps.token(path); err != nil { // ']'
		return nil, err
	}
	if len(branches) < 2 {
		return nil, path.err(op, "$or needs at least two objects, found %d", len(branches))
	}
	return branches, nil
}

// leaf parses a leaf's list whose '[' has been read.
func (ps *parser) leaf(path pointer) ([]Condition, error) {
	var conds []Condition
	for i := 0; ps.dec.More(); i++ {
		ip := path.index(i)
		tok, err := ps.token(ip)
		if err != nil {
			return nil, err
		}
		if tok == json.Delim('{') {
			c, err := ps.operator(ip)
			if err != nil {
				return nil, err
			}
			conds = append(conds, c)
			continue
		}
		v, ok := scalar(tok)
		if !ok {
			return nil, ip.err("", "a match value must be a string, number, true, false, null or an operator object")
		}
		conds = append(conds, Exact(v))
	}
	if _, err := ps.token(path); err != nil { // ']'
		return nil, err
	}
	if len(conds) == 0 {
		return nil, path.err("", "empty arrays are not allowed")
	}
	return conds, nil
}

func scalar(tok json.Token) (Value, bool) {
	switch t := tok.(type) {
	case string:
		return StringValue(t), true
	case json.Number:
		return NumberValue(string(t)), true
	case bool:
		return BoolValue(t), true
	case nil:
		return NullValue(), true
	}
	return Value{}, false
}

// operator parses an operator object whose '{' has been read.
func (ps *parser) operator(path pointer) (Condition, error) {
	if !ps.dec.More() {
		return Condition{}, path.err("", "empty operator object")
	}
	tok, err := ps.token(path)
	if err != nil {
		return Condition{}, err
	}
	name, _ := tok.(string)
	op := Op(name)
	kp := path.key(name)
	var c Condition
	switch name {
	case "prefix", "suffix":
		c, err = ps.affix(kp, op)
	case "equals-ignore-case", "wildcard", "cidr":
		var s string
		s, err = ps.stringToken(kp, op)
		c = Condition{Op: op, Value: StringValue(s)}
	case "exists":
		tok, err = ps.token(kp)
		if err == nil {
			b, ok := tok.(bool)
			if !ok {
				err = kp.err(op, "the value of exists must be true or false")
			}
			c = Exists(b)
		}
	case "numeric":
		c, err = ps.numeric(kp)
	case "anything-but":
		c, err = ps.anythingBut(kp)
	default:
		return Condition{}, kp.err("", "unrecognized operator %q", name)
	}
	if err != nil {
		return Condition{}, err
	}
	if err := ps.end(path, op, "an operator object may hold only one key"); err != nil {
		return Condition{}, err
	}
	return c, nil
}

// end consumes the closing '}' of an object that must have no more members.
func (ps *parser) end(path pointer, op Op, msg string) error {
	if ps.dec.More() {
		return path.err(op, "%s", msg)
	}
	_, err := ps.token(path)
	return err
}

func (ps *parser) stringToken(path pointer, op Op) (string, error) {
	tok, err := ps.token(path)
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", path.err(op, "the value of %s must be a string", op)
	}
	return s, nil
}

// affix parses the value of prefix or suffix: a string or
// {"equals-ignore-case": string}.
func (ps *parser) affix(path pointer, op Op) (Condition, error) {
	tok, err := ps.token(path)
	if err != nil {
		return Condition{}, err
	}
	if s, ok := tok.(string); ok {
		return Condition{Op: op, Value: StringValue(s)}, nil
	}
	if tok != json.Delim('{') {
		return Condition{}, path.err(op, `the value of %s must be a string or {"equals-ignore-case": string}`, op)
	}
	if !ps.dec.More() {
		return Condition{}, path.err(op, `expected {"equals-ignore-case": string}`)
	}
	tok, err = ps.token(path)
	if err != nil {
		return Condition{}, err
	}
	if tok != "equals-ignore-case" {
		return Condition{}, path.key(tok.(string)).err(op, `only "equals-ignore-case" may modify %s`, op)
	}
	s, err := ps.stringToken(path.key("equals-ignore-case"), op)
	if err != nil {
		return Condition{}, err
	}
	if err := ps.end(path, op, "only one key is allowed here"); err != nil {
		return Condition{}, err
	}
	return Condition{Op: op, Value: StringValue(s), IgnoreCase: true}, nil
}

// numeric parses the list of a numeric operator.
func (ps *parser) numeric(path pointer) (Condition, error) {
	tok, err := ps.token(path)
	if err != nil {
		return Condition{}, err
	}
	if tok != json.Delim('[') {
		return Condition{}, path.err(OpNumeric, "the value of numeric must be an array such as [\">\", 0, \"<=\", 5]")
	}
	c := Condition{Op: OpNumeric}
	for i := 0; ps.dec.More(); i += 2 {
		tok, err := ps.token(path.index(i))
		if err != nil {
			return Condition{}, err
		}
		op, ok := tok.(string)
		if !ok {
			return Condition{}, path.index(i).err(OpNumeric, "expected a comparison operator (=, <, <=, >, >=)")
		}
		if !ps.dec.More() {
			return Condition{}, path.index(i).err(OpNumeric, "operator %q needs a number after it", op)
		}
		tok, err = ps.token(path.index(i + 1))
		if err != nil {
			return Condition{}, err
		}
		n, ok := tok.(json.Number)
		if !ok {
			return Condition{}, path.index(i+1).err(OpNumeric, "the value of %q must be a number", op)
		}
		c.Numeric = append(c.Numeric, Comparison{Op: op, Value: NumberValue(string(n))})
	}
	if _, err := ps.token(path); err != nil { // ']'
		return Condition{}, err
	}
	return c, nil
}

// anythingBut parses the value of anything-but.
func (ps *parser) anythingBut(path pointer) (Condition, error) {
	tok, err := ps.token(path)
	if err != nil {
		return Condition{}, err
	}
	c := Condition{Op: OpAnythingBut, Except: OpEquals}
	switch t := tok.(type) {
	case string:
		c.Values = []Value{StringValue(t)}
	case json.Number:
		c.Values = []Value{NumberValue(string(t))}
	case json.Delim:
		if t == '[' {
			c.Values, err = ps.list(path, OpAnythingBut, true)
			return c, err
		}
		if !ps.dec.More() {
			return Condition{}, path.err(OpAnythingBut, "empty object")
		}
		tok, err = ps.token(path)
		if err != nil {
			return Condition{}, err
		}
		name, _ := tok.(string)
		switch name {
		case "prefix", "suffix", "equals-ignore-case", "wildcard":
		default:
			return Condition{}, path.key(name).err(OpAnythingBut,
				"unsupported anything-but operator %q (use prefix, suffix, equals-ignore-case or wildcard)", name)
		}
		c.Except = Op(name)
		np := path.key(name)
		tok, err = ps.token(np)
		if err != nil {
			return Condition{}, err
		}
		switch v := tok.(type) {
		case string:
			c.Values = []Value{StringValue(v)}
		case json.Delim:
			if v != '[' {
				return Condition{}, np.err(OpAnythingBut, "the value of %s must be a string or an array of strings", name)
			}
			if c.Values, err = ps.list(np, OpAnythingBut, false); err != nil {
				return Condition{}, err
			}
		default:
			return Condition{}, np.err(OpAnythingBut, "the value of %s must be a string or an array of strings", name)
		}
		if err := ps.end(path, OpAnythingBut, "only one key is allowed in an anything-but object"); err != nil {
			return Condition{}, err
		}
	default:
		return Condition{}, path.err(OpAnythingBut,
			"the value of anything-but must be a string, a number, an array of strings or numbers, or an object")
	}
	return c, nil
}

// list parses an array of strings (and numbers when numbers is set) whose
// '[' has been read.
func (ps *parser) list(path pointer, op Op, numbers bool) ([]Value, error) {
	var vs []Value
	for i := 0; ps.dec.More(); i++ {
		tok, err := ps.token(path.index(i))
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case string:
			vs = append(vs, StringValue(t))
		case json.Number:
			if !numbers {
				return nil, path.index(i).err(op, "only strings are allowed here")
			}
			vs = append(vs, NumberValue(string(t)))
		default:
			return nil, path.index(i).err(op, "only strings or numbers are allowed in an anything-but list")
		}
	}
	if _, err := ps.token(path); err != nil { // ']'
		return nil, err
	}
	if len(vs) == 0 {
		return nil, path.err(op, "empty arrays are not allowed")
	}
	return vs, nil
}
