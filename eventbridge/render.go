package eventbridge

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MarshalJSON renders p as compact JSON, deterministically: the fields of
// every object sorted by name (byte order) with "$or" last, no whitespace,
// strings escaped minimally (no HTML escaping, which would only lengthen
// the pattern). A one-value anything-but renders as a scalar. The result is
// what to paste into the console, pass to PutRule or embed in a
// CloudFormation template.
//
// MarshalJSON fails with a *PatternError if p is malformed; it does not
// check EventBridge's size limits (use [Pattern.Validate]).
//
// Note that json.Marshal, when it calls MarshalJSON, HTML-escapes the
// result ("<" becomes "\u003c"): still the same pattern, but longer than
// [Pattern.Size] counts. Call MarshalJSON or [Pattern.String] directly, or
// use a json.Encoder with SetEscapeHTML(false), to get the compact form.
func (p *Pattern) MarshalJSON() ([]byte, error) {
	if err := p.validateStructure(); err != nil {
		return nil, err
	}
	return appendPattern(nil, p), nil
}

// String returns the compact JSON rendering of p, or a description of the
// error if p is malformed.
func (p *Pattern) String() string {
	b, err := p.MarshalJSON()
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

func appendPattern(b []byte, p *Pattern) []byte {
	b = append(b, '{')
	order := make([]int, len(p.Fields))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return strings.Compare(p.Fields[i].Name, p.Fields[j].Name) })
	for n, i := range order {
		if n > 0 {
			b = append(b, ',')
		}
		f := &p.Fields[i]
		b = appendString(b, f.Name)
		b = append(b, ':')
		if f.Pattern != nil {
			b = appendPattern(b, f.Pattern)
			continue
		}
		b = append(b, '[')
		for j, c := range f.Conditions {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendCondition(b, c)
		}
		b = append(b, ']')
	}
	if p.Or != nil {
		if len(p.Fields) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"$or":[`...)
		for i, br := range p.Or {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPattern(b, br)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendCondition(b []byte, c Condition) []byte {
	switch c.Op {
	case OpEquals:
		return appendValue(b, c.Value)
	case OpPrefix, OpSuffix:
		b = appendOpKey(b, c.Op)
		if c.IgnoreCase {
			b = append(b, `{"equals-ignore-case":`...)
			b = appendValue(b, c.Value)
			b = append(b, '}')
		} else {
			b = appendValue(b, c.Value)
		}
	case OpEqualsIgnoreCase, OpWildcard, OpCIDR:
		b = appendOpKey(b, c.Op)
		b = appendValue(b, c.Value)
	case OpExists:
		b = appendOpKey(b, c.Op)
		b = strconv.AppendBool(b, c.Exists)
	case OpNumeric:
		b = appendOpKey(b, c.Op)
		b = append(b, '[')
		for i, t := range c.Numeric {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, t.Op)
			b = append(b, ',')
			b = appendValue(b, t.Value)
		}
		b = append(b, ']')
	case OpAnythingBut:
		b = appendOpKey(b, c.Op)
		if c.Except != OpEquals {
			b = appendOpKey(b, c.Except)
		}
		if len(c.Values) == 1 {
			b = appendValue(b, c.Values[0])
		} else {
			b = append(b, '[')
			for i, v := range c.Values {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendValue(b, v)
			}
			b = append(b, ']')
		}
		if c.Except != OpEquals {
			b = append(b, '}')
		}
	}
	return append(b, '}')
}

// appendOpKey writes `{"op":`; the caller closes the object.
func appendOpKey(b []byte, op Op) []byte {
	b = append(b, '{')
	b = appendString(b, string(op))
	return append(b, ':')
}

func appendValue(b []byte, v Value) []byte {
	if v.kind == KindString {
		return appendString(b, v.text)
	}
	return append(b, v.text...)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string, escaping only what JSON requires:
// the quote, the backslash and control characters. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
