package eventbridge_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/eventbridge"
)

// This file checks the matcher against a deliberately naive reference
// implementation of the same semantics: every combination of leaves is
// enumerated and array consistency is checked on explicit (array, index)
// trails. Random patterns and events, fixed seed.

type refStep struct{ arr, idx int }

type refLeaf struct {
	path  string
	trail []refStep
	kind  string // "string", "number", "bool", "null"
	text  string
}

func refFlatten(v any) []refLeaf {
	var leaves []refLeaf
	next := 0
	var walk func(v any, path string, trail []refStep)
	walk = func(v any, path string, trail []refStep) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(e, p, trail)
			}
		case []any:
			arr := next
			next++
			for i, e := range x {
				switch e.(type) {
				case map[string]any, []any:
					walk(e, path, append(slices.Clip(trail), refStep{arr, i}))
				default:
					walk(e, path, trail)
				}
			}
		case string:
			leaves = append(leaves, refLeaf{path, trail, "string", x})
		case json.Number:
			leaves = append(leaves, refLeaf{path, trail, "number", string(x)})
		case bool:
			leaves = append(leaves, refLeaf{path, trail, "bool", strconv.FormatBool(x)})
		case nil:
			leaves = append(leaves, refLeaf{path, trail, "null", "null"})
		}
	}
	walk(v, "", nil)
	return leaves
}

func refConsistent(a, b refLeaf) bool {
	for _, x := range a.trail {
		for _, y := range b.trail {
			if x.arr == y.arr && x.idx != y.idx {
				return false
			}
		}
	}
	return true
}

// refCond is a condition the reference understands.
type refCond struct {
	op   string // "str", "num", "prefix", "exists", "absent", "gt", "not"
	text string
}

func (c refCond) match(l refLeaf) bool {
	switch c.op {
	case "str":
		return l.kind == "string" && l.text == c.text
	case "num":
		return l.kind == "number" && l.text == c.text
	case "prefix":
		return l.kind == "string" && strings.HasPrefix(l.text, c.text)
	case "exists":
		return true
	case "gt":
		f, err := strconv.ParseFloat(l.text, 64)
		t, _ := strconv.ParseFloat(c.text, 64)
		return l.kind == "number" && err == nil && f > t
	case "not":
		return !(l.kind == "string" && l.text == c.text)
	}
	return false
}

func (c refCond) condition() eventbridge.Condition {
	switch c.op {
	case "str":
		return eventbridge.Equals(c.text)
	case "num":
		return eventbridge.Exact(eventbridge.NumberValue(c.text))
	case "prefix":
		return eventbridge.Prefix(c.text)
	case "exists":
		return eventbridge.Exists(true)
	case "absent":
		return eventbridge.Exists(false)
	case "gt":
		f, _ := strconv.ParseFloat(c.text, 64)
		return eventbridge.Numeric(">", f)
	case "not":
		return eventbridge.AnythingBut(c.text)
	}
	panic(c.op)
}

type refField struct {
	path  string
	conds []refCond
}

func refMatch(fields []refField, leaves []refLeaf) bool {
	var chosen []refLeaf
	var absent []string
	var rec func(i int) bool
	rec = func(i int) bool {
		if i == len(fields) {
			for _, p := range absent {
				for _, l := range leaves {
					if l.path != p {
						continue
					}
					ok := true
					for _, c := range chosen {
						if !refConsistent(l, c) {
							ok = false
							break
						}
					}
					if ok {
						return false
					}
				}
			}
			return true
		}
		f := fields[i]
		for _, c := range f.conds {
			if c.op == "absent" {
				absent = append(absent, f.path)
				if rec(i + 1) {
					return true
				}
				absent = absent[:len(absent)-1]
				break
			}
		}
		for _, l := range leaves {
			if l.path != f.path {
				continue
			}
			ok := false
			for _, c := range f.conds {
				if c.op != "absent" && c.match(l) {
					ok = true
				}
			}
			if !ok {
				continue
			}
			consistent := true
			for _, c := range chosen {
				if !refConsistent(l, c) {
					consistent = false
					break
				}
			}
			if !consistent {
				continue
			}
			chosen = append(chosen, l)
			if rec(i + 1) {
				return true
			}
			chosen = chosen[:len(chosen)-1]
		}
		return false
	}
	return rec(0)
}

var refKeys = []string{"a", "b", "c"}

func randEvent(r *rand.Rand, depth int) any {
	obj := map[string]any{}
	for _, k := range refKeys {
		if r.IntN(3) == 0 {
			continue
		}
		obj[k] = randValue(r, depth)
	}
	return obj
}

func randValue(r *rand.Rand, depth int) any {
	n := r.IntN(10)
	switch {
	case depth > 0 && n < 3:
		return randEvent(r, depth-1)
	case depth > 0 && n < 6:
		arr := make([]any, r.IntN(5))
		for i := range arr {
			arr[i] = randValue(r, depth-1)
		}
		return arr
	}
	return []any{"s1", "s2", "t1", json.Number("1"), json.Number("2"), json.Number("1.0"), nil, true}[r.IntN(8)]
}

func randPath(r *rand.Rand) string {
	n := 1 + r.IntN(3)
	segs := make([]string, n)
	for i := range segs {
		segs[i] = refKeys[r.IntN(len(refKeys))]
	}
	return strings.Join(segs, ".")
}

func randCond(r *rand.Rand) refCond {
	return []refCond{
		{"str", "s1"}, {"str", "s2"}, {"num", "1"}, {"num", "1.0"}, {"prefix", "s"},
		{"exists", ""}, {"absent", ""}, {"gt", "1"}, {"not", "s1"},
	}[r.IntN(9)]
}

func randFields(r *rand.Rand) []refField {
	var fields []refField
	seen := map[string]bool{}
	for n := 1 + r.IntN(4); len(fields) < n; {
		p := randPath(r)
		if seen[p] {
			continue
		}
		seen[p] = true
		f := refField{path: p, conds: []refCond{randCond(r)}}
		if r.IntN(3) == 0 {
			f.conds = append(f.conds, randCond(r))
		}
		fields = append(fields, f)
	}
	return fields
}

func fieldsPattern(fields []refField) *eventbridge.Pattern {
	p := &eventbridge.Pattern{}
	for _, f := range fields {
		conds := make([]eventbridge.Condition, len(f.conds))
		for i, c := range f.conds {
			conds[i] = c.condition()
		}
		p.Fields = append(p.Fields, eventbridge.Leaf(f.path, conds...)) // dotted names nest
	}
	return p
}

func TestMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	iterations := 1500
	if testing.Short() {
		iterations = 500
	}
	matched := 0
	for it := 0; it < iterations; it++ {
		fields := randFields(r)
		p := fieldsPattern(fields)
		m, err := eventbridge.Compile(p)
		if err != nil {
			t.Fatalf("Compile(%s): %v", p, err)
		}
		for e := 0; e < 5; e++ {
			ev := randEvent(r, 4)
			raw, _ := json.Marshal(ev)
			want := refMatch(fields, refFlatten(decodeUseNumber(t, raw)))
			got := matchBoth(t, m, raw)
			if got != want {
				t.Fatalf("pattern %s\nevent %s\nmatch = %v, reference says %v", p, raw, got, want)
			}
			if got {
				matched++
			}
		}
	}
	t.Logf("%d of %d random events matched", matched, iterations*5)
	if matched == 0 || matched == iterations*5 {
		t.Error("random cases are degenerate")
	}
}

// TestLargeArraysReference exercises the bottom-up search used for
// sub-rules with many candidate leaves.
func TestLargeArraysReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for it := 0; it < 200; it++ {
		outer := make([]any, 2+r.IntN(12))
		for i := range outer {
			inner := make([]any, 1+r.IntN(8))
			for j := range inner {
				o := map[string]any{}
				for _, k := range refKeys {
					if r.IntN(2) == 0 {
						o[k] = []any{"s1", "s2", json.Number("1"), json.Number("2")}[r.IntN(4)]
					}
				}
				inner[j] = o
			}
			outer[i] = map[string]any{"a": inner, "b": []any{"s1", "s2"}[r.IntN(2)]}
		}
		raw, _ := json.Marshal(map[string]any{"x": outer})
		var fields []refField
		for _, k := range refKeys[:1+r.IntN(3)] {
			fields = append(fields, refField{path: "x.a." + k, conds: []refCond{randCond(r)}})
		}
		if r.IntN(2) == 0 {
			fields = append(fields, refField{path: "x.b", conds: []refCond{{"str", "s2"}}})
		}
		p := fieldsPattern(fields)
		m, err := eventbridge.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := refMatch(fields, refFlatten(decodeUseNumber(t, raw)))
		if got := matchBoth(t, m, raw); got != want {
			t.Fatalf("pattern %s\nevent %s\nmatch = %v, reference says %v", p, raw, got, want)
		}
	}
}

// TestRuleSetAgreesWithMatchers compiles random patterns into one RuleSet
// (sharing fields) and checks it against one Matcher per pattern.
func TestRuleSetAgreesWithMatchers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var rules []eventbridge.Rule
	var matchers []*eventbridge.Matcher
	for i := 0; i < 40; i++ {
		p := fieldsPattern(randFields(r))
		m, err := eventbridge.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, eventbridge.Rule{Name: fmt.Sprint("r", i), Pattern: p})
		matchers = append(matchers, m)
	}
	rs, err := eventbridge.NewRuleSet(rules...)
	if err != nil {
		t.Fatal(err)
	}
	for e := 0; e < 300; e++ {
		raw, _ := json.Marshal(randEvent(r, 4))
		got, err := rs.Match(raw)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for i, m := range matchers {
			if ok, _ := m.Match(raw); ok {
				want = append(want, rules[i].Name)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("event %s: RuleSet %q, Matchers %q", raw, got, want)
		}
	}
}
