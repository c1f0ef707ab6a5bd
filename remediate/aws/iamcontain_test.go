package aws_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

const (
	userKey  = "AKIA2EXAMPLEDEPLOY01"
	otherKey = "AKIA2EXAMPLEDEPLOY02"
)

// after is a clock after every fixture's times.
func after() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// seedIAM creates the user deploy-bot with two keys and a console
// password, and the bastion's role.
func seedIAM(t *testing.T, srv *fakeaws.Server) {
	t.Helper()
	i := srv.IAM(member)
	i.AddUser(fakeaws.User{Name: "deploy-bot", LoginProfile: &fakeaws.LoginProfile{},
		AccessKeys: []fakeaws.AccessKey{{ID: userKey}, {ID: otherKey}}})
	i.AddRole(fakeaws.Role{Name: "bastion-ssm-role"})
	srv.ResetRequests()
}

// userKeyFinding is the credential fixture turned into a finding about a
// long-term key of an IAM user; withData false drops GuardDuty's data so
// the owner must be looked up.
func userKeyFinding(t *testing.T, withData bool) ocsf.Finding {
	return remediatetest.Mutate(t, fixture(t, "guardduty-iam-credential-exfiltration.json"), func(m map[string]any) {
		res := m["resources"].([]any)[0].(map[string]any)
		res["uid"] = userKey
		res["name"] = "deploy-bot"
		if withData {
			res["data"] = map[string]any{"access_key_id": userKey, "user_name": "deploy-bot", "user_type": "IAMUser", "principal_id": "AIDA2EXAMPLEDEPLOY"}
		} else {
			delete(res, "data")
		}
	})
}

func newContain(t *testing.T, src remaws.ConfigSource, opts remaws.ContainOptions) *remaws.ContainCredentials {
	t.Helper()
	if opts.Now == nil {
		opts.Now = after
	}
	r, err := remaws.NewContainCredentials(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestContainDeactivatesKeyOnTheWire(t *testing.T) {
	for _, withData := range []bool{true, false} {
		name := "owner-from-finding"
		if !withData {
			name = "owner-looked-up"
		}
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, fakeaws.Options{PageSize: 1})
			seedIAM(t, srv)
			// The key works before.
			keyCfg := srv.AccessKeyConfig(userKey, region)
			if _, err := sts.NewFromConfig(keyCfg).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
				t.Fatalf("key should work before containment: %v", err)
			}
			srv.ResetRequests()
			r := newContain(t, static(srv, member), remaws.ContainOptions{RevokeSessions: true, DeleteLoginProfile: true})
			f := userKeyFinding(t, withData)
			p := plan(t, r, f)
			want := []string{"deactivate/" + userKey, "revoke-sessions/user/deploy-bot", "login-profile/deploy-bot"}
			if got := changeIDs(p); !slices.Equal(got, want) {
				t.Fatalf("plan = %v, want %v", got, want)
			}
			lookedUp := len(srv.Calls(fakeaws.ServiceIAM, "GetAccessKeyLastUsed")) == 1
			if lookedUp == withData {
				t.Errorf("GetAccessKeyLastUsed called=%v with finding data=%v", lookedUp, withData)
			}
			srv.ResetRequests()
			res, err := r.Apply(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if res.Applied() != 3 {
				t.Errorf("outcomes %+v", res.Outcomes)
			}
			k, _ := srv.IAM(member).AccessKey(userKey)
			if k.Status != "Inactive" {
				t.Errorf("key status %s", k.Status)
			}
			if k2, _ := srv.IAM(member).AccessKey(otherKey); k2.Status != "Active" {
				t.Errorf("the other key was touched: %s", k2.Status)
			}
			u, _ := srv.IAM(member).User("deploy-bot")
			if u.LoginProfile != nil {
				t.Error("login profile still exists")
			}
			doc := u.InlinePolicies[remaws.DefaultRevokePolicyName]
			if !strings.Contains(doc, `"aws:TokenIssueTime":"2026-03-01T12:00:01Z"`) || !strings.Contains(doc, `"Effect":"Deny"`) {
				t.Errorf("revoke policy = %s", doc)
			}
			// Exact request: UpdateAccessKey for the user and key, Inactive.
			up := srv.Calls(fakeaws.ServiceIAM, "UpdateAccessKey")
			if len(up) != 1 || up[0].Param("UserName") != "deploy-bot" || up[0].Param("AccessKeyId") != userKey || up[0].Param("Status") != "Inactive" {
				t.Errorf("UpdateAccessKey = %+v", up)
			}
			// The key no longer authenticates.
			if _, err := sts.NewFromConfig(keyCfg).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err == nil {
				t.Error("the deactivated key still works")
			}
			checkDeclared(t, srv, r.Permissions(), "sts:GetCallerIdentity") // the test's own check
			if _, err := r.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
				t.Errorf("Plan after containment: %v", err)
			}
		})
	}
}

// A temporary key of an assumed role cannot be deactivated: its role's
// sessions are revoked, which needs RevokeSessions.
func TestContainTemporaryKeyRevokesRoleSessions(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedIAM(t, srv)
	f := fixture(t, "guardduty-iam-credential-exfiltration.json")
	off := newContain(t, static(srv, member), remaws.ContainOptions{})
	if _, err := off.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Fatalf("without RevokeSessions: %v, want ErrNotApplicable", err)
	}
	r := newContain(t, static(srv, member), remaws.ContainOptions{RevokeSessions: true})
	p := plan(t, r, f)
	if got := changeIDs(p); !slices.Equal(got, []string{"revoke-sessions/role/bastion-ssm-role"}) {
		t.Fatalf("plan = %v", got)
	}
	if _, err := r.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	role, _ := srv.IAM(member).Role("bastion-ssm-role")
	if !strings.Contains(role.InlinePolicies[remaws.DefaultRevokePolicyName], "aws:TokenIssueTime") {
		t.Errorf("role policies = %v", role.InlinePolicies)
	}
	put := srv.Calls(fakeaws.ServiceIAM, "PutRolePolicy")
	if len(put) != 1 || put[0].Param("RoleName") != "bastion-ssm-role" || put[0].Param("PolicyName") != "AWSRevokeOlderSessions" {
		t.Errorf("PutRolePolicy = %+v", put)
	}
	// A second run keeps the first cut-off (no moving it past a legitimate
	// re-authentication).
	later := newContain(t, static(srv, member), remaws.ContainOptions{RevokeSessions: true,
		Now: func() time.Time { return after().Add(time.Hour) }})
	res, err := later.Apply(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(res)["revoke-sessions/role/bastion-ssm-role"]; st != remediate.OutcomeAlreadyDone {
		t.Errorf("second revoke: %s", st)
	}
	role, _ = srv.IAM(member).Role("bastion-ssm-role")
	if !strings.Contains(role.InlinePolicies[remaws.DefaultRevokePolicyName], "2026-03-01T12:00:01Z") {
		t.Errorf("cut-off moved: %s", role.InlinePolicies[remaws.DefaultRevokePolicyName])
	}
}

func TestContainServiceLinkedRoleIsPermanent(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	srv.IAM(member).AddRole(fakeaws.Role{Name: "bastion-ssm-role", Path: "/aws-service-role/"})
	r := newContain(t, static(srv, member), remaws.ContainOptions{RevokeSessions: true})
	p := plan(t, r, fixture(t, "guardduty-iam-credential-exfiltration.json"))
	_, err := r.Apply(t.Context(), p)
	if err == nil || remediate.Classify(err) != remediate.ClassPermanent {
		t.Fatalf("PutRolePolicy on a service-linked role: %v (%v)", err, remediate.Classify(err))
	}
}

func TestContainThrottledUpdateIsRetried(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedIAM(t, srv)
	r := newContain(t, static(srv, member), remaws.ContainOptions{})
	p := plan(t, r, userKeyFinding(t, true))
	srv.Inject(fakeaws.Throttle(fakeaws.ServiceIAM, "UpdateAccessKey", 2))
	if _, err := r.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if k, _ := srv.IAM(member).AccessKey(userKey); k.Status != "Inactive" {
		t.Errorf("status %s", k.Status)
	}
	if got := srv.Actions(); !slices.Contains(got, "iam:UpdateAccessKey!Throttling") {
		t.Errorf("no throttled attempt in %v", got)
	}
}

func TestContainDeniedIsPermanentAndChangesNothing(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedIAM(t, srv)
	r := newContain(t, static(srv, member), remaws.ContainOptions{})
	p := plan(t, r, userKeyFinding(t, true))
	srv.Inject(fakeaws.Deny(fakeaws.ServiceIAM, "UpdateAccessKey"))
	_, err := r.Apply(t.Context(), p)
	var ae *remaws.Error
	if !errors.As(err, &ae) || ae.Code() != "AccessDenied" || remediate.Classify(err) != remediate.ClassPermanent {
		t.Fatalf("error %v", err)
	}
	if k, _ := srv.IAM(member).AccessKey(userKey); k.Status != "Active" {
		t.Errorf("status %s", k.Status)
	}
}

func TestContainUnknownKeyNotApplicable(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	r := newContain(t, static(srv, member), remaws.ContainOptions{})
	if _, err := r.Plan(t.Context(), userKeyFinding(t, false)); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestParseRevokePolicyRoundTrip(t *testing.T) {
	at := time.Date(2026, 2, 11, 13, 27, 46, 0, time.UTC)
	doc := remaws.RevokeSessionsPolicy(at)
	if !strings.Contains(url.QueryEscape(doc), "TokenIssueTime") {
		t.Fatal(doc)
	}
}

func TestContainConformance(t *testing.T) {
	remediatetest.Run(t, func(t *testing.T) remediate.Remediator {
		srv := newServer(t, fakeaws.Options{})
		seedIAM(t, srv)
		return newContain(t, static(srv, member), remaws.ContainOptions{RevokeSessions: true, DeleteLoginProfile: true})
	},
		remediatetest.Case{Name: "user-key", Finding: userKeyFinding(t, true),
			NotApplicable: []ocsf.Finding{fixture(t, "guardduty-ec2-unauthorized-access.json")}},
		remediatetest.Case{Name: "role-session", Finding: fixture(t, "guardduty-iam-credential-exfiltration.json")},
	)
}

// The revoke policy is the plan's: a plan made with one policy name and
// applied by a remediator configured since with another is written, read
// back and recognised under the plan's name.
func TestContainAppliesPlanPolicyName(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedIAM(t, srv)
	f := fixture(t, "guardduty-iam-credential-exfiltration.json")
	p := roundTrip(t, plan(t, newContain(t, static(srv, member), remaws.ContainOptions{RevokeSessions: true}), f))
	later := newContain(t, static(srv, member), remaws.ContainOptions{RevokeSessions: true, PolicyName: "ocsfhub-revoke"})
	res, err := later.Apply(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 1 {
		t.Errorf("outcomes %+v", res.Outcomes)
	}
	role, _ := srv.IAM(member).Role("bastion-ssm-role")
	if _, ok := role.InlinePolicies[remaws.DefaultRevokePolicyName]; !ok || len(role.InlinePolicies) != 1 {
		t.Errorf("inline policies = %v, want only %s", role.InlinePolicies, remaws.DefaultRevokePolicyName)
	}
	res, err = later.Apply(t.Context(), roundTrip(t, p))
	if err != nil || res.Applied() != 0 {
		t.Errorf("second Apply: %+v %v", res, err)
	}
}
