package eventbridge_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/eventbridge"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./eventbridge -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got  %s\n want %s", name, got, want)
	}
}

func fullRule() *eventbridge.SecurityHubRule {
	return eventbridge.NewSecurityHubRule().
		Severity("High", "Critical").
		SeverityID(4, 5).
		ClassUID(2004).
		ClassName("Detection Finding").
		ProductName("GuardDuty").
		ProductUID("arn:aws:securityhub:us-east-1::productv2/aws/guardduty").
		TypePrefix("TTPs/", "Execution:").
		StatusID(1).
		Status("New").
		AccountID("123456789012").
		Region("us-east-1", "eu-west-1").
		ResourceType("AWS::EC2::Instance").
		ComplianceStatus("Fail").
		Where("finding_info.title", eventbridge.AnythingButPrefix("Test")).
		Where("resources.tags.name", eventbridge.Equals("environment")).
		Where("resources.tags.value", eventbridge.EqualsIgnoreCase("production"))
}

func TestSecurityHubRuleGolden(t *testing.T) {
	p, err := fullRule().Pattern()
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "securityhub-rule.golden.json", append(b, '\n'))

	// The golden file parses back to the same pattern.
	g, err := os.ReadFile(filepath.Join("testdata", "securityhub-rule.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := eventbridge.ParsePattern(g)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Equal(p) {
		t.Error("the golden pattern parses to a different pattern")
	}
	if ws := p.Warnings(); len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
	// Rendering again gives the same bytes.
	p2, _ := fullRule().Pattern()
	if p2.String() != p.String() {
		t.Error("rendering is not deterministic")
	}

	fp, err := fullRule().FindingPattern()
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := fp.MarshalJSON()
	golden(t, "securityhub-finding-pattern.golden.json", append(fb, '\n'))
	if got := p.Field("detail").Pattern.Field("findings").Pattern; !got.Equal(fp) {
		t.Error("FindingPattern differs from the pattern under detail.findings")
	}
}

func TestSecurityHubRuleDefault(t *testing.T) {
	p, err := eventbridge.NewSecurityHubRule().Pattern()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), `{"detail-type":["Findings Imported V2"],"source":["aws.securityhub"]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := eventbridge.NewSecurityHubRule().FindingPattern(); !errors.Is(err, eventbridge.ErrInvalidFilter) {
		t.Errorf("FindingPattern without filters: %v, want ErrInvalidFilter", err)
	}
	p, err = eventbridge.NewSecurityHubRule().DetailType(eventbridge.DetailTypeFindingsImportedV2, eventbridge.DetailTypeCSPMFindingsImported).Pattern()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), `{"detail-type":["Findings Imported V2","Security Hub Findings - Imported"],"source":["aws.securityhub"]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestSecurityHubRuleRefusesMisleadingDetailType(t *testing.T) {
	_, err := eventbridge.NewSecurityHubRule().DetailType("Security Hub Findings Imported V2").Severity("High").Pattern()
	if !errors.Is(err, eventbridge.ErrDetailTypeNeverSent) {
		t.Fatalf("error %v, want ErrDetailTypeNeverSent", err)
	}
	if !strings.Contains(err.Error(), `"Findings Imported V2"`) {
		t.Errorf("error %q does not name the right detail-type", err)
	}
	// The autobotAI guide's custom pattern parses, and warns.
	p, err := eventbridge.ParsePattern([]byte(`{ "source": ["aws.securityhub"], "detail-type": ["Security Hub Findings Imported V2"] }`))
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(p.Warnings(), eventbridge.WarnDetailTypeNeverSent) {
		t.Errorf("no warning for the misleading detail-type: %v", p.Warnings())
	}
	// And indeed it matches no event Security Hub sends.
	m, err := eventbridge.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := m.Match(envelope([]byte(`{"class_uid":2004}`))); ok {
		t.Error("the misleading detail-type matched a Findings Imported V2 event")
	}
}

func TestSecurityHubRuleInvalid(t *testing.T) {
	eb := eventbridge.NewSecurityHubRule
	tests := []struct {
		name string
		rule *eventbridge.SecurityHubRule
		want error
	}{
		{"severity case", eb().Severity("HIGH"), eventbridge.ErrInvalidFilter},
		{"unknown severity", eb().Severity("Severe"), eventbridge.ErrInvalidFilter},
		{"unknown status", eb().Status("Open"), eventbridge.ErrInvalidFilter},
		{"account id", eb().AccountID("12345"), eventbridge.ErrInvalidFilter},
		{"account id letters", eb().AccountID("12345678901a"), eventbridge.ErrInvalidFilter},
		{"severity at least", eb().SeverityAtLeast(99), eventbridge.ErrInvalidFilter},
		{"no values", eb().ProductName(), eventbridge.ErrInvalidFilter},
		{"no detail-type", eb().DetailType(), eventbridge.ErrInvalidFilter},
		{"envelope path", eb().Where("detail.findings.severity", eventbridge.Equals("High")), eventbridge.ErrInvalidFilter},
		{"empty path segment", eb().Where("a..b", eventbridge.Equals("x")), eventbridge.ErrInvalidFilter},
		{"bad condition", eb().Where("a", eventbridge.Wildcard("a**")), eventbridge.ErrInvalidPattern},
		{"leaf and object", eb().Where("cloud", eventbridge.Exists(true)).Region("us-east-1"), eventbridge.ErrInvalidFilter},
		{"one branch", eb().AnyOf(eb().Severity("High")), eventbridge.ErrInvalidFilter},
		{"empty branch", eb().AnyOf(eb().Severity("High"), eb()), eventbridge.ErrInvalidFilter},
		{"bad branch", eb().AnyOf(eb().Severity("High"), eb().Severity("x")), eventbridge.ErrInvalidFilter},
		{"two AnyOf", eb().AnyOf(eb().Severity("High"), eb().Region("x")).AnyOf(eb().Severity("Low"), eb().Region("y")), eventbridge.ErrInvalidFilter},
		{"first error kept", eb().Severity("HIGH").DetailType(eventbridge.MisleadingDetailType), eventbridge.ErrInvalidFilter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.rule.Pattern()
			if !errors.Is(err, tt.want) {
				t.Errorf("Pattern() error %v, want %v", err, tt.want)
			}
			if tt.rule.Err() == nil && err != nil && tt.name != "leaf and object" {
				t.Errorf("Err() = nil but Pattern() failed with %v", err)
			}
		})
	}
	_, err := eb().Severity("HIGH").Pattern()
	if !strings.Contains(err.Error(), `did you mean "High"`) {
		t.Errorf("error %q gives no hint", err)
	}
}

func TestSecurityHubRuleMerging(t *testing.T) {
	p, err := eventbridge.NewSecurityHubRule().
		Severity("High").Severity("Critical").
		SeverityAtLeast(5).
		Where("finding_info.types", eventbridge.Prefix("A")).TypePrefix("B").
		AnyOf(
			eventbridge.NewSecurityHubRule().ResourceType("AWS::S3::Bucket"),
			eventbridge.NewSecurityHubRule().Region("us-east-1").AnyOf(
				eventbridge.NewSecurityHubRule().ClassUID(2003),
				eventbridge.NewSecurityHubRule().ClassUID(2004))).
		Pattern()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"detail":{"findings":{"finding_info":{"types":[{"prefix":"A"},{"prefix":"B"}]},"severity":["High","Critical"],` +
		`"severity_id":[{"numeric":[">=",5,"<=",6]}],"$or":[{"resources":{"type":["AWS::S3::Bucket"]}},` +
		`{"cloud":{"region":["us-east-1"]},"$or":[{"class_uid":[2003]},{"class_uid":[2004]}]}]}},` +
		`"detail-type":["Findings Imported V2"],"source":["aws.securityhub"]}`
	if got := p.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if p.Combinations() != 3 {
		t.Errorf("Combinations() = %d, want 3", p.Combinations())
	}
}
