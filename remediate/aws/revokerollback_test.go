package aws_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

// revokedGroup seeds the EC2.19 group, revokes its open SSH, RDP and IPv6
// all-traffic rules through the engine and returns the rollback reading
// that engine's journal.
func revokedGroup(t *testing.T, srv *fakeaws.Server) *remaws.RollbackRevokedIngress {
	t.Helper()
	seedOpenGroup(t, srv)
	rv := newRevoke(t, static(srv, member), remaws.RevokeOptions{Ports: []remaws.PortRange{remaws.Port(22), remaws.Port(3389)}})
	store := journalOf(t, rv, remediate.ModeAutomatic, fixture(t, "cspm-ec2-security-group-open.json"))
	if left := remainingIngress(t, srv); len(left) != 4 {
		t.Fatalf("the revoke did not happen: %v", left)
	}
	rb, err := remaws.NewRollbackRevokedIngress(static(srv, member), store, remaws.RevokeRollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	return rb
}

// ingressRules returns the group's ingress rules without their ids.
func ingressRules(t *testing.T, srv *fakeaws.Server) []fakeaws.Rule {
	t.Helper()
	g, _ := srv.EC2(member, region).SecurityGroup(openSGID)
	var out []fakeaws.Rule
	for _, r := range g.Ingress {
		r.ID = ""
		out = append(out, r)
	}
	return out
}

func TestRollbackRevokedIngressOnTheWire(t *testing.T) {
	srv := newServer(t, fakeaws.Options{PageSize: 2})
	rb := revokedGroup(t, srv)
	// Someone opened RDP again by hand: it exists again and is skipped.
	c := ec2.NewFromConfig(srv.AWSConfig(member, region))
	if _, err := c.AuthorizeSecurityGroupIngress(t.Context(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: ptr(openSGID),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: ptr("tcp"), FromPort: ptr(int32(3389)), ToPort: ptr(int32(3389)),
			IpRanges: []ec2types.IpRange{{CidrIp: ptr("0.0.0.0/0"), Description: ptr("rdp, re-added")}}}}}); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	f := suppressed(t, fixture(t, "cspm-ec2-security-group-open.json"))
	p := plan(t, rb, f)
	want := []string{"authorize/sgr-0000000000000ssh", "authorize/sgr-00000000000allv6"}
	if got := changeIDs(p); !slices.Equal(got, want) {
		t.Fatalf("plan = %v, want %v\n%s", got, want, p)
	}
	if !p.Destructive || len(p.Resources) != 1 || p.Resources[0].UID != openSGID {
		t.Errorf("plan resources %+v destructive %v", p.Resources, p.Destructive)
	}
	if len(mutating(srv)) != 0 {
		t.Errorf("Plan changed something: %v", mutating(srv))
	}
	srv.ResetRequests()
	res, err := rb.Apply(t.Context(), roundTrip(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 2 {
		t.Errorf("outcomes %+v", res.Outcomes)
	}
	// Exactly the revoked rules, from their recorded descriptions, one
	// authorize each.
	calls := srv.Calls(fakeaws.ServiceEC2, "AuthorizeSecurityGroupIngress")
	if len(calls) != 2 {
		t.Fatalf("%d authorize calls", len(calls))
	}
	ssh, v6 := calls[0], calls[1]
	for k, want := range map[string]string{
		"GroupId": openSGID, "IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": "22", "IpPermissions.1.ToPort": "22",
		"IpPermissions.1.IpRanges.1.CidrIp": "0.0.0.0/0", "IpPermissions.1.IpRanges.1.Description": "ssh from anywhere",
		"IpPermissions.2.IpProtocol": "",
	} {
		if got := ssh.Param(k); got != want {
			t.Errorf("ssh authorize %s = %q, want %q", k, got, want)
		}
	}
	for k, want := range map[string]string{
		"IpPermissions.1.IpProtocol": "-1", "IpPermissions.1.Ipv6Ranges.1.CidrIpv6": "::/0", "IpPermissions.1.FromPort": "",
		"IpPermissions.1.IpRanges.1.CidrIp": "", "IpPermissions.1.Ipv6Ranges.1.Description": "",
	} {
		if got := v6.Param(k); got != want {
			t.Errorf("all-traffic authorize %s = %q, want %q", k, got, want)
		}
	}
	got := ingressRules(t, srv)
	for _, r := range []fakeaws.Rule{
		{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0", Description: "ssh from anywhere"},
		{Protocol: "tcp", FromPort: 3389, ToPort: 3389, CIDRv4: "0.0.0.0/0", Description: "rdp, re-added"},
		{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv6: "::/0"},
	} {
		if n := countRule(got, r); n != 1 {
			t.Errorf("rule %+v present %d times", r, n)
		}
	}
	if len(got) != 7 {
		t.Errorf("%d ingress rules, want the 7 seeded: %+v", len(got), got)
	}
	checkDeclared(t, srv, rb.Permissions())
	// Idempotent and converged.
	srv.ResetRequests()
	res, err = rb.Apply(t.Context(), roundTrip(t, p))
	if err != nil || res.Applied() != 0 || len(mutating(srv)) != 0 {
		t.Errorf("second Apply: %+v %v %v", res, err, mutating(srv))
	}
	if _, err := rb.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("Plan after the rollback: %v", err)
	}
}

func countRule(rules []fakeaws.Rule, want fakeaws.Rule) int {
	n := 0
	for _, r := range rules {
		if r == want {
			n++
		}
	}
	return n
}

// A rule the revoke left alone (changed in place between its plan and its
// Apply, so skipped) was never revoked and is not authorized back.
func TestRollbackRevokedIngressOnlyRestoresRevokedRules(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedOpenGroup(t, srv)
	rv := newRevoke(t, static(srv, member), remaws.RevokeOptions{Ports: []remaws.PortRange{remaws.Port(22), remaws.Port(3389)}})
	f := fixture(t, "cspm-ec2-security-group-open.json")
	hooked := remediate.NewRemediator(rv.Name(), rv.Plan, func(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
		// Narrow the SSH rule after the plan was made, as a person might.
		c := ec2.NewFromConfig(srv.AWSConfig(member, region))
		if _, err := c.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{GroupId: ptr(openSGID),
			SecurityGroupRules: []ec2types.SecurityGroupRuleUpdate{{SecurityGroupRuleId: ptr("sgr-0000000000000ssh"),
				SecurityGroupRule: &ec2types.SecurityGroupRuleRequest{IpProtocol: ptr("tcp"), FromPort: ptr(int32(22)), ToPort: ptr(int32(22)),
					CidrIpv4: ptr("198.51.100.0/24")}}}}); err != nil {
			return nil, err
		}
		return rv.Apply(ctx, p)
	}, rv.Permissions()...)
	store := journalOf(t, hooked, remediate.ModeAutomatic, f)
	rb, err := remaws.NewRollbackRevokedIngress(static(srv, member), store, remaws.RevokeRollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan(t, rb, f)
	if got, want := changeIDs(p), []string{"authorize/sgr-0000000000000rdp", "authorize/sgr-00000000000allv6"}; !slices.Equal(got, want) {
		t.Fatalf("plan = %v, want %v", got, want)
	}
	if _, err := rb.Apply(t.Context(), roundTrip(t, p)); err != nil {
		t.Fatal(err)
	}
	if n := countRule(ingressRules(t, srv), fakeaws.Rule{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0", Description: "ssh from anywhere"}); n != 0 {
		t.Error("the SSH rule the revoke skipped was opened to the world")
	}
}

// Apply re-checks: a rule re-added between the rollback's plan and its
// Apply is already done, and a deleted group is skipped.
func TestRollbackRevokedIngressRechecksAtApply(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	rb := revokedGroup(t, srv)
	p := roundTrip(t, plan(t, rb, fixture(t, "cspm-ec2-security-group-open.json")))
	c := ec2.NewFromConfig(srv.AWSConfig(member, region))
	if _, err := c.AuthorizeSecurityGroupIngress(t.Context(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: ptr(openSGID),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: ptr("tcp"), FromPort: ptr(int32(22)), ToPort: ptr(int32(22)),
			IpRanges: []ec2types.IpRange{{CidrIp: ptr("0.0.0.0/0")}}}}}); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	res, err := rb.Apply(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	st := statuses(res)
	if st["authorize/sgr-0000000000000ssh"] != remediate.OutcomeAlreadyDone || st["authorize/sgr-0000000000000rdp"] != remediate.OutcomeApplied {
		t.Errorf("outcomes %+v", res.Outcomes)
	}
	if n := len(srv.Calls(fakeaws.ServiceEC2, "AuthorizeSecurityGroupIngress")); n != 2 {
		t.Errorf("%d authorize calls, want 2 (RDP and IPv6)", n)
	}

	gone := newServer(t, fakeaws.Options{})
	rb = revokedGroup(t, gone)
	p = roundTrip(t, plan(t, rb, fixture(t, "cspm-ec2-security-group-open.json")))
	if _, err := ec2.NewFromConfig(gone.AWSConfig(member, region)).DeleteSecurityGroup(t.Context(), &ec2.DeleteSecurityGroupInput{GroupId: ptr(openSGID)}); err != nil {
		t.Fatal(err)
	}
	res, err = rb.Apply(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Outcomes {
		if o.Status != remediate.OutcomeSkipped {
			t.Errorf("%s: %s after the group was deleted", o.Change, o.Status)
		}
	}
	if _, err := rb.Plan(t.Context(), fixture(t, "cspm-ec2-security-group-open.json")); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("Plan for a deleted group: %v", err)
	}
}

func TestRollbackRevokedIngressConformance(t *testing.T) {
	remediatetest.Run(t, func(t *testing.T) remediate.Remediator {
		return revokedGroup(t, newServer(t, fakeaws.Options{}))
	}, remediatetest.Case{Name: "ec2.19", Finding: suppressed(t, fixture(t, "cspm-ec2-security-group-open.json")),
		NotApplicable: []ocsf.Finding{fixture(t, "guardduty-ec2-unauthorized-access.json"), fixture(t, "cspm-s3-public-access.json")}})
}
