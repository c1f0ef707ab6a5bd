package listener

import "bytes"

// scanResult is what one pass over a request body tells before decoding.
type scanResult struct {
	tooDeep     bool // arrays/objects nest deeper than the limit
	object      bool // the first value is an object
	hasDetail   bool // a top-level key "detail": a whole EventBridge event
	hasFindings bool // a top-level key "findings": a bare detail (InputPath $.detail)
}

// scanJSON counts nesting outside strings and notes the top-level keys
// "detail" and "findings", in one pass without allocating. It does not
// validate; encoding/json does that afterwards on input whose nesting this
// pass has bounded. A key spelled with escapes ("\u0064etail") is not
// recognised here; the caller falls back to a full decode when neither key
// was seen.
func scanJSON(b []byte, maxDepth int) scanResult {
	var r scanResult
	depth := 0
	inString := false
	expectKey := false // at depth 1, the next string is a key
	keyStart := -1
	quote := -1 // the next '"' at or after i, when >= i
	for i := 0; i < len(b); i++ {
		if inString {
			// Jump to the next quote or backslash: strings are most of a
			// body, and IndexByte is vectorised.
			// quote is kept across escapes so that a string full of
			// backslashes is still scanned in linear time.
			if quote < i {
				q := bytes.IndexByte(b[i:], '"')
				if q < 0 {
					return r // unterminated string: nothing structural follows
				}
				quote = i + q
			}
			if e := bytes.IndexByte(b[i:quote], '\\'); e >= 0 {
				i += e
			} else {
				i = quote
			}
			switch b[i] {
			case '\\':
				i++ // skip the escaped byte; \uXXXX hex digits are harmless
			case '"':
				inString = false
				if keyStart >= 0 {
					switch string(b[keyStart:i]) {
					case "detail":
						r.hasDetail = true
					case "findings":
						r.hasFindings = true
					}
					keyStart = -1
				}
			}
			continue
		}
		switch c := b[i]; c {
		case '"':
			inString = true
			if depth == 1 && expectKey {
				keyStart = i + 1
				expectKey = false
			}
		case '{', '[':
			if depth == 0 && c == '{' && i == firstNonSpace(b) {
				r.object = true
			}
			depth++
			if depth > maxDepth {
				r.tooDeep = true
				return r
			}
			expectKey = depth == 1 && c == '{'
		case '}', ']':
			depth--
		case ',':
			expectKey = depth == 1 && r.object
		}
	}
	return r
}

func firstNonSpace(b []byte) int {
	for i, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return i
		}
	}
	return -1
}
