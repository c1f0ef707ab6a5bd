package eventbridge

import (
	"bytes"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// predicate is a compiled condition, tested against one leaf value of an
// event. exists:false is not a predicate: absence is decided per field.
type predicate struct {
	op         Op
	kind       ValueKind // OpEquals: the kind of the value
	text       string    // OpEquals, OpPrefix, OpSuffix, OpEqualsIgnoreCase
	ignoreCase bool
	ip         *ipRange  // OpCIDR; OpEquals of an IP address literal
	wild       *wildcard // OpWildcard
	// OpNumeric: lo < x < hi, with inclusive ends as flagged; ±Inf when open.
	lo, hi         float64
	loIncl, hiIncl bool
	// OpAnythingBut
	except Op
	strs   []string
	nums   []float64
	wilds  []*wildcard
}

// leafValue is one scalar of an event.
type leafValue struct {
	kind ValueKind
	text string // string contents, number literal, "true", "false", "null"
}

func compilePredicate(c Condition) predicate {
	pr := predicate{op: c.Op}
	switch c.Op {
	case OpEquals:
		pr.kind, pr.text = c.Value.kind, c.Value.text
		if pr.kind == KindString && looksLikeIP(pr.text) {
			if a, err := netip.ParseAddr(pr.text); err == nil && a.Zone() == "" {
				b := addrBytes(a)
				pr.ip = &ipRange{lo: b, hi: b}
			}
		}
	case OpPrefix, OpSuffix:
		pr.text, pr.ignoreCase = c.Value.text, c.IgnoreCase
	case OpEqualsIgnoreCase:
		pr.text = c.Value.text
	case OpWildcard:
		pr.wild, _ = parseWildcard(c.Value.text)
	case OpCIDR:
		pr.ip, _ = parseCIDR(c.Value.text)
	case OpNumeric:
		pr.lo, pr.hi = math.Inf(-1), math.Inf(1)
		for _, t := range c.Numeric {
			f, _ := t.Value.Float()
			switch t.Op {
			case "=":
				pr.lo, pr.hi, pr.loIncl, pr.hiIncl = f, f, true, true
			case ">":
				pr.lo, pr.loIncl = f, false
			case ">=":
				pr.lo, pr.loIncl = f, true
			case "<":
				pr.hi, pr.hiIncl = f, false
			case "<=":
				pr.hi, pr.hiIncl = f, true
			}
		}
	case OpAnythingBut:
		pr.except = c.Except
		for _, v := range c.Values {
			switch {
			case v.kind == KindNumber:
				f, _ := v.Float()
				pr.nums = append(pr.nums, f)
			case c.Except == OpWildcard:
				w, _ := parseWildcard(v.text)
				pr.wilds = append(pr.wilds, w)
			default:
				pr.strs = append(pr.strs, v.text)
			}
		}
	}
	return pr
}

// match reports whether the leaf v satisfies the predicate.
func (pr *predicate) match(v leafValue) bool {
	switch pr.op {
	case OpEquals:
		if v.kind != pr.kind {
			return false
		}
		if v.text == pr.text {
			return true
		}
		// Event Ruler matches an IP address literal by address, so
		// "2001:DB8::1" and "2001:db8::1" are the same value.
		return pr.ip != nil && pr.ip.containsString(v.text)
	case OpPrefix:
		if v.kind != KindString {
			return false
		}
		if pr.ignoreCase {
			return hasPrefixFold(v.text, pr.text)
		}
		return strings.HasPrefix(v.text, pr.text)
	case OpSuffix:
		if v.kind != KindString {
			return false
		}
		if pr.ignoreCase {
			return hasSuffixFold(v.text, pr.text)
		}
		return strings.HasSuffix(v.text, pr.text)
	case OpEqualsIgnoreCase:
		return v.kind == KindString && strings.EqualFold(v.text, pr.text)
	case OpWildcard:
		return v.kind == KindString && pr.wild.match(v.text)
	case OpCIDR:
		return v.kind == KindString && pr.ip.containsString(v.text)
	case OpNumeric:
		if v.kind != KindNumber {
			return false
		}
		f, ok := parseEventNumber(v.text)
		if !ok {
			return false
		}
		if f < pr.lo || (f == pr.lo && !pr.loIncl) {
			return false
		}
		return f < pr.hi || (f == pr.hi && pr.hiIncl)
	case OpExists:
		return true
	case OpAnythingBut:
		return !pr.excluded(v)
	}
	return false
}

// excluded reports whether anything-but's negated test holds for v. Values
// of another type are never excluded: anything-but "x" matches a number.
func (pr *predicate) excluded(v leafValue) bool {
	if pr.nums != nil {
		if v.kind != KindNumber {
			return false
		}
		f, ok := parseEventNumber(v.text)
		if !ok {
			return false
		}
		for _, n := range pr.nums {
			if f == n {
				return true
			}
		}
		return false
	}
	if v.kind != KindString {
		return false
	}
	switch pr.except {
	case OpEquals:
		for _, s := range pr.strs {
			if v.text == s {
				return true
			}
		}
	case OpPrefix:
		for _, s := range pr.strs {
			if strings.HasPrefix(v.text, s) {
				return true
			}
		}
	case OpSuffix:
		for _, s := range pr.strs {
			if strings.HasSuffix(v.text, s) {
				return true
			}
		}
	case OpEqualsIgnoreCase:
		for _, s := range pr.strs {
			if strings.EqualFold(v.text, s) {
				return true
			}
		}
	case OpWildcard:
		for _, w := range pr.wilds {
			if w.match(v.text) {
				return true
			}
		}
	}
	return false
}

// parseEventNumber returns the value of a JSON number of an event; numbers
// beyond float64 (±Inf) match no numeric comparison.
func parseEventNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// equalFoldRune reports whether a and b are equal under simple Unicode case
// folding, the folding strings.EqualFold uses.
func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// hasPrefixFold is strings.HasPrefix under case folding, rune by rune (the
// byte lengths of folded runes can differ).
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		r1, n1 := utf8.DecodeRuneInString(s)
		r2, n2 := utf8.DecodeRuneInString(prefix)
		if !equalFoldRune(r1, r2) {
			return false
		}
		s, prefix = s[n1:], prefix[n2:]
	}
	return true
}

// hasSuffixFold is strings.HasSuffix under case folding.
func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		r1, n1 := utf8.DecodeLastRuneInString(s)
		r2, n2 := utf8.DecodeLastRuneInString(suffix)
		if !equalFoldRune(r1, r2) {
			return false
		}
		s, suffix = s[:len(s)-n1], suffix[:len(suffix)-n2]
	}
	return true
}

// wildcard is a compiled wildcard pattern: literal segments separated by
// stars. A pattern without a star has one segment.
type wildcard struct {
	segs []string
}

// parseWildcard compiles a wildcard pattern, or returns why EventBridge
// rejects it: consecutive unescaped stars, or a backslash escaping anything
// but a star or a backslash.
func parseWildcard(s string) (*wildcard, string) {
	w := &wildcard{}
	var cur []byte
	prevStar := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, `a backslash may only escape "*" or "\"`
			}
			i++
			cur = append(cur, s[i])
			prevStar = false
		case '*':
			if prevStar {
				return nil, "consecutive wildcard characters are not allowed"
			}
			w.segs = append(w.segs, string(cur))
			cur = cur[:0]
			prevStar = true
		default:
			cur = append(cur, c)
			prevStar = false
		}
	}
	w.segs = append(w.segs, string(cur))
	return w, ""
}

// match reports whether s matches the whole wildcard pattern. Stars match
// any run of bytes, so taking each middle segment at its leftmost
// occurrence is enough.
func (w *wildcard) match(s string) bool {
	n := len(w.segs)
	if n == 1 {
		return s == w.segs[0]
	}
	first, last := w.segs[0], w.segs[n-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, seg := range w.segs[1 : n-1] {
		i := strings.Index(s, seg)
		if i < 0 {
			return false
		}
		s = s[i+len(seg):]
	}
	return true
}

// ipRange is an inclusive range of addresses of one family, as Event Ruler
// compiles a CIDR block: from the address as written to that address with
// all host bits set.
type ipRange struct {
	lo, hi []byte // 4 or 16 bytes
}

// parseCIDR compiles a "cidr" operand, or returns why Event Ruler rejects it.
func parseCIDR(s string) (*ipRange, string) {
	addr, bits, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(bits, "/") {
		return nil, `malformed CIDR block: expected "address/mask bits", such as "10.0.0.0/24"`
	}
	n, err := strconv.Atoi(bits)
	if err != nil || n < 0 || bits[0] == '+' || bits[0] == '-' {
		return nil, "malformed CIDR block: mask bits must be a non-negative integer"
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return nil, "malformed CIDR block: invalid IP address " + strconv.Quote(addr)
	}
	a = a.Unmap()
	lo := addrBytes(a)
	family, width := "IPv4", 32
	if len(lo) == 16 {
		family, width = "IPv6", 128
	}
	if n >= width {
		return nil, family + " mask bits must be less than " + strconv.Itoa(width) +
			" (match a single address with an exact value instead)"
	}
	hi := bytes.Clone(lo)
	host := len(hi)*8 - n
	for i := len(hi) - 1; i >= 0 && host > 0; i-- {
		if host >= 8 {
			hi[i] = 0xff
		} else {
			hi[i] |= byte(1)<<host - 1
		}
		host -= 8
	}
	return &ipRange{lo: lo, hi: hi}, ""
}

func addrBytes(a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		return b[:]
	}
	b := a.As16()
	return b[:]
}

// looksLikeIP mirrors Event Ruler's test for IP address literals: a dotted
// quad of digits, or hex digits and colons with at least one colon.
func looksLikeIP(s string) bool {
	if s == "" {
		return false
	}
	if strings.Contains(s, ":") {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c != ':' && !('0' <= c && c <= '9') && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
				return false
			}
		}
		return true
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}

// containsString reports whether s is an IP address inside the range.
func (r *ipRange) containsString(s string) bool {
	if r == nil || !looksLikeIP(s) {
		return false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return false
	}
	b := addrBytes(a.Unmap())
	if len(b) != len(r.lo) {
		return false
	}
	return bytes.Compare(b, r.lo) >= 0 && bytes.Compare(b, r.hi) <= 0
}
