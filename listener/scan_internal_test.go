package listener

import (
	"strings"
	"testing"
)

func TestScanJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		max  int
		want scanResult
	}{
		{`{}`, 1, scanResult{object: true}},
		{`{"a":[1]}`, 1, scanResult{object: true, tooDeep: true}},
		{`{"a":[1]}`, 2, scanResult{object: true}},
		{`{"a":"[[[[[[[["}`, 1, scanResult{object: true}},
		{`{"a":"\"[[[["}`, 1, scanResult{object: true}},
		{`{"a":"\\","b":[[1]]}`, 2, scanResult{object: true, tooDeep: true}},
		{strings.Repeat("[", 65) + strings.Repeat("]", 65), 64, scanResult{tooDeep: true}},
		{strings.Repeat("[", 64) + strings.Repeat("]", 64), 64, scanResult{}},
		{` {"id":"x","detail":{"findings":[{}]}}`, 8, scanResult{object: true, hasDetail: true}},
		{`{"findings":[{"detail":1}]}`, 8, scanResult{object: true, hasFindings: true}},
		{`{"x":"detail","y":{"findings":1}}`, 8, scanResult{object: true}},
		{`{"x":["detail","findings"]}`, 8, scanResult{object: true}},
		{`["detail"]`, 8, scanResult{}},
		{`{"detai\"l":1,"findings":[]}`, 8, scanResult{object: true, hasFindings: true}},
	}
	for _, tt := range tests {
		if got := scanJSON([]byte(tt.in), tt.max); got != tt.want {
			t.Errorf("scanJSON(%q, %d) = %+v, want %+v", tt.in, tt.max, got, tt.want)
		}
	}
}

// scanJSONBytewise is the byte-at-a-time form scanJSON had before it jumped
// through strings with IndexByte; FuzzScanJSON checks both agree.
func scanJSONBytewise(b []byte, maxDepth int) scanResult {
	var r scanResult
	depth := 0
	inString := false
	expectKey := false
	keyStart := -1
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
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

func FuzzScanJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":"\"[[[["}`, `{"a":"\\","b":[[1]]}`, `{"detai\"l":1,"findings":[]}`,
		`{"x":"\\\\\"","detail":{"findings":[{}]}}`, `{"a":"unterminated`, `{"a":"x\`, `{"detail"`, `"\"`,
		` {"id":"x","detail":{"findings":[{"k":"v\\\\"}]}}`} {
		f.Add([]byte(s), 3)
	}
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		if got, want := scanJSON(b, max), scanJSONBytewise(b, max); got != want {
			t.Fatalf("scanJSON(%q, %d) = %+v, bytewise %+v", b, max, got, want)
		}
	})
}
