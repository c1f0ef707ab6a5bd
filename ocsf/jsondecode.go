package ocsf

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// This file is the single-pass JSON reader behind every generated
// decodeJSON method. It reads the input once: a value of the expected JSON
// type goes into its typed field; anything else (an attribute the schema does
// not define, a null, a value of the wrong JSON type, an integer that does not
// fit) is copied verbatim into the owning object's extra attributes, so that
// re-encoding reproduces it. Only malformed JSON is an error.

// maxDepth is the nesting limit; it is the same as encoding/json's, so the two
// agree on which inputs are valid.
const maxDepth = 10000

// maxTypedBytes bounds the memory the generated structs of one decoded
// document may take. Typed values are much larger than their JSON (an empty
// "{}" in resources[] becomes a whole ResourceDetails), so without a bound a
// megabyte of small objects would cost gigabytes. 16 MiB is many times
// what a real finding needs (a typical 7 KB finding takes well under 1 MiB;
// a thousand resources take under 1 MiB).
const maxTypedBytes = 16 << 20

// decoder reads one JSON document held in memory.
type decoder struct {
	data  []byte
	pos   int
	depth int
	typed int // bytes of generated structs allocated so far (see maxTypedBytes)
}

// charge accounts for n more bytes of typed values, failing with ErrTooLarge
// once the document needs more than maxTypedBytes.
func (d *decoder) charge(n uintptr) error {
	d.typed += int(n)
	if d.typed > maxTypedBytes {
		return ErrTooLarge
	}
	return nil
}

// syntaxError is a malformed-input error found by decoder. It is converted to
// the standard library's *json.SyntaxError at the API boundary (see
// newDecodeError), so callers can use errors.As with the familiar type.
type syntaxError struct {
	msg string
	off int
}

// Error returns the message and offset.
func (e *syntaxError) Error() string { return e.msg + " at offset " + strconv.Itoa(e.off) }

// pathError carries the JSON pointer of the value that failed. Tokens are
// appended while the error travels up, so they are stored innermost first.
type pathError struct {
	tokens []string
	err    error
}

// Error returns the message of the underlying error.
func (e *pathError) Error() string { return e.err.Error() }

// inKey records that err happened inside the member named key.
func inKey(err error, key []byte) error { return inToken(err, string(key)) }

// inIndex records that err happened inside array element i.
func inIndex(err error, i int) error { return inToken(err, strconv.Itoa(i)) }

func inToken(err error, tok string) error {
	if pe, ok := err.(*pathError); ok {
		pe.tokens = append(pe.tokens, tok)
		return pe
	}
	return &pathError{tokens: []string{tok}, err: err}
}

func (d *decoder) errorf(msg string) error { return &syntaxError{msg: msg, off: d.pos} }

func (d *decoder) unexpected(context string) error {
	if d.pos >= len(d.data) {
		return d.errorf("unexpected end of JSON input")
	}
	return d.errorf("invalid character " + strconv.QuoteRune(rune(d.data[d.pos])) + " " + context)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) && isSpace(d.data[d.pos]) {
		d.pos++
	}
}

// peek skips white space and returns the next byte, or 0 at the end.
func (d *decoder) peek() byte {
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// end checks that nothing but white space follows the top-level value.
func (d *decoder) end() error {
	if d.peek() != 0 || d.pos < len(d.data) {
		return d.unexpected("after top-level value")
	}
	return nil
}

func (d *decoder) push() error {
	d.depth++
	if d.depth > maxDepth {
		return d.errorf("exceeded max depth")
	}
	return nil
}

// openObject consumes '{' (the caller has seen it) and reports whether the
// object has members.
func (d *decoder) openObject() (bool, error) {
	if err := d.push(); err != nil {
		return false, err
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		d.depth--
		return false, nil
	}
	return true, nil
}

// key reads a member name and the colon after it. The returned bytes alias
// the input unless the name contains escapes.
func (d *decoder) key() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.unexpected("looking for beginning of object key string")
	}
	k, err := d.stringBytes()
	if err != nil {
		return nil, err
	}
	if d.peek() != ':' {
		return nil, d.unexpected("after object key")
	}
	d.pos++
	return k, nil
}

// nextMember consumes the ',' or '}' after a member value.
func (d *decoder) nextMember() (bool, error) {
	switch d.peek() {
	case ',':
		d.pos++
		return true, nil
	case '}':
		d.pos++
		d.depth--
		return false, nil
	}
	return false, d.unexpected("after object key:value pair")
}

// openArray consumes '[' (the caller has seen it) and reports whether the
// array has elements.
func (d *decoder) openArray() (bool, error) {
	if err := d.push(); err != nil {
		return false, err
	}
	d.pos++
	if d.peek() == ']' {
		d.pos++
		d.depth--
		return false, nil
	}
	return true, nil
}

// nextElement consumes the ',' or ']' after an array element.
func (d *decoder) nextElement() (bool, error) {
	switch d.peek() {
	case ',':
		d.pos++
		return true, nil
	case ']':
		d.pos++
		d.depth--
		return false, nil
	}
	return false, d.unexpected("after array element")
}

// scanString checks the string starting at d.pos (a '"') and moves past it.
// It returns the offsets of the content and whether the content is plain:
// no escapes and valid UTF-8, so that it can be used byte for byte.
func (d *decoder) scanString() (start, end int, plain bool, err error) {
	d.pos++
	start = d.pos
	data := d.data
	plain = true
	ascii := true
	for i := d.pos; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			if plain && !ascii && !utf8.Valid(data[start:i]) {
				plain = false
			}
			return start, i, plain, nil
		case c == '\\':
			plain = false
			i++
			if i >= len(data) {
				d.pos = i
				return 0, 0, false, d.unexpected("in string literal")
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for j := 1; j <= 4; j++ {
					if i+j >= len(data) || !isHex(data[i+j]) {
						d.pos = i + j
						return 0, 0, false, d.unexpected("in \\u hexadecimal character escape")
					}
				}
				i += 4
			default:
				d.pos = i
				return 0, 0, false, d.unexpected("in string escape code")
			}
		case c < 0x20:
			d.pos = i
			return 0, 0, false, d.unexpected("in string literal")
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	d.pos = len(data)
	return 0, 0, false, d.unexpected("in string literal")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// stringBytes reads a string and returns its content. The bytes alias the
// input when the string is plain.
func (d *decoder) stringBytes() ([]byte, error) {
	q := d.pos
	start, end, plain, err := d.scanString()
	if err != nil {
		return nil, err
	}
	if plain {
		return d.data[start:end], nil
	}
	return unquoteSlow(d.data[q : end+1])
}

// readString reads a string value.
func (d *decoder) readString() (string, error) {
	q := d.pos
	start, end, plain, err := d.scanString()
	if err != nil {
		return "", err
	}
	if plain {
		return string(d.data[start:end]), nil
	}
	b, err := unquoteSlow(d.data[q : end+1])
	return string(b), err
}

// unquoteSlow decodes a checked string literal that has escapes or invalid
// UTF-8, with exactly encoding/json's rules (invalid UTF-8 and lone
// surrogates become U+FFFD).
func unquoteSlow(lit []byte) ([]byte, error) {
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// scanNumber checks the number at d.pos and moves past it. integer is true
// when it has neither a fraction nor an exponent.
func (d *decoder) scanNumber() (tok []byte, integer bool, err error) {
	data := d.data
	start := d.pos
	i := start
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	default:
		d.pos = i
		return nil, false, d.unexpected("in numeric literal")
	}
	integer = true
	if i < len(data) && data[i] == '.' {
		integer = false
		i++
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			d.pos = i
			return nil, false, d.unexpected("after decimal point in numeric literal")
		}
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		integer = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			d.pos = i
			return nil, false, d.unexpected("in exponent of numeric literal")
		}
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	}
	d.pos = i
	return data[start:i], integer, nil
}

// literal consumes true, false or null.
func (d *decoder) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if d.pos >= len(d.data) || d.data[d.pos] != word[i] {
			return d.unexpected("in literal " + word + " (expecting " + strconv.QuoteRune(rune(word[i])) + ")")
		}
		d.pos++
	}
	return nil
}

// skipValue checks and skips one value of any type.
func (d *decoder) skipValue() error {
	switch c := d.peek(); {
	case c == '{':
		more, err := d.openObject()
		for more && err == nil {
			var k []byte
			if k, err = d.key(); err != nil {
				return err
			}
			if err = d.skipValue(); err != nil {
				return inKey(err, k)
			}
			more, err = d.nextMember()
		}
		return err
	case c == '[':
		more, err := d.openArray()
		for i := 0; more && err == nil; i++ {
			if err = d.skipValue(); err != nil {
				return inIndex(err, i)
			}
			more, err = d.nextElement()
		}
		return err
	case c == '"':
		_, _, _, err := d.scanString()
		return err
	case c == '-' || '0' <= c && c <= '9':
		_, _, err := d.scanNumber()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	}
	return d.unexpected("looking for beginning of value")
}

// rawValue checks and skips one value and returns a copy of its bytes.
func (d *decoder) rawValue() (json.RawMessage, error) {
	start := d.peekPos()
	if err := d.skipValue(); err != nil {
		return nil, err
	}
	return append(json.RawMessage(nil), d.data[start:d.pos]...), nil
}

func (d *decoder) peekPos() int {
	d.skipSpace()
	return d.pos
}

// keep stores the next value, verbatim, as an extra attribute of x.
func (d *decoder) keep(x *extState, key []byte) error {
	raw, err := d.rawValue()
	if err != nil {
		return err
	}
	x.extra = append(x.extra, rawAttr{name: string(key), value: raw})
	return nil
}

// keepField is keep for a value of the wrong JSON type (or null) for field
// i. Such values are held apart from the undefined attributes, one per
// field, so that a later typed value of the same name replaces it cheaply.
func (d *decoder) keepField(x *extState, key []byte, i int) error {
	raw, err := d.rawValue()
	if err != nil {
		return err
	}
	x.dropTyped(key, i)
	x.kept.set(i)
	x.typed = append(x.typed, rawAttr{name: string(key), value: raw})
	return nil
}

// known records that a typed field named key was read: an earlier value of
// the same name that was kept verbatim is dropped, so that, as with
// encoding/json, the last occurrence of a repeated name wins.
func (x *extState) known(key []byte, i int) { x.dropTyped(key, i) }

func (x *extState) dropTyped(key []byte, i int) {
	if !x.kept.has(i) {
		return
	}
	x.kept.clear(i)
	for j, a := range x.typed {
		if a.name == string(key) {
			x.typed = append(x.typed[:j], x.typed[j+1:]...)
			return
		}
	}
}

// abandonArray keeps an array whose typed decoding stopped at element n
// (of the wrong JSON type): it skips that element and the rest, then keeps
// the whole array from start. The elements before n are not read again, so
// nested arrays cost linear time.
func (d *decoder) abandonArray(x *extState, key []byte, i, start, n int) error {
	for more := true; more; n++ {
		if err := d.skipValue(); err != nil {
			return inIndex(err, n)
		}
		var err error
		if more, err = d.nextElement(); err != nil {
			return err
		}
	}
	raw := append(json.RawMessage(nil), d.data[start:d.pos]...)
	x.dropTyped(key, i)
	x.kept.set(i)
	x.typed = append(x.typed, rawAttr{name: string(key), value: raw})
	return nil
}

// rewindKeep keeps, verbatim, a value that was read but cannot be used (a
// time that does not parse): it goes back to start and keeps the value.
func (d *decoder) rewindKeep(x *extState, key []byte, i, start, depth int) error {
	d.pos, d.depth = start, depth
	return d.keepField(x, key, i)
}

// parseInt converts an integer token, reporting false on overflow.
func parseInt(tok []byte) (int64, bool) {
	neg := tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	if len(tok) > 19 { // 19 digits always fit in a uint64
		return 0, false
	}
	var u uint64
	for _, c := range tok {
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// The field readers below share one contract: dst is the typed field, x the
// owner's state, i the field's index and key the member name. A value of another JSON type is kept as an extra
// attribute instead, and dst is left as it was.

func (d *decoder) str(dst *string, x *extState, i int, key []byte) error {
	if d.peek() != '"' {
		*dst = ""
		x.zero.clear(i)
		return d.keepField(x, key, i)
	}
	s, err := d.readString()
	if err != nil {
		return err
	}
	*dst = s
	x.known(key, i)
	if s == "" {
		x.zero.set(i)
	}
	return nil
}

// intToken reads a number that must be an integer within [lo, hi]; ok is
// false (and nothing is consumed) when the next value is anything else.
func (d *decoder) intToken(lo, hi int64) (v int64, ok bool, err error) {
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, false, nil
	}
	start := d.pos
	tok, integer, err := d.scanNumber()
	if err != nil {
		return 0, false, err
	}
	if integer {
		if v, ok = parseInt(tok); ok && v >= lo && v <= hi {
			return v, true, nil
		}
	}
	d.pos = start
	return 0, false, nil
}

func (d *decoder) i64(dst *int64, x *extState, i int, key []byte) error {
	v, ok, err := d.intToken(-1<<63, 1<<63-1)
	if err != nil {
		return err
	}
	if !ok {
		*dst = 0
		x.zero.clear(i)
		return d.keepField(x, key, i)
	}
	*dst = v
	x.known(key, i)
	if v == 0 {
		x.zero.set(i)
	}
	return nil
}

func (d *decoder) i32(dst *int32, x *extState, i int, key []byte) error {
	v, ok, err := d.intToken(-1<<31, 1<<31-1)
	if err != nil {
		return err
	}
	if !ok {
		*dst = 0
		x.zero.clear(i)
		return d.keepField(x, key, i)
	}
	*dst = int32(v)
	x.known(key, i)
	if v == 0 {
		x.zero.set(i)
	}
	return nil
}

// floatToken reads any number as a float64; ok is false when the next value
// is not a number or is out of range.
func (d *decoder) floatToken() (v float64, ok bool, err error) {
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, false, nil
	}
	start := d.pos
	tok, integer, err := d.scanNumber()
	if err != nil {
		return 0, false, err
	}
	if integer && len(tok) < 16 && tok[0] != '-' {
		n, _ := parseInt(tok) // exact: below 2^53
		return float64(n), true, nil
	}
	f, perr := strconv.ParseFloat(string(tok), 64)
	if perr != nil {
		d.pos = start
		return 0, false, nil
	}
	return f, true, nil
}

func (d *decoder) f64(dst *float64, x *extState, i int, key []byte) error {
	v, ok, err := d.floatToken()
	if err != nil {
		return err
	}
	if !ok {
		*dst = 0
		x.zero.clear(i)
		return d.keepField(x, key, i)
	}
	*dst = v
	x.known(key, i)
	if v == 0 {
		x.zero.set(i)
	}
	return nil
}

func (d *decoder) boolp(dst **bool, x *extState, i int, key []byte) error {
	var v bool
	switch d.peek() {
	case 't':
		if err := d.literal("true"); err != nil {
			return err
		}
		v = true
	case 'f':
		if err := d.literal("false"); err != nil {
			return err
		}
	default:
		*dst = nil
		return d.keepField(x, key, i)
	}
	*dst = &v
	x.known(key, i)
	return nil
}

// raw reads a json_t value: any JSON value, null included, kept verbatim.
func (d *decoder) raw(dst *json.RawMessage, x *extState, i int, key []byte) error {
	v, err := d.rawValue()
	if err != nil {
		return err
	}
	*dst = v
	x.known(key, i)
	return nil
}

// openMap reads an OCSF "object" (the open map used by unmapped).
func (d *decoder) openMap(dst *map[string]any, x *extState, i int, key []byte) error {
	if d.peek() != '{' {
		*dst = nil
		return d.keepField(x, key, i)
	}
	v, err := d.anyValue()
	if err != nil {
		return err
	}
	*dst = v.(map[string]any)
	x.known(key, i)
	return nil
}

// anyValue reads any value into the types encoding/json uses for an
// interface{}, except that numbers are json.Number so that nothing is
// rounded.
func (d *decoder) anyValue() (any, error) {
	switch c := d.peek(); {
	case c == '{':
		m := map[string]any{}
		more, err := d.openObject()
		for more && err == nil {
			var k []byte
			if k, err = d.key(); err != nil {
				return nil, err
			}
			var v any
			if v, err = d.anyValue(); err != nil {
				return nil, inKey(err, k)
			}
			m[string(k)] = v
			more, err = d.nextMember()
		}
		return m, err
	case c == '[':
		a := []any{}
		more, err := d.openArray()
		for more && err == nil {
			var v any
			if v, err = d.anyValue(); err != nil {
				return nil, inIndex(err, len(a))
			}
			a = append(a, v)
			more, err = d.nextElement()
		}
		return a, err
	case c == '"':
		return d.readString()
	case c == '-' || '0' <= c && c <= '9':
		tok, _, err := d.scanNumber()
		return json.Number(tok), err
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, d.unexpected("looking for beginning of value")
}

// decodable is implemented by pointers to the generated types.
type decodable[T any] interface {
	*T
	decodeJSON(d *decoder) error
}

// object reads a nested object attribute into a newly allocated value.
func object[T any, P decodable[T]](d *decoder, dst **T, x *extState, i int, key []byte) error {
	if d.peek() != '{' {
		*dst = nil
		return d.keepField(x, key, i)
	}
	v := new(T)
	if err := d.charge(unsafe.Sizeof(*v)); err != nil {
		return err
	}
	if err := P(v).decodeJSON(d); err != nil {
		return err
	}
	*dst = v
	x.known(key, i)
	return nil
}

// objects reads an array of objects. If an element is not an object the
// whole array is kept as an extra attribute.
func objects[T any, P decodable[T]](d *decoder, dst *[]T, x *extState, i int, key []byte) error {
	if d.peek() != '[' {
		*dst = nil
		return d.keepField(x, key, i)
	}
	start := d.pos
	more, err := d.openArray()
	out := []T{}
	for more && err == nil {
		if d.peek() != '{' {
			*dst = nil
			return d.abandonArray(x, key, i, start, len(out))
		}
		if err = d.charge(unsafe.Sizeof(*new(T))); err != nil {
			return inIndex(err, len(out))
		}
		out = append(out, *new(T))
		if err = P(&out[len(out)-1]).decodeJSON(d); err != nil {
			return inIndex(err, len(out)-1)
		}
		more, err = d.nextElement()
	}
	if err != nil {
		return err
	}
	*dst = out
	x.known(key, i)
	return nil
}

// scalars reads an array of scalars with read, which reports ok=false for an
// element of the wrong type; the whole array is then kept as an extra
// attribute.
func scalars[T any](d *decoder, dst *[]T, x *extState, i int, key []byte, read func(*decoder) (T, bool, error)) error {
	if d.peek() != '[' {
		*dst = nil
		return d.keepField(x, key, i)
	}
	start := d.pos
	more, err := d.openArray()
	out := []T{}
	for more && err == nil {
		v, ok, rerr := read(d)
		if rerr != nil {
			return inIndex(rerr, len(out))
		}
		if !ok {
			*dst = nil
			return d.abandonArray(x, key, i, start, len(out))
		}
		out = append(out, v)
		more, err = d.nextElement()
	}
	if err != nil {
		return err
	}
	*dst = out
	x.known(key, i)
	return nil
}

func readString(d *decoder) (string, bool, error) {
	if d.peek() != '"' {
		return "", false, nil
	}
	s, err := d.readString()
	return s, err == nil, err
}

func readInt64(d *decoder) (int64, bool, error) { return d.intToken(-1<<63, 1<<63-1) }

func readFloat64(d *decoder) (float64, bool, error) { return d.floatToken() }

func readBool(d *decoder) (bool, bool, error) {
	switch d.peek() {
	case 't':
		return true, true, d.literal("true")
	case 'f':
		return false, true, d.literal("false")
	}
	return false, false, nil
}

func readRaw(d *decoder) (json.RawMessage, bool, error) {
	v, err := d.rawValue()
	return v, err == nil, err
}

// readEnum32 returns the reader for an array of an int32-based enum.
func readEnum32[T ~int32](d *decoder) (T, bool, error) {
	v, ok, err := d.intToken(-1<<31, 1<<31-1)
	return T(v), ok, err
}

// readEnum64 returns the reader for an array of an int64-based enum.
func readEnum64[T ~int64](d *decoder) (T, bool, error) {
	v, ok, err := d.intToken(-1<<63, 1<<63-1)
	return T(v), ok, err
}
