package aws_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

const externalID = "ocsfhub-ext-8c1f"

// memberRole seeds the member role trusting only the administrator account
// with the external id.
func memberRole(srv *fakeaws.Server, acct string) {
	srv.IAM(acct).AddRole(fakeaws.Role{Name: "ocsfhub-remediation",
		Trust: &fakeaws.Trust{Principals: []string{"arn:aws:iam::" + admin + ":root"}, ExternalID: externalID}})
}

func factory(t *testing.T, srv *fakeaws.Server, opts remaws.ClientFactoryOptions) *remaws.ClientFactory {
	t.Helper()
	f, err := remaws.NewClientFactory(srv.AWSConfig(admin, region), opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// The administrator isolates an instance in a member account through the
// member role: every EC2 call lands in the member account, one AssumeRole
// per finding (cached across Plan and Apply), with the external id and a
// session name naming the finding.
func TestClientFactoryTwoAccounts(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	memberRole(srv, member)
	seedBastion(t, srv, member)
	// The same instance id in the administrator account must not be touched.
	srv.EC2(admin, region).AddInstance(fakeaws.Instance{ID: instID})
	srv.ResetRequests()
	cf := factory(t, srv, remaws.ClientFactoryOptions{RoleName: "ocsfhub-remediation", ExternalID: externalID})
	r := newIsolate(t, cf, remaws.IsolateOptions{})
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	p := plan(t, r, f)
	if _, err := r.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	roles := srv.AssumedRoles()
	if len(roles) != 1 {
		t.Fatalf("%d AssumeRole calls, want 1 (cached): %+v", len(roles), roles)
	}
	ar := roles[0]
	if ar.RoleARN != "arn:aws:iam::"+member+":role/ocsfhub-remediation" || ar.ExternalID != externalID || ar.CallerAccount != admin {
		t.Errorf("assumed %+v", ar)
	}
	if !strings.HasPrefix(ar.SessionName, "ocsfhub-") || !strings.HasSuffix(ar.SessionName, "85c90e4f537bf057e77bc25db74b65e6") || len(ar.SessionName) > 64 {
		t.Errorf("session name %q", ar.SessionName)
	}
	for _, req := range srv.Requests() {
		if req.Service == fakeaws.ServiceEC2 && req.Account != member {
			t.Errorf("%s went to account %s", req.Name(), req.Account)
		}
	}
	if inst, _ := srv.EC2(member, region).Instance(instID); inst.Tags["ocsfhub:isolation"] != "isolated" {
		t.Error("member instance not isolated")
	}
	if inst, _ := srv.EC2(admin, region).Instance(instID); len(inst.Tags) != 0 {
		t.Errorf("administrator instance touched: %v", inst.Tags)
	}
	// Home account discovered with GetCallerIdentity, once.
	if n := len(srv.Calls(fakeaws.ServiceSTS, "GetCallerIdentity")); n != 1 {
		t.Errorf("GetCallerIdentity called %d times", n)
	}
}

// Targets in the home account use the base credentials.
func TestClientFactoryHomeAccountDoesNotAssume(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBastion(t, srv, admin)
	cf := factory(t, srv, remaws.ClientFactoryOptions{HomeAccount: admin, RoleName: "ocsfhub-remediation", ExternalID: externalID})
	r := newIsolate(t, cf, remaws.IsolateOptions{})
	f := remediatetest.Mutate(t, fixture(t, "guardduty-ec2-unauthorized-access.json"), func(m map[string]any) {
		remediatetest.Set(m, "cloud.account.uid", admin)
		res := m["resources"].([]any)[0].(map[string]any)
		remediatetest.Set(res, "owner.account.uid", admin)
	})
	if _, err := r.Apply(t.Context(), plan(t, r, f)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.AssumedRoles()); n != 0 {
		t.Errorf("%d AssumeRole calls in the home account", n)
	}
	if n := len(srv.Calls(fakeaws.ServiceSTS, "GetCallerIdentity")); n != 0 {
		t.Errorf("configured home account was discovered anyway (%d calls)", n)
	}
}

// A wrong external id is denied by the member role's trust: a permanent
// *Error for sts:AssumeRole, and nothing is called in the member account.
func TestClientFactoryWrongExternalID(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	memberRole(srv, member)
	seedBastion(t, srv, member)
	cf := factory(t, srv, remaws.ClientFactoryOptions{HomeAccount: admin, RoleName: "ocsfhub-remediation", ExternalID: "wrong-id"})
	r := newIsolate(t, cf, remaws.IsolateOptions{})
	_, err := r.Plan(t.Context(), fixture(t, "guardduty-ec2-unauthorized-access.json"))
	var ae *remaws.Error
	if !errors.As(err, &ae) || ae.Action != "sts:AssumeRole" || remediate.Classify(err) != remediate.ClassPermanent {
		t.Fatalf("error %v (%v)", err, remediate.Classify(err))
	}
	for _, req := range srv.Requests() {
		if req.Service == fakeaws.ServiceEC2 {
			t.Errorf("EC2 call %s despite the failed AssumeRole", req.Name())
		}
	}
	if strings.Contains(err.Error(), "wrong-id") {
		t.Errorf("the external id leaks into the error: %v", err)
	}
}

// Each finding gets its own session (the CloudTrail trail names it), and a
// session is reused for the same finding.
func TestClientFactorySessionPerFinding(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	memberRole(srv, member)
	cf := factory(t, srv, remaws.ClientFactoryOptions{HomeAccount: admin, RoleName: "ocsfhub-remediation", ExternalID: externalID, MaxEntries: 1})
	for _, s := range []string{"finding-a", "finding-a", "finding-b", "finding-a"} {
		if _, err := cf.Config(t.Context(), remaws.Target{Account: member, Region: region, Session: s}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, a := range srv.AssumedRoles() {
		names = append(names, a.SessionName)
	}
	// MaxEntries 1: finding-a is evicted by finding-b and assumed again.
	if want := []string{"ocsfhub-finding-a", "ocsfhub-finding-b", "ocsfhub-finding-a"}; !slices.Equal(names, want) {
		t.Errorf("sessions = %v, want %v", names, want)
	}
}

func TestClientFactoryWithoutRoleRefusesOtherAccounts(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	cf := factory(t, srv, remaws.ClientFactoryOptions{HomeAccount: admin})
	_, err := cf.Config(t.Context(), remaws.Target{Account: member, Region: region})
	if !errors.Is(err, remaws.ErrConfig) || remediate.Classify(err) != remediate.ClassPermanent {
		t.Errorf("error %v", err)
	}
	if _, err := cf.Config(t.Context(), remaws.Target{Account: admin, Region: "eu-west-1"}); err != nil {
		t.Errorf("home account: %v", err)
	}
}

func TestNewClientFactoryValidates(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	for _, o := range []remaws.ClientFactoryOptions{
		{HomeAccount: "12345"},
		{RoleName: "bad name"},
		{RoleName: "r", RolePath: "nopath"},
		{RoleName: "r", ExternalID: "x"},
		{RoleName: "r", SessionPrefix: "has space"},
	} {
		if _, err := remaws.NewClientFactory(srv.AWSConfig(admin, region), o); !errors.Is(err, remaws.ErrConfig) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	cf := factory(t, srv, remaws.ClientFactoryOptions{RoleName: "ocsfhub-{region}", RolePath: "/security/", Partition: "aws-us-gov"})
	if got := cf.RoleARN(member, "us-gov-west-1"); got != "arn:aws-us-gov:iam::111122223333:role/security/ocsfhub-us-gov-west-1" {
		t.Errorf("RoleARN = %s", got)
	}
}

var sessionRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func TestSessionName(t *testing.T) {
	for _, tt := range []struct{ prefix, label, want string }{
		{"ocsfhub", "", "ocsfhub"},
		{"ocsfhub", "abc", "ocsfhub-abc"},
		{"x", "", "x-"},
		{"ocsfhub", "arn:aws:guardduty:us-east-1:111122223333:detector/f2b3cbe41413047352141e5b863d87e6/finding/85c90e4f537bf057e77bc25db74b65e6",
			"ocsfhub-2141e5b863d87e6-finding-85c90e4f537bf057e77bc25db74b65e6"},
		{"ocsfhub", "a b/c:d", "ocsfhub-a-b-c-d"},
	} {
		got := remaws.SessionName(tt.prefix, tt.label)
		if got != tt.want {
			t.Errorf("SessionName(%q, %q) = %q, want %q", tt.prefix, tt.label, got, tt.want)
		}
		if !sessionRE.MatchString(got) {
			t.Errorf("%q violates STS constraints", got)
		}
	}
}

func FuzzSessionName(f *testing.F) {
	f.Add("ocsfhub", "arn:aws:securityhub:us-east-1:111122223333:security-control/EC2.19/finding/fc0edc0f-3e76-4a2e-9ee4-437483a2d621")
	f.Add("", "")
	f.Add("p", "ünïcödé/☃")
	f.Add("a-very-long-prefix-that-exceeds-thirty-two-characters", strings.Repeat("z", 300))
	f.Fuzz(func(t *testing.T, prefix, label string) {
		got := remaws.SessionName(prefix, label)
		if !sessionRE.MatchString(got) {
			t.Fatalf("SessionName(%q, %q) = %q violates [\\w+=,.@-]{2,64}", prefix, label, got)
		}
	})
}

// The remediator acts in the finding's Region (and account), whatever the
// base configuration's Region.
func TestActsInFindingRegion(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	memberRole(srv, member)
	const other = "eu-west-1"
	srv.EC2(member, other).AddSecurityGroup(fakeaws.SecurityGroup{ID: openSGID, Name: "g",
		Ingress: []fakeaws.Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0"}}})
	srv.EC2(member, region).AddSecurityGroup(fakeaws.SecurityGroup{ID: openSGID, Name: "g",
		Ingress: []fakeaws.Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0"}}})
	f := remediatetest.Mutate(t, fixture(t, "cspm-ec2-security-group-open.json"), func(m map[string]any) {
		remediatetest.Set(m, "cloud.region", other)
		m["resources"].([]any)[0].(map[string]any)["region"] = other
		m["resources"].([]any)[0].(map[string]any)["uid_alt"] = "arn:aws:ec2:eu-west-1:111122223333:security-group/" + openSGID
	})
	srv.ResetRequests()
	cf := factory(t, srv, remaws.ClientFactoryOptions{HomeAccount: admin, RoleName: "ocsfhub-remediation", ExternalID: externalID})
	r := newRevoke(t, cf, remaws.RevokeOptions{})
	if _, err := r.Apply(t.Context(), plan(t, r, f)); err != nil {
		t.Fatal(err)
	}
	if g, _ := srv.EC2(member, other).SecurityGroup(openSGID); len(g.Ingress) != 0 {
		t.Errorf("eu-west-1 group still has %d rules", len(g.Ingress))
	}
	if g, _ := srv.EC2(member, region).SecurityGroup(openSGID); len(g.Ingress) != 1 {
		t.Error("the us-east-1 group with the same id was touched")
	}
	for _, req := range srv.Requests() {
		if req.Service == fakeaws.ServiceEC2 && (req.Region != other || req.Account != member) {
			t.Errorf("%s in %s/%s", req.Name(), req.Account, req.Region)
		}
	}
}
