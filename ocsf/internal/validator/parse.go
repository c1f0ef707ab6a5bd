package validator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits bound the resources one validation may use. Input beyond a limit is
// rejected with a single problem (code limit_size, limit_depth or
// limit_values) instead of being parsed further.
type Limits struct {
	// MaxBytes is the largest accepted input, in bytes.
	MaxBytes int
	// MaxDepth is the deepest accepted nesting of objects and arrays (the
	// finding object itself is depth 1).
	MaxDepth int
	// MaxValues is the largest accepted number of JSON values (objects,
	// arrays, strings, numbers, booleans and nulls, keys not counted).
	MaxValues int
}

// Default limits. A Security Hub finding is at most a few tens of kilobytes
// (an EventBridge event is limited to 256 KB) and rarely nests deeper than 15
// levels; these defaults leave ample room while keeping the memory one
// validation can use to a few tens of megabytes.
const (
	DefaultMaxBytes  = 1 << 20 // 1 MiB
	DefaultMaxDepth  = 64
	DefaultMaxValues = 100_000
)

// withDefaults returns l with zero fields replaced by the defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxValues <= 0 {
		l.MaxValues = DefaultMaxValues
	}
	return l
}

// parseError is a JSON syntax error or an exceeded limit, at a byte offset.
type parseError struct {
	code    string // CodeJSON, CodeLimitDepth, CodeLimitValues
	offset  int
	pointer string // where in the document parsing stopped
	msg     string
}

// Error describes the problem and where it is.
func (e *parseError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.offset) }

// kv is one member of an object being parsed.
type kv struct {
	key string
	val any
}

// parser is a single-pass JSON parser producing the value shapes
// encoding/json produces with UseNumber (map[string]any, []any, string,
// json.Number, bool, nil), enforcing Limits as it goes. Unlike encoding/json
// it sizes every map and slice exactly, takes the keys, strings and numbers
// without escapes as substrings of one copy of the input (src) instead of
// allocating each, and records duplicate keys. Because of src, a string of
// the parsed tree that outlives the validation must be cloned, or it keeps
// the whole input alive.
type parser struct {
	data   []byte
	src    string // data as one string
	pos    int
	depth  int
	values int
	lim    Limits
	stack  []kv
	items  []any
	dups   []dupKey
	path   []string
}

// dupKey records an object key that occurs more than once (the last value wins,
// as with encoding/json).
type dupKey struct {
	pointer string
}

func newParser(data []byte, lim Limits) *parser {
	return &parser{data: data, src: string(data), lim: lim}
}

// parse parses the whole input as one JSON value followed only by whitespace.
func (p *parser) parse() (any, error) {
	p.skipSpace()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return nil, p.syntax("unexpected data after the top-level value")
	}
	return v, nil
}

func (p *parser) syntax(msg string) error {
	return &parseError{code: CodeJSON, offset: p.pos, pointer: joinPointer(p.path), msg: "invalid JSON: " + msg}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) count() error {
	p.values++
	if p.values > p.lim.MaxValues {
		return &parseError{code: CodeLimitValues, offset: p.pos, pointer: joinPointer(p.path),
			msg: fmt.Sprintf("input has more than %d JSON values", p.lim.MaxValues)}
	}
	return nil
}

func (p *parser) value() (any, error) {
	if p.pos >= len(p.data) {
		return nil, p.syntax("unexpected end of input")
	}
	if err := p.count(); err != nil {
		return nil, err
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	default:
		return nil, p.syntax(fmt.Sprintf("unexpected character %q", c))
	}
}

func (p *parser) literal(word string) error {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return p.syntax("invalid literal")
	}
	p.pos += len(word)
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > p.lim.MaxDepth {
		return &parseError{code: CodeLimitDepth, offset: p.pos, pointer: joinPointer(p.path),
			msg: fmt.Sprintf("input nests objects and arrays deeper than %d levels", p.lim.MaxDepth)}
	}
	return nil
}

func (p *parser) object() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // '{'
	base := len(p.stack)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return map[string]any{}, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.syntax("expected a string object key")
		}
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.syntax("expected ':' after object key")
		}
		p.pos++
		p.skipSpace()
		p.path = append(p.path, key)
		v, err := p.value()
		p.path = p.path[:len(p.path)-1]
		if err != nil {
			return nil, err
		}
		p.stack = append(p.stack, kv{key, v})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.syntax("unexpected end of input in object")
		}
		if p.data[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.data[p.pos] == '}' {
			p.pos++
			break
		}
		return nil, p.syntax("expected ',' or '}' in object")
	}
	members := p.stack[base:]
	m := make(map[string]any, len(members))
	for _, e := range members {
		if _, dup := m[e.key]; dup {
			p.dups = append(p.dups, dupKey{pointer: joinPointer(append(p.path, e.key))})
		}
		m[e.key] = e.val
	}
	clear(members)
	p.stack = p.stack[:base]
	p.depth--
	return m, nil
}

func (p *parser) array() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // '['
	base := len(p.items)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return []any{}, nil
	}
	for {
		p.skipSpace()
		p.path = append(p.path, strconv.Itoa(len(p.items)-base))
		v, err := p.value()
		p.path = p.path[:len(p.path)-1]
		if err != nil {
			return nil, err
		}
		p.items = append(p.items, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.syntax("unexpected end of input in array")
		}
		if p.data[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.data[p.pos] == ']' {
			p.pos++
			break
		}
		return nil, p.syntax("expected ',' or ']' in array")
	}
	elems := p.items[base:]
	a := make([]any, len(elems))
	copy(a, elems)
	clear(elems)
	p.items = p.items[:base]
	p.depth--
	return a, nil
}

// key parses an object key.
func (p *parser) key() (string, error) {
	start := p.pos + 1
	end, simple := p.scanString(start)
	if end < 0 {
		return "", p.syntax("unterminated string")
	}
	if simple {
		p.pos = end + 1
		return p.src[start:end], nil
	}
	s, err := p.unescape(start, end)
	if err != nil {
		return "", err
	}
	p.pos = end + 1
	return s, nil
}

func (p *parser) str() (any, error) {
	s, err := p.key()
	if err != nil {
		return nil, err
	}
	return s, nil
}

// scanString finds the closing quote of a string whose content starts at
// start. simple reports that the content has no escapes, no control
// characters and is valid UTF-8, so it can be used as is.
func (p *parser) scanString(start int) (end int, simple bool) {
	simple = true
	ascii := true
	d := p.data
	for i := start; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"':
			if simple && !ascii && !utf8.Valid(d[start:i]) {
				simple = false
			}
			return i, simple
		case c == '\\':
			simple = false
			i++ // skip the escaped character (validated by unescape)
		case c < 0x20:
			simple = false
		case c >= 0x80:
			ascii = false
		}
	}
	return -1, false
}

// unescape decodes the string content data[start:end], which has escapes,
// control characters or invalid UTF-8. Like encoding/json it replaces invalid
// UTF-8 and unpaired surrogates with U+FFFD; control characters are an error.
func (p *parser) unescape(start, end int) (string, error) {
	d := p.data[start:end]
	b := make([]byte, 0, len(d))
	for i := 0; i < len(d); {
		c := d[i]
		switch {
		case c == '\\':
			if i+1 >= len(d) {
				p.pos = start + i
				return "", p.syntax("invalid escape")
			}
			switch e := d[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
				i += 2
			case 'b':
				b = append(b, '\b')
				i += 2
			case 'f':
				b = append(b, '\f')
				i += 2
			case 'n':
				b = append(b, '\n')
				i += 2
			case 'r':
				b = append(b, '\r')
				i += 2
			case 't':
				b = append(b, '\t')
				i += 2
			case 'u':
				r, ok := hex4(d, i+2)
				if !ok {
					p.pos = start + i
					return "", p.syntax("invalid \\u escape")
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok := rune(-1), false
					if i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
						r2, ok = hex4(d, i+2)
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				p.pos = start + i
				return "", p.syntax(fmt.Sprintf("invalid escape character %q", e))
			}
		case c < 0x20:
			p.pos = start + i
			return "", p.syntax("control character in string")
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, d[i:i+size]...)
			}
			i += size
		}
	}
	return string(b), nil
}

func hex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number parses a JSON number (RFC 8259 grammar) into a json.Number.
func (p *parser) number() (any, error) {
	d := p.data
	start := p.pos
	i := p.pos
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		return nil, p.syntax("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			p.pos = i
			return nil, p.syntax("invalid number")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			p.pos = i
			return nil, p.syntax("invalid number")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	p.pos = i
	return json.Number(p.src[start:i]), nil
}
