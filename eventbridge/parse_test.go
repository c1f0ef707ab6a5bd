package eventbridge_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/eventbridge"
)

func TestParsePatternErrors(t *testing.T) {
	tests := []struct {
		name     string
		pattern  string
		path     string
		operator string
	}{
		{"not JSON", `{"a":`, "/a", ""},
		{"trailing data", `{"a":[1]} x`, "", ""},
		{"not an object", `["a"]`, "", ""},
		{"empty pattern", `{}`, "", ""},
		{"empty nested object", `{"detail":{}}`, "/detail", ""},
		{"scalar leaf", `{"source":"aws.ec2"}`, "/source", ""},
		{"empty array", `{"detail":{"state":[]}}`, "/detail/state", ""},
		{"nested array", `{"a":[["x"]]}`, "/a/0", ""},
		{"unknown operator", `{"a":[{"regex":"x"}]}`, "/a/0/regex", ""},
		{"two operators", `{"a":[{"prefix":"x","suffix":"y"}]}`, "/a/0", "prefix"},
		{"empty operator", `{"a":[{}]}`, "/a/0", ""},
		{"prefix not a string", `{"a":[{"prefix":1}]}`, "/a/0/prefix", "prefix"},
		{"prefix bad modifier", `{"a":[{"prefix":{"exactly":"x"}}]}`, "/a/0/prefix/exactly", "prefix"},
		{"suffix two keys", `{"a":[{"suffix":{"equals-ignore-case":"x","b":"y"}}]}`, "/a/0/suffix", "suffix"},
		{"equals-ignore-case number", `{"a":[{"equals-ignore-case":1}]}`, "/a/0/equals-ignore-case", "equals-ignore-case"},
		{"exists string", `{"a":[{"exists":"true"}]}`, "/a/0/exists", "exists"},
		{"numeric not array", `{"a":[{"numeric":">"}]}`, "/a/0/numeric", "numeric"},
		{"numeric value string", `{"a":[{"numeric":[">","0"]}]}`, "/a/0/numeric/1", "numeric"},
		{"numeric missing value", `{"a":[{"numeric":[">"]}]}`, "/a/0/numeric/0", "numeric"},
		{"numeric bad operator", `{"a":[{"numeric":["!=",1]}]}`, "/a/0/numeric/0", "numeric"},
		{"numeric range order", `{"a":[{"numeric":["<",1,">",0]}]}`, "/a/0/numeric/0", "numeric"},
		{"numeric range upper op", `{"a":[{"numeric":[">",1,">",5]}]}`, "/a/0/numeric/2", "numeric"},
		{"numeric bottom above top", `{"a":[{"numeric":[">",5,"<",1]}]}`, "/a/0/numeric/3", "numeric"},
		{"numeric too many terms", `{"a":[{"numeric":[">",0,"<",5,"<",6]}]}`, "/a/0/numeric", "numeric"},
		{"numeric equals with range", `{"a":[{"numeric":["=",0,"<",5]}]}`, "/a/0/numeric/0", "numeric"},
		{"numeric out of range", `{"a":[{"numeric":[">",1e400]}]}`, "/a/0/numeric/1", "numeric"},
		{"cidr no mask", `{"ip":[{"cidr":"10.0.0.1"}]}`, "/ip/0/cidr", "cidr"},
		{"cidr bad address", `{"ip":[{"cidr":"10.0.0/8"}]}`, "/ip/0/cidr", "cidr"},
		{"cidr ipv4 /32", `{"ip":[{"cidr":"10.0.0.1/32"}]}`, "/ip/0/cidr", "cidr"},
		{"cidr ipv6 /128", `{"ip":[{"cidr":"::1/128"}]}`, "/ip/0/cidr", "cidr"},
		{"wildcard double star", `{"a":[{"wildcard":"a**b"}]}`, "/a/0/wildcard", "wildcard"},
		{"wildcard bad escape", `{"a":[{"wildcard":"a\\b"}]}`, "/a/0/wildcard", "wildcard"},
		{"wildcard trailing backslash", `{"a":[{"wildcard":"a\\"}]}`, "/a/0/wildcard", "wildcard"},
		{"anything-but null", `{"a":[{"anything-but":null}]}`, "/a/0/anything-but", "anything-but"},
		{"anything-but mixed list", `{"a":[{"anything-but":["x",1]}]}`, "/a/0/anything-but/1", "anything-but"},
		{"anything-but empty list", `{"a":[{"anything-but":[]}]}`, "/a/0/anything-but", "anything-but"},
		{"anything-but bool in list", `{"a":[{"anything-but":[true]}]}`, "/a/0/anything-but/0", "anything-but"},
		{"anything-but numeric", `{"a":[{"anything-but":{"numeric":[">",1]}}]}`, "/a/0/anything-but/numeric", "anything-but"},
		{"anything-but empty prefix", `{"a":[{"anything-but":{"prefix":""}}]}`, "/a/0/anything-but/prefix", "anything-but"},
		{"anything-but prefix number", `{"a":[{"anything-but":{"prefix":1}}]}`, "/a/0/anything-but/prefix", "anything-but"},
		{"anything-but prefix list number", `{"a":[{"anything-but":{"prefix":["a",1]}}]}`, "/a/0/anything-but/prefix/1", "anything-but"},
		{"anything-but wildcard bad", `{"a":[{"anything-but":{"wildcard":["*/x/*","a**"]}}]}`, "/a/0/anything-but/wildcard/1", "anything-but"},
		{"anything-but two keys", `{"a":[{"anything-but":{"prefix":"a","suffix":"b"}}]}`, "/a/0/anything-but", "anything-but"},
		{"or not an array", `{"$or":{"a":[1]}}`, "/$or", "$or"},
		{"or one branch", `{"$or":[{"a":[1]}]}`, "/$or", "$or"},
		{"or scalar branch", `{"$or":[{"a":[1]},"b"]}`, "/$or/1", "$or"},
		{"or operator field", `{"$or":[{"a":[1]},{"numeric":[1]}]}`, "/$or/1/numeric", "$or"},
		{"or empty branch", `{"$or":[{"a":[1]},{}]}`, "/$or/1", ""},
		{"pointer escaping", `{"a/b~c":[{"prefix":1}]}`, "/a~1b~0c/0/prefix", "prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := eventbridge.ParsePattern([]byte(tt.pattern))
			if err == nil {
				t.Fatalf("ParsePattern(%s) = %s, want an error", tt.pattern, p)
			}
			if !errors.Is(err, eventbridge.ErrInvalidPattern) {
				t.Errorf("error %v does not match ErrInvalidPattern", err)
			}
			var pe *eventbridge.PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *PatternError", err, err)
			}
			if pe.Path != tt.path || pe.Operator != tt.operator {
				t.Errorf("error %q: Path %q Operator %q, want Path %q Operator %q", err, pe.Path, pe.Operator, tt.path, tt.operator)
			}
			if !strings.HasPrefix(err.Error(), "eventbridge: invalid event pattern") {
				t.Errorf("error message %q lacks the package prefix", err)
			}
		})
	}
}

func TestParsePatternSyntaxErrorUnwraps(t *testing.T) {
	_, err := eventbridge.ParsePattern([]byte(`{"a":[1,]}`))
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v does not wrap a *json.SyntaxError", err)
	}
}

// roundTripCorpus holds valid patterns of every form.
var roundTripCorpus = []string{
	`{"source":["aws.securityhub"],"detail-type":["Findings Imported V2"]}`,
	`{"a":["x",1,-2.5e3,true,false,null,""]}`,
	`{"a":[{"prefix":"x"},{"prefix":{"equals-ignore-case":"Y"}},{"suffix":".png"},{"suffix":{"equals-ignore-case":".PNG"}}]}`,
	`{"a":[{"equals-ignore-case":"x"},{"wildcard":"a*b\\*c\\\\"},{"cidr":"10.0.0.0/24"},{"cidr":"2001:db8::/64"}]}`,
	`{"a":[{"exists":true},{"exists":false}]}`,
	`{"a":[{"numeric":["=",3.018e2]},{"numeric":["<",10]},{"numeric":[">",0,"<=",5]},{"numeric":[">=",-1,"<",1]}]}`,
	`{"a":[{"anything-but":"x"},{"anything-but":["x","y"]},{"anything-but":1},{"anything-but":[1,2.5]}]}`,
	`{"a":[{"anything-but":{"prefix":"x"}},{"anything-but":{"suffix":["a","b"]}},{"anything-but":{"equals-ignore-case":"Q"}},{"anything-but":{"wildcard":"*/lib/*"}}]}`,
	`{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"],"$or":[{"metricId":[1234]},{"spaceId":[1000]}]}]}`,
	`{"detail":{"state.status":["x"],"z":{"y":{"x":["deep"]}}}}`,
	`{"uni":["é\u00e9\ud83d\ude00","\u0000\n\t\"\\"]}`,
	`{"b":[1],"a":[2],"$or":[{"z":[1]},{"y":[2]}]}`,
}

func TestRoundTrip(t *testing.T) {
	for _, src := range roundTripCorpus {
		p, err := eventbridge.ParsePattern([]byte(src))
		if err != nil {
			t.Errorf("ParsePattern(%s): %v", src, err)
			continue
		}
		out, err := p.MarshalJSON()
		if err != nil {
			t.Errorf("MarshalJSON: %v", err)
			continue
		}
		q, err := eventbridge.ParsePattern(out)
		if err != nil {
			t.Errorf("ParsePattern(render %s): %v", out, err)
			continue
		}
		if !reflect.DeepEqual(p, q) || !p.Equal(q) {
			t.Errorf("round trip changed the pattern:\n in  %s\n out %s", src, out)
		}
		again, _ := q.MarshalJSON()
		if string(again) != string(out) {
			t.Errorf("rendering is not stable:\n%s\n%s", out, again)
		}
		// Rendering is compact and semantically the input.
		var a, b any
		_ = json.Unmarshal([]byte(src), &a)
		_ = json.Unmarshal(out, &b)
		if !reflect.DeepEqual(canonicalJSON(a), canonicalJSON(b)) {
			t.Errorf("rendering differs from the input:\n in  %s\n out %s", src, out)
		}
	}
}

// canonicalJSON makes one-value anything-but scalars, as the renderer does.
func canonicalJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			e = canonicalJSON(e)
			if list, ok := e.([]any); ok && len(list) == 1 && (k == "anything-but" || k == "prefix" || k == "suffix" ||
				k == "equals-ignore-case" || k == "wildcard") {
				e = list[0]
			}
			out[k] = e
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canonicalJSON(e)
		}
		return out
	}
	return v
}

func TestRenderDeterministic(t *testing.T) {
	p, err := eventbridge.ParsePattern([]byte(`{ "source" : [ "aws.securityhub" ],
		"detail" : { "findings" : { "severity" : [ "High", "Critical" ] } },
		"detail-type" : [ "Findings Imported V2" ] }`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"detail":{"findings":{"severity":["High","Critical"]}},"detail-type":["Findings Imported V2"],"source":["aws.securityhub"]}`
	if got := p.String(); got != want {
		t.Errorf("String() = %s\nwant        %s", got, want)
	}
	// Field order in a hand-built pattern does not change the rendering.
	q := &eventbridge.Pattern{Fields: []eventbridge.Field{
		eventbridge.Leaf("source", eventbridge.Equals("aws.securityhub")),
		eventbridge.Leaf("detail-type", eventbridge.Equals("Findings Imported V2")),
		eventbridge.Object("detail", &eventbridge.Pattern{Fields: []eventbridge.Field{
			eventbridge.Object("findings", &eventbridge.Pattern{Fields: []eventbridge.Field{
				eventbridge.Leaf("severity", eventbridge.Equals("High"), eventbridge.Equals("Critical")),
			}}),
		}}),
	}}
	if got := q.String(); got != want {
		t.Errorf("hand-built String() = %s\nwant                   %s", got, want)
	}
	if !q.Canonical().Equal(p) {
		t.Error("Canonical() of the hand-built pattern differs from the parsed one")
	}
}

func TestDuplicateKeysLastWins(t *testing.T) {
	p, err := eventbridge.ParsePattern([]byte(`{"a":["first"],"b":[1],"a":{"c":["second"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), `{"a":{"c":["second"]},"b":[1]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestMarshalRejectsMalformed(t *testing.T) {
	tests := []struct {
		name string
		p    *eventbridge.Pattern
	}{
		{"empty", &eventbridge.Pattern{}},
		{"empty conditions", &eventbridge.Pattern{Fields: []eventbridge.Field{{Name: "a"}}}},
		{"both", &eventbridge.Pattern{Fields: []eventbridge.Field{{Name: "a", Conditions: []eventbridge.Condition{eventbridge.Equals("x")}, Pattern: &eventbridge.Pattern{}}}}},
		{"duplicate", &eventbridge.Pattern{Fields: []eventbridge.Field{eventbridge.Leaf("a", eventbridge.Equals("x")), eventbridge.Leaf("a", eventbridge.Equals("y"))}}},
		{"one or branch", &eventbridge.Pattern{Or: []*eventbridge.Pattern{{Fields: []eventbridge.Field{eventbridge.Leaf("a", eventbridge.Equals("x"))}}}}},
		{"unset value", &eventbridge.Pattern{Fields: []eventbridge.Field{eventbridge.Leaf("a", eventbridge.Exact(eventbridge.Value{}))}}},
		{"NaN", &eventbridge.Pattern{Fields: []eventbridge.Field{eventbridge.Leaf("a", eventbridge.Numeric(">", nan()))}}},
		{"stray field", &eventbridge.Pattern{Fields: []eventbridge.Field{eventbridge.Leaf("a", eventbridge.Condition{Op: eventbridge.OpEquals, Value: eventbridge.StringValue("x"), IgnoreCase: true})}}},
		{"bad number literal", &eventbridge.Pattern{Fields: []eventbridge.Field{eventbridge.Leaf("a", eventbridge.Exact(eventbridge.NumberValue("01")))}}},
		{"anything-but mixed", &eventbridge.Pattern{Fields: []eventbridge.Field{eventbridge.Leaf("a", eventbridge.Condition{Op: eventbridge.OpAnythingBut, Except: eventbridge.OpEquals, Values: []eventbridge.Value{eventbridge.StringValue("x"), eventbridge.IntValue(1)}})}}},
		{"numeric range order", &eventbridge.Pattern{Fields: []eventbridge.Field{eventbridge.Leaf("a", eventbridge.NumericRange(">", 5, "<", 1))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := json.Marshal(tt.p); err == nil {
				t.Errorf("Marshal = %s, want an error", b)
			} else if !errors.Is(err, eventbridge.ErrInvalidPattern) {
				t.Errorf("error %v does not match ErrInvalidPattern", err)
			}
			if _, err := eventbridge.Compile(tt.p); err == nil {
				t.Error("Compile accepted a malformed pattern")
			}
		})
	}
}

func nan() float64 {
	var zero float64
	return zero / zero
}

func TestConstructorsRender(t *testing.T) {
	p := &eventbridge.Pattern{Fields: []eventbridge.Field{eventbridge.Leaf("a",
		eventbridge.Equals("x"), eventbridge.Exact(eventbridge.IntValue(7)), eventbridge.Exact(eventbridge.FloatValue(1e21)),
		eventbridge.Exact(eventbridge.BoolValue(true)), eventbridge.Null(), eventbridge.Empty(),
		eventbridge.Prefix("p"), eventbridge.PrefixIgnoreCase("P"), eventbridge.Suffix("s"), eventbridge.SuffixIgnoreCase("S"),
		eventbridge.EqualsIgnoreCase("e"), eventbridge.Wildcard("w*"), eventbridge.CIDR("10.0.0.0/8"),
		eventbridge.Exists(true), eventbridge.Exists(false),
		eventbridge.Numeric(">=", 0.5), eventbridge.NumericRange(">", 0, "<=", 5),
		eventbridge.AnythingBut("a", "b"), eventbridge.AnythingButNumber(1, 2), eventbridge.AnythingButPrefix("x"),
		eventbridge.AnythingButSuffix("y"), eventbridge.AnythingButIgnoreCase("z"), eventbridge.AnythingButWildcard("*/q/*"),
	)}}
	want := `{"a":["x",7,1e+21,true,null,"",{"prefix":"p"},{"prefix":{"equals-ignore-case":"P"}},{"suffix":"s"},` +
		`{"suffix":{"equals-ignore-case":"S"}},{"equals-ignore-case":"e"},{"wildcard":"w*"},{"cidr":"10.0.0.0/8"},` +
		`{"exists":true},{"exists":false},{"numeric":[">=",0.5]},{"numeric":[">",0,"<=",5]},{"anything-but":["a","b"]},` +
		`{"anything-but":[1,2]},{"anything-but":{"prefix":"x"}},{"anything-but":{"suffix":"y"}},` +
		`{"anything-but":{"equals-ignore-case":"z"}},{"anything-but":{"wildcard":"*/q/*"}}]}`
	b, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	// json.Marshal HTML-escapes what MarshalJSON returns: the same pattern.
	viaJSON, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if q, err := eventbridge.ParsePattern(viaJSON); err != nil || !q.Equal(p) {
		t.Errorf("json.Marshal output %s does not parse back: %v", viaJSON, err)
	}
	q, err := eventbridge.ParsePattern(b)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Equal(p) {
		t.Error("parsing the rendering gives a different pattern")
	}
}

func TestLimits(t *testing.T) {
	// A pattern of n characters: {"a":["xxx…"]} is 10 characters plus the string.
	sized := func(n int) []byte { return []byte(`{"a":["` + strings.Repeat("x", n-10) + `"]}`) }

	for _, n := range []int{eventbridge.DefaultPatternSizeQuota, eventbridge.MaxPatternSize} {
		p, err := eventbridge.ParsePattern(sized(n))
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if p.Size() != n {
			t.Fatalf("Size() = %d, want %d", p.Size(), n)
		}
		warned := hasWarning(p.Warnings(), eventbridge.WarnSizeOverDefaultQuota)
		if want := n > eventbridge.DefaultPatternSizeQuota; warned != want {
			t.Errorf("size %d: size warning = %v, want %v", n, warned, want)
		}
	}
	if p, _ := eventbridge.ParsePattern(sized(eventbridge.DefaultPatternSizeQuota + 1)); !hasWarning(p.Warnings(), eventbridge.WarnSizeOverDefaultQuota) {
		t.Error("no size warning just above the default quota")
	}
	_, err := eventbridge.ParsePattern(sized(eventbridge.MaxPatternSize + 1))
	var le *eventbridge.LimitError
	if !errors.As(err, &le) || !errors.Is(err, eventbridge.ErrPatternTooLarge) || !errors.Is(err, eventbridge.ErrInvalidPattern) {
		t.Fatalf("oversized pattern: error %v, want a *LimitError for ErrPatternTooLarge", err)
	}
	if le.Actual != eventbridge.MaxPatternSize+1 || le.Max != eventbridge.MaxPatternSize {
		t.Errorf("LimitError = %+v", le)
	}
	// Characters, not bytes: "é" is one character.
	p, err := eventbridge.ParsePattern([]byte(`{"a":["` + strings.Repeat("é", 4000) + `"]}`))
	if err != nil || p.Size() != 4010 {
		t.Errorf("4,000 é: Size() = %d, err %v; want 4010 characters, accepted", p.Size(), err)
	}
	// Whitespace in the input does not count: the compact rendering does.
	if _, err := eventbridge.ParsePattern([]byte(`{"a":   [` + strings.Repeat(" ", 5000) + `"x"]}`)); err != nil {
		t.Errorf("whitespace counted: %v", err)
	}
}

// orPattern returns a pattern of k parallel $or groups of n branches:
// n^k combinations.
func orPattern(n, k int) []byte {
	var b strings.Builder
	b.WriteString("{")
	for g := 0; g < k; g++ {
		if g > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"g%d":{"$or":[`, g)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"f%d":[%d]}`, i, i)
		}
		b.WriteString("]}")
	}
	b.WriteString("}")
	return []byte(b.String())
}

func TestOrCombinationsLimit(t *testing.T) {
	p, err := eventbridge.ParsePattern(orPattern(10, 3)) // exactly 1,000
	if err != nil {
		t.Fatalf("1,000 combinations rejected: %v", err)
	}
	if p.Combinations() != 1000 {
		t.Errorf("Combinations() = %d, want 1000", p.Combinations())
	}
	if _, err := eventbridge.Compile(p); err != nil {
		t.Errorf("Compile: %v", err)
	}
	_, err = eventbridge.ParsePattern(orPattern(11, 3)) // 1,331
	var le *eventbridge.LimitError
	if !errors.As(err, &le) || !errors.Is(err, eventbridge.ErrTooManyCombinations) || le.Actual != 1331 {
		t.Fatalf("1,331 combinations: error %v, want a *LimitError for ErrTooManyCombinations", err)
	}
	// Saturation: a huge product is reported, capped, without overflow.
	huge := &eventbridge.Pattern{}
	branch := func(name string) *eventbridge.Pattern {
		return &eventbridge.Pattern{Fields: []eventbridge.Field{eventbridge.Leaf(name, eventbridge.Equals("x"))}}
	}
	for g := 0; g < 40; g++ {
		huge.Fields = append(huge.Fields, eventbridge.Object(fmt.Sprint("g", g), &eventbridge.Pattern{Or: []*eventbridge.Pattern{branch("a"), branch("b"), branch("c")}}))
	}
	if n := huge.Combinations(); n != 1<<31-1 {
		t.Errorf("Combinations() = %d, want the saturated 2147483647", n)
	}
	if err := huge.Validate(); !errors.Is(err, eventbridge.ErrTooManyCombinations) && !errors.Is(err, eventbridge.ErrPatternTooLarge) {
		t.Errorf("Validate() = %v", err)
	}
}

func hasWarning(ws []eventbridge.Warning, code eventbridge.WarningCode) bool {
	for _, w := range ws {
		if w.Code == code {
			return true
		}
	}
	return false
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		pattern string
		want    []eventbridge.WarningCode
	}{
		{`{"source":["aws.securityhub"],"detail-type":["Findings Imported V2"]}`, nil},
		{`{"source":["aws.securityhub"],"detail-type":["Security Hub Findings Imported V2"]}`, []eventbridge.WarningCode{eventbridge.WarnDetailTypeNeverSent}},
		{`{"$or":[{"detail-type":["Security Hub Findings Imported V2"]},{"x":[1]}]}`, []eventbridge.WarningCode{eventbridge.WarnDetailTypeNeverSent}},
		{`{"source":["aws.securityhub"]}`, []eventbridge.WarningCode{eventbridge.WarnSecurityHubWithoutDetailType}},
		{`{"a":[{"numeric":[">",-6e9,"<",1]}]}`, []eventbridge.WarningCode{eventbridge.WarnNumericOutOfRange}},
		{`{"a":[{"numeric":[">=",-5e9,"<=",5e9]}]}`, nil},
	}
	for _, tt := range tests {
		p, err := eventbridge.ParsePattern([]byte(tt.pattern))
		if err != nil {
			t.Fatal(err)
		}
		ws := p.Warnings()
		var got []eventbridge.WarningCode
		for _, w := range ws {
			got = append(got, w.Code)
			if w.Message == "" || w.String() == "" {
				t.Errorf("warning without a message: %+v", w)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: warnings %v, want %v", tt.pattern, ws, tt.want)
		}
	}
	p, _ := eventbridge.ParsePattern([]byte(`{"source":["aws.securityhub"],"detail-type":["Findings Imported V2","Security Hub Findings Imported V2"]}`))
	if ws := p.Warnings(); len(ws) != 1 || ws[0].Path != "/detail-type/1" {
		t.Errorf("warnings %v, want one at /detail-type/1", ws)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	var cfg struct {
		Rules map[string]*eventbridge.Pattern `json:"rules"`
	}
	err := json.Unmarshal([]byte(`{"rules":{"r1":{"source":["aws.securityhub"]}}}`), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Rules["r1"].String(); got != `{"source":["aws.securityhub"]}` {
		t.Errorf("got %s", got)
	}
	err = json.Unmarshal([]byte(`{"rules":{"r1":{"source":"aws.securityhub"}}}`), &cfg)
	if !errors.Is(err, eventbridge.ErrInvalidPattern) {
		t.Errorf("error %v, want ErrInvalidPattern", err)
	}
}
