package eventbridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
)

// TestSearchBudget checks that a search running out of steps reports
// ErrMatchTooComplex instead of an answer.
func TestSearchBudget(t *testing.T) {
	p, err := ParsePattern([]byte(`{"a":{"x":[{"exists":true}]},"b":{"x":[{"exists":true}]},"c":{"y":[{"exists":false}]},"a.y":[{"exists":false}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	var elems []string
	for i := 0; i < 30; i++ {
		elems = append(elems, fmt.Sprintf(`{"x":%d,"y":%d}`, i, i))
	}
	event := []byte(`{"a":[` + strings.Join(elems, ",") + `],"b":[` + strings.Join(elems, ",") + `]}`)
	want, err := m.Match(event)
	if err != nil || want {
		t.Fatalf("Match = %v, %v; want false (every a element has y)", want, err)
	}
	m.rs.prog.searchBudget = 5
	if _, err := m.Match(event); !errors.Is(err, ErrMatchTooComplex) {
		t.Errorf("with a tiny budget: error %v, want ErrMatchTooComplex", err)
	}
	rs := &RuleSet{prog: m.rs.prog, names: []string{"r"}}
	rs.pool.New = func() any { return newMatchState(rs.prog) }
	if _, err := rs.Match(event); !errors.Is(err, ErrMatchTooComplex) {
		t.Errorf("RuleSet with a tiny budget: error %v, want ErrMatchTooComplex", err)
	}
}

// TestContextsInDocumentOrder checks the invariant dp relies on: a
// context's parent has a smaller number.
func TestContextsInDocumentOrder(t *testing.T) {
	p, _ := ParsePattern([]byte(`{"a":{"b":{"c":["x"]}}}`))
	b := newBuilder()
	b.add("r", p)
	prog := b.finish()
	m := newMatchState(prog)
	m.begin(prog)
	if err := m.flattenJSON([]byte(`{"a":[{"b":[[{"c":"x"}],{"c":["x",{"d":1}]}]},[{"b":{"c":"x"}}]]}`)); err != nil {
		t.Fatal(err)
	}
	if len(m.ctxs) < 5 {
		t.Fatalf("only %d contexts", len(m.ctxs))
	}
	for i, c := range m.ctxs[1:] {
		if int(c.parent) >= i+1 || c.depth != m.ctxs[c.parent].depth+1 {
			t.Errorf("context %d: parent %d depth %d", i+1, c.parent, c.depth)
		}
	}
}

// TestExpandCountsLikeEventRuler checks that the compiled alternatives of
// each valid $or pattern of the Event Ruler data are exactly as many as
// Combinations counts (and as Event Ruler's sub-rules: 2, 4, 3, 4, 2).
func TestExpandCountsLikeEventRuler(t *testing.T) {
	dir := sharedtest.Dir(t, "event-ruler-testdata")
	b, err := os.ReadFile(filepath.Join(dir, "data", "orRelationshipRules.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	want := []int{2, 4, 3, 4, 2}
	for i, raw := range list {
		p, err := ParsePattern(raw)
		if err != nil {
			t.Fatal(err)
		}
		alts := expand(p, nil)
		if len(alts) != want[i] || p.Combinations() != want[i] {
			t.Errorf("pattern %d: %d alternatives, Combinations %d, want %d", i, len(alts), p.Combinations(), want[i])
		}
	}
	// The fourth pattern's alternatives, spelled out.
	p, _ := ParsePattern(list[3])
	var got []string
	for _, alt := range expand(p, nil) {
		var names []string
		for _, f := range alt {
			names = append(names, strings.Join(f.segs, "."))
		}
		sort.Strings(names)
		got = append(got, strings.Join(names, "+"))
	}
	sort.Strings(got)
	wantAlts := []string{
		"metricId+metricType+namespace+source",
		"metricName+source",
		"metricType+namespace+source+spaceId",
		"scope+source",
	}
	if strings.Join(got, " | ") != strings.Join(wantAlts, " | ") {
		t.Errorf("alternatives %q, want %q", got, wantAlts)
	}
}
