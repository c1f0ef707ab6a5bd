package eventbridge_test

import (
	"errors"
	"fmt"

	"github.com/ocsfhub/ocsfhub/eventbridge"
)

func ExampleParsePattern() {
	p, err := eventbridge.ParsePattern([]byte(`{
		"source": ["aws.securityhub"],
		"detail-type": ["Findings Imported V2"],
		"detail": {"findings": {"severity_id": [{"numeric": [">=", 4]}]}}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p) // compact, keys sorted
	fmt.Println(p.Size(), "characters")

	_, err = eventbridge.ParsePattern([]byte(`{"detail": {"severity_id": [{"numeric": [">=", "4"]}]}}`))
	var pe *eventbridge.PatternError
	if errors.As(err, &pe) {
		fmt.Printf("path %s, operator %s: %s\n", pe.Path, pe.Operator, pe.Msg)
	}
	// Output:
	// {"detail":{"findings":{"severity_id":[{"numeric":[">=",4]}]}},"detail-type":["Findings Imported V2"],"source":["aws.securityhub"]}
	// 130 characters
	// path /detail/severity_id/0/numeric/1, operator numeric: the value of ">=" must be a number
}

func ExampleNewSecurityHubRule() {
	p, err := eventbridge.NewSecurityHubRule().
		Severity("High", "Critical").
		ProductName("GuardDuty").
		ResourceType("AWS::EC2::Instance").
		Pattern()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p)

	// The detail-type printed by the autobotAI guide matches nothing.
	_, err = eventbridge.NewSecurityHubRule().DetailType("Security Hub Findings Imported V2").Pattern()
	fmt.Println(errors.Is(err, eventbridge.ErrDetailTypeNeverSent))
	// Output:
	// {"detail":{"findings":{"metadata":{"product":{"name":["GuardDuty"]}},"resources":{"type":["AWS::EC2::Instance"]},"severity":["High","Critical"]}},"detail-type":["Findings Imported V2"],"source":["aws.securityhub"]}
	// true
}

func ExampleSecurityHubRule_FindingPattern() {
	p, err := eventbridge.NewSecurityHubRule().ClassUID(2003).ComplianceStatus("Fail").FindingPattern()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p)
	m, _ := eventbridge.Compile(p)
	ok, _ := m.Match([]byte(`{"class_uid":2003,"compliance":{"status":"Fail","control":"S3.1"}}`))
	fmt.Println(ok)
	// Output:
	// {"class_uid":[2003],"compliance":{"status":["Fail"]}}
	// true
}

func ExampleMatcher_Match() {
	p, _ := eventbridge.ParsePattern([]byte(`{"detail":{"findings":{
		"resources":{"type":["AWS::S3::Bucket"],"region":[{"anything-but":{"prefix":"us-"}}]}}}}`))
	m, err := eventbridge.Compile(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, event := range []string{
		`{"detail":{"findings":[{"resources":[{"type":"AWS::S3::Bucket","region":"eu-west-1"}]}]}}`,
		`{"detail":{"findings":[{"resources":[{"type":"AWS::S3::Bucket","region":"us-east-1"}]}]}}`,
		// type and region come from different resources: no match
		`{"detail":{"findings":[{"resources":[{"type":"AWS::S3::Bucket","region":"us-east-1"},{"type":"AWS::IAM::Role","region":"eu-west-1"}]}]}}`,
	} {
		ok, err := m.Match([]byte(event))
		fmt.Println(ok, err)
	}
	// Output:
	// true <nil>
	// false <nil>
	// false <nil>
}

func ExampleMatcher_MatchFinding() {
	p, _ := eventbridge.NewSecurityHubRule().SeverityAtLeast(4).Pattern()
	m, _ := eventbridge.Compile(p)
	// A bare finding, as a remediation engine holds it: matched as the
	// detail.findings[0] of a "Findings Imported V2" event.
	ok, err := m.MatchFinding([]byte(`{"severity":"High","severity_id":4,"class_uid":2004}`))
	fmt.Println(ok, err)
	// Output:
	// true <nil>
}

func ExampleRuleSet_Match() {
	eb := eventbridge.NewSecurityHubRule
	var rules []eventbridge.Rule
	for _, r := range []struct {
		name string
		rule *eventbridge.SecurityHubRule
	}{
		{"critical", eb().Severity("Critical")},
		{"guardduty", eb().ProductName("GuardDuty")},
		{"ec2", eb().ResourceType("AWS::EC2::Instance")},
	} {
		p, err := r.rule.Pattern()
		if err != nil {
			fmt.Println(err)
			return
		}
		rules = append(rules, eventbridge.Rule{Name: r.name, Pattern: p})
	}
	rs, err := eventbridge.NewRuleSet(rules...)
	if err != nil {
		fmt.Println(err)
		return
	}
	names, err := rs.Match([]byte(`{"source":"aws.securityhub","detail-type":"Findings Imported V2",
		"detail":{"findings":[{"severity":"High","metadata":{"product":{"name":"GuardDuty"}},
		"resources":[{"type":"AWS::EC2::Instance"}]}]}}`))
	fmt.Println(names, err)
	// Output:
	// [guardduty ec2] <nil>
}

func ExamplePattern_Warnings() {
	p, _ := eventbridge.ParsePattern([]byte(`{"source":["aws.securityhub"],"detail-type":["Security Hub Findings Imported V2"]}`))
	for _, w := range p.Warnings() {
		fmt.Println(w.Code, w.Path)
	}
	// Output:
	// detail-type-never-sent /detail-type/0
}

func ExampleMatcher_MatchValue() {
	p, _ := eventbridge.ParsePattern([]byte(`{"detail":{"count":[{"numeric":[">",10]}],"region":[{"prefix":"eu-"}]}}`))
	m, _ := eventbridge.Compile(p)
	// An event a program already holds, as json.Unmarshal into an any gives it.
	event := map[string]any{"detail": map[string]any{"count": 14.0, "region": "eu-west-1"}}
	ok, err := m.MatchValue(event)
	fmt.Println(ok, err)
	// Output:
	// true <nil>
}
