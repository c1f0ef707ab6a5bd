package aws_test

import (
	"context"
	"encoding/json"
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

// seedOpenGroup creates the EC2.19 fixture's group with open and restricted
// rules; it returns the group and its rule ids by name.
func seedOpenGroup(t *testing.T, srv *fakeaws.Server) (fakeaws.SecurityGroup, map[string]string) {
	t.Helper()
	e := srv.EC2(member, region)
	e.AddVPC(fakeaws.VPC{ID: vpcID})
	peer := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "lb", VPCID: vpcID})
	g := e.AddSecurityGroup(fakeaws.SecurityGroup{ID: openSGID, Name: "bastion-legacy-sg", VPCID: vpcID,
		Ingress: []fakeaws.Rule{
			{ID: "sgr-0000000000000ssh", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0", Description: "ssh from anywhere"},
			{ID: "sgr-0000000000000rdp", Protocol: "tcp", FromPort: 3389, ToPort: 3389, CIDRv4: "0.0.0.0/0"},
			{ID: "sgr-000000000000http", Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRv4: "0.0.0.0/0"},
			{ID: "sgr-00000000000allv6", Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv6: "::/0"},
			{ID: "sgr-0000000000office", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "203.0.113.0/24"},
			{ID: "sgr-0000000000allref", Protocol: "-1", FromPort: -1, ToPort: -1, ReferencedGroupID: peer.ID},
			{ID: "sgr-00000000000range", Protocol: "tcp", FromPort: 8000, ToPort: 9000, CIDRv4: "0.0.0.0/0"},
		},
		Egress: []fakeaws.Rule{{ID: "sgr-0000000000egress", Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"}},
	})
	srv.ResetRequests()
	ids := map[string]string{}
	for _, r := range g.Ingress {
		ids[r.ID] = r.ID
	}
	return g, ids
}

func newRevoke(t *testing.T, src remaws.ConfigSource, opts remaws.RevokeOptions) *remaws.RevokeOpenIngress {
	t.Helper()
	r, err := remaws.NewRevokeOpenIngress(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func remainingIngress(t *testing.T, srv *fakeaws.Server) []string {
	t.Helper()
	g, _ := srv.EC2(member, region).SecurityGroup(openSGID)
	var ids []string
	for _, r := range g.Ingress {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestRevokeOpenIngressOnTheWire(t *testing.T) {
	srv := newServer(t, fakeaws.Options{PageSize: 2})
	seedOpenGroup(t, srv)
	f := fixture(t, "cspm-ec2-security-group-open.json")
	r := newRevoke(t, static(srv, member), remaws.RevokeOptions{
		Ports:        []remaws.PortRange{remaws.Port(22), remaws.Port(3389)},
		AllowedPorts: []remaws.PortRange{remaws.Port(443)},
	})
	p := plan(t, r, f)
	want := []string{"revoke/sgr-0000000000000ssh", "revoke/sgr-0000000000000rdp", "revoke/sgr-00000000000allv6"}
	if got := changeIDs(p); !slices.Equal(got, want) {
		t.Fatalf("plan = %v, want %v", got, want)
	}
	var data struct {
		Rules []remaws.RevokedRule `json:"rules"`
	}
	if err := json.Unmarshal(p.Data, &data); err != nil || len(data.Rules) != 3 || data.Rules[0].Description != "ssh from anywhere" {
		t.Errorf("plan data = %s (%v)", p.Data, err)
	}
	srv.ResetRequests()
	res, err := r.Apply(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 3 {
		t.Errorf("outcomes %+v", res.Outcomes)
	}
	// The open rules are gone; the restricted, allowed and out-of-scope ones
	// and the egress rule remain.
	got := remainingIngress(t, srv)
	wantLeft := []string{"sgr-000000000000http", "sgr-00000000000range", "sgr-0000000000allref", "sgr-0000000000office"}
	if !slices.Equal(got, wantLeft) {
		t.Errorf("ingress left = %v, want %v", got, wantLeft)
	}
	g, _ := srv.EC2(member, region).SecurityGroup(openSGID)
	if len(g.Egress) != 1 {
		t.Errorf("egress = %+v", g.Egress)
	}
	// One revoke, by rule ids only (never IpPermissions).
	calls := srv.Calls(fakeaws.ServiceEC2, "RevokeSecurityGroupIngress")
	if len(calls) != 1 {
		t.Fatalf("%d revoke calls", len(calls))
	}
	c := calls[0]
	if c.Param("GroupId") != openSGID || c.Param("SecurityGroupRuleId.1") != "sgr-0000000000000ssh" ||
		c.Param("SecurityGroupRuleId.3") != "sgr-00000000000allv6" || c.Param("IpPermissions.1.IpProtocol") != "" {
		t.Errorf("revoke request = %v", c.Params)
	}
	checkDeclared(t, srv, r.Permissions())
	if _, err := r.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("Plan after revoke: %v", err)
	}
}

func TestRevokeDefaultScopeRevokesEveryOpenPort(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedOpenGroup(t, srv)
	r := newRevoke(t, static(srv, member), remaws.RevokeOptions{})
	p := plan(t, r, fixture(t, "cspm-ec2-security-group-open.json"))
	if _, err := r.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if got, want := remainingIngress(t, srv), []string{"sgr-0000000000allref", "sgr-0000000000office"}; !slices.Equal(got, want) {
		t.Errorf("ingress left = %v, want %v", got, want)
	}
}

// silentRevoke answers every revoke with success without revoking: what a
// revoke by properties does in a default VPC when nothing matches.
type silentRevoke struct{ remaws.RevokeEC2API }

func (silentRevoke) RevokeSecurityGroupIngress(context.Context, *ec2.RevokeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error) {
	return &ec2.RevokeSecurityGroupIngressOutput{}, nil
}

func TestRevokeDetectsSilentNoOp(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedOpenGroup(t, srv)
	cfg := srv.AWSConfig(member, region)
	r := newRevoke(t, nil, remaws.RevokeOptions{Ports: []remaws.PortRange{remaws.Port(22)},
		Clients: func(context.Context, remaws.Target) (remaws.RevokeEC2API, error) {
			return silentRevoke{ec2.NewFromConfig(cfg)}, nil
		}})
	p := plan(t, r, fixture(t, "cspm-ec2-security-group-open.json"))
	_, err := r.Apply(t.Context(), p)
	if !errors.Is(err, remaws.ErrNotRevoked) {
		t.Fatalf("Apply over a silent no-op: %v, want ErrNotRevoked", err)
	}
	if remediate.Classify(err) != remediate.ClassTransient {
		t.Errorf("class %v", remediate.Classify(err))
	}
}

// Revoking by IpPermissions in a default VPC with a non-matching rule
// "succeeds" (Return false); the fake models the trap that made the
// remediator use rule ids.
func TestRevokeByPropertiesTrapExists(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	e := srv.EC2(member, region)
	e.AddVPC(fakeaws.VPC{ID: "vpc-default", IsDefault: true})
	g := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "g", VPCID: "vpc-default",
		Ingress: []fakeaws.Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0"}}})
	c := ec2.NewFromConfig(srv.AWSConfig(member, region))
	out, err := c.RevokeSecurityGroupIngress(t.Context(), &ec2.RevokeSecurityGroupIngressInput{GroupId: &g.ID,
		IpPermissions: []ec2types.IpPermission{{IpProtocol: ptr("tcp"), FromPort: ptr(int32(23)), ToPort: ptr(int32(23)),
			IpRanges: []ec2types.IpRange{{CidrIp: ptr("0.0.0.0/0")}}}}})
	if err != nil || out.Return == nil || *out.Return || len(out.UnknownIpPermissions) != 1 {
		t.Fatalf("revoke by properties: %+v %v", out, err)
	}
	if g2, _ := e.SecurityGroup(g.ID); len(g2.Ingress) != 1 {
		t.Fatal("rule was revoked")
	}
}

func ptr[T any](v T) *T { return &v }

func TestRevokeAccessDeniedIsPermanent(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedOpenGroup(t, srv)
	r := newRevoke(t, static(srv, member), remaws.RevokeOptions{})
	p := plan(t, r, fixture(t, "cspm-ec2-security-group-open.json"))
	srv.Inject(fakeaws.Deny(fakeaws.ServiceEC2, "RevokeSecurityGroupIngress"))
	_, err := r.Apply(t.Context(), p)
	var ae *remaws.Error
	if !errors.As(err, &ae) || ae.Code() != "UnauthorizedOperation" || remediate.Classify(err) != remediate.ClassPermanent {
		t.Fatalf("error %v (class %v)", err, remediate.Classify(err))
	}
	if len(remainingIngress(t, srv)) != 7 {
		t.Error("rules changed despite the denial")
	}
}

func TestRevokeGroupGone(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	r := newRevoke(t, static(srv, member), remaws.RevokeOptions{})
	if _, err := r.Plan(t.Context(), fixture(t, "cspm-ec2-security-group-open.json")); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("Plan for a missing group: %v", err)
	}
}

func TestRevokeConformance(t *testing.T) {
	remediatetest.Run(t, func(t *testing.T) remediate.Remediator {
		srv := newServer(t, fakeaws.Options{})
		seedOpenGroup(t, srv)
		return newRevoke(t, static(srv, member), remaws.RevokeOptions{AllowedPorts: []remaws.PortRange{remaws.Port(443)}})
	}, remediatetest.Case{
		Name:          "ec2.19",
		Finding:       fixture(t, "cspm-ec2-security-group-open.json"),
		NotApplicable: []ocsf.Finding{fixture(t, "guardduty-ec2-unauthorized-access.json")},
	})
}

// A rule id survives ModifySecurityGroupRules: a rule narrowed after the
// plan was made is left alone by Apply (the plan's other rules are revoked).
func TestRevokeLeavesRuleChangedSincePlan(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedOpenGroup(t, srv)
	r := newRevoke(t, static(srv, member), remaws.RevokeOptions{Ports: []remaws.PortRange{remaws.Port(22), remaws.Port(3389)}})
	p := roundTrip(t, plan(t, r, fixture(t, "cspm-ec2-security-group-open.json")))
	c := ec2.NewFromConfig(srv.AWSConfig(member, region))
	if _, err := c.ModifySecurityGroupRules(t.Context(), &ec2.ModifySecurityGroupRulesInput{GroupId: ptr(openSGID),
		SecurityGroupRules: []ec2types.SecurityGroupRuleUpdate{{SecurityGroupRuleId: ptr("sgr-0000000000000ssh"),
			SecurityGroupRule: &ec2types.SecurityGroupRuleRequest{IpProtocol: ptr("tcp"), FromPort: ptr(int32(22)), ToPort: ptr(int32(22)),
				CidrIpv4: ptr("198.51.100.0/24"), Description: ptr("ssh from the office")}}}}); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	res, err := r.Apply(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	st := statuses(res)
	if st["revoke/sgr-0000000000000ssh"] != remediate.OutcomeSkipped || st["revoke/sgr-0000000000000rdp"] != remediate.OutcomeApplied ||
		st["revoke/sgr-00000000000allv6"] != remediate.OutcomeApplied {
		t.Errorf("outcomes %+v", res.Outcomes)
	}
	left := remainingIngress(t, srv)
	if !slices.Contains(left, "sgr-0000000000000ssh") || slices.Contains(left, "sgr-0000000000000rdp") {
		t.Errorf("ingress left = %v", left)
	}
	calls := srv.Calls(fakeaws.ServiceEC2, "RevokeSecurityGroupIngress")
	if len(calls) != 1 || calls[0].Param("SecurityGroupRuleId.1") != "sgr-0000000000000rdp" || calls[0].Param("SecurityGroupRuleId.3") != "" {
		t.Errorf("%d revoke request(s), first %v", len(calls), calls[0].Params)
	}
}
