package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"go.yaml.in/yaml/v3"

	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/aws/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff):\n%s", name, got)
	}
}

// every builds every remediator of the package with every option on, plus
// the status writer and tag reader, and returns their union of actions.
func every(t *testing.T) []string {
	t.Helper()
	src := remaws.StaticConfig(awssdk.Config{Region: "us-east-1"})
	iso, err := remaws.NewIsolateInstance(src, remaws.IsolateOptions{Snapshot: true, Profile: remaws.ProfileReplace, DenyAllProfile: "ocsfhub-deny-all"})
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := remaws.NewRollbackIsolation(src, remaws.RollbackOptions{})
	rv, _ := remaws.NewRevokeOpenIngress(src, remaws.RevokeOptions{})
	cc, _ := remaws.NewContainCredentials(src, remaws.ContainOptions{RevokeSessions: true, DeleteLoginProfile: true})
	bb, _ := remaws.NewBlockBucketPublicAccess(src, remaws.PublicAccessOptions{})
	ba, _ := remaws.NewBlockAccountPublicAccess(src, remaws.PublicAccessOptions{})
	rrv, err := remaws.NewRollbackRevokedIngress(src, noJournal{}, remaws.RevokeRollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rbb, _ := remaws.NewRollbackBucketPublicAccess(src, noJournal{}, remaws.PublicAccessRollbackOptions{})
	rba, _ := remaws.NewRollbackAccountPublicAccess(src, noJournal{}, remaws.PublicAccessRollbackOptions{})
	tr, _ := remaws.NewTagReader(src)
	return remediate.Permissions(iso, rb, rv, rrv, cc, bb, rbb, ba, rba, tr, statusPerms{})
}

// noJournal is an empty journal: rendering reads only the declared
// permissions, never plans.
type noJournal struct{}

func (noJournal) Query(context.Context, remediate.Query) ([]remediate.Record, error) { return nil, nil }

// statusPerms stands in for the status writer (whose constructor needs a
// client); TestStatusPermissions in the aws package checks it declares this.
type statusPerms struct{}

func (statusPerms) Permissions() []string { return []string{"securityhub:BatchUpdateFindings"} }

func TestRenderServicePolicyGolden(t *testing.T) {
	actions := every(t)
	doc, err := policy.Render(actions, policy.Options{AssumeRoleName: "ocsfhub-remediation"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "service-policy.golden.json", b)
	// Complete: every declared action is allowed, plus the AssumeRole.
	if got, want := doc.Actions(), append(slices.Clone(actions), "sts:AssumeRole"); !slices.Equal(got, sortUniq(want)) {
		t.Errorf("actions = %v, want %v", got, want)
	}
	// Scoped: every action the remediators declare has a known scope.
	for _, s := range doc.Statement {
		if s.Sid == "Unscoped" {
			t.Errorf("actions without a known resource scope: %v", s.Action)
		}
	}
	// Determinism.
	rev := slices.Clone(actions)
	slices.Reverse(rev)
	doc2, _ := policy.Render(rev, policy.Options{AssumeRoleName: "ocsfhub-remediation"})
	b2, _ := doc2.JSON()
	if !bytes.Equal(b, b2) {
		t.Error("rendering depends on the order of the actions")
	}
}

func sortUniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func TestRenderRevokeOnlyGolden(t *testing.T) {
	rv, err := remaws.NewRevokeOpenIngress(remaws.StaticConfig(awssdk.Config{}), remaws.RevokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := policy.Render(rv.Permissions(), policy.Options{Accounts: []string{"111122223333", "444455556666"}, Regions: []string{"us-east-1", "eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := doc.JSON()
	golden(t, "revoke-only.golden.json", b)
	var back policy.Document
	if err := json.Unmarshal(b, &back); err != nil || len(back.Statement) != 2 {
		t.Errorf("round trip: %v %+v", err, back)
	}
}

// The rollbacks of a revocation and of the public access blocks need
// exactly their own actions: re-authorizing ingress on security groups, and
// the S3 configuration actions (S3's DeletePublicAccessBlock is authorized
// by the Put actions).
func TestRenderRollbacksGolden(t *testing.T) {
	src := remaws.StaticConfig(awssdk.Config{})
	rv, err := remaws.NewRollbackRevokedIngress(src, noJournal{}, remaws.RevokeRollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bb, err := remaws.NewRollbackBucketPublicAccess(src, noJournal{}, remaws.PublicAccessRollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ba, err := remaws.NewRollbackAccountPublicAccess(src, noJournal{}, remaws.PublicAccessRollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	actions := remediate.Permissions(rv, bb, ba)
	want := []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups",
		"s3:GetAccountPublicAccessBlock", "s3:GetBucketPublicAccessBlock", "s3:PutAccountPublicAccessBlock", "s3:PutBucketPublicAccessBlock"}
	if !slices.Equal(actions, want) {
		t.Errorf("actions = %v, want %v", actions, want)
	}
	doc, err := policy.Render(actions, policy.Options{Accounts: []string{"111122223333"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range doc.Statement {
		if s.Sid == "Unscoped" {
			t.Errorf("actions without a known resource scope: %v", s.Action)
		}
	}
	b, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "rollbacks.golden.json", b)
}

func TestRenderUnknownAndInvalidActions(t *testing.T) {
	doc, err := policy.Render([]string{"lambda:PutFunctionConcurrency"}, policy.Options{})
	if err != nil || doc.Statement[0].Sid != "Unscoped" || doc.Statement[0].Resource[0] != "*" {
		t.Errorf("unknown action: %+v %v", doc, err)
	}
	if _, err := policy.Render([]string{"not an action"}, policy.Options{}); !errors.Is(err, policy.ErrAction) {
		t.Errorf("invalid action: %v", err)
	}
}

func TestMemberTemplateGolden(t *testing.T) {
	var buf bytes.Buffer
	err := policy.WriteMemberTemplate(&buf, policy.MemberOptions{
		Actions: every(t), AdministratorAccountID: "999988887777", RoleRegion: "us-east-1",
		DenyAllProfile: "ocsfhub-deny-all", Tags: map[string]string{"owner": "security"},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "member-role.golden.yaml", buf.Bytes())
	// It is YAML, trusts only the administrator account with the external
	// id, and limits PassRole to the deny-all role.
	var doc yaml.Node
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{
		"arn:${AWS::Partition}:iam::${AdministratorAccountId}:root",
		"sts:ExternalId: !Ref ExternalId",
		"arn:${AWS::Partition}:iam::${AWS::AccountId}:role/ocsfhub-deny-all",
		"iam:PassedToService: ec2.amazonaws.com",
		"Type: AWS::IAM::InstanceProfile",
		"Condition: InRoleRegion",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("template lacks %q", want)
		}
	}
	if strings.Contains(s, "Resource:\n") && strings.Contains(s, "arn:aws:") {
		t.Error("template hard-codes the aws partition")
	}
}

func TestMemberTemplateValidates(t *testing.T) {
	for _, o := range []policy.MemberOptions{
		{Actions: []string{"ec2:DescribeInstances"}, RoleName: "bad name"},
		{Actions: []string{"ec2:DescribeInstances"}, AdministratorAccountID: "123"},
		{Actions: []string{"ec2:DescribeInstances"}, RoleRegion: "mars"},
		{Actions: []string{"ec2:DescribeInstances"}, MaxSessionDuration: 60},
		{},
	} {
		if _, err := policy.MemberTemplate(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
