package fakeaws

import (
	"fmt"
	"slices"
	"time"
)

// AutoScalingGroup is an EC2 Auto Scaling group.
type AutoScalingGroup struct {
	// Name is required; ARN is assigned.
	Name, ARN string
	// MinSize, MaxSize and DesiredCapacity default to 0, max(desired, 10)
	// and the number of instances.
	MinSize, MaxSize, DesiredCapacity int32
	// AvailabilityZones defaults to the region's "a" zone.
	AvailabilityZones []string
	// TargetGroupARNs are the attached ELBv2 target groups; instances that
	// leave the group or enter standby are deregistered from them, in the
	// same account and region.
	TargetGroupARNs []string
	// Instances are the members.
	Instances []AutoScalingInstance
	// Activities are the scaling activities the API started (view only).
	Activities []Activity
}

// AutoScalingInstance is a member of an Auto Scaling group.
type AutoScalingInstance struct {
	// InstanceID is the EC2 instance id (seed: the instance also gets the
	// "aws:autoscaling:groupName" tag when it exists in the fake EC2).
	InstanceID string
	// LifecycleState is "InService" by default; "Standby", "Pending"...
	LifecycleState string
	// HealthStatus is "Healthy" by default.
	HealthStatus string
	// AvailabilityZone defaults to the group's first zone.
	AvailabilityZone string
	// ProtectedFromScaleIn is the scale-in protection flag.
	ProtectedFromScaleIn bool
}

// Activity is a scaling activity started by the API.
type Activity struct {
	// ID is the activity id; Description and Cause are AWS's wording
	// ("Detaching EC2 instance: i-…"); StatusCode is "InProgress".
	ID, Description, Cause, StatusCode string
	// Time is when the activity started.
	Time time.Time
}

type asgState struct {
	groups table[AutoScalingGroup]
}

// AutoScaling is the Auto Scaling state of one account and region.
type AutoScaling struct {
	s               *Server
	account, region string
}

// AutoScaling returns the Auto Scaling state of an account and region.
func (s *Server) AutoScaling(account, region string) *AutoScaling {
	mustAccount(account)
	return &AutoScaling{s: s, account: account, region: region}
}

// AddGroup creates an Auto Scaling group.
func (a *AutoScaling) AddGroup(g AutoScalingGroup) AutoScalingGroup {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	rs := a.s.reg(a.account, a.region)
	if g.Name == "" {
		panic("fakeaws: Auto Scaling group needs a Name")
	}
	if _, ok := rs.asg.groups.get(g.Name); ok {
		panic(fmt.Sprintf("fakeaws: Auto Scaling group %s already exists", g.Name))
	}
	g.ARN = fmt.Sprintf("arn:aws:autoscaling:%s:%s:autoScalingGroup:%08x-0000-4000-8000-000000000000:autoScalingGroupName/%s",
		a.region, a.account, a.s.next("asg"), g.Name)
	if len(g.AvailabilityZones) == 0 {
		g.AvailabilityZones = []string{a.region + "a"}
	}
	g.AvailabilityZones = slices.Clone(g.AvailabilityZones)
	g.TargetGroupARNs = slices.Clone(g.TargetGroupARNs)
	g.Instances = slices.Clone(g.Instances)
	g.Activities = nil
	for i := range g.Instances {
		in := &g.Instances[i]
		for _, o := range rs.asg.groups.all() {
			if asgIndex(o, in.InstanceID) >= 0 {
				panic(fmt.Sprintf("fakeaws: instance %s is already in Auto Scaling group %s", in.InstanceID, o.Name))
			}
		}
		if in.LifecycleState == "" {
			in.LifecycleState = "InService"
		}
		if in.HealthStatus == "" {
			in.HealthStatus = "Healthy"
		}
		if in.AvailabilityZone == "" {
			in.AvailabilityZone = g.AvailabilityZones[0]
		}
		if _, ok := rs.ec2.instances.get(in.InstanceID); ok {
			_ = applyTags(rs.ec2, in.InstanceID, [][2]string{{"aws:autoscaling:groupName", g.Name}})
		}
	}
	if g.DesiredCapacity == 0 {
		g.DesiredCapacity = int32(len(g.Instances))
	}
	if g.MaxSize == 0 {
		g.MaxSize = max(g.DesiredCapacity, 10)
	}
	st := g
	rs.asg.groups.put(g.Name, &st)
	return asgView(&st)
}

// SetTargetGroups sets the ELBv2 target groups attached to a group (as
// AttachLoadBalancerTargetGroups would, without registering the current
// members). It panics when the group does not exist.
func (a *AutoScaling) SetTargetGroups(group string, arns []string) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	g, ok := a.s.reg(a.account, a.region).asg.groups.get(group)
	if !ok {
		panic(fmt.Sprintf("fakeaws: no Auto Scaling group %s", group))
	}
	g.TargetGroupARNs = slices.Clone(arns)
}

// DeleteGroup deletes a group as a forced DeleteAutoScalingGroup would,
// but leaves its instances running and registered (as if detached first):
// for tests of code that finds a group gone.
func (a *AutoScaling) DeleteGroup(name string) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	rs := a.s.reg(a.account, a.region)
	if g, ok := rs.asg.groups.get(name); ok {
		for _, in := range g.Instances {
			if m := rs.ec2.tags[in.InstanceID]; m != nil {
				delete(m, "aws:autoscaling:groupName")
			}
		}
	}
	rs.asg.groups.del(name)
}

// Group returns the current state of a group.
func (a *AutoScaling) Group(name string) (AutoScalingGroup, bool) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	g, ok := a.s.reg(a.account, a.region).asg.groups.get(name)
	if !ok {
		return AutoScalingGroup{}, false
	}
	return asgView(g), true
}

// GroupOf returns the group an instance belongs to.
func (a *AutoScaling) GroupOf(instanceID string) (AutoScalingGroup, bool) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	for _, g := range a.s.reg(a.account, a.region).asg.groups.all() {
		if asgIndex(g, instanceID) >= 0 {
			return asgView(g), true
		}
	}
	return AutoScalingGroup{}, false
}

func asgView(g *AutoScalingGroup) AutoScalingGroup {
	v := *g
	v.AvailabilityZones = slices.Clone(g.AvailabilityZones)
	v.TargetGroupARNs = slices.Clone(g.TargetGroupARNs)
	v.Instances = slices.Clone(g.Instances)
	v.Activities = slices.Clone(g.Activities)
	return v
}

func asgIndex(g *AutoScalingGroup, id string) int {
	return slices.IndexFunc(g.Instances, func(in AutoScalingInstance) bool { return in.InstanceID == id })
}

// ---- wire ----

type xASGInstanceDetails struct {
	InstanceID           string `xml:"InstanceId"`
	InstanceType         string `xml:"InstanceType,omitempty"`
	AutoScalingGroupName string `xml:"AutoScalingGroupName"`
	AvailabilityZone     string `xml:"AvailabilityZone"`
	LifecycleState       string `xml:"LifecycleState"`
	HealthStatus         string `xml:"HealthStatus"`
	ProtectedFromScaleIn bool   `xml:"ProtectedFromScaleIn"`
}

type xDescribeASGInstances struct {
	Instances []xASGInstanceDetails `xml:"AutoScalingInstances>member"`
	NextToken string                `xml:"NextToken,omitempty"`
}

type xASGInstance struct {
	InstanceID           string `xml:"InstanceId"`
	AvailabilityZone     string `xml:"AvailabilityZone"`
	LifecycleState       string `xml:"LifecycleState"`
	HealthStatus         string `xml:"HealthStatus"`
	ProtectedFromScaleIn bool   `xml:"ProtectedFromScaleIn"`
}

type xASG struct {
	AutoScalingGroupName string         `xml:"AutoScalingGroupName"`
	AutoScalingGroupARN  string         `xml:"AutoScalingGroupARN"`
	MinSize              int32          `xml:"MinSize"`
	MaxSize              int32          `xml:"MaxSize"`
	DesiredCapacity      int32          `xml:"DesiredCapacity"`
	DefaultCooldown      int32          `xml:"DefaultCooldown"`
	AvailabilityZones    []string       `xml:"AvailabilityZones>member"`
	HealthCheckType      string         `xml:"HealthCheckType"`
	CreatedTime          xmlTime        `xml:"CreatedTime"`
	Instances            []xASGInstance `xml:"Instances>member"`
	TargetGroupARNs      []string       `xml:"TargetGroupARNs>member"`
}

type xDescribeASGs struct {
	Groups    []xASG `xml:"AutoScalingGroups>member"`
	NextToken string `xml:"NextToken,omitempty"`
}

type xActivity struct {
	ActivityID           string  `xml:"ActivityId"`
	AutoScalingGroupName string  `xml:"AutoScalingGroupName"`
	AutoScalingGroupARN  string  `xml:"AutoScalingGroupARN"`
	Description          string  `xml:"Description"`
	Cause                string  `xml:"Cause"`
	StartTime            xmlTime `xml:"StartTime"`
	StatusCode           string  `xml:"StatusCode"`
	Progress             int32   `xml:"Progress"`
	Details              string  `xml:"Details"`
}

type xActivities struct {
	Activities []xActivity `xml:"Activities>member"`
}

func asgValidation(format string, args ...any) *apiError {
	return errf(400, "ValidationError", format, args...)
}

// asgDispatch routes an Auto Scaling action. Callers hold mu.
func (s *Server) asgDispatch(c *call) (any, *apiError) {
	rs := s.reg(c.account, c.region)
	switch c.action {
	case "DescribeAutoScalingInstances":
		ids := list(c.form, "InstanceIds.member")
		if len(ids) > 50 {
			return nil, asgValidation("The number of instance ids that may be passed in is limited to 50")
		}
		var sel []xASGInstanceDetails
		for _, g := range rs.asg.groups.all() {
			for _, in := range g.Instances {
				if len(ids) > 0 && !slices.Contains(ids, in.InstanceID) {
					continue
				}
				d := xASGInstanceDetails{InstanceID: in.InstanceID, AutoScalingGroupName: g.Name, AvailabilityZone: in.AvailabilityZone,
					LifecycleState: in.LifecycleState, HealthStatus: in.HealthStatus, ProtectedFromScaleIn: in.ProtectedFromScaleIn}
				if it, ok := rs.ec2.instances.get(in.InstanceID); ok {
					d.InstanceType = it.itype
				}
				sel = append(sel, d)
			}
		}
		page, next, err := paginate(s, c, sel, pageSpec{tokenKey: "NextToken", maxKey: "MaxRecords", min: 1, max: 50, def: 50})
		if err != nil {
			return nil, err
		}
		return &xDescribeASGInstances{Instances: page, NextToken: next}, nil
	case "DescribeAutoScalingGroups":
		if len(subs(c.form, "Filters.member")) > 0 {
			return nil, asgValidation("fakeaws: DescribeAutoScalingGroups Filters are not supported; use AutoScalingGroupNames")
		}
		names := list(c.form, "AutoScalingGroupNames.member")
		var sel []*AutoScalingGroup
		for _, g := range rs.asg.groups.all() {
			if len(names) == 0 || slices.Contains(names, g.Name) {
				sel = append(sel, g)
			}
		}
		page, next, err := paginate(s, c, sel, pageSpec{tokenKey: "NextToken", maxKey: "MaxRecords", min: 1, max: 100, def: 50})
		if err != nil {
			return nil, err
		}
		out := &xDescribeASGs{NextToken: next}
		for _, g := range page {
			x := xASG{AutoScalingGroupName: g.Name, AutoScalingGroupARN: g.ARN, MinSize: g.MinSize, MaxSize: g.MaxSize,
				DesiredCapacity: g.DesiredCapacity, DefaultCooldown: 300, AvailabilityZones: g.AvailabilityZones,
				HealthCheckType: "EC2", CreatedTime: xmlTime(s.now()), TargetGroupARNs: g.TargetGroupARNs}
			for _, in := range g.Instances {
				x.Instances = append(x.Instances, xASGInstance{InstanceID: in.InstanceID, AvailabilityZone: in.AvailabilityZone,
					LifecycleState: in.LifecycleState, HealthStatus: in.HealthStatus, ProtectedFromScaleIn: in.ProtectedFromScaleIn})
			}
			out.Groups = append(out.Groups, x)
		}
		return out, nil
	case "DetachInstances", "EnterStandby", "ExitStandby", "SetInstanceProtection":
		return s.asgMembership(c, rs)
	case "AttachInstances":
		return s.asgAttach(c, rs)
	}
	return nil, unknownAction(c)
}

// asgMembership implements DetachInstances, EnterStandby, ExitStandby and
// SetInstanceProtection.
func (s *Server) asgMembership(c *call, rs *regionState) (any, *apiError) {
	name, err := required(c, "AutoScalingGroupName")
	if err != nil {
		return nil, err
	}
	g, ok := rs.asg.groups.get(name)
	if !ok {
		return nil, asgValidation("AutoScalingGroup name not found - AutoScalingGroup %s not found", name)
	}
	ids := list(c.form, "InstanceIds.member")
	if len(ids) == 0 && c.action != "ExitStandby" {
		return nil, asgValidation("The instance ids must be specified")
	}
	for _, id := range ids {
		i := asgIndex(g, id)
		if i < 0 {
			return nil, asgValidation("The instance %s is not part of Auto Scaling group %s.", id, name)
		}
		state := g.Instances[i].LifecycleState
		switch c.action {
		case "EnterStandby":
			if state != "InService" {
				return nil, asgValidation("The instance %s is not in InService.", id)
			}
		case "ExitStandby":
			if state != "Standby" {
				return nil, asgValidation("The instance %s is not in Standby.", id)
			}
		case "DetachInstances":
			if state != "InService" && state != "Standby" {
				return nil, asgValidation("The instance %s is not in InService or Standby.", id)
			}
		}
	}
	if c.action == "SetInstanceProtection" {
		v, ok, err := boolParam(c, "ProtectedFromScaleIn")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, missingParam(c.svc, "ProtectedFromScaleIn")
		}
		for _, id := range ids {
			g.Instances[asgIndex(g, id)].ProtectedFromScaleIn = v
		}
		return nil, nil
	}
	n := int32(len(ids))
	decrement := false
	if c.action != "ExitStandby" {
		v, ok, err := boolParam(c, "ShouldDecrementDesiredCapacity")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, missingParam(c.svc, "ShouldDecrementDesiredCapacity")
		}
		decrement = v
		if decrement && g.DesiredCapacity-n < g.MinSize {
			return nil, asgValidation("The number of instances (%d) would make the desired capacity (%d) smaller than the group's minimum size (%d).",
				n, g.DesiredCapacity-n, g.MinSize)
		}
	} else if g.DesiredCapacity+n > g.MaxSize {
		return nil, asgValidation("Exiting standby would make the desired capacity exceed the group's maximum size (%d).", g.MaxSize)
	}
	out := &xActivities{}
	now := s.now()
	for _, id := range ids {
		i := asgIndex(g, id)
		var desc, cause string
		switch c.action {
		case "DetachInstances":
			desc = "Detaching EC2 instance: " + id
			cause = fmt.Sprintf("At %s instance %s was detached in response to a user request", now.Format(time.RFC3339), id)
			g.Instances = slices.Delete(g.Instances, i, i+1)
			if m := rs.ec2.tags[id]; m != nil {
				delete(m, "aws:autoscaling:groupName")
			}
			s.elbDeregisterFromAll(rs, g.TargetGroupARNs, id)
		case "EnterStandby":
			desc = "Moving EC2 instance to Standby: " + id
			cause = fmt.Sprintf("At %s instance %s was moved to standby in response to a user request", now.Format(time.RFC3339), id)
			g.Instances[i].LifecycleState = "Standby"
			s.elbDeregisterFromAll(rs, g.TargetGroupARNs, id)
		case "ExitStandby":
			desc = "Moving EC2 instance out of Standby: " + id
			cause = fmt.Sprintf("At %s instance %s was moved out of standby in response to a user request", now.Format(time.RFC3339), id)
			g.Instances[i].LifecycleState = "InService"
			s.elbRegisterToAll(rs, g.TargetGroupARNs, id)
		}
		act := Activity{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", s.next("activity"), 0xfa4e), Description: desc,
			Cause: cause, StatusCode: "InProgress", Time: now}
		g.Activities = append(g.Activities, act)
		out.Activities = append(out.Activities, xActivity{ActivityID: act.ID, AutoScalingGroupName: g.Name,
			AutoScalingGroupARN: g.ARN, Description: desc, Cause: cause, StartTime: xmlTime(now), StatusCode: act.StatusCode,
			Progress: 50, Details: fmt.Sprintf(`{"Subnet ID":"","Availability Zone":"%s"}`, g.AvailabilityZones[0])})
	}
	switch {
	case c.action == "ExitStandby":
		g.DesiredCapacity += n
	case decrement:
		g.DesiredCapacity -= n
	default:
		// The group launches replacements to keep its desired capacity.
		for range ids {
			g.Instances = append(g.Instances, AutoScalingInstance{InstanceID: s.newID("i"), LifecycleState: "Pending",
				HealthStatus: "Healthy", AvailabilityZone: g.AvailabilityZones[0]})
		}
	}
	return out, nil
}

// maxAttach is AttachInstances' limit on instance ids per call.
const maxAttach = 20

// asgAttach implements AttachInstances: every instance must exist in EC2,
// be running, belong to no group and sit in one of the group's
// Availability Zones (and in the VPC of the group's target groups); the
// desired capacity grows by the number attached, which must stay within the
// maximum size. The instances are InService at once (there are no
// lifecycle hooks), carry the aws:autoscaling:groupName tag and are
// registered in the group's target groups on the group's port. The output
// is empty, as in AWS; the activity is kept on the group.
func (s *Server) asgAttach(c *call, rs *regionState) (any, *apiError) {
	name, err := required(c, "AutoScalingGroupName")
	if err != nil {
		return nil, err
	}
	g, ok := rs.asg.groups.get(name)
	if !ok {
		return nil, asgValidation("AutoScalingGroup name not found - AutoScalingGroup %s not found", name)
	}
	var ids []string
	for _, id := range list(c.form, "InstanceIds.member") {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > maxAttach {
		return nil, asgValidation("The number of instance ids that may be passed in is limited to %d", maxAttach)
	}
	for _, id := range ids {
		it, ok := rs.ec2.instances.get(id)
		if !ok {
			return nil, asgValidation("Instance Validation Error: instance %s does not exist in %s.", id, c.region)
		}
		if it.state != "running" {
			return nil, asgValidation("Instance %s is in the %s state; only running instances can be attached.", id, it.state)
		}
		for _, o := range rs.asg.groups.all() {
			if asgIndex(o, id) >= 0 {
				return nil, asgValidation("The instance %s is already part of Auto Scaling group %s.", id, o.Name)
			}
		}
		if !slices.Contains(g.AvailabilityZones, it.az) {
			return nil, asgValidation("Instance %s is in Availability Zone %s, which is not one of the group's zones %v.", id, it.az, g.AvailabilityZones)
		}
		for _, arn := range g.TargetGroupARNs {
			if tg, ok := rs.elb.groups.get(arn); ok && tg.VPCID != "" && tg.VPCID != it.vpc {
				return nil, asgValidation("Instance %s is in %s, but target group %s of the group is in %s.", id, it.vpc, tg.Name, tg.VPCID)
			}
		}
	}
	n := int32(len(ids))
	if g.DesiredCapacity+n > g.MaxSize {
		return nil, asgValidation("Attaching %d instance(s) would make the desired capacity (%d) exceed the group's maximum size (%d).",
			n, g.DesiredCapacity+n, g.MaxSize)
	}
	now := s.now()
	for _, id := range ids {
		it, _ := rs.ec2.instances.get(id)
		g.Instances = append(g.Instances, AutoScalingInstance{InstanceID: id, LifecycleState: "InService", HealthStatus: "Healthy",
			AvailabilityZone: it.az})
		_ = applyTags(rs.ec2, id, [][2]string{{"aws:autoscaling:groupName", g.Name}})
		s.elbRegisterToAll(rs, g.TargetGroupARNs, id)
		g.Activities = append(g.Activities, Activity{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", s.next("activity"), 0xfa4e),
			Description: "Attaching an existing EC2 instance: " + id,
			Cause:       fmt.Sprintf("At %s an instance was added in response to a user request (AttachInstances of %s)", now.Format(time.RFC3339), id),
			StatusCode:  "InProgress", Time: now})
	}
	g.DesiredCapacity += n
	return nil, nil
}
