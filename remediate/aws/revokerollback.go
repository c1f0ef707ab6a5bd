package aws

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// RevokeRollbackEC2API is the part of the EC2 API [RollbackRevokedIngress]
// calls.
type RevokeRollbackEC2API interface {
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DescribeSecurityGroupRules(context.Context, *ec2.DescribeSecurityGroupRulesInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupRulesOutput, error)
	AuthorizeSecurityGroupIngress(context.Context, *ec2.AuthorizeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
}

var _ RevokeRollbackEC2API = (*ec2.Client)(nil)

// RevokeRollbackOptions configure [RollbackRevokedIngress].
type RevokeRollbackOptions struct {
	// Name is the remediator name (default
	// "ec2-revoke-open-ingress-rollback").
	Name string
	// Undo is the name of the remediator whose plans are rolled back
	// (default "ec2-revoke-open-ingress").
	Undo string
	// Classes are the finding classes acted on (default: every class; the
	// routing rule decides, for example "status_id 3 (Suppressed)").
	Classes []ocsf.ClassUID
	// Clients, when set, replaces the SDK client built from the
	// [ConfigSource].
	Clients func(ctx context.Context, t Target) (RevokeRollbackEC2API, error)
	// Logger receives one line per change (default: discarded).
	Logger *slog.Logger
}

// RollbackRevokedIngress is a [remediate.Remediator] that undoes
// [RevokeOpenIngress] for the security groups a finding names: it finds, in
// the engine's journal, the revoke plans applied for the same finding
// (metadata.uid) and authorizes again exactly the rules they revoked, from
// the rule descriptions the plans recorded (protocol, ports, source CIDR
// and description). A rule that exists again (same protocol, ports and
// source, whatever its id and description) is skipped, at plan time and
// again at apply time; rules the revoke skipped were not revoked and are
// not restored. Each authorized rule is read back. Plans are destructive:
// they reopen the groups to the internet.
//
// The restored rules get new rule ids (EC2 never reuses one); the outcome
// of each change names the new id.
type RollbackRevokedIngress struct {
	opts    RevokeRollbackOptions
	journal PlanJournal
	clients func(ctx context.Context, t Target) (RevokeRollbackEC2API, error)
	log     *slog.Logger
}

var _ remediate.Remediator = (*RollbackRevokedIngress)(nil)

// NewRollbackRevokedIngress returns the rollback acting through src and
// reading plans from journal (required).
func NewRollbackRevokedIngress(src ConfigSource, journal PlanJournal, opts RevokeRollbackOptions) (*RollbackRevokedIngress, error) {
	if opts.Name == "" {
		opts.Name = NameRevokeRollback
	}
	if opts.Undo == "" {
		opts.Undo = NameRevoke
	}
	if err := needJournal(opts.Name, journal); err != nil {
		return nil, err
	}
	r := &RollbackRevokedIngress{opts: opts, journal: journal, log: logger(opts.Logger)}
	clients, err := clientsFrom(src, opts.Clients, func(cfg awssdk.Config) RevokeRollbackEC2API { return ec2.NewFromConfig(cfg) })
	if err != nil {
		return nil, err
	}
	r.clients = clients
	return r, nil
}

// Name returns the remediator name.
func (r *RollbackRevokedIngress) Name() string { return r.opts.Name }

// Permissions returns the IAM actions Plan and Apply call.
func (r *RollbackRevokedIngress) Permissions() []string {
	return []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups"}
}

// restoreRuleParams re-authorize one revoked rule.
type restoreRuleParams struct {
	Rule RevokedRule `json:"rule"`
	// Undoes is the id of the plan that revoked it.
	Undoes string `json:"undoes_plan"`
}

type restoreRuleData struct {
	Target target `json:"target"`
}

// ruleKey identifies a rule by what EC2 compares for duplicates.
func ruleKey(r RevokedRule) string {
	return fmt.Sprintf("%s|%s|%d|%d|%s", r.GroupID, r.Protocol, r.FromPort, r.ToPort, r.CIDR)
}

// Plan finds the revoked rules in the journal and plans those not present
// again.
func (r *RollbackRevokedIngress) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := checkFinding(ctx, r.Name(), f, r.opts.Classes); err != nil {
		return nil, err
	}
	groups, tgt, err := resourcesInOneTarget(r.Name(), f, ocsf.ResourceTypeEC2SecurityGroup, "security groups")
	if err != nil {
		return nil, err
	}
	named := map[string]resource{}
	for _, g := range groups {
		named[g.ID] = g
	}
	ref := remediate.RefOf(f)
	applied, err := appliedPlans(ctx, r.journal, ref.ID(), r.opts.Undo)
	if err != nil {
		return nil, err
	}
	// The revoked rules, once each (a rule revoked, added back by hand and
	// revoked again counts once, from the latest plan).
	var order []string
	revoked := map[string]restoreRuleParams{}
	for _, ap := range applied {
		var d revokeData
		if err := decodeData(ap.plan, &d); err != nil {
			return nil, err
		}
		if d.Target != tgt {
			continue
		}
		byID := map[string]RevokedRule{}
		for _, rr := range d.Rules {
			byID[rr.RuleID] = rr
		}
		for _, c := range ap.plan.Changes {
			var pr revokeParams
			if !strings.HasPrefix(c.ID, "revoke/") || ap.skipped[c.ID] || decodeParams(c, &pr) != nil {
				continue
			}
			rr, ok := byID[pr.RuleID]
			if _, isNamed := named[rr.GroupID]; !ok || !isNamed {
				continue
			}
			k := ruleKey(rr)
			if _, dup := revoked[k]; !dup {
				order = append(order, k)
			}
			revoked[k] = restoreRuleParams{Rule: rr, Undoes: ap.plan.ID}
		}
	}
	if len(revoked) == 0 {
		return nil, notApplicable(r.Name(), "the journal holds no rule revoked by %s for this finding's security groups", r.opts.Undo)
	}
	c, err := r.clients(ctx, tgt.with(ref))
	if err != nil {
		return nil, err
	}
	p := &remediate.Plan{Destructive: true}
	live := map[string][]ec2types.SecurityGroupRule{}
	gone := map[string]bool{}
	for _, k := range order {
		pr := revoked[k]
		g := pr.Rule.GroupID
		if gone[g] {
			continue
		}
		rules, ok := live[g]
		if !ok {
			// A rule filter on a deleted group matches nothing without an
			// error: ask for the group itself.
			exists, err := groupExists(ctx, c, g)
			if err != nil {
				return nil, err
			}
			if !exists {
				gone[g] = true
				continue
			}
			if rules, err = groupRules(ctx, c, g); err != nil {
				return nil, err
			}
			live[g] = rules
		}
		if _, present := presentRule(rules, pr.Rule); present {
			continue
		}
		if !containsRef(p.Resources, g) {
			p.Resources = append(p.Resources, named[g].ref(g))
		}
		desc := fmt.Sprintf("authorize again ingress %s from %s on %s (rule %s, revoked by plan %s)",
			describePorts(pr.Rule), pr.Rule.CIDR, g, pr.Rule.RuleID, pr.Undoes)
		if pr.Rule.Description != "" {
			desc += fmt.Sprintf(", with its description %q", pr.Rule.Description)
		}
		p.Changes = append(p.Changes, newChange("authorize/"+pr.Rule.RuleID, "ec2:AuthorizeSecurityGroupIngress", named[g].ARN, desc, pr))
	}
	if len(p.Changes) == 0 {
		return nil, notApplicable(r.Name(), "every revoked rule exists again (or its group no longer exists)")
	}
	p.Summary = fmt.Sprintf("authorize again %d revoked ingress rule(s) in %s/%s", len(p.Changes), tgt.Account, tgt.Region)
	p.Data = mustJSON(restoreRuleData{Target: tgt})
	return p, nil
}

// groupExists reports whether a security group exists.
func groupExists(ctx context.Context, c describeGroupsAPI, id string) (bool, error) {
	_, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		if isCode(err, "InvalidGroup.NotFound", "InvalidGroupId.NotFound", "InvalidGroupId.Malformed") {
			return false, nil
		}
		return false, wrap("ec2:DescribeSecurityGroups", id, err)
	}
	return true, nil
}

func containsRef(rs []remediate.Resource, uid string) bool {
	for _, r := range rs {
		if r.UID == uid {
			return true
		}
	}
	return false
}

// presentRule returns the id of a live ingress rule with the recorded
// rule's protocol, ports and source.
func presentRule(rules []ec2types.SecurityGroupRule, rec RevokedRule) (string, bool) {
	for _, rule := range rules {
		if sameRevokedRule(rule, rec) {
			return awssdk.ToString(rule.SecurityGroupRuleId), true
		}
	}
	return "", false
}

// permission builds the IpPermission that authorizes a recorded rule.
func permission(rr RevokedRule) ec2types.IpPermission {
	perm := ec2types.IpPermission{IpProtocol: awssdk.String(rr.Protocol)}
	if rr.Protocol != "-1" {
		perm.FromPort, perm.ToPort = awssdk.Int32(rr.FromPort), awssdk.Int32(rr.ToPort)
	}
	var desc *string
	if rr.Description != "" {
		desc = awssdk.String(rr.Description)
	}
	if strings.Contains(rr.CIDR, ":") {
		perm.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: awssdk.String(rr.CIDR), Description: desc}}
	} else {
		perm.IpRanges = []ec2types.IpRange{{CidrIp: awssdk.String(rr.CIDR), Description: desc}}
	}
	return perm
}

// Apply authorizes each rule that is not present again, and reads it back.
func (r *RollbackRevokedIngress) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	var d restoreRuleData
	c, err := startApply(ctx, r.Name(), p, &d, &d.Target, r.clients)
	if err != nil {
		return nil, err
	}
	return applyAll(ctx, r.log, r.Name(), p, func(ctx context.Context, ch remediate.Change) (remediate.OutcomeStatus, string, error) {
		var pr restoreRuleParams
		if err := decodeChange(r.Name(), ch, "authorize/", &pr); err != nil {
			return "", "", err
		}
		g := pr.Rule.GroupID
		rules, err := groupRules(ctx, c, g)
		if err != nil {
			if isCode(err, "InvalidGroup.NotFound", "InvalidGroupId.NotFound") {
				return remediate.OutcomeSkipped, "security group no longer exists", nil
			}
			return "", "", err
		}
		if id, ok := presentRule(rules, pr.Rule); ok {
			return remediate.OutcomeAlreadyDone, "exists again as " + id, nil
		}
		out, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: awssdk.String(g),
			IpPermissions: []ec2types.IpPermission{permission(pr.Rule)}})
		if err != nil {
			if isCode(err, "InvalidPermission.Duplicate") {
				return remediate.OutcomeAlreadyDone, "exists again (added meanwhile)", nil
			}
			if isCode(err, "InvalidGroup.NotFound", "InvalidGroupId.NotFound") {
				return remediate.OutcomeSkipped, "security group no longer exists", nil
			}
			return "", "", wrap("ec2:AuthorizeSecurityGroupIngress", g, err)
		}
		after, err := groupRules(ctx, c, g)
		if err != nil {
			return "", "", err
		}
		id, ok := presentRule(after, pr.Rule)
		if !ok {
			return "", "", notEffective("ec2:AuthorizeSecurityGroupIngress", g, "rule %s from %s is not present after the authorize", describePorts(pr.Rule), pr.Rule.CIDR)
		}
		if out != nil && len(out.SecurityGroupRules) == 1 {
			id = awssdk.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId)
		}
		return remediate.OutcomeApplied, fmt.Sprintf("authorized %s from %s again as %s (was %s)", describePorts(pr.Rule), pr.Rule.CIDR, id, pr.Rule.RuleID), nil
	})
}
