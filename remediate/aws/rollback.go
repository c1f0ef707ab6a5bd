package aws

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// RollbackEC2API is the part of the EC2 API [RollbackIsolation] calls.
type RollbackEC2API interface {
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeInstanceAttribute(context.Context, *ec2.DescribeInstanceAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceAttributeOutput, error)
	ModifyInstanceAttribute(context.Context, *ec2.ModifyInstanceAttributeInput, ...func(*ec2.Options)) (*ec2.ModifyInstanceAttributeOutput, error)
	DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	ModifyNetworkInterfaceAttribute(context.Context, *ec2.ModifyNetworkInterfaceAttributeInput, ...func(*ec2.Options)) (*ec2.ModifyNetworkInterfaceAttributeOutput, error)
	DescribeIamInstanceProfileAssociations(context.Context, *ec2.DescribeIamInstanceProfileAssociationsInput, ...func(*ec2.Options)) (*ec2.DescribeIamInstanceProfileAssociationsOutput, error)
	AssociateIamInstanceProfile(context.Context, *ec2.AssociateIamInstanceProfileInput, ...func(*ec2.Options)) (*ec2.AssociateIamInstanceProfileOutput, error)
	ReplaceIamInstanceProfileAssociation(context.Context, *ec2.ReplaceIamInstanceProfileAssociationInput, ...func(*ec2.Options)) (*ec2.ReplaceIamInstanceProfileAssociationOutput, error)
	DisassociateIamInstanceProfile(context.Context, *ec2.DisassociateIamInstanceProfileInput, ...func(*ec2.Options)) (*ec2.DisassociateIamInstanceProfileOutput, error)
	DeleteTags(context.Context, *ec2.DeleteTagsInput, ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
}

// RollbackAutoScalingAPI is the part of the Auto Scaling API
// [RollbackIsolation] calls.
type RollbackAutoScalingAPI interface {
	DescribeAutoScalingGroups(context.Context, *autoscaling.DescribeAutoScalingGroupsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
	DescribeAutoScalingInstances(context.Context, *autoscaling.DescribeAutoScalingInstancesInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingInstancesOutput, error)
	AttachInstances(context.Context, *autoscaling.AttachInstancesInput, ...func(*autoscaling.Options)) (*autoscaling.AttachInstancesOutput, error)
	ExitStandby(context.Context, *autoscaling.ExitStandbyInput, ...func(*autoscaling.Options)) (*autoscaling.ExitStandbyOutput, error)
}

// RollbackELBv2API is the part of the ELBv2 API [RollbackIsolation] calls.
type RollbackELBv2API interface {
	DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
	RegisterTargets(context.Context, *elbv2.RegisterTargetsInput, ...func(*elbv2.Options)) (*elbv2.RegisterTargetsOutput, error)
}

var (
	_ RollbackEC2API         = (*ec2.Client)(nil)
	_ RollbackAutoScalingAPI = (*autoscaling.Client)(nil)
	_ RollbackELBv2API       = (*elbv2.Client)(nil)
)

// RollbackClients are the clients [RollbackIsolation] uses in one target.
type RollbackClients struct {
	EC2         RollbackEC2API
	AutoScaling RollbackAutoScalingAPI
	ELBv2       RollbackELBv2API
}

// RollbackOptions configure [RollbackIsolation].
type RollbackOptions struct {
	// Name is the remediator name (default "ec2-isolate-rollback").
	Name string
	// Classes are the finding classes it acts on (default: every class; the
	// routing rule decides, for example "status_id 3 (Suppressed) on a
	// GuardDuty finding" for a false positive).
	Classes []ocsf.ClassUID
	// TagPrefix must be the isolation's (default "ocsfhub").
	TagPrefix string
	// Clients, when set, replaces the SDK clients built from the
	// [ConfigSource].
	Clients func(ctx context.Context, t Target) (RollbackClients, error)
	// Logger receives one line per change (default: discarded).
	Logger *slog.Logger
}

// RollbackIsolation is a [remediate.Remediator] that undoes
// [IsolateInstance] for the instance a finding names, from the prior state
// recorded in the instance's tags: it restores every interface's security
// groups, the instance profile, Auto Scaling membership (AttachInstances
// after a detach, ExitStandby after Standby), target group registrations and
// the protection attributes, then removes the isolation tags. Snapshots and
// the VPC's isolation group are kept. Instances without the record are not
// applicable.
type RollbackIsolation struct {
	opts    RollbackOptions
	clients func(ctx context.Context, t Target) (RollbackClients, error)
	log     *slog.Logger
}

var _ remediate.Remediator = (*RollbackIsolation)(nil)

// NewRollbackIsolation returns the rollback remediator acting through src.
func NewRollbackIsolation(src ConfigSource, opts RollbackOptions) (*RollbackIsolation, error) {
	if opts.Name == "" {
		opts.Name = "ec2-isolate-rollback"
	}
	if opts.TagPrefix == "" {
		opts.TagPrefix = "ocsfhub"
	}
	r := &RollbackIsolation{opts: opts, log: logger(opts.Logger)}
	clients, err := clientsFrom(src, opts.Clients, func(cfg awssdk.Config) RollbackClients {
		return RollbackClients{EC2: ec2.NewFromConfig(cfg), AutoScaling: autoscaling.NewFromConfig(cfg), ELBv2: elbv2.NewFromConfig(cfg)}
	})
	if err != nil {
		return nil, err
	}
	r.clients = clients
	return r, nil
}

// Name returns the remediator name.
func (r *RollbackIsolation) Name() string { return r.opts.Name }

// Permissions returns the IAM actions Plan and Apply may call.
func (r *RollbackIsolation) Permissions() []string {
	return []string{
		"autoscaling:AttachInstances", "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances", "autoscaling:ExitStandby",
		"ec2:AssociateIamInstanceProfile", "ec2:DeleteTags", "ec2:DescribeIamInstanceProfileAssociations",
		"ec2:DescribeInstanceAttribute", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces",
		"ec2:DisassociateIamInstanceProfile", "ec2:ModifyInstanceAttribute", "ec2:ModifyNetworkInterfaceAttribute",
		"ec2:ReplaceIamInstanceProfileAssociation",
		"elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:RegisterTargets",
		"iam:PassRole",
	}
}

type rollbackData struct {
	Target     target          `json:"target"`
	InstanceID string          `json:"instance_id"`
	Record     IsolationRecord `json:"record"`
}

type (
	restoreENIParams struct {
		NetworkInterfaceID string   `json:"network_interface_id"`
		Groups             []string `json:"groups"`
	}
	restoreProfileParams struct {
		InstanceID string `json:"instance_id"`
		ProfileARN string `json:"instance_profile_arn"` // "" removes
	}
	restoreASGParams struct {
		InstanceID string            `json:"instance_id"`
		Group      string            `json:"auto_scaling_group_name"`
		Undo       AutoScalingAction `json:"undo"`
	}
	untagParams struct {
		InstanceID string   `json:"instance_id"`
		Keys       []string `json:"keys"`
	}
)

// Plan reads the record and the live state and plans what differs.
func (r *RollbackIsolation) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := checkFinding(ctx, r.Name(), f, r.opts.Classes); err != nil {
		return nil, err
	}
	insts := findResources(f, ocsf.ResourceTypeEC2Instance)
	if len(insts) != 1 || !strings.HasPrefix(insts[0].ID, "i-") {
		return nil, notApplicable(r.Name(), "the finding names %d instances; rollback acts on findings about one instance", len(insts))
	}
	res := insts[0]
	id := res.ID
	tgt := target{Account: res.Account, Region: res.Region}
	cl, err := r.clients(ctx, tgt.with(remediate.RefOf(f)))
	if err != nil {
		return nil, err
	}
	inst, err := describeInstance(ctx, cl.EC2, id)
	if err != nil {
		return nil, err
	}
	if inst == nil {
		return nil, notApplicable(r.Name(), "instance %s does not exist", id)
	}
	tags := tagMap(inst.Tags)
	rec, ok, err := ParseIsolationRecord(id, r.opts.TagPrefix, tags)
	if err != nil {
		return nil, remediate.Permanent(err)
	}
	if !ok {
		return nil, notApplicable(r.Name(), "instance %s carries no isolation record", id)
	}
	arn := res.ARN
	p := &remediate.Plan{
		Summary:     fmt.Sprintf("roll back the isolation of %s in %s/%s", id, res.Account, res.Region),
		Destructive: true, // it reopens network paths and credentials
		Resources:   []remediate.Resource{res.ref(id)},
	}
	add := func(c remediate.Change) { p.Changes = append(p.Changes, c) }
	live := map[string][]string{}
	for _, ni := range inst.NetworkInterfaces {
		var gs []string
		for _, g := range ni.Groups {
			gs = append(gs, awssdk.ToString(g.GroupId))
		}
		live[awssdk.ToString(ni.NetworkInterfaceId)] = gs
	}
	for _, ni := range rec.Interfaces {
		gs, attached := live[ni.ID]
		if !attached || sameSet(gs, ni.Groups) {
			continue
		}
		add(newChange("eni/"+ni.ID, "ec2:ModifyNetworkInterfaceAttribute", ni.ID,
			"restore the security groups of "+ni.ID+": "+strings.Join(ni.Groups, " "),
			restoreENIParams{NetworkInterfaceID: ni.ID, Groups: ni.Groups}))
	}
	assoc, err := profileAssociation(ctx, cl.EC2, id)
	if err != nil {
		return nil, err
	}
	if arnOf(assoc) != rec.InstanceProfileARN {
		action, desc := "ec2:ReplaceIamInstanceProfileAssociation", "restore instance profile "+profileName(rec.InstanceProfileARN)
		switch {
		case rec.InstanceProfileARN == "":
			action, desc = "ec2:DisassociateIamInstanceProfile", "remove the instance profile (there was none)"
		case assoc == nil:
			action = "ec2:AssociateIamInstanceProfile"
		}
		add(newChange("profile", action, arn, desc, restoreProfileParams{InstanceID: id, ProfileARN: rec.InstanceProfileARN}))
	}
	if rec.AutoScalingGroup != "" {
		group, state, err := asgMembership(ctx, cl.AutoScaling, id)
		if err != nil {
			return nil, err
		}
		attach := rec.AutoScaling == AutoScalingDetach && group == ""
		if attach {
			// A group deleted since cannot take the instance back.
			if attach, err = asgExists(ctx, cl.AutoScaling, rec.AutoScalingGroup); err != nil {
				return nil, err
			}
		}
		switch {
		case attach:
			add(newChange("asg/"+rec.AutoScalingGroup, "autoscaling:AttachInstances", rec.AutoScalingGroup,
				"attach back to Auto Scaling group "+rec.AutoScalingGroup+" (its desired capacity grows by one)",
				restoreASGParams{InstanceID: id, Group: rec.AutoScalingGroup, Undo: AutoScalingDetach}))
		case rec.AutoScaling == AutoScalingStandby && group == rec.AutoScalingGroup && isStandby(state):
			add(newChange("asg/"+rec.AutoScalingGroup, "autoscaling:ExitStandby", rec.AutoScalingGroup,
				"return to service in Auto Scaling group "+rec.AutoScalingGroup,
				restoreASGParams{InstanceID: id, Group: rec.AutoScalingGroup, Undo: AutoScalingStandby}))
		}
	}
	for _, tg := range rec.TargetGroups {
		ports, err := registeredPorts(ctx, cl.ELBv2, tg.ARN, id)
		if err != nil {
			return nil, err
		}
		if slices.Contains(ports, tg.Port) {
			continue
		}
		add(newChange("tg/"+targetGroupName(tg.ARN)+"/"+strconv.Itoa(int(tg.Port)), "elasticloadbalancing:RegisterTargets", tg.ARN,
			fmt.Sprintf("register again in target group %s (port %d)", targetGroupName(tg.ARN), tg.Port),
			targetParams{TargetGroupARN: tg.ARN, InstanceID: id, Port: tg.Port}))
	}
	for _, a := range []struct {
		attr  ec2types.InstanceAttributeName
		prior bool
	}{
		{ec2types.InstanceAttributeNameDisableApiTermination, rec.TerminationProtection},
		{ec2types.InstanceAttributeNameDisableApiStop, rec.StopProtection},
	} {
		on, err := instanceAttr(ctx, cl.EC2, id, a.attr)
		if err != nil {
			return nil, err
		}
		if on == a.prior {
			continue
		}
		what := strings.ToLower(strings.TrimPrefix(string(a.attr), "disableApi"))
		add(newChange("protect/"+what, "ec2:ModifyInstanceAttribute", arn, fmt.Sprintf("set %s back to %t", a.attr, a.prior),
			protectParams{InstanceID: id, Attribute: string(a.attr), Value: a.prior}))
	}
	if keys := recordTagKeys(r.opts.TagPrefix, tags); len(keys) > 0 {
		add(newChange("untag", "ec2:DeleteTags", arn, "remove the isolation tags ("+strconv.Itoa(len(keys))+")",
			untagParams{InstanceID: id, Keys: keys}))
	}
	if len(p.Changes) == 0 {
		return nil, notApplicable(r.Name(), "instance %s is already back to its recorded state", id)
	}
	p.Data = mustJSON(rollbackData{Target: tgt, InstanceID: id, Record: rec})
	return p, nil
}

// Apply restores each recorded piece of state, checking live state first.
func (r *RollbackIsolation) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	var d rollbackData
	cl, err := startApply(ctx, r.Name(), p, &d, &d.Target, r.clients)
	if err != nil {
		return nil, err
	}
	return applyAll(ctx, r.log, r.Name(), p, func(ctx context.Context, c remediate.Change) (remediate.OutcomeStatus, string, error) {
		switch {
		case strings.HasPrefix(c.ID, "eni/"):
			var pr restoreENIParams
			if err := decodeParams(c, &pr); err != nil {
				return "", "", err
			}
			return restoreInterface(ctx, cl.EC2, pr)
		case c.ID == "profile":
			var pr restoreProfileParams
			if err := decodeParams(c, &pr); err != nil {
				return "", "", err
			}
			return restoreProfile(ctx, cl.EC2, pr)
		case strings.HasPrefix(c.ID, "asg/"):
			var pr restoreASGParams
			if err := decodeParams(c, &pr); err != nil {
				return "", "", err
			}
			return restoreAutoScaling(ctx, cl.AutoScaling, pr)
		case strings.HasPrefix(c.ID, "tg/"):
			var pr targetParams
			if err := decodeParams(c, &pr); err != nil {
				return "", "", err
			}
			ports, err := registeredPorts(ctx, cl.ELBv2, pr.TargetGroupARN, pr.InstanceID)
			if err != nil {
				return "", "", err
			}
			if slices.Contains(ports, pr.Port) {
				return remediate.OutcomeAlreadyDone, "registered", nil
			}
			if _, err := cl.ELBv2.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: awssdk.String(pr.TargetGroupARN),
				Targets: []elbtypes.TargetDescription{{Id: awssdk.String(pr.InstanceID), Port: awssdk.Int32(pr.Port)}}}); err != nil {
				if isCode(err, "TargetGroupNotFound") {
					return remediate.OutcomeSkipped, "target group no longer exists", nil
				}
				return "", "", wrap("elasticloadbalancing:RegisterTargets", pr.TargetGroupARN, err)
			}
			return remediate.OutcomeApplied, fmt.Sprintf("registered on port %d", pr.Port), nil
		case strings.HasPrefix(c.ID, "protect/"):
			var pr protectParams
			if err := decodeParams(c, &pr); err != nil {
				return "", "", err
			}
			return setProtection(ctx, cl.EC2, pr)
		case c.ID == "untag":
			var pr untagParams
			if err := decodeParams(c, &pr); err != nil {
				return "", "", err
			}
			inst, err := describeInstance(ctx, cl.EC2, pr.InstanceID)
			if err != nil {
				return "", "", err
			}
			if inst == nil {
				return remediate.OutcomeSkipped, "instance no longer exists", nil
			}
			live := tagMap(inst.Tags)
			var keys []ec2types.Tag
			for _, k := range pr.Keys {
				if _, ok := live[k]; ok {
					keys = append(keys, ec2types.Tag{Key: awssdk.String(k)})
				}
			}
			if len(keys) == 0 {
				return remediate.OutcomeAlreadyDone, "", nil
			}
			if _, err := cl.EC2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{pr.InstanceID}, Tags: keys}); err != nil {
				return "", "", wrap("ec2:DeleteTags", pr.InstanceID, err)
			}
			return remediate.OutcomeApplied, fmt.Sprintf("removed %d tag(s)", len(keys)), nil
		}
		return "", "", remediate.Permanent(fmt.Errorf("%s: unknown change %q", r.Name(), c.ID))
	})
}

func restoreInterface(ctx context.Context, c RollbackEC2API, pr restoreENIParams) (remediate.OutcomeStatus, string, error) {
	groups, ok, err := interfaceGroups(ctx, c, pr.NetworkInterfaceID)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return remediate.OutcomeSkipped, "network interface no longer exists", nil
	}
	if sameSet(groups, pr.Groups) {
		return remediate.OutcomeAlreadyDone, "", nil
	}
	if _, err := c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{
		NetworkInterfaceId: awssdk.String(pr.NetworkInterfaceID), Groups: pr.Groups}); err != nil {
		return "", "", wrap("ec2:ModifyNetworkInterfaceAttribute", pr.NetworkInterfaceID, err)
	}
	after, _, err := interfaceGroups(ctx, c, pr.NetworkInterfaceID)
	if err != nil {
		return "", "", err
	}
	if !sameSet(after, pr.Groups) {
		return "", "", notEffective("ec2:ModifyNetworkInterfaceAttribute", pr.NetworkInterfaceID, "interface carries %v, want %v", after, pr.Groups)
	}
	return remediate.OutcomeApplied, "groups " + strings.Join(pr.Groups, " "), nil
}

func restoreProfile(ctx context.Context, c RollbackEC2API, pr restoreProfileParams) (remediate.OutcomeStatus, string, error) {
	assoc, err := profileAssociation(ctx, c, pr.InstanceID)
	if err != nil {
		return "", "", err
	}
	if arnOf(assoc) == pr.ProfileARN {
		return remediate.OutcomeAlreadyDone, "", nil
	}
	spec := &ec2types.IamInstanceProfileSpecification{Arn: awssdk.String(pr.ProfileARN)}
	switch {
	case pr.ProfileARN == "":
		_, err = c.DisassociateIamInstanceProfile(ctx, &ec2.DisassociateIamInstanceProfileInput{AssociationId: assoc.AssociationId})
		return outcome(err, "ec2:DisassociateIamInstanceProfile", pr.InstanceID, "instance profile removed")
	case assoc == nil:
		_, err = c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: awssdk.String(pr.InstanceID), IamInstanceProfile: spec})
		return outcome(err, "ec2:AssociateIamInstanceProfile", pr.InstanceID, "associated "+profileName(pr.ProfileARN))
	default:
		_, err = c.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{AssociationId: assoc.AssociationId, IamInstanceProfile: spec})
		return outcome(err, "ec2:ReplaceIamInstanceProfileAssociation", pr.InstanceID, "restored "+profileName(pr.ProfileARN))
	}
}

func restoreAutoScaling(ctx context.Context, c RollbackAutoScalingAPI, pr restoreASGParams) (remediate.OutcomeStatus, string, error) {
	group, state, err := asgMembership(ctx, c, pr.InstanceID)
	if err != nil {
		return "", "", err
	}
	if pr.Undo == AutoScalingStandby {
		if group == "" || !isStandby(state) {
			return remediate.OutcomeAlreadyDone, "not in Standby", nil
		}
		_, err = c.ExitStandby(ctx, &autoscaling.ExitStandbyInput{AutoScalingGroupName: awssdk.String(group), InstanceIds: []string{pr.InstanceID}})
		return outcome(err, "autoscaling:ExitStandby", group, "back in service in "+group)
	}
	if group != "" {
		return remediate.OutcomeAlreadyDone, "in " + group, nil
	}
	exists, err := asgExists(ctx, c, pr.Group)
	if err != nil {
		return "", "", err
	}
	if !exists {
		return remediate.OutcomeSkipped, "Auto Scaling group " + pr.Group + " no longer exists", nil
	}
	_, err = c.AttachInstances(ctx, &autoscaling.AttachInstancesInput{AutoScalingGroupName: awssdk.String(pr.Group), InstanceIds: []string{pr.InstanceID}})
	return outcome(err, "autoscaling:AttachInstances", pr.Group, "attached to "+pr.Group)
}

// asgExists reports whether an Auto Scaling group exists.
func asgExists(ctx context.Context, c interface {
	DescribeAutoScalingGroups(context.Context, *autoscaling.DescribeAutoScalingGroupsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
}, name string) (bool, error) {
	out, err := c.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return false, wrap("autoscaling:DescribeAutoScalingGroups", name, err)
	}
	for _, g := range out.AutoScalingGroups {
		if awssdk.ToString(g.AutoScalingGroupName) == name {
			return true, nil
		}
	}
	return false, nil
}

// outcome turns the error of a single mutating call into a step result.
func outcome(err error, action, resource, detail string) (remediate.OutcomeStatus, string, error) {
	if err != nil {
		return "", "", wrap(action, resource, err)
	}
	return remediate.OutcomeApplied, detail, nil
}
