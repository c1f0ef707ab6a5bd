package ocsf

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// encoder writes JSON for the generated encodeJSON methods. Attributes are
// written in the order of the schema's names (alphabetical), then the extra
// attributes in input order.
type encoder struct {
	buf   []byte
	depth int
	err   error
}

// errTooDeep is reported when a value nests more deeply than any JSON
// document this package accepts (which only a cycle of pointers can do).
var errTooDeep = errors.New("ocsf: value nests too deeply (a pointer cycle?)")

func (e *encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// sep writes the comma before a member or element unless it is the first.
func (e *encoder) sep() {
	if n := len(e.buf); n > 0 {
		if c := e.buf[n-1]; c != '{' && c != '[' {
			e.buf = append(e.buf, ',')
		}
	}
}

// key writes a member name; k is the quoted name followed by a colon.
func (e *encoder) key(k string) {
	e.sep()
	e.buf = append(e.buf, k...)
}

func (e *encoder) open(c byte) bool {
	e.depth++
	if e.depth > maxDepth {
		e.fail(errTooDeep)
		return false
	}
	e.buf = append(e.buf, c)
	return true
}

func (e *encoder) close(c byte) {
	e.depth--
	e.buf = append(e.buf, c)
}

func (e *encoder) i64(v int64) { e.buf = strconv.AppendInt(e.buf, v, 10) }

func (e *encoder) boolean(v bool) { e.buf = strconv.AppendBool(e.buf, v) }

// f64 writes a float the way encoding/json does.
func (e *encoder) f64(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		e.fail(&json.UnsupportedValueError{Str: strconv.FormatFloat(v, 'g', -1, 64)})
		e.buf = append(e.buf, '0')
		return
	}
	format := byte('f')
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	e.buf = strconv.AppendFloat(e.buf, v, format, -1, 64)
	if format == 'e' {
		// Like encoding/json: 1e-07 becomes 1e-7.
		n := len(e.buf)
		if n >= 4 && e.buf[n-4] == 'e' && e.buf[n-3] == '-' && e.buf[n-2] == '0' {
			e.buf[n-2] = e.buf[n-1]
			e.buf = e.buf[:n-1]
		}
	}
}

const hexDigits = "0123456789abcdef"

// str writes a JSON string. Invalid UTF-8 becomes U+FFFD, as with
// encoding/json; HTML characters are not escaped.
func (e *encoder) str(s string) {
	b := append(e.buf, '"')
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
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	e.buf = append(b, '"')
}

// raw writes a json_t value or a kept attribute. A value set from Go that is
// not valid JSON fails the encoding.
func (e *encoder) raw(v json.RawMessage) {
	if !json.Valid(v) {
		e.fail(errors.New("ocsf: invalid raw JSON value"))
		e.buf = append(e.buf, "null"...)
		return
	}
	e.buf = append(e.buf, v...)
}

// extras writes the kept attributes, skipping any whose name is a field that
// was written (a typed value set after decoding wins over the kept one).
func (e *encoder) extras(x *extState, done *fieldSet, field func(string) int) {
	for _, a := range x.typed {
		if i := field(a.name); i >= 0 && done.has(i) {
			continue
		}
		e.sep()
		e.str(a.name)
		e.buf = append(e.buf, ':')
		e.raw(a.value)
	}
	for _, a := range x.extra {
		if i := field(a.name); i >= 0 && done.has(i) {
			continue
		}
		e.sep()
		e.str(a.name)
		e.buf = append(e.buf, ':')
		e.raw(a.value)
	}
}

// anyValue writes a value of an open map (unmapped).
func (e *encoder) anyValue(v any) {
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.str(v)
	case bool:
		e.boolean(v)
	case json.Number:
		if v == "" {
			e.buf = append(e.buf, '0')
		} else {
			e.raw(json.RawMessage(v))
		}
	case float64:
		e.f64(v)
	case int:
		e.i64(int64(v))
	case int64:
		e.i64(v)
	case map[string]any:
		e.openMap(v)
	case []any:
		if !e.open('[') {
			return
		}
		for _, el := range v {
			e.sep()
			e.anyValue(el)
		}
		e.close(']')
	default:
		b, err := json.Marshal(v)
		if err != nil {
			e.fail(err)
			e.buf = append(e.buf, "null"...)
			return
		}
		e.buf = append(e.buf, b...)
	}
}

// openMap writes an open map with sorted keys (as encoding/json does).
func (e *encoder) openMap(m map[string]any) {
	if !e.open('{') {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.sep()
		e.str(k)
		e.buf = append(e.buf, ':')
		e.anyValue(m[k])
	}
	e.close('}')
}

// encodable is implemented by pointers to the generated types.
type encodable interface {
	encodeJSON(e *encoder)
}

func (e *encoder) object(v encodable) {
	if e.depth >= maxDepth {
		e.fail(errTooDeep)
		e.buf = append(e.buf, "null"...)
		return
	}
	v.encodeJSON(e)
}

// objectSlice writes an array of generated objects.
func objectSlice[T any, P interface {
	*T
	encodable
}](e *encoder, s []T) {
	if !e.open('[') {
		return
	}
	for i := range s {
		e.sep()
		e.object(P(&s[i]))
	}
	e.close(']')
}

// scalarSlice writes an array of scalars with write.
func scalarSlice[T any](e *encoder, s []T, write func(*encoder, T)) {
	if !e.open('[') {
		return
	}
	for _, v := range s {
		e.sep()
		write(e, v)
	}
	e.close(']')
}

func writeString(e *encoder, v string)       { e.str(v) }
func writeInt64(e *encoder, v int64)         { e.i64(v) }
func writeFloat64(e *encoder, v float64)     { e.f64(v) }
func writeBool(e *encoder, v bool)           { e.boolean(v) }
func writeRaw(e *encoder, v json.RawMessage) { e.raw(v) }
func writeEnum32[T ~int32](e *encoder, v T)  { e.i64(int64(v)) }
func writeEnum64[T ~int64](e *encoder, v T)  { e.i64(int64(v)) }

// fieldState tracks, while one object is written, which fields were present
// with a zero value in the input (zero) and which have been written (done).
type fieldState struct {
	zero fieldSet
	done fieldSet
}

// The field writers below write one attribute of the object being encoded,
// if it is set: a scalar when it is not zero or was present with its zero
// value, anything else when it is not nil. i is the field index and k the
// quoted name with its colon.

func (e *encoder) fieldString(st *fieldState, i int, k string, v string) {
	if v != "" || st.zero.has(i) {
		e.key(k)
		e.str(v)
		st.done.set(i)
	}
}

func (e *encoder) fieldInt(st *fieldState, i int, k string, v int64) {
	if v != 0 || st.zero.has(i) {
		e.key(k)
		e.i64(v)
		st.done.set(i)
	}
}

func (e *encoder) fieldFloat(st *fieldState, i int, k string, v float64) {
	if v != 0 || st.zero.has(i) {
		e.key(k)
		e.f64(v)
		st.done.set(i)
	}
}

func (e *encoder) fieldBool(st *fieldState, i int, k string, v *bool) {
	if v != nil {
		e.key(k)
		e.boolean(*v)
		st.done.set(i)
	}
}

func (e *encoder) fieldRaw(st *fieldState, i int, k string, v json.RawMessage) {
	if len(v) > 0 {
		e.key(k)
		e.raw(v)
		st.done.set(i)
	}
}

func (e *encoder) fieldMap(st *fieldState, i int, k string, v map[string]any) {
	if v != nil {
		e.key(k)
		e.openMap(v)
		st.done.set(i)
	}
}

func fieldObject[P interface {
	comparable
	encodable
}](e *encoder, st *fieldState, i int, k string, v P) {
	var nilP P
	if v != nilP {
		e.key(k)
		e.object(v)
		st.done.set(i)
	}
}

func fieldObjects[T any, P interface {
	*T
	encodable
}](e *encoder, st *fieldState, i int, k string, v []T) {
	if v != nil {
		e.key(k)
		objectSlice[T, P](e, v)
		st.done.set(i)
	}
}

func fieldScalars[T any](e *encoder, st *fieldState, i int, k string, v []T, write func(*encoder, T)) {
	if v != nil {
		e.key(k)
		scalarSlice(e, v, write)
		st.done.set(i)
	}
}

// marshal encodes a generated value.
func marshal(v encodable) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 4096)}
	v.encodeJSON(&e)
	if e.err != nil {
		return nil, e.err
	}
	return e.buf, nil
}

// fillCaption returns the caption string to write beside an enum id when the
// value was built in Go (see [DetectionFinding.Normalize]): the caption of a
// known id, or the given string for Other (99) and for ids the schema does
// not define, with "Other" when it is empty.
func fillCaption(current, caption string, known bool, id int64) string {
	switch {
	case id == 99:
		if current == "" {
			return caption
		}
		return current
	case known:
		return caption
	}
	return current
}
