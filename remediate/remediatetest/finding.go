package remediatetest

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// Finding decodes data, a bare OCSF finding or an EventBridge event (its
// first finding is used), failing the test on error.
func Finding(tb testing.TB, data []byte) ocsf.Finding {
	tb.Helper()
	var probe struct {
		DetailType *string `json:"detail-type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		tb.Fatalf("remediatetest: not JSON: %v", err)
	}
	if probe.DetailType != nil {
		ev, err := ocsf.DecodeEvent(data)
		if err != nil {
			tb.Fatalf("remediatetest: decode event: %v", err)
		}
		fs, err := ev.Findings()
		if err != nil || len(fs) == 0 {
			tb.Fatalf("remediatetest: event findings: %v (%d)", err, len(fs))
		}
		return fs[0]
	}
	f, err := ocsf.Decode(data)
	if err != nil {
		tb.Fatalf("remediatetest: decode finding: %v", err)
	}
	return f
}

// FindingFile reads and decodes a finding file (see [Finding]).
func FindingFile(tb testing.TB, path string) ocsf.Finding {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("remediatetest: %v", err)
	}
	return Finding(tb, data)
}

// Mutate returns a copy of f changed by fn, which receives the finding as
// generic JSON (numbers as json.Number). Use it to derive variants: another
// uid, a newer modified_time, a different account.
func Mutate(tb testing.TB, f ocsf.Finding, fn func(m map[string]any)) ocsf.Finding {
	tb.Helper()
	raw, err := f.MarshalJSON()
	if err != nil {
		tb.Fatalf("remediatetest: encode finding: %v", err)
	}
	m, err := decodeMap(raw)
	if err != nil {
		tb.Fatalf("remediatetest: %v", err)
	}
	fn(m)
	out, err := json.Marshal(m)
	if err != nil {
		tb.Fatalf("remediatetest: encode mutated finding: %v", err)
	}
	g, err := ocsf.Decode(out)
	if err != nil {
		tb.Fatalf("remediatetest: decode mutated finding: %v", err)
	}
	return g
}

func decodeMap(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	err := dec.Decode(&m)
	return m, err
}

// Set sets the value at a dotted path ("finding_info.uid") in a finding
// map, creating objects on the way. For use inside [Mutate].
func Set(m map[string]any, path string, v any) {
	keys := splitPath(path)
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}
