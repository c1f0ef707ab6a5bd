package fakeaws_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
)

// seedFleet puts three instances in an Auto Scaling group attached to a
// target group.
func seedFleet(t *testing.T, srv *fakeaws.Server) fakeaws.TargetGroup {
	t.Helper()
	e := srv.EC2(admin, region)
	for _, id := range []string{"i-0aaa", "i-0bbb", "i-0ccc"} {
		e.AddInstance(fakeaws.Instance{ID: id})
	}
	tg := srv.ELBv2(admin, region).AddTargetGroup(fakeaws.TargetGroup{Name: "web", Port: 8080,
		Targets: []fakeaws.Target{{ID: "i-0aaa"}, {ID: "i-0bbb"}, {ID: "i-0ccc"}, {ID: "i-0aaa", Port: 9090}}})
	srv.AutoScaling(admin, region).AddGroup(fakeaws.AutoScalingGroup{Name: "web-asg", MinSize: 2, MaxSize: 6,
		TargetGroupARNs: []string{tg.ARN},
		Instances:       []fakeaws.AutoScalingInstance{{InstanceID: "i-0aaa"}, {InstanceID: "i-0bbb"}, {InstanceID: "i-0ccc"}}})
	return tg
}

func TestAutoScalingDetachAndStandby(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	tg := seedFleet(t, srv)
	a := srv.AutoScaling(admin, region)
	c := autoscaling.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()

	if tags := srv.EC2(admin, region).Tags("i-0aaa"); tags["aws:autoscaling:groupName"] != "web-asg" {
		t.Errorf("instance tags = %v", tags)
	}
	d, err := c.DescribeAutoScalingInstances(ctx, &autoscaling.DescribeAutoScalingInstancesInput{InstanceIds: []string{"i-0aaa", "i-0zzz"}})
	must(t, err)
	if len(d.AutoScalingInstances) != 1 || aws.ToString(d.AutoScalingInstances[0].AutoScalingGroupName) != "web-asg" ||
		aws.ToString(d.AutoScalingInstances[0].LifecycleState) != "InService" {
		t.Fatalf("DescribeAutoScalingInstances = %+v", d.AutoScalingInstances)
	}

	_, err = c.SetInstanceProtection(ctx, &autoscaling.SetInstanceProtectionInput{AutoScalingGroupName: aws.String("web-asg"),
		InstanceIds: []string{"i-0bbb"}, ProtectedFromScaleIn: aws.Bool(true)})
	must(t, err)

	det, err := c.DetachInstances(ctx, &autoscaling.DetachInstancesInput{AutoScalingGroupName: aws.String("web-asg"),
		InstanceIds: []string{"i-0aaa"}, ShouldDecrementDesiredCapacity: aws.Bool(false)})
	must(t, err)
	if len(det.Activities) != 1 || aws.ToString(det.Activities[0].Description) != "Detaching EC2 instance: i-0aaa" {
		t.Errorf("activities = %+v", det.Activities)
	}
	if req := srv.Calls(fakeaws.ServiceAutoScaling, "DetachInstances")[0]; req.Param("InstanceIds.member.1") != "i-0aaa" ||
		req.Param("ShouldDecrementDesiredCapacity") != "false" {
		t.Errorf("DetachInstances params = %v", req.Params)
	}
	g, _ := a.Group("web-asg")
	if g.DesiredCapacity != 3 || len(g.Instances) != 3 || g.Instances[2].LifecycleState != "Pending" || !g.Instances[0].ProtectedFromScaleIn {
		t.Errorf("group after detach = %+v", g)
	}
	if _, ok := a.GroupOf("i-0aaa"); ok {
		t.Error("i-0aaa is still in a group")
	}
	tgNow, _ := srv.ELBv2(admin, region).TargetGroup(tg.ARN)
	for _, tt := range tgNow.Targets {
		if tt.ID == "i-0aaa" && tt.State != "draining" {
			t.Errorf("target %s:%d state %s, want draining", tt.ID, tt.Port, tt.State)
		}
	}

	_, err = c.DetachInstances(ctx, &autoscaling.DetachInstancesInput{AutoScalingGroupName: aws.String("web-asg"),
		InstanceIds: []string{"i-0aaa"}, ShouldDecrementDesiredCapacity: aws.Bool(false)})
	wantCode(t, err, "ValidationError")

	_, err = c.EnterStandby(ctx, &autoscaling.EnterStandbyInput{AutoScalingGroupName: aws.String("web-asg"),
		InstanceIds: []string{"i-0bbb"}, ShouldDecrementDesiredCapacity: aws.Bool(true)})
	must(t, err)
	g, _ = a.Group("web-asg")
	if g.DesiredCapacity != 2 || g.Instances[0].LifecycleState != "Standby" {
		t.Errorf("group after standby = %+v", g)
	}
	_, err = c.EnterStandby(ctx, &autoscaling.EnterStandbyInput{AutoScalingGroupName: aws.String("web-asg"),
		InstanceIds: []string{"i-0ccc"}, ShouldDecrementDesiredCapacity: aws.Bool(true)})
	wantCode(t, err, "ValidationError") // below MinSize
	_, err = c.EnterStandby(ctx, &autoscaling.EnterStandbyInput{AutoScalingGroupName: aws.String("web-asg"),
		InstanceIds: []string{"i-0bbb"}, ShouldDecrementDesiredCapacity: aws.Bool(false)})
	wantCode(t, err, "ValidationError") // not InService
	_, err = c.ExitStandby(ctx, &autoscaling.ExitStandbyInput{AutoScalingGroupName: aws.String("web-asg"), InstanceIds: []string{"i-0bbb"}})
	must(t, err)
	_, err = c.DetachInstances(ctx, &autoscaling.DetachInstancesInput{AutoScalingGroupName: aws.String("nope"),
		InstanceIds: []string{"i-0bbb"}, ShouldDecrementDesiredCapacity: aws.Bool(false)})
	wantCode(t, err, "ValidationError")

	groups, err := c.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"web-asg"}})
	must(t, err)
	if len(groups.AutoScalingGroups) != 1 || len(groups.AutoScalingGroups[0].TargetGroupARNs) != 1 || aws.ToInt32(groups.AutoScalingGroups[0].DesiredCapacity) != 3 {
		t.Errorf("DescribeAutoScalingGroups = %+v", groups.AutoScalingGroups)
	}
}

func TestELBv2Deregister(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	seedFleet(t, srv)
	for i := range 4 {
		srv.ELBv2(admin, region).AddTargetGroup(fakeaws.TargetGroup{Name: "other-" + string(rune('a'+i))})
	}
	c := elbv2.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()

	// No reverse lookup: page through the groups, then describe health.
	var hits []string
	p := elbv2.NewDescribeTargetGroupsPaginator(c, &elbv2.DescribeTargetGroupsInput{PageSize: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		pages++
		for _, g := range page.TargetGroups {
			h, err := c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: g.TargetGroupArn})
			must(t, err)
			for _, d := range h.TargetHealthDescriptions {
				if aws.ToString(d.Target.Id) == "i-0aaa" {
					hits = append(hits, aws.ToString(g.TargetGroupName))
					_, err := c.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: g.TargetGroupArn,
						Targets: []elbtypes.TargetDescription{{Id: d.Target.Id, Port: d.Target.Port}}})
					must(t, err)
				}
			}
		}
	}
	if pages != 3 || len(hits) != 2 {
		t.Errorf("pages %d, hits %v", pages, hits)
	}
	tg, _ := srv.ELBv2(admin, region).TargetGroup("web")
	for _, tt := range tg.Targets {
		want := "healthy"
		if tt.ID == "i-0aaa" {
			want = "draining"
		}
		if tt.State != want {
			t.Errorf("%s:%d is %s, want %s", tt.ID, tt.Port, tt.State, want)
		}
	}
	h, err := c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg.ARN),
		Targets: []elbtypes.TargetDescription{{Id: aws.String("i-0aaa"), Port: aws.Int32(8080)}, {Id: aws.String("i-0new")}}})
	must(t, err)
	if len(h.TargetHealthDescriptions) != 2 || h.TargetHealthDescriptions[0].TargetHealth.State != elbtypes.TargetHealthStateEnumDraining ||
		h.TargetHealthDescriptions[1].TargetHealth.Reason != elbtypes.TargetHealthReasonEnumNotRegistered {
		t.Errorf("DescribeTargetHealth = %+v", h.TargetHealthDescriptions)
	}

	// AWS's silent no-ops: an unregistered id, and a port-override
	// registration deregistered without its port, succeed and change nothing.
	_, err = c.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg.ARN),
		Targets: []elbtypes.TargetDescription{{Id: aws.String("i-0bbb"), Port: aws.Int32(9191)}}})
	must(t, err)
	_, err = c.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(tg.ARN),
		Targets: []elbtypes.TargetDescription{{Id: aws.String("i-0zzz")}, {Id: aws.String("i-0bbb")}}})
	must(t, err)
	tg, _ = srv.ELBv2(admin, region).TargetGroup("web")
	states := map[string]string{}
	for _, tt := range tg.Targets {
		states[fmt.Sprintf("%s:%d", tt.ID, tt.Port)] = tt.State
	}
	want := map[string]string{"i-0aaa:8080": "draining", "i-0aaa:9090": "draining", "i-0bbb:8080": "draining",
		"i-0bbb:9191": "initial", "i-0ccc:8080": "healthy"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("target states (-want +got):\n%s", diff)
	}
	_, err = c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg.ARN + "x")})
	var nf *elbtypes.TargetGroupNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown target group: %v", err)
	}
}

func TestAutoScalingAttachInstances(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	tg := seedFleet(t, srv)
	a := srv.AutoScaling(admin, region)
	e := srv.EC2(admin, region)
	c := autoscaling.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()

	// Detach without decrementing (a replacement is launched), then attach
	// back: the round trip of an isolation and its rollback.
	_, err := c.DetachInstances(ctx, &autoscaling.DetachInstancesInput{AutoScalingGroupName: aws.String("web-asg"),
		InstanceIds: []string{"i-0aaa"}, ShouldDecrementDesiredCapacity: aws.Bool(false)})
	must(t, err)
	srv.ResetRequests()
	_, err = c.AttachInstances(ctx, &autoscaling.AttachInstancesInput{AutoScalingGroupName: aws.String("web-asg"),
		InstanceIds: []string{"i-0aaa"}})
	must(t, err)
	calls := srv.Calls(fakeaws.ServiceAutoScaling, "AttachInstances")
	if len(calls) != 1 {
		t.Fatalf("%d AttachInstances requests", len(calls))
	}
	if req := calls[0]; req.Param("Version") != "2011-01-01" || req.Param("AutoScalingGroupName") != "web-asg" ||
		req.Param("InstanceIds.member.1") != "i-0aaa" || req.Param("InstanceIds.member.2") != "" || !req.Succeeded() {
		t.Errorf("AttachInstances request = %v (status %d)", req.Params, req.Status)
	}
	if got := srv.IAMActions(); !slices.Equal(got, []string{"autoscaling:AttachInstances"}) {
		t.Errorf("IAM actions = %v", got)
	}
	g, _ := a.Group("web-asg")
	if g.DesiredCapacity != 4 || len(g.Instances) != 4 {
		t.Errorf("after attach: desired %d, %d instances, want 4 and 4 (AWS adds the attached instances to the desired capacity)", g.DesiredCapacity, len(g.Instances))
	}
	if in, ok := groupMember(g, "i-0aaa"); !ok || in.LifecycleState != "InService" || in.HealthStatus != "Healthy" || in.AvailabilityZone != region+"a" {
		t.Errorf("attached member = %+v (%v)", in, ok)
	}
	if last := g.Activities[len(g.Activities)-1]; last.Description != "Attaching an existing EC2 instance: i-0aaa" {
		t.Errorf("activity = %+v", last)
	}
	if tags := e.Tags("i-0aaa"); tags["aws:autoscaling:groupName"] != "web-asg" {
		t.Errorf("instance tags = %v", tags)
	}
	d, err := c.DescribeAutoScalingInstances(ctx, &autoscaling.DescribeAutoScalingInstancesInput{InstanceIds: []string{"i-0aaa"}})
	must(t, err)
	if len(d.AutoScalingInstances) != 1 || aws.ToString(d.AutoScalingInstances[0].AutoScalingGroupName) != "web-asg" ||
		aws.ToString(d.AutoScalingInstances[0].LifecycleState) != "InService" {
		t.Errorf("DescribeAutoScalingInstances = %+v", d.AutoScalingInstances)
	}
	// Registered again in the group's target group on the group's port;
	// the port-override registration (9090) is the user's, not the
	// group's, and stays drained.
	tgNow, _ := srv.ELBv2(admin, region).TargetGroup(tg.ARN)
	states := map[string]string{}
	for _, tt := range tgNow.Targets {
		if tt.ID == "i-0aaa" {
			states[fmt.Sprint(tt.Port)] = tt.State
		}
	}
	if diff := cmp.Diff(map[string]string{"8080": "initial", "9090": "draining"}, states); diff != "" {
		t.Errorf("i-0aaa registrations (-want +got):\n%s", diff)
	}

	// Refusals, each leaving the group unchanged.
	e.AddInstance(fakeaws.Instance{ID: "i-0stopped", State: "stopped"})
	e.AddInstance(fakeaws.Instance{ID: "i-0zoneb", AvailabilityZone: region + "b"})
	e.AddInstance(fakeaws.Instance{ID: "i-0free1"})
	e.AddInstance(fakeaws.Instance{ID: "i-0free2"})
	e.AddInstance(fakeaws.Instance{ID: "i-0free3"})
	e.AddInstance(fakeaws.Instance{ID: "i-0other"})
	a.AddGroup(fakeaws.AutoScalingGroup{Name: "other-asg", Instances: []fakeaws.AutoScalingInstance{{InstanceID: "i-0other"}}})
	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprintf("i-%017d", i)
	}
	for _, tc := range []struct {
		name, group string
		ids         []string
	}{
		{"already a member", "web-asg", []string{"i-0aaa"}},
		{"member of another group", "web-asg", []string{"i-0other"}},
		{"not running", "web-asg", []string{"i-0stopped"}},
		{"unknown instance", "web-asg", []string{"i-0nope"}},
		{"zone not in the group", "web-asg", []string{"i-0zoneb"}},
		{"beyond the maximum size", "web-asg", []string{"i-0free1", "i-0free2", "i-0free3"}},
		{"more than 20 ids", "web-asg", many},
		{"unknown group", "nope", []string{"i-0free1"}},
	} {
		before, _ := a.Group("web-asg")
		_, err := c.AttachInstances(ctx, &autoscaling.AttachInstancesInput{AutoScalingGroupName: aws.String(tc.group), InstanceIds: tc.ids})
		if apiCode(err) != "ValidationError" {
			t.Errorf("%s: error %v, want ValidationError", tc.name, err)
		}
		if after, _ := a.Group("web-asg"); !cmp.Equal(before, after) {
			t.Errorf("%s: the refused call changed the group:\n%s", tc.name, cmp.Diff(before, after))
		}
	}
	// Within the maximum size, two at once.
	_, err = c.AttachInstances(ctx, &autoscaling.AttachInstancesInput{AutoScalingGroupName: aws.String("web-asg"),
		InstanceIds: []string{"i-0free1", "i-0free2"}})
	must(t, err)
	if g, _ := a.Group("web-asg"); g.DesiredCapacity != 6 || len(g.Instances) != 6 {
		t.Errorf("after attaching two: desired %d, %d instances", g.DesiredCapacity, len(g.Instances))
	}
}

// A group whose target groups are in another VPC refuses the instance.
func TestAutoScalingAttachChecksTargetGroupVPC(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e := srv.EC2(admin, region)
	e.AddVPC(fakeaws.VPC{ID: "vpc-0app"})
	e.AddVPC(fakeaws.VPC{ID: "vpc-0lab"})
	e.AddInstance(fakeaws.Instance{ID: "i-0lab", VPCID: "vpc-0lab"})
	e.AddInstance(fakeaws.Instance{ID: "i-0app", VPCID: "vpc-0app"})
	tg := srv.ELBv2(admin, region).AddTargetGroup(fakeaws.TargetGroup{Name: "app", Port: 443, VPCID: "vpc-0app"})
	srv.AutoScaling(admin, region).AddGroup(fakeaws.AutoScalingGroup{Name: "app-asg", MaxSize: 3, TargetGroupARNs: []string{tg.ARN}})
	c := autoscaling.NewFromConfig(srv.AWSConfig(admin, region))
	_, err := c.AttachInstances(t.Context(), &autoscaling.AttachInstancesInput{AutoScalingGroupName: aws.String("app-asg"), InstanceIds: []string{"i-0lab"}})
	wantCode(t, err, "ValidationError")
	_, err = c.AttachInstances(t.Context(), &autoscaling.AttachInstancesInput{AutoScalingGroupName: aws.String("app-asg"), InstanceIds: []string{"i-0app"}})
	must(t, err)
	got, _ := srv.ELBv2(admin, region).TargetGroup(tg.ARN)
	if len(got.Targets) != 1 || got.Targets[0].ID != "i-0app" || got.Targets[0].Port != 443 {
		t.Errorf("targets = %+v", got.Targets)
	}
}

func groupMember(g fakeaws.AutoScalingGroup, id string) (fakeaws.AutoScalingInstance, bool) {
	for _, in := range g.Instances {
		if in.InstanceID == id {
			return in, true
		}
	}
	return fakeaws.AutoScalingInstance{}, false
}
