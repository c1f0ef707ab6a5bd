package eventbridge

import (
	"math"
	"strconv"
)

// ValueKind is the JSON type of a [Value].
type ValueKind uint8

// The kinds of JSON scalar a pattern can hold. The zero ValueKind marks an
// unset [Value], which [Pattern.Validate] rejects.
const (
	KindString ValueKind = iota + 1 // a JSON string
	KindNumber                      // a JSON number, kept as written
	KindBool                        // true or false
	KindNull                        // null
)

// String returns the JSON name of the kind ("string", "number", "boolean", "null").
func (k ValueKind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "boolean"
	case KindNull:
		return "null"
	}
	return "invalid"
}

// Value is a JSON scalar in a pattern: a string, a number, true, false or
// null. A number keeps its literal spelling ("300", "3.0e2"), because
// EventBridge compares exact numeric values by their string form: 300, 300.0
// and 3.0e2 are three different values to an exact match. Values are
// comparable with ==.
type Value struct {
	kind ValueKind
	text string // string contents, number literal, or "true" / "false" / "null"
}

// StringValue returns the JSON string s.
func StringValue(s string) Value { return Value{kind: KindString, text: s} }

// NumberValue returns a JSON number written exactly as literal (for example
// "300", "-1.5" or "3.018e2"). [Pattern.Validate] rejects a literal that is
// not a JSON number.
func NumberValue(literal string) Value { return Value{kind: KindNumber, text: literal} }

// IntValue returns the JSON number i, written in decimal.
func IntValue(i int64) Value { return Value{kind: KindNumber, text: strconv.FormatInt(i, 10)} }

// FloatValue returns the JSON number f, written as encoding/json writes a
// float64. NaN and infinities are not JSON numbers; [Pattern.Validate]
// rejects them.
func FloatValue(f float64) Value { return Value{kind: KindNumber, text: formatFloat(f)} }

// BoolValue returns the JSON literal true or false.
func BoolValue(b bool) Value {
	if b {
		return Value{kind: KindBool, text: "true"}
	}
	return Value{kind: KindBool, text: "false"}
}

// NullValue returns the JSON literal null.
func NullValue() Value { return Value{kind: KindNull, text: "null"} }

// Kind reports the JSON type of v; it is zero for an unset Value.
func (v Value) Kind() ValueKind { return v.kind }

// Text returns the contents of a string, the literal of a number, or
// "true", "false" or "null".
func (v Value) Text() string { return v.text }

// Float returns the value of a number. ok is false when v is not a finite
// JSON number.
func (v Value) Float() (f float64, ok bool) {
	if v.kind != KindNumber || !isJSONNumber(v.text) {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// String returns v as JSON.
func (v Value) String() string { return string(appendValue(nil, v)) }

// MarshalJSON returns v as JSON.
func (v Value) MarshalJSON() ([]byte, error) {
	if err := checkValue(v); err != nil {
		return nil, err
	}
	return appendValue(nil, v), nil
}

// formatFloat writes f the way encoding/json writes a float64, so that a
// number decoded into an any and matched with MatchValue has the same string
// form as the number json.Marshal would print.
func formatFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64) // "NaN", "+Inf": rejected by Validate
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b)
}

// isJSONNumber reports whether s is exactly one JSON number (RFC 8259 §6).
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	switch {
	case s[i] == '0':
		i++
	case s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}
