package aws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// IsolateEC2API is the part of the EC2 API [IsolateInstance] calls.
type IsolateEC2API interface {
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeInstanceAttribute(context.Context, *ec2.DescribeInstanceAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceAttributeOutput, error)
	ModifyInstanceAttribute(context.Context, *ec2.ModifyInstanceAttributeInput, ...func(*ec2.Options)) (*ec2.ModifyInstanceAttributeOutput, error)
	DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	ModifyNetworkInterfaceAttribute(context.Context, *ec2.ModifyNetworkInterfaceAttributeInput, ...func(*ec2.Options)) (*ec2.ModifyNetworkInterfaceAttributeOutput, error)
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DescribeSecurityGroupRules(context.Context, *ec2.DescribeSecurityGroupRulesInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupRulesOutput, error)
	CreateSecurityGroup(context.Context, *ec2.CreateSecurityGroupInput, ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error)
	AuthorizeSecurityGroupIngress(context.Context, *ec2.AuthorizeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
	AuthorizeSecurityGroupEgress(context.Context, *ec2.AuthorizeSecurityGroupEgressInput, ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupEgressOutput, error)
	RevokeSecurityGroupIngress(context.Context, *ec2.RevokeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error)
	RevokeSecurityGroupEgress(context.Context, *ec2.RevokeSecurityGroupEgressInput, ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupEgressOutput, error)
	DeleteSecurityGroup(context.Context, *ec2.DeleteSecurityGroupInput, ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error)
	CreateTags(context.Context, *ec2.CreateTagsInput, ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DescribeSnapshots(context.Context, *ec2.DescribeSnapshotsInput, ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error)
	CreateSnapshots(context.Context, *ec2.CreateSnapshotsInput, ...func(*ec2.Options)) (*ec2.CreateSnapshotsOutput, error)
	DescribeIamInstanceProfileAssociations(context.Context, *ec2.DescribeIamInstanceProfileAssociationsInput, ...func(*ec2.Options)) (*ec2.DescribeIamInstanceProfileAssociationsOutput, error)
	ReplaceIamInstanceProfileAssociation(context.Context, *ec2.ReplaceIamInstanceProfileAssociationInput, ...func(*ec2.Options)) (*ec2.ReplaceIamInstanceProfileAssociationOutput, error)
	DisassociateIamInstanceProfile(context.Context, *ec2.DisassociateIamInstanceProfileInput, ...func(*ec2.Options)) (*ec2.DisassociateIamInstanceProfileOutput, error)
}

// IsolateAutoScalingAPI is the part of the Auto Scaling API [IsolateInstance]
// calls.
type IsolateAutoScalingAPI interface {
	DescribeAutoScalingInstances(context.Context, *autoscaling.DescribeAutoScalingInstancesInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingInstancesOutput, error)
	DetachInstances(context.Context, *autoscaling.DetachInstancesInput, ...func(*autoscaling.Options)) (*autoscaling.DetachInstancesOutput, error)
	EnterStandby(context.Context, *autoscaling.EnterStandbyInput, ...func(*autoscaling.Options)) (*autoscaling.EnterStandbyOutput, error)
}

// IsolateELBv2API is the part of the Elastic Load Balancing v2 API
// [IsolateInstance] calls.
type IsolateELBv2API interface {
	DescribeTargetGroups(context.Context, *elbv2.DescribeTargetGroupsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error)
	DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
	DeregisterTargets(context.Context, *elbv2.DeregisterTargetsInput, ...func(*elbv2.Options)) (*elbv2.DeregisterTargetsOutput, error)
}

var (
	_ IsolateEC2API         = (*ec2.Client)(nil)
	_ IsolateAutoScalingAPI = (*autoscaling.Client)(nil)
	_ IsolateELBv2API       = (*elbv2.Client)(nil)
)

// IsolateClients are the clients [IsolateInstance] uses in one target.
type IsolateClients struct {
	EC2         IsolateEC2API
	AutoScaling IsolateAutoScalingAPI
	ELBv2       IsolateELBv2API
}

// AutoScalingAction says how isolation takes an instance out of its Auto
// Scaling group. Termination protection does not stop Auto Scaling from
// terminating an instance (on a failed health check, at scale-in, on an
// instance refresh), so the instance must leave the group's control first.
type AutoScalingAction string

// Auto Scaling actions.
const (
	// AutoScalingDetach detaches the instance (DetachInstances with
	// ShouldDecrementDesiredCapacity false: the group launches a
	// replacement and never touches the instance again, whatever happens to
	// the group). The default; AWS's incident-response playbook and
	// GuardDuty sample do this. Rollback re-attaches it (AttachInstances).
	AutoScalingDetach AutoScalingAction = "detach"
	// AutoScalingStandby puts the instance in Standby (EnterStandby, also
	// without decrementing): it stays in the group, health checks and
	// scale-in skip it, and rollback is ExitStandby. Deleting the group
	// with force still terminates it.
	AutoScalingStandby AutoScalingAction = "standby"
	// AutoScalingLeave leaves Auto Scaling alone.
	AutoScalingLeave AutoScalingAction = "none"
)

// ProfileAction says what isolation does with the instance profile, whose
// role credentials are on the instance.
type ProfileAction string

// Instance profile actions.
const (
	// ProfileKeep leaves the instance profile (the default).
	ProfileKeep ProfileAction = "keep"
	// ProfileReplace replaces it with [IsolateOptions.DenyAllProfile], a
	// profile whose role denies everything, in the instance's account
	// (needs iam:PassRole on that role).
	ProfileReplace ProfileAction = "replace"
	// ProfileRemove disassociates the instance profile.
	ProfileRemove ProfileAction = "remove"
)

// IsolateOptions configure [IsolateInstance].
type IsolateOptions struct {
	// Name is the remediator name (default "ec2-isolate").
	Name string
	// Classes are the finding classes isolated (default: Detection Finding
	// 2004 only). Routing rules should narrow further (product, types,
	// severity).
	Classes []ocsf.ClassUID
	// GroupName names the isolation security group created (once, tagged)
	// in each VPC: no ingress rule and no egress rule (default
	// "ocsfhub-isolation").
	GroupName string
	// KeepTrackedConnections skips the step that cuts tracked connections.
	// By default each interface first gets a transient group allowing all
	// traffic from and to 0.0.0.0/0 and ::/0, which makes its flows untracked,
	// and only then the isolation group, so established connections (an
	// attacker's SSH session) stop at once instead of living on for up to
	// five days; this is the method of AWS's Automated Forensic Orchestrator.
	// Flows that are always tracked (through a NAT gateway, a Network Load
	// Balancer, a Transit Gateway...) survive either way; a network ACL, a
	// host firewall or stopping the instance is needed for those.
	KeepTrackedConnections bool
	// AutoScaling is how the instance leaves its Auto Scaling group (default
	// [AutoScalingDetach]).
	AutoScaling AutoScalingAction
	// KeepLoadBalancers leaves the instance registered in ELBv2 target
	// groups (by default it is deregistered from every group of its VPC).
	KeepLoadBalancers bool
	// NoProtection skips enabling termination and stop protection
	// (disableApiTermination, disableApiStop), which is on by default.
	NoProtection bool
	// Snapshot snapshots every attached EBS volume (CreateSnapshots, one
	// crash-consistent set) before the network changes, tagged with the
	// finding id.
	Snapshot bool
	// Profile is what happens to the instance profile (default
	// [ProfileKeep]). Replacing or removing it stops new credentials; those
	// already fetched stay valid until they expire unless the role's
	// sessions are revoked too (see [ContainCredentials] on the role).
	Profile ProfileAction
	// DenyAllProfile is the name of the instance profile used by
	// [ProfileReplace]; it must exist in every member account (the policy
	// package's member template can create it).
	DenyAllProfile string
	// TagPrefix starts the tag keys written on the instance, groups and
	// snapshots (default "ocsfhub"). The instance carries the prior state
	// under it, for [RollbackIsolation].
	TagPrefix string
	// Clients, when set, returns the clients for a target instead of
	// building AWS SDK clients from the [ConfigSource] (for tests with
	// hand-written fakes).
	Clients func(ctx context.Context, t Target) (IsolateClients, error)
	// Now is the clock for the isolated-at tag (default time.Now).
	Now func() time.Time
	// Logger receives one line per change (default: discarded).
	Logger *slog.Logger
}

// IsolateInstance is a [remediate.Remediator] that isolates the EC2 instance
// a finding names (resources[] of type AWS::EC2::Instance; the id is uid,
// or the last segment of an ARN uid). In order, each step checking live
// state first, so applying again after a failure finishes the job:
//
//  1. record the prior state as tags on the instance (and in the plan);
//  2. enable termination and stop protection;
//  3. detach the instance from its Auto Scaling group (or enter Standby)
//     and deregister it from ELBv2 target groups, before health checks
//     fail and the group replaces (terminates) it;
//  4. optionally snapshot its EBS volumes, tagged with the finding id;
//  5. create or reuse the VPC's isolation group (tagged, no rules: the
//     default allow-all egress rule is revoked) and a transient
//     allow-all group for this instance;
//  6. on every network interface, switch to the allow-all group (flows
//     become untracked) and then to the isolation group (untracked flows
//     stop); verify the interface now carries only the isolation group;
//  7. delete the transient group;
//  8. optionally replace or remove the instance profile;
//  9. tag the instance "<prefix>:isolation=isolated".
//
// Plans are destructive. [RollbackIsolation] restores the recorded state.
type IsolateInstance struct {
	opts    IsolateOptions
	clients func(ctx context.Context, t Target) (IsolateClients, error)
	log     *slog.Logger
	now     func() time.Time
}

var _ remediate.Remediator = (*IsolateInstance)(nil)

// NewIsolateInstance returns the isolation remediator acting through src.
func NewIsolateInstance(src ConfigSource, opts IsolateOptions) (*IsolateInstance, error) {
	if opts.Name == "" {
		opts.Name = "ec2-isolate"
	}
	if opts.Classes == nil {
		opts.Classes = []ocsf.ClassUID{ocsf.ClassDetectionFinding}
	}
	if opts.GroupName == "" {
		opts.GroupName = "ocsfhub-isolation"
	}
	if strings.HasPrefix(opts.GroupName, "sg-") || len(opts.GroupName) > 200 {
		return nil, fmt.Errorf("%w: GroupName %q", ErrConfig, opts.GroupName)
	}
	switch opts.AutoScaling {
	case "":
		opts.AutoScaling = AutoScalingDetach
	case AutoScalingDetach, AutoScalingStandby, AutoScalingLeave:
	default:
		return nil, fmt.Errorf("%w: AutoScaling %q (want detach, standby or none)", ErrConfig, opts.AutoScaling)
	}
	switch opts.Profile {
	case "":
		opts.Profile = ProfileKeep
	case ProfileKeep, ProfileRemove:
	case ProfileReplace:
		if opts.DenyAllProfile == "" {
			return nil, fmt.Errorf("%w: Profile replace needs DenyAllProfile", ErrConfig)
		}
	default:
		return nil, fmt.Errorf("%w: Profile %q (want keep, replace or remove)", ErrConfig, opts.Profile)
	}
	if opts.TagPrefix == "" {
		opts.TagPrefix = "ocsfhub"
	}
	if strings.HasPrefix(strings.ToLower(opts.TagPrefix), "aws:") || len(opts.TagPrefix) > 40 {
		return nil, fmt.Errorf("%w: TagPrefix %q", ErrConfig, opts.TagPrefix)
	}
	r := &IsolateInstance{opts: opts, log: logger(opts.Logger), now: clock(opts.Now)}
	clients, err := clientsFrom(src, opts.Clients, func(cfg awssdk.Config) IsolateClients {
		return IsolateClients{EC2: ec2.NewFromConfig(cfg), AutoScaling: autoscaling.NewFromConfig(cfg), ELBv2: elbv2.NewFromConfig(cfg)}
	})
	if err != nil {
		return nil, err
	}
	r.clients = clients
	return r, nil
}

// Name returns the remediator name.
func (r *IsolateInstance) Name() string { return r.opts.Name }

// Permissions returns the IAM actions Plan and Apply may call with these
// options.
func (r *IsolateInstance) Permissions() []string {
	p := []string{
		"ec2:DescribeInstances", "ec2:DescribeIamInstanceProfileAssociations", "ec2:DescribeNetworkInterfaces",
		"ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:CreateSecurityGroup",
		"ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
		"ec2:ModifyNetworkInterfaceAttribute", "ec2:CreateTags",
	}
	if !r.opts.KeepTrackedConnections {
		p = append(p, "ec2:DescribeVpcs", "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:DeleteSecurityGroup")
	}
	if !r.opts.NoProtection {
		p = append(p, "ec2:DescribeInstanceAttribute", "ec2:ModifyInstanceAttribute")
	}
	if r.opts.AutoScaling != AutoScalingLeave {
		p = append(p, "autoscaling:DescribeAutoScalingInstances")
		if r.opts.AutoScaling == AutoScalingStandby {
			p = append(p, "autoscaling:EnterStandby")
		} else {
			p = append(p, "autoscaling:DetachInstances")
		}
	}
	if !r.opts.KeepLoadBalancers {
		p = append(p, "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
			"elasticloadbalancing:DeregisterTargets")
	}
	if r.opts.Snapshot {
		p = append(p, "ec2:DescribeSnapshots", "ec2:CreateSnapshots")
	}
	switch r.opts.Profile {
	case ProfileReplace:
		p = append(p, "ec2:ReplaceIamInstanceProfileAssociation", "iam:PassRole")
	case ProfileRemove:
		p = append(p, "ec2:DisassociateIamInstanceProfile")
	}
	slices.Sort(p)
	return slices.Compact(p)
}

// isolateData is the plan's private data.
type isolateData struct {
	Target     target          `json:"target"`
	InstanceID string          `json:"instance_id"`
	Prior      IsolationRecord `json:"prior"`
	// TagPrefix is the prefix the plan's tags were made with: Apply checks
	// and writes tags under it, not under the prefix the remediator is
	// configured with when the plan is applied (possibly days later, in
	// another process, after a configuration change).
	TagPrefix string `json:"tag_prefix,omitempty"`
}

// Change parameters.
type (
	tagParams struct {
		InstanceID string            `json:"instance_id"`
		Tags       map[string]string `json:"tags"`
	}
	protectParams struct {
		InstanceID string `json:"instance_id"`
		Attribute  string `json:"attribute"`
		Value      bool   `json:"value"`
	}
	asgParams struct {
		InstanceID                     string            `json:"instance_id"`
		Group                          string            `json:"auto_scaling_group_name"`
		Action                         AutoScalingAction `json:"action"`
		ShouldDecrementDesiredCapacity bool              `json:"should_decrement_desired_capacity"`
	}
	targetParams struct {
		TargetGroupARN string `json:"target_group_arn"`
		InstanceID     string `json:"instance_id"`
		Port           int32  `json:"port"`
	}
	snapshotParams struct {
		InstanceID   string            `json:"instance_id"`
		BootVolumeID string            `json:"boot_volume_id,omitempty"`
		VolumeIDs    []string          `json:"volume_ids"`
		Tags         map[string]string `json:"tags"`
	}
	groupParams struct {
		VPCID     string            `json:"vpc_id"`
		GroupName string            `json:"group_name"`
		Tags      map[string]string `json:"tags,omitempty"`
		// AllowAll makes the transient group that allows all traffic from
		// and to anywhere (IPv6 too when DualStack).
		AllowAll  bool `json:"allow_all,omitempty"`
		DualStack bool `json:"dual_stack,omitempty"`
		// Interfaces, on the transient group's creation, are the interfaces
		// it is needed for: once they all carry only the isolation group,
		// it is not created again.
		Interfaces []string `json:"interfaces,omitempty"`
		// Isolation names the isolation group (with Interfaces).
		Isolation string `json:"isolation_group,omitempty"`
	}
	eniParams struct {
		NetworkInterfaceID string       `json:"network_interface_id"`
		Isolation          groupParams  `json:"isolation_group"`
		Untrack            *groupParams `json:"untrack_group,omitempty"`
	}
	profileParams struct {
		InstanceID string        `json:"instance_id"`
		Action     ProfileAction `json:"action"`
		Profile    string        `json:"instance_profile_name,omitempty"`
	}
)

// Plan reads the instance's live state and plans the steps not done yet.
func (r *IsolateInstance) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := checkFinding(ctx, r.Name(), f, r.opts.Classes); err != nil {
		return nil, err
	}
	insts := findResources(f, ocsf.ResourceTypeEC2Instance)
	if len(insts) == 0 {
		return nil, notApplicable(r.Name(), "the finding names no AWS::EC2::Instance")
	}
	if len(insts) > 1 {
		return nil, notApplicable(r.Name(), "the finding names %d instances; isolation acts on findings about one instance", len(insts))
	}
	res := insts[0]
	if !strings.HasPrefix(res.ID, "i-") {
		return nil, notApplicable(r.Name(), "resource id %q is not an instance id", res.ID)
	}
	ref := remediate.RefOf(f)
	tgt := target{Account: res.Account, Region: res.Region}
	cl, err := r.clients(ctx, tgt.with(ref))
	if err != nil {
		return nil, err
	}
	inst, err := describeInstance(ctx, cl.EC2, res.ID)
	if err != nil {
		return nil, err
	}
	if inst == nil {
		return nil, notApplicable(r.Name(), "instance %s does not exist in %s/%s", res.ID, res.Account, res.Region)
	}
	if inst.State != nil && (inst.State.Name == ec2types.InstanceStateNameTerminated || inst.State.Name == ec2types.InstanceStateNameShuttingDown) {
		return nil, notApplicable(r.Name(), "instance %s is %s", res.ID, inst.State.Name)
	}
	tags := tagMap(inst.Tags)
	pre := r.opts.TagPrefix
	prior, recorded, err := ParseIsolationRecord(res.ID, pre, tags)
	if err != nil {
		return nil, remediate.Permanent(err)
	}
	if !recorded {
		if prior, err = r.livePrior(ctx, cl, inst); err != nil {
			return nil, err
		}
	}
	if r.opts.AutoScaling == AutoScalingLeave {
		prior.AutoScalingGroup, prior.AutoScaling = "", ""
	}

	id := res.ID
	arn := res.ARN
	p := &remediate.Plan{
		Summary:     fmt.Sprintf("isolate %s in %s/%s", id, res.Account, res.Region),
		Destructive: true,
		Resources:   []remediate.Resource{res.ref(id)},
	}
	add := func(c remediate.Change) { p.Changes = append(p.Changes, c) }

	// 1. Record the prior state on the instance first, so a crash anywhere
	// later still leaves what a rollback needs.
	if !recorded {
		t := prior.Tags(pre)
		t[pre+tagIsolation] = "in-progress"
		t[pre+tagFinding] = findingTag(ref)
		add(newChange("record", "ec2:CreateTags", arn,
			"record the prior state (security groups per interface, instance profile, Auto Scaling group, target groups, protections) as tags on the instance",
			tagParams{InstanceID: id, Tags: t}))
	}
	// 2. Evidence protection.
	if !r.opts.NoProtection {
		for _, attr := range []ec2types.InstanceAttributeName{
			ec2types.InstanceAttributeNameDisableApiTermination, ec2types.InstanceAttributeNameDisableApiStop,
		} {
			on, err := instanceAttr(ctx, cl.EC2, id, attr)
			if err != nil {
				return nil, err
			}
			if on {
				continue
			}
			what := strings.ToLower(strings.TrimPrefix(string(attr), "disableApi"))
			add(newChange("protect/"+what, "ec2:ModifyInstanceAttribute", arn, "enable "+what+" protection ("+string(attr)+")",
				protectParams{InstanceID: id, Attribute: string(attr), Value: true}))
		}
	}
	// 3. Out of Auto Scaling and load balancers, before the network changes
	// make health checks fail.
	if r.opts.AutoScaling != AutoScalingLeave {
		group, state, err := asgMembership(ctx, cl.AutoScaling, id)
		if err != nil {
			return nil, err
		}
		if group != "" && !(r.opts.AutoScaling == AutoScalingStandby && isStandby(state)) {
			desc := "detach from Auto Scaling group " + group + " (a replacement is launched; the group no longer manages the instance)"
			if r.opts.AutoScaling == AutoScalingStandby {
				desc = "put in Standby in Auto Scaling group " + group + " (a replacement is launched)"
			}
			add(newChange("asg/"+group, "autoscaling:"+asgOperation(r.opts.AutoScaling), group, desc,
				asgParams{InstanceID: id, Group: group, Action: r.opts.AutoScaling}))
		}
	}
	if !r.opts.KeepLoadBalancers {
		live, err := registrations(ctx, cl.ELBv2, id, awssdk.ToString(inst.VpcId))
		if err != nil {
			return nil, err
		}
		for _, tg := range live {
			add(newChange("tg/"+targetGroupName(tg.ARN)+"/"+strconv.Itoa(int(tg.Port)), "elasticloadbalancing:DeregisterTargets", tg.ARN,
				fmt.Sprintf("deregister from target group %s (port %d)", targetGroupName(tg.ARN), tg.Port),
				targetParams{TargetGroupARN: tg.ARN, InstanceID: id, Port: tg.Port}))
		}
	}
	// 4. Forensic snapshots, before the network changes.
	if r.opts.Snapshot {
		c, err := r.planSnapshot(ctx, cl, inst, ref, arn)
		if err != nil {
			return nil, err
		}
		if c != nil {
			add(*c)
		}
	}
	// 5-7. Network isolation, per VPC and interface.
	if err := r.planNetwork(ctx, cl, inst, add); err != nil {
		return nil, err
	}
	// 8. Instance profile.
	if r.opts.Profile != ProfileKeep {
		assoc, err := profileAssociation(ctx, cl.EC2, id)
		if err != nil {
			return nil, err
		}
		switch {
		case assoc == nil:
		case r.opts.Profile == ProfileRemove:
			add(newChange("profile", "ec2:DisassociateIamInstanceProfile", arn,
				"remove instance profile "+profileName(arnOf(assoc)), profileParams{InstanceID: id, Action: ProfileRemove}))
		case profileName(arnOf(assoc)) != r.opts.DenyAllProfile:
			add(newChange("profile", "ec2:ReplaceIamInstanceProfileAssociation", arn,
				"replace instance profile "+profileName(arnOf(assoc))+" with "+r.opts.DenyAllProfile,
				profileParams{InstanceID: id, Action: ProfileReplace, Profile: r.opts.DenyAllProfile}))
		}
	}
	// 9. Final tag.
	if tags[pre+tagIsolation] != "isolated" {
		add(newChange("tag", "ec2:CreateTags", arn, "tag the instance "+pre+tagIsolation+"=isolated",
			tagParams{InstanceID: id, Tags: map[string]string{pre + tagIsolation: "isolated", pre + tagFinding: findingTag(ref)}}))
	}
	if len(p.Changes) == 0 {
		return nil, notApplicable(r.Name(), "instance %s is already isolated", id)
	}
	p.Data = mustJSON(isolateData{Target: tgt, InstanceID: id, Prior: prior, TagPrefix: pre})
	return p, nil
}

// livePrior reads the state isolation changes.
func (r *IsolateInstance) livePrior(ctx context.Context, cl IsolateClients, inst *ec2types.Instance) (IsolationRecord, error) {
	id := awssdk.ToString(inst.InstanceId)
	rec := IsolationRecord{InstanceID: id}
	nis := slices.Clone(inst.NetworkInterfaces)
	slices.SortStableFunc(nis, func(a, b ec2types.InstanceNetworkInterface) int {
		return int(deviceIndex(a) - deviceIndex(b))
	})
	for _, ni := range nis {
		g := InterfaceGroups{ID: awssdk.ToString(ni.NetworkInterfaceId)}
		for _, sg := range ni.Groups {
			g.Groups = append(g.Groups, awssdk.ToString(sg.GroupId))
		}
		rec.Interfaces = append(rec.Interfaces, g)
	}
	assoc, err := profileAssociation(ctx, cl.EC2, id)
	if err != nil {
		return rec, err
	}
	if assoc != nil {
		rec.InstanceProfileARN = arnOf(assoc)
	}
	if !r.opts.NoProtection {
		if rec.TerminationProtection, err = instanceAttr(ctx, cl.EC2, id, ec2types.InstanceAttributeNameDisableApiTermination); err != nil {
			return rec, err
		}
		if rec.StopProtection, err = instanceAttr(ctx, cl.EC2, id, ec2types.InstanceAttributeNameDisableApiStop); err != nil {
			return rec, err
		}
	}
	if r.opts.AutoScaling != AutoScalingLeave {
		group, _, err := asgMembership(ctx, cl.AutoScaling, id)
		if err != nil {
			return rec, err
		}
		if group != "" {
			rec.AutoScalingGroup, rec.AutoScaling = group, r.opts.AutoScaling
		}
	}
	if !r.opts.KeepLoadBalancers {
		if rec.TargetGroups, err = registrations(ctx, cl.ELBv2, id, awssdk.ToString(inst.VpcId)); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

func deviceIndex(ni ec2types.InstanceNetworkInterface) int32 {
	if ni.Attachment != nil && ni.Attachment.DeviceIndex != nil {
		return *ni.Attachment.DeviceIndex
	}
	return 0
}

func arnOf(a *ec2types.IamInstanceProfileAssociation) string {
	if a == nil || a.IamInstanceProfile == nil {
		return ""
	}
	return awssdk.ToString(a.IamInstanceProfile.Arn)
}

// planSnapshot plans the forensic snapshots of the volumes not yet
// snapshotted for this finding.
func (r *IsolateInstance) planSnapshot(ctx context.Context, cl IsolateClients, inst *ec2types.Instance, ref remediate.FindingRef, arn string) (*remediate.Change, error) {
	id := awssdk.ToString(inst.InstanceId)
	var vols []string
	boot := ""
	for _, bd := range inst.BlockDeviceMappings {
		if bd.Ebs == nil || bd.Ebs.VolumeId == nil {
			continue
		}
		vols = append(vols, *bd.Ebs.VolumeId)
		if awssdk.ToString(bd.DeviceName) == awssdk.ToString(inst.RootDeviceName) {
			boot = *bd.Ebs.VolumeId
		}
	}
	if len(vols) == 0 {
		return nil, nil
	}
	pre := r.opts.TagPrefix
	done, err := snapshotted(ctx, cl.EC2, pre, findingTag(ref), vols)
	if err != nil {
		return nil, err
	}
	if len(done) == len(vols) {
		return nil, nil
	}
	c := newChange("snapshot", "ec2:CreateSnapshots", arn,
		fmt.Sprintf("snapshot %d EBS volume(s) as one crash-consistent set, tagged with the finding id", len(vols)-len(done)),
		snapshotParams{InstanceID: id, BootVolumeID: boot, VolumeIDs: vols, Tags: map[string]string{
			pre + tagFinding: findingTag(ref), pre + tagInstance: id, pre + tagPurpose: "forensics",
		}})
	return &c, nil
}

// planNetwork plans the isolation group per VPC, the transient allow-all
// group and the per-interface switch.
func (r *IsolateInstance) planNetwork(ctx context.Context, cl IsolateClients, inst *ec2types.Instance, add func(remediate.Change)) error {
	id := awssdk.ToString(inst.InstanceId)
	pre := r.opts.TagPrefix
	byVPC := map[string][]ec2types.InstanceNetworkInterface{}
	var vpcs []string
	for _, ni := range inst.NetworkInterfaces {
		vpc := awssdk.ToString(ni.VpcId)
		if vpc == "" {
			vpc = awssdk.ToString(inst.VpcId)
		}
		if _, ok := byVPC[vpc]; !ok {
			vpcs = append(vpcs, vpc)
		}
		byVPC[vpc] = append(byVPC[vpc], ni)
	}
	for _, vpc := range vpcs {
		iso := groupParams{VPCID: vpc, GroupName: r.opts.GroupName, Tags: map[string]string{pre + tagPurpose: "isolation"}}
		g, err := findGroup(ctx, cl.EC2, vpc, iso.GroupName)
		if err != nil {
			return err
		}
		isoID := ""
		if g == nil {
			add(newChange("isolation-group/"+vpc, "ec2:CreateSecurityGroup", vpc,
				"create the isolation security group "+iso.GroupName+" in "+vpc+" and revoke its default egress rule (no rules at all)", iso))
		} else {
			isoID = awssdk.ToString(g.GroupId)
			rules, err := groupRules(ctx, cl.EC2, isoID)
			if err != nil {
				return err
			}
			if len(rules) > 0 {
				add(newChange("isolation-group/"+vpc, "ec2:RevokeSecurityGroupEgress", isoID,
					fmt.Sprintf("revoke the %d rule(s) found on the isolation group %s", len(rules), isoID), iso))
			}
		}
		var pending []ec2types.InstanceNetworkInterface
		for _, ni := range byVPC[vpc] {
			var groups []string
			for _, sg := range ni.Groups {
				groups = append(groups, awssdk.ToString(sg.GroupId))
			}
			if isoID != "" && len(groups) == 1 && groups[0] == isoID {
				continue
			}
			pending = append(pending, ni)
		}
		var untrack *groupParams
		untrackName := pre + "-untrack-" + id
		if !r.opts.KeepTrackedConnections {
			ug, err := findGroup(ctx, cl.EC2, vpc, untrackName)
			if err != nil {
				return err
			}
			if len(pending) > 0 || ug != nil {
				dual, err := dualStack(ctx, cl.EC2, vpc)
				if err != nil {
					return err
				}
				untrack = &groupParams{VPCID: vpc, GroupName: untrackName, AllowAll: true, DualStack: dual,
					Tags: map[string]string{pre + tagPurpose: "untrack", pre + tagInstance: id}}
			}
			if len(pending) > 0 {
				create := *untrack
				create.Isolation = iso.GroupName
				for _, ni := range pending {
					create.Interfaces = append(create.Interfaces, awssdk.ToString(ni.NetworkInterfaceId))
				}
				add(newChange("untrack-group/"+vpc, "ec2:CreateSecurityGroup", vpc,
					"create the transient group "+untrackName+" allowing all traffic from and to anywhere, so the interfaces' flows become untracked",
					create))
			}
		}
		for _, ni := range pending {
			eni := awssdk.ToString(ni.NetworkInterfaceId)
			desc := "replace the security groups of " + eni + " with the isolation group only"
			if untrack != nil {
				desc = "switch " + eni + " to the allow-all group (flows become untracked), then to the isolation group only (untracked flows stop)"
			}
			add(newChange("eni/"+eni, "ec2:ModifyNetworkInterfaceAttribute", eni, desc,
				eniParams{NetworkInterfaceID: eni, Isolation: iso, Untrack: untrack}))
		}
		if untrack != nil {
			add(newChange("untrack-group/"+vpc+"/delete", "ec2:DeleteSecurityGroup", vpc,
				"delete the transient allow-all group "+untrackName, *untrack))
		}
	}
	return nil
}

// Apply makes the plan's changes, each after checking live state.
func (r *IsolateInstance) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	var d isolateData
	cl, err := startApply(ctx, r.Name(), p, &d, &d.Target, r.clients)
	if err != nil {
		return nil, err
	}
	pre := d.TagPrefix
	if pre == "" {
		pre = r.opts.TagPrefix // plans journaled before the prefix was recorded
	}
	a := &isolateApply{r: r, cl: cl, plan: p, pre: pre, ids: map[string]string{}}
	return applyAll(ctx, r.log, r.Name(), p, a.step)
}

// isolateApply carries one Apply call.
type isolateApply struct {
	r    *IsolateInstance
	cl   IsolateClients
	plan *remediate.Plan
	pre  string            // the plan's tag prefix
	ids  map[string]string // vpc/group name -> group id ensured in this call
}

func (a *isolateApply) step(ctx context.Context, c remediate.Change) (remediate.OutcomeStatus, string, error) {
	switch {
	case c.ID == "record" || c.ID == "tag":
		var pr tagParams
		if err := decodeParams(c, &pr); err != nil {
			return "", "", err
		}
		return a.tag(ctx, c.ID, pr)
	case strings.HasPrefix(c.ID, "protect/"):
		var pr protectParams
		if err := decodeParams(c, &pr); err != nil {
			return "", "", err
		}
		return a.protect(ctx, pr)
	case strings.HasPrefix(c.ID, "asg/"):
		var pr asgParams
		if err := decodeParams(c, &pr); err != nil {
			return "", "", err
		}
		return leaveAutoScaling(ctx, a.cl.AutoScaling, pr)
	case strings.HasPrefix(c.ID, "tg/"):
		var pr targetParams
		if err := decodeParams(c, &pr); err != nil {
			return "", "", err
		}
		return deregister(ctx, a.cl.ELBv2, pr)
	case c.ID == "snapshot":
		var pr snapshotParams
		if err := decodeParams(c, &pr); err != nil {
			return "", "", err
		}
		return a.snapshot(ctx, pr)
	case strings.HasPrefix(c.ID, "isolation-group/"), strings.HasPrefix(c.ID, "untrack-group/") && !strings.HasSuffix(c.ID, "/delete"):
		var pr groupParams
		if err := decodeParams(c, &pr); err != nil {
			return "", "", err
		}
		if len(pr.Interfaces) > 0 {
			done, err := a.interfacesIsolated(ctx, pr)
			if err != nil {
				return "", "", err
			}
			if done {
				return remediate.OutcomeAlreadyDone, "every interface already carries only the isolation group", nil
			}
		}
		_, changed, err := a.ensureGroup(ctx, pr)
		if err != nil {
			return "", "", err
		}
		if changed {
			return remediate.OutcomeApplied, "group " + a.ids[pr.VPCID+"/"+pr.GroupName], nil
		}
		return remediate.OutcomeAlreadyDone, "group " + a.ids[pr.VPCID+"/"+pr.GroupName], nil
	case strings.HasPrefix(c.ID, "eni/"):
		var pr eniParams
		if err := decodeParams(c, &pr); err != nil {
			return "", "", err
		}
		return a.isolateInterface(ctx, pr)
	case strings.HasPrefix(c.ID, "untrack-group/"):
		var pr groupParams
		if err := decodeParams(c, &pr); err != nil {
			return "", "", err
		}
		return a.deleteGroup(ctx, pr)
	case c.ID == "profile":
		var pr profileParams
		if err := decodeParams(c, &pr); err != nil {
			return "", "", err
		}
		return a.profile(ctx, pr)
	}
	return "", "", remediate.Permanent(fmt.Errorf("%s: unknown change %q", a.r.Name(), c.ID))
}

// tag writes the record or the final tags unless the instance has them.
func (a *isolateApply) tag(ctx context.Context, id string, pr tagParams) (remediate.OutcomeStatus, string, error) {
	inst, err := describeInstance(ctx, a.cl.EC2, pr.InstanceID)
	if err != nil {
		return "", "", err
	}
	if inst == nil {
		return "", "", remediate.Permanent(fmt.Errorf("%s: instance %s no longer exists", a.r.Name(), pr.InstanceID))
	}
	live := tagMap(inst.Tags)
	pre := a.pre
	tags := pr.Tags
	if id == "record" {
		if _, ok := live[pre+tagIsolation]; ok {
			return remediate.OutcomeAlreadyDone, "prior state already recorded", nil
		}
	} else {
		if live[pre+tagIsolation] == "isolated" {
			return remediate.OutcomeAlreadyDone, "", nil
		}
		tags = map[string]string{}
		for k, v := range pr.Tags {
			tags[k] = v
		}
		tags[pre+tagPlan] = a.plan.ID
		tags[pre+tagIsolatedAt] = a.r.now().UTC().Format(time.RFC3339)
	}
	if _, err := a.cl.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{pr.InstanceID}, Tags: ec2Tags(tags)}); err != nil {
		if isCode(err, "TagLimitExceeded") {
			// Containment must not fail for want of tag room: the record
			// stays in the plan (the engine's journal), and a rollback has
			// to be done from there by hand.
			a.r.log.Warn("remediate/aws: instance tag limit reached; prior state kept only in the plan", "instance", pr.InstanceID, "plan", a.plan.ID)
			return remediate.OutcomeSkipped, "the instance has no room for " + strconv.Itoa(len(tags)) + " more tags (50 max); the prior state is only in the plan", nil
		}
		return "", "", wrap("ec2:CreateTags", pr.InstanceID, err)
	}
	return remediate.OutcomeApplied, fmt.Sprintf("%d tag(s)", len(tags)), nil
}

func (a *isolateApply) protect(ctx context.Context, pr protectParams) (remediate.OutcomeStatus, string, error) {
	return setProtection(ctx, a.cl.EC2, pr)
}

// protectionAPI is what setProtection calls.
type protectionAPI interface {
	DescribeInstanceAttribute(context.Context, *ec2.DescribeInstanceAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceAttributeOutput, error)
	ModifyInstanceAttribute(context.Context, *ec2.ModifyInstanceAttributeInput, ...func(*ec2.Options)) (*ec2.ModifyInstanceAttributeOutput, error)
}

// setProtection sets disableApiTermination or disableApiStop to pr.Value
// unless it has that value.
func setProtection(ctx context.Context, c protectionAPI, pr protectParams) (remediate.OutcomeStatus, string, error) {
	attr := ec2types.InstanceAttributeName(pr.Attribute)
	on, err := instanceAttr(ctx, c, pr.InstanceID, attr)
	if err != nil {
		return "", "", err
	}
	if on == pr.Value {
		return remediate.OutcomeAlreadyDone, fmt.Sprintf("%s is %t", pr.Attribute, on), nil
	}
	in := &ec2.ModifyInstanceAttributeInput{InstanceId: awssdk.String(pr.InstanceID)}
	v := &ec2types.AttributeBooleanValue{Value: awssdk.Bool(pr.Value)}
	switch attr {
	case ec2types.InstanceAttributeNameDisableApiTermination:
		in.DisableApiTermination = v
	case ec2types.InstanceAttributeNameDisableApiStop:
		in.DisableApiStop = v
	default:
		return "", "", remediate.Permanent(fmt.Errorf("remediate/aws: unsupported attribute %q", pr.Attribute))
	}
	if _, err := c.ModifyInstanceAttribute(ctx, in); err != nil {
		return "", "", wrap("ec2:ModifyInstanceAttribute", pr.InstanceID, err)
	}
	return remediate.OutcomeApplied, fmt.Sprintf("%s set to %t", pr.Attribute, pr.Value), nil
}

// instanceAttr reads a boolean instance attribute.
func instanceAttr(ctx context.Context, c interface {
	DescribeInstanceAttribute(context.Context, *ec2.DescribeInstanceAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceAttributeOutput, error)
}, id string, attr ec2types.InstanceAttributeName) (bool, error) {
	out, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: awssdk.String(id), Attribute: attr})
	if err != nil {
		return false, wrap("ec2:DescribeInstanceAttribute", id, err)
	}
	var v *ec2types.AttributeBooleanValue
	switch attr {
	case ec2types.InstanceAttributeNameDisableApiTermination:
		v = out.DisableApiTermination
	case ec2types.InstanceAttributeNameDisableApiStop:
		v = out.DisableApiStop
	}
	return v != nil && awssdk.ToBool(v.Value), nil
}

// asgMembership returns the instance's Auto Scaling group and lifecycle
// state ("" when it is in none).
func asgMembership(ctx context.Context, c interface {
	DescribeAutoScalingInstances(context.Context, *autoscaling.DescribeAutoScalingInstancesInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingInstancesOutput, error)
}, id string) (group, state string, err error) {
	out, err := c.DescribeAutoScalingInstances(ctx, &autoscaling.DescribeAutoScalingInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return "", "", wrap("autoscaling:DescribeAutoScalingInstances", id, err)
	}
	for _, d := range out.AutoScalingInstances {
		if awssdk.ToString(d.InstanceId) == id {
			return awssdk.ToString(d.AutoScalingGroupName), awssdk.ToString(d.LifecycleState), nil
		}
	}
	return "", "", nil
}

func isStandby(state string) bool { return state == "Standby" || state == "EnteringStandby" }

func asgOperation(a AutoScalingAction) string {
	if a == AutoScalingStandby {
		return "EnterStandby"
	}
	return "DetachInstances"
}

// leaveAutoScaling detaches the instance or puts it in Standby, unless it
// already left.
func leaveAutoScaling(ctx context.Context, c IsolateAutoScalingAPI, pr asgParams) (remediate.OutcomeStatus, string, error) {
	group, state, err := asgMembership(ctx, c, pr.InstanceID)
	if err != nil {
		return "", "", err
	}
	if group == "" {
		return remediate.OutcomeAlreadyDone, "not in an Auto Scaling group", nil
	}
	if pr.Action == AutoScalingStandby {
		if isStandby(state) {
			return remediate.OutcomeAlreadyDone, "already in Standby", nil
		}
		_, err = c.EnterStandby(ctx, &autoscaling.EnterStandbyInput{AutoScalingGroupName: awssdk.String(group),
			InstanceIds: []string{pr.InstanceID}, ShouldDecrementDesiredCapacity: awssdk.Bool(pr.ShouldDecrementDesiredCapacity)})
		if err != nil {
			return "", "", wrap("autoscaling:EnterStandby", group, err)
		}
		return remediate.OutcomeApplied, "entered Standby in " + group, nil
	}
	_, err = c.DetachInstances(ctx, &autoscaling.DetachInstancesInput{AutoScalingGroupName: awssdk.String(group),
		InstanceIds: []string{pr.InstanceID}, ShouldDecrementDesiredCapacity: awssdk.Bool(pr.ShouldDecrementDesiredCapacity)})
	if err != nil {
		return "", "", wrap("autoscaling:DetachInstances", group, err)
	}
	return remediate.OutcomeApplied, "detached from " + group, nil
}

// registrations returns the target groups (of the VPC) where the instance
// is registered and not already draining.
func registrations(ctx context.Context, c IsolateELBv2API, id, vpc string) ([]TargetGroupEntry, error) {
	var out []TargetGroupEntry
	p := elbv2.NewDescribeTargetGroupsPaginator(c, &elbv2.DescribeTargetGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("elasticloadbalancing:DescribeTargetGroups", "", err)
		}
		for _, tg := range page.TargetGroups {
			if tg.TargetType != elbtypes.TargetTypeEnumInstance && tg.TargetType != "" {
				continue
			}
			if vpc != "" && awssdk.ToString(tg.VpcId) != "" && awssdk.ToString(tg.VpcId) != vpc {
				continue
			}
			arn := awssdk.ToString(tg.TargetGroupArn)
			ports, err := registeredPorts(ctx, c, arn, id)
			if err != nil {
				return nil, err
			}
			for _, port := range ports {
				out = append(out, TargetGroupEntry{ARN: arn, Port: port})
			}
		}
	}
	return out, nil
}

// registeredPorts returns the ports the instance is registered on in a
// target group, excluding registrations already draining or unused.
func registeredPorts(ctx context.Context, c interface {
	DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
}, arn, id string) ([]int32, error) {
	out, err := c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: awssdk.String(arn)})
	if err != nil {
		if isCode(err, "TargetGroupNotFound") {
			return nil, nil
		}
		return nil, wrap("elasticloadbalancing:DescribeTargetHealth", arn, err)
	}
	var ports []int32
	for _, d := range out.TargetHealthDescriptions {
		if d.Target == nil || awssdk.ToString(d.Target.Id) != id {
			continue
		}
		if d.TargetHealth != nil && (d.TargetHealth.State == elbtypes.TargetHealthStateEnumDraining || d.TargetHealth.State == elbtypes.TargetHealthStateEnumUnused) {
			continue
		}
		ports = append(ports, awssdk.ToInt32(d.Target.Port))
	}
	return ports, nil
}

// deregister removes the instance from a target group unless it is gone.
func deregister(ctx context.Context, c IsolateELBv2API, pr targetParams) (remediate.OutcomeStatus, string, error) {
	ports, err := registeredPorts(ctx, c, pr.TargetGroupARN, pr.InstanceID)
	if err != nil {
		return "", "", err
	}
	if !slices.Contains(ports, pr.Port) {
		return remediate.OutcomeAlreadyDone, "not registered (or already draining)", nil
	}
	_, err = c.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: awssdk.String(pr.TargetGroupARN),
		Targets: []elbtypes.TargetDescription{{Id: awssdk.String(pr.InstanceID), Port: awssdk.Int32(pr.Port)}}})
	if err != nil {
		if isCode(err, "TargetGroupNotFound") {
			return remediate.OutcomeSkipped, "target group no longer exists", nil
		}
		return "", "", wrap("elasticloadbalancing:DeregisterTargets", pr.TargetGroupARN, err)
	}
	return remediate.OutcomeApplied, fmt.Sprintf("deregistered port %d (draining)", pr.Port), nil
}

// targetGroupName returns the name in a target group ARN
// (...:targetgroup/NAME/ID).
func targetGroupName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":targetgroup/")
	if !ok {
		return arn
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// snapshotted returns the volumes that already have a snapshot tagged for
// this finding.
func snapshotted(ctx context.Context, c IsolateEC2API, pre, finding string, vols []string) (map[string]bool, error) {
	done := map[string]bool{}
	p := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{
		OwnerIds: []string{"self"},
		Filters: []ec2types.Filter{
			{Name: awssdk.String("tag:" + pre + tagFinding), Values: []string{finding}},
			{Name: awssdk.String("volume-id"), Values: vols},
		},
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("ec2:DescribeSnapshots", "", err)
		}
		for _, s := range out.Snapshots {
			if s.State != ec2types.SnapshotStateError {
				done[awssdk.ToString(s.VolumeId)] = true
			}
		}
	}
	return done, nil
}

func (a *isolateApply) snapshot(ctx context.Context, pr snapshotParams) (remediate.OutcomeStatus, string, error) {
	pre := a.pre
	done, err := snapshotted(ctx, a.cl.EC2, pre, pr.Tags[pre+tagFinding], pr.VolumeIDs)
	if err != nil {
		return "", "", err
	}
	if len(done) == len(pr.VolumeIDs) {
		return remediate.OutcomeAlreadyDone, "every volume already has a snapshot for this finding", nil
	}
	spec := &ec2types.InstanceSpecification{InstanceId: awssdk.String(pr.InstanceID)}
	if pr.BootVolumeID != "" && done[pr.BootVolumeID] {
		spec.ExcludeBootVolume = awssdk.Bool(true)
	}
	for _, v := range pr.VolumeIDs {
		if done[v] && v != pr.BootVolumeID {
			spec.ExcludeDataVolumeIds = append(spec.ExcludeDataVolumeIds, v)
		}
	}
	out, err := a.cl.EC2.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{
		InstanceSpecification: spec,
		Description:           awssdk.String("ocsfhub forensic snapshot of " + pr.InstanceID),
		CopyTagsFromSource:    ec2types.CopyTagsFromSourceVolume,
		TagSpecifications:     []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSnapshot, Tags: ec2Tags(pr.Tags)}},
	})
	if err != nil {
		return "", "", wrap("ec2:CreateSnapshots", pr.InstanceID, err)
	}
	var ids []string
	for _, s := range out.Snapshots {
		ids = append(ids, awssdk.ToString(s.SnapshotId))
	}
	return remediate.OutcomeApplied, "snapshots " + strings.Join(ids, " "), nil
}

// dualStack reports whether a VPC has an IPv6 CIDR block.
func dualStack(ctx context.Context, c IsolateEC2API, vpc string) (bool, error) {
	out, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc}})
	if err != nil {
		return false, wrap("ec2:DescribeVpcs", vpc, err)
	}
	for _, v := range out.Vpcs {
		for _, a := range v.Ipv6CidrBlockAssociationSet {
			if a.Ipv6CidrBlockState == nil || a.Ipv6CidrBlockState.State != ec2types.VpcCidrBlockStateCodeDisassociated {
				return true, nil
			}
		}
	}
	return false, nil
}

// ensureGroup makes the group exist with exactly the wanted rules: none for
// the isolation group; all traffic from and to anywhere for the transient
// group. It returns the group id and whether anything changed.
func (a *isolateApply) ensureGroup(ctx context.Context, pr groupParams) (string, bool, error) {
	key := pr.VPCID + "/" + pr.GroupName
	changed := false
	g, err := findGroup(ctx, a.cl.EC2, pr.VPCID, pr.GroupName)
	if err != nil {
		return "", false, err
	}
	var id string
	if g != nil {
		id = awssdk.ToString(g.GroupId)
	} else {
		desc := "ocsfhub isolation: no inbound or outbound traffic"
		if pr.AllowAll {
			desc = "ocsfhub transient group: allows all traffic for seconds while connections are cut; do not use"
		}
		out, err := a.cl.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName: awssdk.String(pr.GroupName), Description: awssdk.String(desc), VpcId: awssdk.String(pr.VPCID),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: ec2Tags(pr.Tags)}},
		})
		switch {
		case err == nil:
			id, changed = awssdk.ToString(out.GroupId), true
		case isCode(err, "InvalidGroup.Duplicate"):
			// Created concurrently (another plan in the same VPC).
			if g, err = findGroup(ctx, a.cl.EC2, pr.VPCID, pr.GroupName); err != nil || g == nil {
				return "", false, wrap("ec2:CreateSecurityGroup", key, fmt.Errorf("duplicate group not found again: %v", err))
			}
			id = awssdk.ToString(g.GroupId)
		default:
			return "", false, wrap("ec2:CreateSecurityGroup", key, err)
		}
	}
	a.ids[key] = id
	rules, err := groupRules(ctx, a.cl.EC2, id)
	if err != nil {
		return "", false, err
	}
	var dropIn, dropOut []string
	want := map[string]bool{} // wanted "in|cidr" / "out|cidr" all-traffic rules
	if pr.AllowAll {
		for _, dir := range []string{"in", "out"} {
			want[dir+"|0.0.0.0/0"] = true
			if pr.DualStack {
				want[dir+"|::/0"] = true
			}
		}
	}
	have := map[string]bool{}
	for _, rule := range rules {
		dir := "in"
		if awssdk.ToBool(rule.IsEgress) {
			dir = "out"
		}
		cidr := awssdk.ToString(rule.CidrIpv4) + awssdk.ToString(rule.CidrIpv6)
		k := dir + "|" + cidr
		if awssdk.ToString(rule.IpProtocol) == "-1" && want[k] && awssdk.ToString(rule.PrefixListId) == "" && rule.ReferencedGroupInfo == nil {
			have[k] = true
			continue
		}
		if dir == "in" {
			dropIn = append(dropIn, awssdk.ToString(rule.SecurityGroupRuleId))
		} else {
			dropOut = append(dropOut, awssdk.ToString(rule.SecurityGroupRuleId))
		}
	}
	if len(dropOut) > 0 {
		if _, err := a.cl.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: awssdk.String(id), SecurityGroupRuleIds: dropOut}); err != nil {
			return "", false, wrap("ec2:RevokeSecurityGroupEgress", id, err)
		}
		changed = true
	}
	if len(dropIn) > 0 {
		if _, err := a.cl.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: awssdk.String(id), SecurityGroupRuleIds: dropIn}); err != nil {
			return "", false, wrap("ec2:RevokeSecurityGroupIngress", id, err)
		}
		changed = true
	}
	var addIn, addOut []ec2types.IpPermission
	for _, dir := range []string{"in", "out"} {
		perm := ec2types.IpPermission{IpProtocol: awssdk.String("-1")}
		if want[dir+"|0.0.0.0/0"] && !have[dir+"|0.0.0.0/0"] {
			perm.IpRanges = []ec2types.IpRange{{CidrIp: awssdk.String("0.0.0.0/0")}}
		}
		if want[dir+"|::/0"] && !have[dir+"|::/0"] {
			perm.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: awssdk.String("::/0")}}
		}
		if len(perm.IpRanges)+len(perm.Ipv6Ranges) == 0 {
			continue
		}
		if dir == "in" {
			addIn = append(addIn, perm)
		} else {
			addOut = append(addOut, perm)
		}
	}
	if len(addIn) > 0 {
		if _, err := a.cl.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: awssdk.String(id), IpPermissions: addIn}); err != nil && !isCode(err, "InvalidPermission.Duplicate") {
			return "", false, wrap("ec2:AuthorizeSecurityGroupIngress", id, err)
		}
		changed = true
	}
	if len(addOut) > 0 {
		if _, err := a.cl.EC2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: awssdk.String(id), IpPermissions: addOut}); err != nil && !isCode(err, "InvalidPermission.Duplicate") {
			return "", false, wrap("ec2:AuthorizeSecurityGroupEgress", id, err)
		}
		changed = true
	}
	if !pr.AllowAll && changed {
		// Verify: the isolation group must have no rule left.
		rules, err := groupRules(ctx, a.cl.EC2, id)
		if err != nil {
			return "", false, err
		}
		if len(rules) > 0 {
			return "", false, notEffective("ec2:RevokeSecurityGroupEgress", id, "isolation group still has %d rule(s)", len(rules))
		}
	}
	return id, changed, nil
}

// interfacesIsolated reports whether every interface pr.Interfaces names
// carries only the isolation group pr.Isolation (or no longer exists).
func (a *isolateApply) interfacesIsolated(ctx context.Context, pr groupParams) (bool, error) {
	g, err := findGroup(ctx, a.cl.EC2, pr.VPCID, pr.Isolation)
	if err != nil || g == nil {
		return false, err
	}
	iso := awssdk.ToString(g.GroupId)
	for _, eni := range pr.Interfaces {
		groups, ok, err := interfaceGroups(ctx, a.cl.EC2, eni)
		if err != nil {
			return false, err
		}
		if ok && !(len(groups) == 1 && groups[0] == iso) {
			return false, nil
		}
	}
	return true, nil
}

// groupID returns the id of a group ensured earlier in this Apply call, or
// ensures it (self-healing when it was deleted meanwhile).
func (a *isolateApply) groupID(ctx context.Context, pr groupParams) (string, error) {
	if id, ok := a.ids[pr.VPCID+"/"+pr.GroupName]; ok {
		return id, nil
	}
	id, _, err := a.ensureGroup(ctx, pr)
	return id, err
}

// isolateInterface switches one interface to the isolation group (through
// the allow-all group) and verifies the result.
func (a *isolateApply) isolateInterface(ctx context.Context, pr eniParams) (remediate.OutcomeStatus, string, error) {
	eni := pr.NetworkInterfaceID
	groups, ok, err := interfaceGroups(ctx, a.cl.EC2, eni)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return remediate.OutcomeSkipped, "network interface no longer exists", nil
	}
	isoID, err := a.groupID(ctx, pr.Isolation)
	if err != nil {
		return "", "", err
	}
	if len(groups) == 1 && groups[0] == isoID {
		return remediate.OutcomeAlreadyDone, "only the isolation group " + isoID, nil
	}
	modify := func(id string) error {
		_, err := a.cl.EC2.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{
			NetworkInterfaceId: awssdk.String(eni), Groups: []string{id}})
		return wrap("ec2:ModifyNetworkInterfaceAttribute", eni, err)
	}
	detail := ""
	opened := false // the interface now carries the allow-all group
	if pr.Untrack != nil {
		uid, err := a.groupID(ctx, *pr.Untrack)
		if err != nil {
			return "", "", err
		}
		if !(len(groups) == 1 && groups[0] == uid) {
			if err := modify(uid); err != nil {
				return "", "", err
			}
			opened = true
		}
		detail = "via " + uid + ", "
	}
	if err := modify(isoID); err != nil {
		if opened {
			// Never leave the interface open to the world: put its previous
			// groups back (best effort, even if ctx was cancelled), so a
			// retry starts from the pre-isolation state.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			_, rerr := a.cl.EC2.ModifyNetworkInterfaceAttribute(rctx, &ec2.ModifyNetworkInterfaceAttributeInput{
				NetworkInterfaceId: awssdk.String(eni), Groups: groups})
			cancel()
			if rerr != nil {
				a.r.log.Error("remediate/aws: interface left on the allow-all group after a failed isolation",
					"interface", eni, "err", rerr)
				return "", "", errors.Join(err, wrap("ec2:ModifyNetworkInterfaceAttribute", eni, rerr))
			}
		}
		return "", "", err
	}
	after, _, err := interfaceGroups(ctx, a.cl.EC2, eni)
	if err != nil {
		return "", "", err
	}
	if len(after) != 1 || after[0] != isoID {
		return "", "", notEffective("ec2:ModifyNetworkInterfaceAttribute", eni, "interface carries %v, want only %s", after, isoID)
	}
	return remediate.OutcomeApplied, detail + "now only " + isoID + " (was " + strings.Join(groups, " ") + ")", nil
}

// deleteGroup deletes the transient group unless it is gone.
func (a *isolateApply) deleteGroup(ctx context.Context, pr groupParams) (remediate.OutcomeStatus, string, error) {
	g, err := findGroup(ctx, a.cl.EC2, pr.VPCID, pr.GroupName)
	if err != nil {
		return "", "", err
	}
	if g == nil {
		return remediate.OutcomeAlreadyDone, "", nil
	}
	id := awssdk.ToString(g.GroupId)
	if _, err := a.cl.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: awssdk.String(id)}); err != nil {
		if isCode(err, "InvalidGroup.NotFound") {
			return remediate.OutcomeAlreadyDone, "", nil
		}
		return "", "", wrap("ec2:DeleteSecurityGroup", id, err)
	}
	return remediate.OutcomeApplied, "deleted " + id, nil
}

func (a *isolateApply) profile(ctx context.Context, pr profileParams) (remediate.OutcomeStatus, string, error) {
	assoc, err := profileAssociation(ctx, a.cl.EC2, pr.InstanceID)
	if err != nil {
		return "", "", err
	}
	if assoc == nil {
		if pr.Action == ProfileRemove {
			return remediate.OutcomeAlreadyDone, "no instance profile", nil
		}
		return remediate.OutcomeSkipped, "no instance profile associated any more", nil
	}
	aid := awssdk.ToString(assoc.AssociationId)
	if pr.Action == ProfileRemove {
		if _, err := a.cl.EC2.DisassociateIamInstanceProfile(ctx, &ec2.DisassociateIamInstanceProfileInput{AssociationId: awssdk.String(aid)}); err != nil {
			return "", "", wrap("ec2:DisassociateIamInstanceProfile", pr.InstanceID, err)
		}
		return remediate.OutcomeApplied, "removed " + profileName(arnOf(assoc)), nil
	}
	if profileName(arnOf(assoc)) == pr.Profile {
		return remediate.OutcomeAlreadyDone, "already " + pr.Profile, nil
	}
	if _, err := a.cl.EC2.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
		AssociationId: awssdk.String(aid), IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: awssdk.String(pr.Profile)},
	}); err != nil {
		return "", "", wrap("ec2:ReplaceIamInstanceProfileAssociation", pr.InstanceID, err)
	}
	return remediate.OutcomeApplied, "replaced " + profileName(arnOf(assoc)) + " with " + pr.Profile, nil
}
