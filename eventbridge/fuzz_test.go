package eventbridge_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocsfhub/ocsfhub/eventbridge"
	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
)

// rulerSeeds returns Event Ruler's patterns and small events when
// ../shared is present (more seeds; the fuzz targets run without them).
func rulerSeeds() (patterns, events [][]byte) {
	root, ok := sharedtest.Root()
	if !ok {
		return nil, nil
	}
	dir := filepath.Join(root, "event-ruler-testdata")
	for _, f := range []string{"orRelationshipRules.json", "wrongOrRelationshipRules.json", "normalRulesWithOrWording.json"} {
		var list []json.RawMessage
		if b, err := os.ReadFile(filepath.Join(dir, "data", f)); err == nil && json.Unmarshal(b, &list) == nil {
			for _, p := range list {
				patterns = append(patterns, p)
			}
		}
	}
	for _, f := range []string{"arrayRule1.json", "arrayRule3.json", "bigEventRule.json"} {
		if b, err := os.ReadFile(filepath.Join(dir, "data", f)); err == nil {
			patterns = append(patterns, b)
		}
	}
	for _, f := range []string{"arrayEvent1.json", "arrayEvent2.json", "arrayEvent3.json"} {
		if b, err := os.ReadFile(filepath.Join(dir, "data", f)); err == nil {
			events = append(events, b)
		}
	}
	return patterns, events
}

// FuzzParsePattern checks the round trip: whatever parses renders, and the
// rendering parses back to an equal pattern that renders identically and
// compiles.
func FuzzParsePattern(f *testing.F) {
	for _, s := range roundTripCorpus {
		f.Add([]byte(s))
	}
	for _, c := range documentedCases {
		f.Add([]byte(c.pattern))
	}
	for _, s := range []string{`{}`, `{"a":[]}`, `{"$or":[{"a":[1]}]}`, `{"a":[{"numeric":[">",5,"<",1]}]}`,
		`{"a":[{"wildcard":"a**"}]}`, `{"a":[{"cidr":"::/0"}]}`, `{"a":["\ud800"]}`, `{"a":[1e999]}`} {
		f.Add([]byte(s))
	}
	patterns, _ := rulerSeeds()
	for _, p := range patterns {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := eventbridge.ParsePattern(data)
		if err != nil {
			if !errors.Is(err, eventbridge.ErrInvalidPattern) {
				t.Fatalf("error %v does not match ErrInvalidPattern", err)
			}
			return
		}
		out, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("parsed %q but cannot render it: %v", data, err)
		}
		q, err := eventbridge.ParsePattern(out)
		if err != nil {
			t.Fatalf("rendering %s of %q does not parse: %v", out, data, err)
		}
		if !q.Equal(p) {
			t.Fatalf("round trip changed the pattern: %q -> %s -> %s", data, out, q)
		}
		if again, _ := q.MarshalJSON(); !bytes.Equal(again, out) {
			t.Fatalf("rendering is not stable: %s vs %s", out, again)
		}
		if n := p.Size(); n > eventbridge.MaxPatternSize || n < 0 {
			t.Fatalf("accepted a pattern of size %d", n)
		}
		if _, err := eventbridge.Compile(p); err != nil {
			t.Fatalf("valid pattern %s does not compile: %v", out, err)
		}
		_ = p.Warnings()
	})
}

// FuzzMatch checks that matching never panics, that the event reader
// accepts exactly the JSON objects encoding/json accepts, and that matching
// raw JSON and decoded values agree.
func FuzzMatch(f *testing.F) {
	for _, c := range documentedCases {
		f.Add(c.pattern, []byte(c.event))
	}
	patterns, events := rulerSeeds()
	for i, e := range events {
		f.Add(string(patterns[i%len(patterns)]), e)
	}
	f.Add(`{"detail":{"findings":{"severity":["High"]}}}`, envelope([]byte(`{"severity":"High"}`)))
	f.Add(`{"a":{"b":[{"exists":false}]}}`, []byte(`{"a":[{"b":1},{"c":[{"b":[]}]}]}`))
	f.Add(`{"k":["\ufffd"]}`, []byte("{\"k\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, pattern string, event []byte) {
		p, err := eventbridge.ParsePattern([]byte(pattern))
		if err != nil {
			return
		}
		m, err := eventbridge.Compile(p)
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		got, err := m.Match(event)
		isObject := json.Valid(event) && bytes.HasPrefix(bytes.TrimLeft(event, " \t\r\n"), []byte("{"))
		if isObject != (err == nil) {
			t.Fatalf("event %q: json.Valid object %v, Match error %v", event, isObject, err)
		}
		if err != nil {
			if got || !errors.Is(err, eventbridge.ErrInvalidEvent) {
				t.Fatalf("Match = %v, %v", got, err)
			}
			return
		}
		_, _ = m.MatchFinding(event)
		// Compare the two readers on one normalised document (duplicate
		// keys collapse when decoding into a map).
		dec := json.NewDecoder(bytes.NewReader(event))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		norm, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		a, errA := m.Match(norm)
		b, errB := m.MatchValue(v)
		if errA != nil || errB != nil || a != b {
			t.Fatalf("pattern %s, event %s: Match %v (%v), MatchValue %v (%v)", pattern, norm, a, errA, b, errB)
		}
	})
}
