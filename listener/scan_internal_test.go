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
