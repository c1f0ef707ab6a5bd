package aws

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// RevokeEC2API is the part of the EC2 API [RevokeOpenIngress] calls.
type RevokeEC2API interface {
	DescribeSecurityGroupRules(context.Context, *ec2.DescribeSecurityGroupRulesInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupRulesOutput, error)
	RevokeSecurityGroupIngress(context.Context, *ec2.RevokeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error)
}

var _ RevokeEC2API = (*ec2.Client)(nil)

// PortRange is an inclusive range of TCP/UDP ports.
type PortRange struct {
	From int32 `json:"from"`
	To   int32 `json:"to"`
}

// Port returns the range holding one port.
func Port(p int32) PortRange { return PortRange{From: p, To: p} }

func (r PortRange) overlaps(from, to int32) bool { return r.From <= to && from <= r.To }
func (r PortRange) covers(from, to int32) bool   { return r.From <= from && to <= r.To }

// RevokeOptions configure [RevokeOpenIngress].
type RevokeOptions struct {
	// Name is the remediator name (default "ec2-revoke-open-ingress").
	Name string
	// Classes are the finding classes it acts on (default: every class;
	// CSPM's EC2.18/EC2.19 findings are Compliance Findings).
	Classes []ocsf.ClassUID
	// Ports, when set, limits revocation to open rules whose port range
	// overlaps one of these ranges (for example 22 and 3389, EC2.19's
	// high-risk ports). Empty: every open TCP/UDP rule, and open rules of
	// other protocols (ICMP...). All-traffic rules (protocol -1) are always
	// revoked: they open every port.
	Ports []PortRange
	// AllowedPorts are ranges that may stay open to the world (for example
	// 80 and 443 of a public web server): a TCP/UDP rule entirely inside
	// one of them is kept (EC2.18's authorizedTcpPorts).
	AllowedPorts []PortRange
	// Clients, when set, replaces the SDK client built from the
	// [ConfigSource].
	Clients func(ctx context.Context, t Target) (RevokeEC2API, error)
	// Logger receives one line per change (default: discarded).
	Logger *slog.Logger
}

// RevokeOpenIngress is a [remediate.Remediator] that revokes the ingress
// rules of a security group (resources[] of type AWS::EC2::SecurityGroup)
// open to the whole internet: source 0.0.0.0/0 or ::/0, on the configured
// ports, all-traffic rules included. Rules with a restricted source (another
// CIDR, a prefix list, a referenced group) and egress rules are never
// touched.
//
// Rules are revoked by SecurityGroupRuleId (found with
// DescribeSecurityGroupRules), never by their properties: a revoke by
// IpPermissions that matches nothing succeeds silently in a default VPC.
// Apply revokes a rule only while it still has the properties the plan
// recorded (a rule changed in place keeps its id). After revoking, the
// group's rules are read again, and a rule still present is an error
// wrapping [ErrNotRevoked]. The plan's data lists every revoked rule
// (protocol, ports, CIDR, description): [RollbackRevokedIngress] authorizes
// them again from there.
type RevokeOpenIngress struct {
	opts    RevokeOptions
	clients func(ctx context.Context, t Target) (RevokeEC2API, error)
	log     *slog.Logger
}

var _ remediate.Remediator = (*RevokeOpenIngress)(nil)

// NewRevokeOpenIngress returns the remediator acting through src.
func NewRevokeOpenIngress(src ConfigSource, opts RevokeOptions) (*RevokeOpenIngress, error) {
	if opts.Name == "" {
		opts.Name = "ec2-revoke-open-ingress"
	}
	for _, pr := range append(slices.Clone(opts.Ports), opts.AllowedPorts...) {
		if pr.From < 0 || pr.To > 65535 || pr.From > pr.To {
			return nil, fmt.Errorf("%w: port range %d-%d", ErrConfig, pr.From, pr.To)
		}
	}
	r := &RevokeOpenIngress{opts: opts, log: logger(opts.Logger)}
	clients, err := clientsFrom(src, opts.Clients, func(cfg awssdk.Config) RevokeEC2API { return ec2.NewFromConfig(cfg) })
	if err != nil {
		return nil, err
	}
	r.clients = clients
	return r, nil
}

// Name returns the remediator name.
func (r *RevokeOpenIngress) Name() string { return r.opts.Name }

// Permissions returns the IAM actions Plan and Apply call.
func (r *RevokeOpenIngress) Permissions() []string {
	return []string{"ec2:DescribeSecurityGroupRules", "ec2:RevokeSecurityGroupIngress"}
}

// RevokedRule describes a rule the plan revokes, enough to authorize it
// again.
type RevokedRule struct {
	GroupID     string `json:"group_id"`
	RuleID      string `json:"rule_id"`
	Protocol    string `json:"protocol"`
	FromPort    int32  `json:"from_port"`
	ToPort      int32  `json:"to_port"`
	CIDR        string `json:"cidr"`
	Description string `json:"description,omitempty"`
}

type revokeData struct {
	Target target        `json:"target"`
	Rules  []RevokedRule `json:"rules"`
}

type revokeParams struct {
	GroupID string `json:"group_id"`
	RuleID  string `json:"security_group_rule_id"`
}

// open reports whether a rule is an ingress rule open to the internet that
// the options say to revoke.
func (r *RevokeOpenIngress) open(rule ec2types.SecurityGroupRule) bool {
	if awssdk.ToBool(rule.IsEgress) {
		return false
	}
	cidr := awssdk.ToString(rule.CidrIpv4)
	if cidr == "" {
		cidr = awssdk.ToString(rule.CidrIpv6)
	}
	if cidr != "0.0.0.0/0" && cidr != "::/0" {
		return false // restricted source, prefix list or referenced group
	}
	proto := strings.ToLower(awssdk.ToString(rule.IpProtocol))
	from, to := awssdk.ToInt32(rule.FromPort), awssdk.ToInt32(rule.ToPort)
	switch proto {
	case "-1", "all":
		return true
	case "tcp", "udp", "6", "17":
		if from < 0 || to < 0 {
			from, to = 0, 65535
		}
		for _, a := range r.opts.AllowedPorts {
			if a.covers(from, to) {
				return false
			}
		}
		if len(r.opts.Ports) == 0 {
			return true
		}
		for _, p := range r.opts.Ports {
			if p.overlaps(from, to) {
				return true
			}
		}
		return false
	default:
		// ICMP and other protocols have no ports: revoked when no port
		// list narrows the remediator.
		return len(r.opts.Ports) == 0
	}
}

// Plan lists the open rules of the finding's security groups.
func (r *RevokeOpenIngress) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := checkFinding(ctx, r.Name(), f, r.opts.Classes); err != nil {
		return nil, err
	}
	groups, tgt, err := resourcesInOneTarget(r.Name(), f, ocsf.ResourceTypeEC2SecurityGroup, "security groups")
	if err != nil {
		return nil, err
	}
	c, err := r.clients(ctx, tgt.with(remediate.RefOf(f)))
	if err != nil {
		return nil, err
	}
	p := &remediate.Plan{Destructive: true}
	var d revokeData
	d.Target = tgt
	for _, g := range groups {
		if !strings.HasPrefix(g.ID, "sg-") {
			return nil, notApplicable(r.Name(), "resource id %q is not a security group id", g.ID)
		}
		rules, err := groupRules(ctx, c, g.ID)
		if err != nil {
			if isCode(err, "InvalidGroup.NotFound", "InvalidGroupId.NotFound", "InvalidGroupId.Malformed") {
				continue
			}
			return nil, err
		}
		p.Resources = append(p.Resources, g.ref(g.ID))
		for _, rule := range rules {
			if !r.open(rule) {
				continue
			}
			rr := RevokedRule{
				GroupID: g.ID, RuleID: awssdk.ToString(rule.SecurityGroupRuleId), Protocol: awssdk.ToString(rule.IpProtocol),
				FromPort: awssdk.ToInt32(rule.FromPort), ToPort: awssdk.ToInt32(rule.ToPort),
				CIDR: awssdk.ToString(rule.CidrIpv4) + awssdk.ToString(rule.CidrIpv6), Description: awssdk.ToString(rule.Description),
			}
			d.Rules = append(d.Rules, rr)
			p.Changes = append(p.Changes, newChange("revoke/"+rr.RuleID, "ec2:RevokeSecurityGroupIngress", g.ARN,
				fmt.Sprintf("revoke ingress %s from %s on %s", describePorts(rr), rr.CIDR, g.ID),
				revokeParams{GroupID: g.ID, RuleID: rr.RuleID}))
		}
	}
	if len(p.Changes) == 0 {
		return nil, notApplicable(r.Name(), "no ingress rule open to the internet on the configured ports")
	}
	p.Summary = fmt.Sprintf("revoke %d open ingress rule(s) in %s/%s", len(p.Changes), tgt.Account, tgt.Region)
	p.Data = mustJSON(d)
	return p, nil
}

func describePorts(r RevokedRule) string {
	switch {
	case r.Protocol == "-1":
		return "all traffic"
	case r.FromPort == r.ToPort:
		return fmt.Sprintf("%s %d", r.Protocol, r.FromPort)
	case r.FromPort < 0:
		return r.Protocol
	}
	return fmt.Sprintf("%s %d-%d", r.Protocol, r.FromPort, r.ToPort)
}

// Apply revokes the planned rules that are still present and unchanged, per
// group in one call by rule id, and verifies that they are gone. A rule id
// survives ModifySecurityGroupRules, so each rule is compared with what the
// plan recorded (protocol, ports, source) before it is revoked: a rule
// changed since (narrowed to an office range, say) is left alone.
func (r *RevokeOpenIngress) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	var d revokeData
	c, err := startApply(ctx, r.Name(), p, &d, &d.Target, r.clients)
	if err != nil {
		return nil, err
	}
	recorded := make(map[string]RevokedRule, len(d.Rules))
	for _, rr := range d.Rules {
		recorded[rr.RuleID] = rr
	}
	// Live rules per group, read once per group and after each revoke.
	live := map[string]map[string]ec2types.SecurityGroupRule{}
	read := func(ctx context.Context, group string) (map[string]ec2types.SecurityGroupRule, error) {
		rules, err := groupRules(ctx, c, group)
		if err != nil {
			if isCode(err, "InvalidGroup.NotFound", "InvalidGroupId.NotFound") {
				return nil, nil
			}
			return nil, err
		}
		m := map[string]ec2types.SecurityGroupRule{}
		for _, rule := range rules {
			m[awssdk.ToString(rule.SecurityGroupRuleId)] = rule
		}
		return m, nil
	}
	// unchanged reports whether a planned rule is live with the recorded
	// properties.
	unchanged := func(rules map[string]ec2types.SecurityGroupRule, id string) (bool, string) {
		rule, ok := rules[id]
		if !ok {
			return false, ""
		}
		rec, ok := recorded[id]
		if !ok {
			return false, "the plan records no properties for it"
		}
		if !sameRevokedRule(rule, rec) {
			return false, "it changed since the plan: now " + ruleSummary(rule)
		}
		return true, ""
	}
	revoked := map[string]bool{}
	return applyAll(ctx, r.log, r.Name(), p, func(ctx context.Context, ch remediate.Change) (remediate.OutcomeStatus, string, error) {
		var pr revokeParams
		if err := decodeParams(ch, &pr); err != nil {
			return "", "", err
		}
		if revoked[pr.RuleID] {
			return remediate.OutcomeApplied, "revoked with the group's other open rules", nil
		}
		rules, seen := live[pr.GroupID]
		if !seen {
			if rules, err = read(ctx, pr.GroupID); err != nil {
				return "", "", err
			}
			live[pr.GroupID] = rules
		}
		if rules == nil {
			return remediate.OutcomeSkipped, "security group no longer exists", nil
		}
		if _, ok := rules[pr.RuleID]; !ok {
			return remediate.OutcomeAlreadyDone, "rule no longer exists", nil
		}
		if ok, why := unchanged(rules, pr.RuleID); !ok {
			return remediate.OutcomeSkipped, "not revoked: " + why, nil
		}
		// Revoke this group's remaining planned rules together.
		var ids []string
		for _, later := range p.Changes {
			var lp revokeParams
			if decodeParams(later, &lp) != nil || lp.GroupID != pr.GroupID || revoked[lp.RuleID] {
				continue
			}
			if ok, _ := unchanged(rules, lp.RuleID); ok {
				ids = append(ids, lp.RuleID)
			}
		}
		out, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: awssdk.String(pr.GroupID), SecurityGroupRuleIds: ids})
		if err != nil {
			if isCode(err, "InvalidSecurityGroupRuleId.NotFound") {
				// Someone removed a rule meanwhile: read again and retry.
				return "", "", remediate.Transient(wrap("ec2:RevokeSecurityGroupIngress", pr.GroupID, err))
			}
			return "", "", wrap("ec2:RevokeSecurityGroupIngress", pr.GroupID, err)
		}
		if out.Return != nil && !*out.Return || len(out.UnknownIpPermissions) > 0 {
			return "", "", notEffective("ec2:RevokeSecurityGroupIngress", pr.GroupID, "AWS answered Return=%v with %d unknown permission(s)",
				awssdk.ToBool(out.Return), len(out.UnknownIpPermissions))
		}
		after, err := read(ctx, pr.GroupID)
		if err != nil {
			return "", "", err
		}
		live[pr.GroupID] = after
		for _, id := range ids {
			if _, still := after[id]; still {
				return "", "", notEffective("ec2:RevokeSecurityGroupIngress", pr.GroupID, "rule %s is still present after the revoke", id)
			}
			revoked[id] = true
		}
		return remediate.OutcomeApplied, fmt.Sprintf("revoked %d rule(s) of %s by id", len(ids), pr.GroupID), nil
	})
}

// sameRevokedRule reports whether a live rule still has the properties a
// plan recorded: an ingress rule with the same protocol, ports and CIDR
// source (not a prefix list or a referenced group).
func sameRevokedRule(live ec2types.SecurityGroupRule, rec RevokedRule) bool {
	return !awssdk.ToBool(live.IsEgress) && awssdk.ToString(live.PrefixListId) == "" && live.ReferencedGroupInfo == nil &&
		awssdk.ToString(live.IpProtocol) == rec.Protocol &&
		awssdk.ToInt32(live.FromPort) == rec.FromPort && awssdk.ToInt32(live.ToPort) == rec.ToPort &&
		awssdk.ToString(live.CidrIpv4)+awssdk.ToString(live.CidrIpv6) == rec.CIDR
}

// ruleSummary describes a live rule briefly ("tcp 22 from 198.51.100.0/24").
func ruleSummary(rule ec2types.SecurityGroupRule) string {
	peer := awssdk.ToString(rule.CidrIpv4) + awssdk.ToString(rule.CidrIpv6) + awssdk.ToString(rule.PrefixListId)
	if rule.ReferencedGroupInfo != nil {
		peer += awssdk.ToString(rule.ReferencedGroupInfo.GroupId)
	}
	rr := RevokedRule{Protocol: awssdk.ToString(rule.IpProtocol), FromPort: awssdk.ToInt32(rule.FromPort), ToPort: awssdk.ToInt32(rule.ToPort)}
	return describePorts(rr) + " from " + peer
}
