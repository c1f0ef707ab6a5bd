package eventbridge_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ocsfhub/ocsfhub/eventbridge"
)

func mustCompile(t *testing.T, pattern string) *eventbridge.Matcher {
	t.Helper()
	return compileJSON(t, []byte(pattern))
}

func TestMatchInvalidEvents(t *testing.T) {
	m := mustCompile(t, `{"a":["x"]}`)
	for _, ev := range []string{
		``, ` `, `{`, `{"a":"x"`, `{"a":"x"}}`, `{"a":"x"} {}`, `{"a":x}`, `{"a":"\x01"}`, `{"a":"\q"}`,
		`{"a":"\u12"}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`, `{"a":tru}`, `{'a':1}`, `{"a" 1}`,
		`{"a":1,}`, `[1,]`, `{"a":[1 2]}`,
		`["a"]`, `"x"`, `1`, `null`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	} {
		ok, err := m.Match([]byte(ev))
		if ok || !errors.Is(err, eventbridge.ErrInvalidEvent) {
			t.Errorf("Match(%.40q) = %v, %v; want false, ErrInvalidEvent", ev, ok, err)
		}
		if json.Valid([]byte(ev)) && strings.HasPrefix(ev, "{") {
			t.Errorf("test bug: %q is a valid object", ev)
		}
	}
	deep := `{"a":` + strings.Repeat("[", 9998) + `"x"` + strings.Repeat("]", 9998) + `}`
	if ok, err := m.Match([]byte(deep)); !ok || err != nil {
		t.Errorf("Match(10,000 levels) = %v, %v; want true", ok, err)
	}
	if _, err := m.MatchFinding([]byte(`[1]`)); !errors.Is(err, eventbridge.ErrInvalidEvent) {
		t.Errorf("MatchFinding(array) error %v, want ErrInvalidEvent", err)
	}
	if _, err := m.MatchValue([]any{"x"}); !errors.Is(err, eventbridge.ErrInvalidEvent) {
		t.Errorf("MatchValue(slice) error %v, want ErrInvalidEvent", err)
	}
	// A cyclic value terminates: the walk follows only the paths the
	// pattern uses, and values json.Marshal must encode report its error.
	loop := map[string]any{}
	loop["a"] = loop
	if ok, err := mustCompile(t, `{"a":{"a":{"a":{"b":["x"]}}}}`).MatchValue(loop); ok || err != nil {
		t.Errorf("cyclic map: %v, %v", ok, err)
	}
	type node struct{ Next *node }
	n := &node{}
	n.Next = n
	if _, err := m.MatchValue(map[string]any{"a": n}); !errors.Is(err, eventbridge.ErrInvalidEvent) {
		t.Errorf("cyclic struct: %v, want ErrInvalidEvent", err)
	}
}

// TestScannerAgreesWithEncodingJSON checks that the event reader accepts
// exactly what encoding/json accepts, and decodes strings as it does.
func TestScannerAgreesWithEncodingJSON(t *testing.T) {
	m := mustCompile(t, `{"k":[{"exists":true}]}`)
	docs := []string{
		`{"k":"plain"}`, `{"k":"\"\\\/\b\f\n\r\t"}`, `{"k":"\u00e9\u4e2d"}`, `{"k":"\ud83d\ude00"}`,
		`{"k":"\ud83d"}`, `{"k":"\ude00x"}`, `{"k":"\ud83d\u0041"}`, "{\"k\":\"\xff\xfe\"}", "{\"k\":\"a\xc3\"}",
		`{"k":-0}`, `{"k":0.5e-3}`, `{"k":1E+9}`, `{"k":-}`, `{"k":+1}`, `{"k":.5}`, `{"k":00}`, `{"k":1.5.5}`,
		`{"k":[]}`, `{"k":{}}`, ` { "k" : [ 1 , "a" , null , true , false ] } `, "{\"k\":\"tab\there\"}",
		`{"\u006b":"escaped key"}`, `{"k":"x","k":"y"}`, `{"k":nul}`, `{"k":"\x"}`, "{\"k\":1}\n",
	}
	for _, d := range docs {
		_, err := m.Match([]byte(d))
		valid := json.Valid([]byte(d))
		if (err == nil) != valid {
			t.Errorf("%q: Match error %v, json.Valid %v", d, err, valid)
		}
	}
	// Decoded strings: a pattern on the decoded value matches the escaped event.
	var decoded map[string]string
	for _, d := range []string{`{"k":"\ud83d"}`, `{"k":"\ud83d\u0041"}`, "{\"k\":\"\xff\xfe\"}", `{"k":"\"\\\/\b\f\n\r\t"}`} {
		if err := json.Unmarshal([]byte(d), &decoded); err != nil {
			t.Fatal(err)
		}
		p := &eventbridge.Pattern{Fields: []eventbridge.Field{eventbridge.Leaf("k", eventbridge.Equals(decoded["k"]))}}
		mm, err := eventbridge.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := mm.Match([]byte(d)); !ok || err != nil {
			t.Errorf("%q: the decoded value %q does not match (%v)", d, decoded["k"], err)
		}
	}
	if ok, _ := mustCompile(t, `{"source":["aws.ec2"]}`).Match([]byte(`{"\u0073ource":"aws.ec2"}`)); !ok {
		t.Error("an escaped key does not match")
	}
}

func TestMatchValue(t *testing.T) {
	m := mustCompile(t, `{"n":[300],"f":[{"numeric":[">",1.5]}],"s":["x"],"b":[false],"z":[null],"r":{"k":["v"]}}`)
	type inner struct {
		K string `json:"k"`
	}
	tests := []struct {
		name  string
		event any
		want  bool
	}{
		{"float64 as encoding/json prints it", map[string]any{"n": 300.0, "f": 2.0, "s": "x", "b": false, "z": nil, "r": map[string]any{"k": "v"}}, true},
		{"json.Number keeps its spelling", map[string]any{"n": json.Number("300.0"), "f": 2.0, "s": "x", "b": false, "z": nil, "r": map[string]any{"k": "v"}}, false},
		{"ints", map[string]any{"n": 300, "f": int64(2), "s": "x", "b": false, "z": nil, "r": map[string]any{"k": "v"}}, true},
		{"raw message", map[string]any{"n": 300, "f": 2.0, "s": "x", "b": false, "z": nil, "r": json.RawMessage(`{"k":"v"}`)}, true},
		{"struct value", map[string]any{"n": 300, "f": 2.0, "s": "x", "b": false, "z": nil, "r": inner{K: "v"}}, true},
		{"wrong type", map[string]any{"n": "300", "f": 2.0, "s": "x", "b": false, "z": nil, "r": map[string]any{"k": "v"}}, false},
		{"whole struct", struct {
			N int            `json:"n"`
			F float64        `json:"f"`
			S string         `json:"s"`
			B bool           `json:"b"`
			Z *int           `json:"z"`
			R map[string]any `json:"r"`
		}{300, 2, "x", false, nil, map[string]any{"k": "v"}}, true},
	}
	for _, tt := range tests {
		got, err := m.MatchValue(tt.event)
		if err != nil || got != tt.want {
			t.Errorf("%s: MatchValue = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := m.MatchValue(map[string]any{"n": json.Number("x1")}); !errors.Is(err, eventbridge.ErrInvalidEvent) {
		t.Errorf("invalid json.Number: error %v", err)
	}
	if _, err := m.MatchValue(map[string]any{"n": nan()}); !errors.Is(err, eventbridge.ErrInvalidEvent) {
		t.Errorf("NaN: error %v", err)
	}
}

func TestMatchFinding(t *testing.T) {
	p, err := eventbridge.NewSecurityHubRule().Severity("High").ResourceType("AWS::S3::Bucket").Pattern()
	if err != nil {
		t.Fatal(err)
	}
	m, err := eventbridge.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	finding := []byte(`{"severity":"High","resources":[{"type":"AWS::IAM::Role"},{"type":"AWS::S3::Bucket"}]}`)
	for name, f := range map[string]func() (bool, error){
		"MatchFinding": func() (bool, error) { return m.MatchFinding(finding) },
		"Match":        func() (bool, error) { return m.Match(envelope(finding)) },
	} {
		if ok, err := f(); !ok || err != nil {
			t.Errorf("%s = %v, %v; want true", name, ok, err)
		}
	}
	if ok, _ := m.MatchFinding([]byte(`{"severity":"Low","resources":[{"type":"AWS::S3::Bucket"}]}`)); ok {
		t.Error("a Low finding matched")
	}
	// Envelope fields other than source and detail-type are not synthesised.
	acct := mustCompile(t, `{"account":["123456789012"]}`)
	if ok, _ := acct.MatchFinding([]byte(`{"cloud":{"account":{"uid":"123456789012"}}}`)); ok {
		t.Error("account was synthesised")
	}
	// A pattern without detail.findings still checks source and detail-type.
	dt := mustCompile(t, `{"source":["aws.securityhub"],"detail-type":["Findings Imported V2"]}`)
	if ok, err := dt.MatchFinding([]byte(`{}`)); !ok || err != nil {
		t.Errorf("envelope-only pattern: %v, %v", ok, err)
	}
	if _, err := dt.MatchFinding([]byte(`{"x":`)); !errors.Is(err, eventbridge.ErrInvalidEvent) {
		t.Errorf("malformed finding: %v", err)
	}
}

func TestRuleSet(t *testing.T) {
	mk := func(s string) *eventbridge.Pattern {
		p, err := eventbridge.ParsePattern([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	rs, err := eventbridge.NewRuleSet(
		eventbridge.Rule{Name: "z-first", Pattern: mk(`{"a":["x"]}`)},
		eventbridge.Rule{Name: "a-second", Pattern: mk(`{"a":[{"prefix":"x"}],"b":[{"exists":false}]}`)},
		eventbridge.Rule{Name: "never", Pattern: mk(`{"a":["y"]}`)},
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.Names(); !slices.Equal(got, []string{"z-first", "a-second", "never"}) {
		t.Errorf("Names() = %q", got)
	}
	got, err := rs.Match([]byte(`{"a":"x"}`))
	if err != nil || !slices.Equal(got, []string{"z-first", "a-second"}) {
		t.Errorf("Match = %q, %v", got, err)
	}
	if got, err := rs.Match([]byte(`{"a":"q"}`)); err != nil || got != nil {
		t.Errorf("no match: %q, %v; want nil", got, err)
	}
	_, err = eventbridge.NewRuleSet(eventbridge.Rule{Name: "r", Pattern: mk(`{"a":["x"]}`)}, eventbridge.Rule{Name: "r", Pattern: mk(`{"b":["x"]}`)})
	if !errors.Is(err, eventbridge.ErrDuplicateRule) {
		t.Errorf("duplicate names: %v", err)
	}
	_, err = eventbridge.NewRuleSet(eventbridge.Rule{Name: "bad", Pattern: &eventbridge.Pattern{}})
	if !errors.Is(err, eventbridge.ErrInvalidPattern) || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("invalid pattern: %v", err)
	}
	if _, err := eventbridge.NewRuleSet(eventbridge.Rule{Name: "nil"}); !errors.Is(err, eventbridge.ErrInvalidPattern) {
		t.Errorf("nil pattern: %v", err)
	}
	if _, err := eventbridge.Compile(nil); !errors.Is(err, eventbridge.ErrInvalidPattern) {
		t.Errorf("Compile(nil): %v", err)
	}
}

func TestMatcherPatternIsACopy(t *testing.T) {
	m := mustCompile(t, `{"a":["x"]}`)
	p := m.Pattern()
	p.Fields[0].Conditions[0] = eventbridge.Equals("y")
	if ok, _ := m.Match([]byte(`{"a":"x"}`)); !ok {
		t.Error("changing the returned pattern changed the matcher")
	}
	if m.Pattern().String() != `{"a":["x"]}` {
		t.Error("Pattern() is not a copy")
	}
}

// TestConcurrentMatching shares one RuleSet and one Matcher between
// goroutines (run with -race).
func TestConcurrentMatching(t *testing.T) {
	rs, err := eventbridge.NewRuleSet(securityHubRulesNoShared(t)...)
	if err != nil {
		t.Fatal(err)
	}
	m := mustCompile(t, `{"detail":{"findings":{"severity":["High"],"resources":{"type":["AWS::S3::Bucket"]}}}}`)
	events := make([][]byte, 16)
	want := make([][]string, len(events))
	wantM := make([]bool, len(events))
	for i := range events {
		sev := []string{"High", "Low", "Critical", "Medium"}[i%4]
		typ := []string{"AWS::S3::Bucket", "AWS::EC2::Instance"}[i%2]
		events[i] = envelope([]byte(fmt.Sprintf(`{"severity":%q,"severity_id":%d,"class_uid":2004,"resources":[{"type":"AWS::IAM::Role"},{"type":%q}]}`, sev, i%6, typ)))
		want[i], _ = rs.Match(events[i])
		wantM[i], _ = m.Match(events[i])
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 200; n++ {
				i := (n + g) % len(events)
				got, err := rs.Match(events[i])
				if err != nil || !slices.Equal(got, want[i]) {
					t.Errorf("event %d: %q, %v; want %q", i, got, err, want[i])
					return
				}
				if ok, _ := m.Match(events[i]); ok != wantM[i] {
					t.Errorf("event %d: Matcher %v, want %v", i, ok, wantM[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

// securityHubRulesNoShared is a small rule set that needs no shared data.
func securityHubRulesNoShared(t *testing.T) []eventbridge.Rule {
	eb := eventbridge.NewSecurityHubRule
	var rules []eventbridge.Rule
	for name, r := range map[string]*eventbridge.SecurityHubRule{
		"high":     eb().Severity("High"),
		"s3":       eb().ResourceType("AWS::S3::Bucket"),
		"high-s3":  eb().Severity("High").ResourceType("AWS::S3::Bucket"),
		"sev-3-up": eb().SeverityAtLeast(3),
		"detect":   eb().ClassUID(2004),
	} {
		p, err := r.Pattern()
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, eventbridge.Rule{Name: name, Pattern: p})
	}
	slices.SortFunc(rules, func(a, b eventbridge.Rule) int { return strings.Compare(a.Name, b.Name) })
	return rules
}

// TestExistsFalseAcrossManyArrays would take 50^6 steps without pruning.
func TestExistsFalseAcrossManyArrays(t *testing.T) {
	build := func(lastHasW bool, z bool) []byte {
		ev := map[string]any{}
		for a := 1; a <= 6; a++ {
			elems := make([]any, 50)
			for i := range elems {
				e := map[string]any{"v": i}
				if a == 1 && (i < 49 || lastHasW) {
					e["w"] = i
				}
				elems[i] = e
			}
			ev[fmt.Sprint("a", a)] = elems
		}
		if z {
			ev["z"] = []any{map[string]any{"w": 1}}
		}
		b, _ := json.Marshal(ev)
		return b
	}
	pattern := `{"a1":{"v":[{"exists":true}],"w":[{"exists":false}]},"a2":{"v":[{"exists":true}]},"a3":{"v":[{"exists":true}]},` +
		`"a4":{"v":[{"exists":true}]},"a5":{"v":[{"exists":true}]},"a6":{"v":[{"exists":true}]}}`
	m := mustCompile(t, pattern)
	for _, tc := range []struct {
		name  string
		event []byte
		want  bool
	}{
		{"every element has w", build(true, false), false},
		{"the last element lacks w", build(false, false), true},
	} {
		if got, err := m.Match(tc.event); got != tc.want || err != nil {
			t.Errorf("%s: Match = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	// An exists:false leaf in an array no other field shares can never be
	// kept out.
	mz := mustCompile(t, strings.Replace(pattern, `"a2":`, `"z":{"w":[{"exists":false}]},"a2":`, 1))
	if got, err := mz.Match(build(false, true)); got || err != nil {
		t.Errorf("unexcludable leaf: Match = %v, %v; want false", got, err)
	}
	if got, err := mz.Match(build(false, false)); !got || err != nil {
		t.Errorf("no z: Match = %v, %v; want true", got, err)
	}
}
