package remediate_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ocsfhub/ocsfhub/remediate"
	rt "github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

// testRegistry builds fakes; "ticket" requires a non-empty "queue" param.
func testRegistry() remediate.Registry {
	return remediate.Registry{
		"mark": func(params json.RawMessage) (remediate.Remediator, error) { return &rt.Fake{ID: "mark"}, nil },
		"ticket": func(params json.RawMessage) (remediate.Remediator, error) {
			var p struct {
				Queue string `json:"queue"`
			}
			if len(params) > 0 {
				if err := json.Unmarshal(params, &p); err != nil {
					return nil, err
				}
			}
			if p.Queue == "" {
				return nil, errors.New("queue is required")
			}
			return &rt.Fake{ID: "ticket"}, nil
		},
	}
}

const goodRules = `# sample
version: 1
remediators:
  ticket:
    queue: SEC
exclude:
  accounts: ["000011112222", 012345678901]
  regions: [ap-east-1]
  tags:
    DoNotRemediate: "*"
    env: [prod, pci]
limits:
  overall: {max: 30, window: 1h}
  remediator: {max: 5, window: 10m}
  per_remediator:
    ticket: {max: unlimited}
rules:
  - name: tickets-for-high
    description: open a ticket for every high finding
    remediator: ticket
    mode: automatic
    pattern:
      severity_id: [{numeric: [">=", 4]}]
      class_uid: [2004, 2003]
  - name: mark-s3
    remediator: mark
    mode: approval
    pattern: '{"resources":{"type":["AWS::S3::Bucket"]}}'
    exclude:
      tags: ["owner=security", "legal-hold"]
  - name: everything-dry
    remediator: mark
`

func TestLoadRules(t *testing.T) {
	rs, err := remediate.LoadRules("rules.yaml", []byte(goodRules), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Rules) != 3 || len(rs.Remediators) != 2 {
		t.Fatalf("rules %d remediators %d", len(rs.Rules), len(rs.Remediators))
	}
	r0 := rs.Rules[0]
	if r0.Name != "tickets-for-high" || r0.Mode != remediate.ModeAutomatic || r0.Remediator.Name() != "ticket" {
		t.Errorf("rule 0: %+v", r0)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(r0.Pattern), &p); err != nil {
		t.Fatalf("pattern is not JSON: %s", r0.Pattern)
	}
	if r0.Pattern != `{"severity_id":[{"numeric":[">=",4]}],"class_uid":[2004,2003]}` {
		t.Errorf("pattern %s", r0.Pattern)
	}
	if rs.Rules[1].Mode != remediate.ModeApproval || rs.Rules[2].Mode != remediate.ModeDryRun {
		t.Errorf("modes %v %v", rs.Rules[1].Mode, rs.Rules[2].Mode)
	}
	if rs.Rules[1].Remediator != rs.Rules[2].Remediator {
		t.Error("two rules naming the same remediator got different instances")
	}
	wantEx := remediate.Exclusions{
		Accounts: []string{"000011112222", "012345678901"},
		Regions:  []string{"ap-east-1"},
		Tags:     []remediate.TagMatch{{Key: "DoNotRemediate"}, {Key: "env", Values: []string{"prod", "pci"}}},
	}
	if diff := cmp.Diff(wantEx, rs.Exclude); diff != "" {
		t.Errorf("exclusions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]remediate.TagMatch{{Key: "owner", Values: []string{"security"}}, {Key: "legal-hold"}}, rs.Rules[1].Exclude.Tags); diff != "" {
		t.Errorf("rule tags (-want +got):\n%s", diff)
	}
	wantLim := remediate.Limits{
		Overall:       remediate.Limit{Max: 30, Window: time.Hour},
		Remediator:    remediate.Limit{Max: 5, Window: 10 * time.Minute},
		PerRemediator: map[string]remediate.Limit{"ticket": {Max: -1}},
	}
	if diff := cmp.Diff(wantLim, rs.Limits); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}
	// The rules build an engine.
	if _, err := remediate.New(newEnv(t, remediate.Options{}).store, remediate.Options{Rules: rs.Rules, Exclude: rs.Exclude, Limits: rs.Limits}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRulesJSON(t *testing.T) {
	const doc = `{
  "rules": [
    {"name": "a", "remediator": "mark", "mode": "automatic",
     "pattern": {"severity_id": [4.0, 5]}}
  ]
}`
	rs, err := remediate.LoadRules("rules.json", []byte(doc), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	// Number spelling is kept: EventBridge compares 4.0 and 4 as different.
	if rs.Rules[0].Pattern != `{"severity_id":[4.0,5]}` {
		t.Errorf("pattern %s", rs.Rules[0].Pattern)
	}
}

func TestLoadRulesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc  string
		line       int
		path, want string
	}{
		{"syntax tab", "rules:\n\t- a\n", 2, "", "found character that cannot start any token"},
		{"syntax colon", "rules: []\nexclude: regions: x\n", 2, "", "mapping values are not allowed"},
		{"syntax missing colon", "rules:\n  - name: a\n  x\n", 3, "", "could not find expected ':'"},
		{"json unclosed", "{\"rules\": [\n  {\"name\": \"a\"\n", 1, "", "did not find expected ',' or '}'"},
		{"empty", "", 1, "", "empty rule file"},
		{"not a mapping", "- a\n- b\n", 1, "", "a rule file is a mapping"},
		{"unknown top key", "rules: []\nrulez: []\n", 2, "rulez", `unknown key "rulez"`},
		{"missing rules", "exclude: {}\n", 1, "rules", `missing key "rules"`},
		{"unknown rule key", "rules:\n  - name: a\n    remediator: mark\n    modee: automatic\n", 4, "rules[0].modee", `unknown key "modee"`},
		{"bad mode", "rules:\n  - name: a\n    remediator: mark\n    mode: yolo\n", 4, "rules[0].mode", `unknown mode "yolo"`},
		{"unknown remediator", "rules:\n  - name: a\n    remediator: isolate\n", 3, "rules[0].remediator", `unknown remediator "isolate" (known: mark, ticket)`},
		{"missing name", "rules:\n  - remediator: mark\n", 2, "rules[0]", `missing key "name"`},
		{"duplicate rule", "rules:\n  - {name: a, remediator: mark}\n  - {name: a, remediator: mark}\n", 3, "rules[1].name", `duplicate rule name "a"`},
		{"duplicate key", "rules:\n  - name: a\n    name: b\n    remediator: mark\n", 3, "rules[0].name", `duplicate key "name"`},
		{"pattern leaf not a list", "rules:\n  - name: a\n    remediator: mark\n    pattern:\n      class_uid: 2004\n", 5, "rules[0].pattern/class_uid", "invalid pattern"},
		{"pattern bad operator", "rules:\n  - name: a\n    remediator: mark\n    pattern:\n      severity_id:\n        - numeric: [\">=\", 4]\n        - prefx: x\n", 7, "rules[0].pattern/severity_id/1/prefx", `unrecognized operator "prefx"`},
		{"pattern string not JSON", "rules:\n  - name: a\n    remediator: mark\n    pattern: '{nope'\n", 4, "rules[0].pattern", "invalid pattern"},
		{"factory error", "remediators:\n  ticket:\n    queue: \"\"\nrules:\n  - {name: a, remediator: ticket}\n", 3, "remediators.ticket", "queue is required"},
		{"factory error no params", "rules:\n  - name: a\n    remediator: ticket\n", 3, "rules[0].remediator", "queue is required"},
		{"unknown remediator params", "remediators:\n  nope: {}\nrules: []\n", 2, "remediators.nope", `unknown remediator "nope"`},
		{"bad limit", "limits:\n  overall: {max: 0}\nrules: []\n", 2, "limits.overall.max", "max must be a positive integer"},
		{"bad window", "limits:\n  overall:\n    max: 3\n    window: soon\nrules: []\n", 4, "limits.overall.window", "window must be a positive duration"},
		{"bad exclusion", "exclude:\n  accounts: {a: b}\nrules: []\n", 2, "exclude.accounts", "want a list of strings"},
		{"bad version", "version: 2\nrules: []\n", 1, "version", `unsupported version "2"`},
		{"number not JSON", "rules:\n  - name: a\n    remediator: mark\n    pattern: {x: [.inf]}\n", 4, "rules[0].pattern.x[0]", "cannot be written in JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := remediate.LoadRules("rules.yaml", []byte(tc.doc), testRegistry())
			var ce *remediate.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *ConfigError", err)
			}
			if ce.Line != tc.line || ce.Path != tc.path || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got line %d path %q: %v\nwant line %d path %q containing %q", ce.Line, ce.Path, err, tc.line, tc.path, tc.want)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("rules.yaml:%d", tc.line)) {
				t.Fatalf("message %q does not start with file:line", err)
			}
		})
	}
}

func FuzzLoadRules(f *testing.F) {
	f.Add([]byte(goodRules))
	f.Add([]byte(`{"rules":[{"name":"a","remediator":"mark","pattern":{"a":[{"prefix":"x"}]}}]}`))
	f.Add([]byte("rules:\n  - &r {name: a, remediator: mark}\n  - *r\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("rules:\n  - name: a\n    remediator: mark\n    pattern: {x: [0x1F, 1e3, -0, .5]}\n"))
	f.Add([]byte("limits: {overall: {max: 3, window: 1s}}\nrules: []\n"))
	reg := testRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := remediate.LoadRules("fuzz.yaml", data, reg)
		if err != nil {
			var ce *remediate.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error is not a *ConfigError: %v", err)
			}
			if ce.File != "fuzz.yaml" {
				t.Fatalf("error names file %q", ce.File)
			}
			return
		}
		// Whatever loads must build an engine: patterns compile, names unique.
		for _, r := range rs.Rules {
			if r.Remediator == nil || r.Name == "" {
				t.Fatalf("loaded an incomplete rule %+v", r)
			}
			if _, err := remediate.EventPattern(r.Pattern); err != nil {
				// A valid rule pattern wrapped under detail.findings can exceed
				// EventBridge's size limit; anything else is a bug.
				if !strings.Contains(err.Error(), "too large") && !strings.Contains(err.Error(), "combinations") {
					t.Fatalf("rule %q pattern %s does not convert: %v", r.Name, r.Pattern, err)
				}
			}
		}
	})
}
