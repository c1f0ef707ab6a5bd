package eventbridge

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxEventDepth is the deepest nesting accepted in an event, the limit
// encoding/json applies.
const maxEventDepth = 10000

// An event is flattened once per match, against the trie of the paths the
// compiled rules use: every scalar at such a path becomes a leaf, every
// other part of the event is only checked for syntax. Arrays are "crushed"
// (a leaf's path ignores array positions), but each leaf remembers the
// array element it sits in, as a context, so that the matcher can enforce
// Event Ruler's array consistency.

// leaf is one scalar of the event at a path some rule uses.
type leaf struct {
	node int32 // trie node of the path
	ctx  int32 // innermost array element holding the leaf (0: none)
	val  leafValue
}

// arrayCtx is an element of an array that holds an object or an array.
// Elements holding a scalar need no context of their own: only one leaf
// lives there.
type arrayCtx struct {
	parent int32 // enclosing context
	arr    int32 // the array, numbered per event
	depth  int32 // number of enclosing contexts, the root being 0
}

// flat is an event flattened against a program.
type flat struct {
	prog    *program
	leaves  []leaf
	ctxs    []arrayCtx
	nextArr int32
	buf     []byte // scratch for decoding escaped keys
}

func (f *flat) reset(prog *program) {
	f.prog = prog
	f.leaves = f.leaves[:0]
	f.ctxs = append(f.ctxs[:0], arrayCtx{})
	f.nextArr = 0
}

func (f *flat) newCtx(parent, arr int32) int32 {
	f.ctxs = append(f.ctxs, arrayCtx{parent: parent, arr: arr, depth: f.ctxs[parent].depth + 1})
	return int32(len(f.ctxs) - 1)
}

func (f *flat) emit(node, ctx int32, kind ValueKind, text string) {
	f.leaves = append(f.leaves, leaf{node: node, ctx: ctx, val: leafValue{kind: kind, text: text}})
}

func (f *flat) leafy(node int32) bool { return node >= 0 && f.prog.nodes[node].leafy }

// child returns the trie node for key under node, or -1. A key containing
// dots walks one segment per dot, as EventBridge joins nested keys with dots.
func (f *flat) child(node int32, key []byte) int32 {
	for node >= 0 {
		i := bytes.IndexByte(key, '.')
		if i < 0 {
			if c, ok := f.prog.nodes[node].children[string(key)]; ok {
				return c
			}
			return -1
		}
		c, ok := f.prog.nodes[node].children[string(key[:i])]
		if !ok {
			return -1
		}
		node, key = c, key[i+1:]
	}
	return -1
}

// childString is child for a key held as a string.
func (f *flat) childString(node int32, key string) int32 {
	for node >= 0 {
		seg, rest, more := strings.Cut(key, ".")
		c, ok := f.prog.nodes[node].children[seg]
		if !ok {
			return -1
		}
		if !more {
			return c
		}
		node, key = c, rest
	}
	return -1
}

// toValidUTF8 replaces each byte of s that is not part of valid UTF-8 with
// U+FFFD, as json.Marshal does.
func toValidUTF8(s string) string {
	var b []byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, unicode.ReplacementChar)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// flattenJSON flattens an event given as JSON; the event must be an object.
func (f *flat) flattenJSON(data []byte) error {
	s := scanner{data: data, f: f}
	s.skipWS()
	node := int32(0)
	if s.pos >= len(data) || data[s.pos] != '{' {
		node = -1 // only check the syntax
	}
	if err := s.value(node, 0); err != nil {
		return err
	}
	s.skipWS()
	if s.pos != len(data) {
		return s.errorf("unexpected data after the top-level value")
	}
	if node < 0 {
		return fmt.Errorf("%w: the event is not a JSON object", ErrInvalidEvent)
	}
	return nil
}

// flattenFinding flattens a bare finding as the only element of
// detail.findings of a "Findings Imported V2" event from aws.securityhub.
func (f *flat) flattenFinding(data []byte) error {
	p := f.prog
	if f.leafy(p.sourceNode) {
		f.emit(p.sourceNode, 0, KindString, SourceSecurityHub)
	}
	if f.leafy(p.detailTypeNode) {
		f.emit(p.detailTypeNode, 0, KindString, DetailTypeFindingsImportedV2)
	}
	s := scanner{data: data, f: f}
	s.skipWS()
	isObject := s.pos < len(data) && data[s.pos] == '{'
	node, ctx := int32(-1), int32(0)
	if isObject && p.findingsNode >= 0 {
		node = p.findingsNode
		ctx = f.newCtx(0, f.nextArr)
		f.nextArr++
	}
	if err := s.value(node, ctx); err != nil {
		return err
	}
	s.skipWS()
	if s.pos != len(data) {
		return s.errorf("unexpected data after the top-level value")
	}
	if !isObject {
		return fmt.Errorf("%w: the finding is not a JSON object", ErrInvalidEvent)
	}
	return nil
}

// borrow returns b as a string without copying. The leaves of a match
// borrow the event's bytes: they live only while the match runs (the state
// is cleared before it returns to the pool), and the event is not modified
// meanwhile.
func borrow(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// scanner is a validating JSON reader that flattens as it goes. It accepts
// exactly what encoding/json accepts (invalid UTF-8 is replaced by U+FFFD,
// as there).
type scanner struct {
	data  []byte
	pos   int
	f     *flat
	depth int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %d", ErrInvalidEvent, fmt.Sprintf(format, args...), s.pos)
}

func (s *scanner) skipWS() {
	for {
		// Indentation comes in runs of spaces: skip them eight at a time.
		for s.pos+8 <= len(s.data) && binary.LittleEndian.Uint64(s.data[s.pos:]) == 0x2020202020202020 {
			s.pos += 8
		}
		if s.pos >= len(s.data) {
			return
		}
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// value reads one value; node is its trie node, or -1 when no rule looks
// at it (the value is then only checked).
func (s *scanner) value(node, ctx int32) error {
	if s.pos >= len(s.data) {
		return s.errorf("unexpected end of JSON input")
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(node, ctx)
	case c == '[':
		return s.array(node, ctx)
	case c == '"':
		raw, clean, err := s.str()
		if err != nil {
			return err
		}
		if s.f.leafy(node) {
			var text string
			if clean {
				text = borrow(raw)
			} else {
				text = string(appendUnquoted(nil, raw))
			}
			s.f.emit(node, ctx, KindString, text)
		}
	case c == '-' || ('0' <= c && c <= '9'):
		start := s.pos
		if err := s.number(); err != nil {
			return err
		}
		if s.f.leafy(node) {
			s.f.emit(node, ctx, KindNumber, borrow(s.data[start:s.pos]))
		}
	case c == 't':
		return s.literal("true", KindBool, node, ctx)
	case c == 'f':
		return s.literal("false", KindBool, node, ctx)
	case c == 'n':
		return s.literal("null", KindNull, node, ctx)
	default:
		return s.errorf("invalid character %q looking for the beginning of a value", c)
	}
	return nil
}

func (s *scanner) literal(lit string, kind ValueKind, node, ctx int32) error {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
		return s.errorf("invalid literal, expected %s", lit)
	}
	s.pos += len(lit)
	if s.f.leafy(node) {
		s.f.emit(node, ctx, kind, lit)
	}
	return nil
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > maxEventDepth {
		return s.errorf("exceeded max depth")
	}
	return nil
}

func (s *scanner) object(node, ctx int32) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // '{'
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.errorf("expected a string key")
		}
		raw, clean, err := s.str()
		if err != nil {
			return err
		}
		child := int32(-1)
		if node >= 0 {
			key := raw
			if !clean {
				s.f.buf = appendUnquoted(s.f.buf[:0], raw)
				key = s.f.buf
			}
			child = s.f.child(node, key)
		}
		s.skipWS()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.errorf("expected ':' after an object key")
		}
		s.pos++
		s.skipWS()
		if err := s.value(child, ctx); err != nil {
			return err
		}
		s.skipWS()
		if s.pos < len(s.data) && s.data[s.pos] == ',' {
			s.pos++
			s.skipWS()
			continue
		}
		if s.pos < len(s.data) && s.data[s.pos] == '}' {
			s.pos++
			s.depth--
			return nil
		}
		return s.errorf("expected ',' or '}' after an object value")
	}
}

func (s *scanner) array(node, ctx int32) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // '['
	s.skipWS()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		s.depth--
		return nil
	}
	arr := int32(-1)
	if node >= 0 {
		arr = s.f.nextArr
		s.f.nextArr++
	}
	for {
		elemCtx := ctx
		if node >= 0 && s.pos < len(s.data) && (s.data[s.pos] == '{' || s.data[s.pos] == '[') {
			elemCtx = s.f.newCtx(ctx, arr)
		}
		if err := s.value(node, elemCtx); err != nil {
			return err
		}
		s.skipWS()
		if s.pos < len(s.data) && s.data[s.pos] == ',' {
			s.pos++
			s.skipWS()
			continue
		}
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			s.depth--
			return nil
		}
		return s.errorf("expected ',' or ']' after an array element")
	}
}

// str reads a string whose opening quote is at s.pos and returns its raw
// contents. clean reports that the contents need no decoding (no escapes,
// valid UTF-8).
func (s *scanner) str() (raw []byte, clean bool, err error) {
	start := s.pos + 1
	escaped, high := false, false
	for i := start; i < len(s.data); {
		// Fast path: eight plain ASCII bytes at a time (no quote, no
		// backslash, no control character, no byte of a multi-byte rune).
		for i+8 <= len(s.data) {
			w := binary.LittleEndian.Uint64(s.data[i:])
			if hasZeroByte(w^(lsb*'"'))|hasZeroByte(w^(lsb*'\\'))|((w-lsb*0x20)&^w&msb)|(w&msb) != 0 {
				break
			}
			i += 8
		}
		if i >= len(s.data) {
			break
		}
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			raw = s.data[start:i]
			clean = !escaped && (!high || utf8.Valid(raw))
			return raw, clean, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(s.data) {
				s.pos = i
				return nil, false, s.errorf("unexpected end of JSON input in a string")
			}
			switch s.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s.data) || hex4(s.data[i+2:i+6]) < 0 {
					s.pos = i
					return nil, false, s.errorf("invalid \\u escape in a string")
				}
				i += 6
			default:
				s.pos = i
				return nil, false, s.errorf("invalid escape %q in a string", s.data[i+1])
			}
		case c < 0x20:
			s.pos = i
			return nil, false, s.errorf("invalid control character in a string")
		default:
			if c >= utf8.RuneSelf {
				high = true
			}
			i++
		}
	}
	s.pos = len(s.data)
	return nil, false, s.errorf("unexpected end of JSON input in a string")
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasZeroByte is non-zero when some byte of w is zero.
func hasZeroByte(w uint64) uint64 { return (w - lsb) & ^w & msb }

// number reads a JSON number starting at s.pos.
func (s *scanner) number() error {
	d := s.data
	i := s.pos
	if d[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		digits()
	default:
		s.pos = i
		return s.errorf("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if digits() == 0 {
			s.pos = i
			return s.errorf("invalid number: no digits after the decimal point")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			s.pos = i
			return s.errorf("invalid number: no digits in the exponent")
		}
	}
	s.pos = i
	return nil
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// appendUnquoted decodes the raw contents of a valid JSON string as
// encoding/json does: escapes resolved, invalid UTF-8 and unpaired
// surrogates replaced by U+FFFD.
func appendUnquoted(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			switch raw[i+1] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(raw[i+2:])
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						if r2 := hex4(raw[i+2:]); r2 >= 0 {
							if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
								dst = utf8.AppendRune(dst, dec)
								i += 6
								continue
							}
						}
					}
					r = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, raw[i+1])
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, unicode.ReplacementChar)
			} else {
				dst = append(dst, raw[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

// flattenValue flattens an event held as a Go value (the result of
// json.Unmarshal into an any, or anything json.Marshal accepts).
func (f *flat) flattenValue(v any) error {
	if _, ok := v.(map[string]any); ok {
		return f.walk(v, 0, 0, 0)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return f.flattenJSON(b)
}

func (f *flat) walk(v any, node, ctx int32, depth int) error {
	if node < 0 {
		return nil
	}
	if depth > maxEventDepth {
		return fmt.Errorf("%w: exceeded max depth (is the value cyclic?)", ErrInvalidEvent)
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if c := f.childString(node, k); c >= 0 {
				if err := f.walk(e, c, ctx, depth+1); err != nil {
					return err
				}
			}
		}
	case []any:
		if len(x) == 0 {
			return nil
		}
		arr := f.nextArr
		f.nextArr++
		for _, e := range x {
			elemCtx := ctx
			switch e.(type) {
			case map[string]any, []any:
				elemCtx = f.newCtx(ctx, arr)
			}
			if err := f.walk(e, node, elemCtx, depth+1); err != nil {
				return err
			}
		}
	case nil:
		f.scalar(node, ctx, KindNull, "null")
	case bool:
		f.scalar(node, ctx, KindBool, strconv.FormatBool(x))
	case string:
		if !utf8.ValidString(x) {
			x = toValidUTF8(x)
		}
		f.scalar(node, ctx, KindString, x)
	case json.Number:
		if !isJSONNumber(string(x)) {
			return fmt.Errorf("%w: invalid json.Number %q", ErrInvalidEvent, string(x))
		}
		f.scalar(node, ctx, KindNumber, string(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: unsupported number %v", ErrInvalidEvent, x)
		}
		f.scalar(node, ctx, KindNumber, formatFloat(x))
	case int:
		f.scalar(node, ctx, KindNumber, strconv.Itoa(x))
	case int64:
		f.scalar(node, ctx, KindNumber, strconv.FormatInt(x, 10))
	case int32:
		f.scalar(node, ctx, KindNumber, strconv.FormatInt(int64(x), 10))
	case uint64:
		f.scalar(node, ctx, KindNumber, strconv.FormatUint(x, 10))
	case json.RawMessage:
		return f.raw(x, node, ctx)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidEvent, err)
		}
		return f.raw(b, node, ctx)
	}
	return nil
}

func (f *flat) scalar(node, ctx int32, kind ValueKind, text string) {
	if f.leafy(node) {
		f.emit(node, ctx, kind, text)
	}
}

// raw flattens JSON text found inside a Go value.
func (f *flat) raw(b []byte, node, ctx int32) error {
	s := scanner{data: b, f: f}
	s.skipWS()
	if err := s.value(node, ctx); err != nil {
		return err
	}
	s.skipWS()
	if s.pos != len(b) {
		return s.errorf("unexpected data after a JSON value")
	}
	return nil
}
