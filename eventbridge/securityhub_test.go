package eventbridge_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/eventbridge"
	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
)

// securityHubRules is a realistic rule set: the kind of rules a team routes
// Security Hub findings with.
func securityHubRules(tb testing.TB) []eventbridge.Rule {
	tb.Helper()
	eb := eventbridge.NewSecurityHubRule
	builders := []struct {
		name string
		rule *eventbridge.SecurityHubRule
	}{
		{"guardduty-high", eb().ProductName("GuardDuty").SeverityAtLeast(4)},
		{"guardduty-ec2", eb().ProductName("GuardDuty").ResourceType("AWS::EC2::Instance")},
		{"critical", eb().Severity("Critical")},
		{"compliance-failed", eb().ClassUID(2003).ComplianceStatus("Fail")},
		{"cis", eb().TypePrefix("Software and Configuration Checks/Industry and Regulatory Standards/CIS")},
		{"inspector-vulns", eb().ProductName("Inspector").ClassUID(2002)},
		{"prod-account-medium-plus", eb().AccountID("123456789012").Region("us-east-1").SeverityID(3, 4, 5)},
		{"container-privesc", eb().ResourceType("AWS::Container::Container").Where("finding_info.types", eventbridge.Prefix("PrivilegeEscalation:"))},
		{"new-findings", eb().StatusID(1).Where("activity_id", eventbridge.Exact(eventbridge.IntValue(1)))},
		{"open-detections", eb().ClassUID(2004).Where("status", eventbridge.AnythingBut("Suppressed", "Resolved"))},
		{"runtime-exec", eb().Where("finding_info.types", eventbridge.Wildcard("Execution:Runtime/*"))},
		{"not-sandbox", eb().Where("cloud.account.uid", eventbridge.AnythingButPrefix("1111")).SeverityAtLeast(3)},
		{"securityhub-product", eb().ProductUIDPrefix("arn:aws:securityhub:us-east-1::productv2/aws/securityhub")},
		{"tagged-production", eb().Where("resources.tags.name", eventbridge.Equals("environment")).Where("resources.tags.value", eventbridge.Equals("production"))},
		{"tag-split-never", eb().Where("resources.tags.name", eventbridge.Equals("Name")).Where("resources.tags.value", eventbridge.Equals("production"))},
		{"aws-provider", eb().Where("cloud.provider", eventbridge.EqualsIgnoreCase("aws")).Where("severity_id", eventbridge.Numeric(">", 1))},
		{"critical-or-failed", eb().AnyOf(eb().Severity("Critical"), eb().ComplianceStatus("Fail", "FAILED"))},
	}
	rules := make([]eventbridge.Rule, len(builders))
	for i, b := range builders {
		p, err := b.rule.Pattern()
		if err != nil {
			tb.Fatalf("%s: %v", b.name, err)
		}
		rules[i] = eventbridge.Rule{Name: b.name, Pattern: p}
	}
	return rules
}

// envelope wraps a bare finding in a "Findings Imported V2" event, as
// Security Hub delivers it.
func envelope(finding []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`{"version":"0","id":"9f7a4c2e-7d2b-4b7e-9a55-1c9e4b0b9c11","detail-type":"Findings Imported V2",` +
		`"source":"aws.securityhub","account":"123456789012","time":"2025-06-01T12:00:00Z","region":"us-east-1",` +
		`"resources":["1d24e9c0b8b5f0f2a8f7f0c4d6e1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3"],"detail":{"findings":[`)
	b.Write(finding)
	b.WriteString(`]}}`)
	return b.Bytes()
}

// securityHubSamples returns the published findings of
// ../shared/securityhub-samples, by file name.
func securityHubSamples(tb testing.TB) map[string][]byte {
	tb.Helper()
	dir := sharedtest.Dir(tb, "securityhub-samples")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		tb.Skipf("no samples in %s", dir)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// findingFixtures returns the repository's finding fixtures
// (testdata/findings/*.json at the module root, bare findings or
// envelopes), or nil when there are none.
func findingFixtures(tb testing.TB) map[string][]byte {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "findings", "*.json"))
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		if json.Valid(b) && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
			out[filepath.Base(f)] = b
		}
	}
	return out
}

// fixtureEvents returns the repository's fixtures as events (bare findings
// wrapped in an envelope), or nil.
func fixtureEvents(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for k, v := range findingFixtures(tb) {
		if !isEnvelope(v) {
			v = envelope(v)
		}
		out[k] = v
	}
	return out
}

// isEnvelope reports whether a fixture is an EventBridge event rather than
// a bare finding.
func isEnvelope(b []byte) bool {
	var probe struct {
		DetailType *string         `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	return json.Unmarshal(b, &probe) == nil && probe.DetailType != nil && probe.Detail != nil
}

func TestSecurityHubRuleSetOnSamples(t *testing.T) {
	samples := securityHubSamples(t)
	rs, err := eventbridge.NewRuleSet(securityHubRules(t)...)
	if err != nil {
		t.Fatal(err)
	}
	// Worked out by hand from each finding's fields.
	want := map[string][]string{
		"cruxstack-compliance-1.json": {"critical", "compliance-failed", "cis", "prod-account-medium-plus", "not-sandbox",
			"securityhub-product", "aws-provider", "critical-or-failed"},
		"cruxstack-detection-1.json": {"guardduty-ec2", "prod-account-medium-plus", "new-findings", "open-detections",
			"runtime-exec", "not-sandbox", "tagged-production", "aws-provider"},
		"cruxstack-detection-2.json": {"guardduty-ec2", "prod-account-medium-plus", "container-privesc", "open-detections",
			"not-sandbox", "tagged-production", "aws-provider"},
		"securitylake-ocsf10rc2-securityfinding-1.json": nil,
		"securitylake-ocsf11-compliance-1.json":         {"aws-provider", "critical-or-failed"},
		"securitylake-ocsf11-detection-1.json":          {"open-detections", "aws-provider"},
		"securitylake-ocsf11-vulnerability-1.json":      {"inspector-vulns", "aws-provider"},
	}
	for name, finding := range samples {
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Skip("no expectation for this sample")
			}
			got, err := rs.Match(envelope(finding))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != strings.Join(w, ",") {
				t.Errorf("Match = %q\nwant    %q", got, w)
			}
			bare, err := rs.MatchFinding(finding)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(bare, ",") != strings.Join(w, ",") {
				t.Errorf("MatchFinding = %q\nwant           %q", bare, w)
			}
		})
	}
}

// TestFindingMatchingIsConsistent checks, for every sample and fixture and
// every rule, that the three ways to match a finding agree: the envelope
// with Match, the bare finding with MatchFinding, and the bare finding
// against the rule's FindingPattern.
func TestFindingMatchingIsConsistent(t *testing.T) {
	findings := map[string][]byte{}
	if root, ok := sharedtest.Root(); ok {
		if _, err := os.Stat(filepath.Join(root, "securityhub-samples")); err == nil {
			for k, v := range securityHubSamples(t) {
				findings[k] = v
			}
		}
	}
	for k, v := range findingFixtures(t) {
		if isEnvelope(v) {
			var env struct {
				Detail struct {
					Findings []json.RawMessage `json:"findings"`
				} `json:"detail"`
			}
			if err := json.Unmarshal(v, &env); err != nil || len(env.Detail.Findings) != 1 {
				t.Fatalf("fixture %s: %v", k, err)
			}
			v = env.Detail.Findings[0]
		}
		findings["fixture:"+k] = v
	}
	if len(findings) == 0 {
		t.Skip("no findings: ../shared not present and no testdata/findings fixtures")
	}
	eb := eventbridge.NewSecurityHubRule
	builders := map[string]*eventbridge.SecurityHubRule{
		"guardduty-ec2": eb().ProductName("GuardDuty").ResourceType("AWS::EC2::Instance"),
		"severity":      eb().SeverityAtLeast(3),
		"tags":          eb().Where("resources.tags.name", eventbridge.Equals("environment")).Where("resources.tags.value", eventbridge.Prefix("prod")),
		"class":         eb().ClassName("Compliance Finding", "Detection Finding"),
		"no-comment":    eb().Where("comment", eventbridge.Exists(false)).Where("status", eventbridge.Exists(true)),
	}
	names := make([]string, 0, len(builders))
	for n := range builders {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		env, err := builders[n].Pattern()
		if err != nil {
			t.Fatal(err)
		}
		fp, err := builders[n].FindingPattern()
		if err != nil {
			t.Fatal(err)
		}
		envM, err := eventbridge.Compile(env)
		if err != nil {
			t.Fatal(err)
		}
		fpM, err := eventbridge.Compile(fp)
		if err != nil {
			t.Fatal(err)
		}
		for fname, f := range findings {
			a, err1 := envM.Match(envelope(f))
			b, err2 := envM.MatchFinding(f)
			c, err3 := fpM.Match(f)
			if err1 != nil || err2 != nil || err3 != nil {
				t.Fatalf("%s/%s: %v %v %v", n, fname, err1, err2, err3)
			}
			if a != b || a != c {
				t.Errorf("%s/%s: envelope %v, MatchFinding %v, FindingPattern %v", n, fname, a, b, c)
			}
		}
	}
}
