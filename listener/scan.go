package listener

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
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
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
		switch c {
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
