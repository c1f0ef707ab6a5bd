package aws_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

func TestRollbackRestoresRecordedState(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	b := seedBastion(t, srv, member)
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	iso := newIsolate(t, static(srv, member), remaws.IsolateOptions{AutoScaling: remaws.AutoScalingStandby,
		Profile: remaws.ProfileReplace, DenyAllProfile: "ocsfhub-deny-all"})
	if _, err := iso.Apply(t.Context(), plan(t, iso, f)); err != nil {
		t.Fatal(err)
	}
	rb, err := remaws.NewRollbackIsolation(static(srv, member), remaws.RollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan(t, rb, f)
	eni0, eni1 := b.inst.NetworkInterfaces[0].ID, b.inst.NetworkInterfaces[1].ID
	want := []string{"eni/" + eni0, "eni/" + eni1, "profile", "asg/bastion-asg", "tg/bastion-ssh/22", "protect/termination", "protect/stop", "untag"}
	if got := changeIDs(p); !slices.Equal(got, want) {
		t.Fatalf("rollback plan = %v, want %v\n%s", got, want, p)
	}
	srv.ResetRequests()
	res, err := rb.Apply(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != len(p.Changes) {
		t.Errorf("applied %d of %d: %+v", res.Applied(), len(p.Changes), res.Outcomes)
	}
	inst, _ := srv.EC2(member, region).Instance(instID)
	for i, ni := range inst.NetworkInterfaces {
		if !slices.Equal(ni.Groups, b.inst.NetworkInterfaces[i].Groups) {
			t.Errorf("%s groups = %v, want %v", ni.ID, ni.Groups, b.inst.NetworkInterfaces[i].Groups)
		}
	}
	if inst.IAMInstanceProfileARN != b.profileARN {
		t.Errorf("profile = %s, want %s", inst.IAMInstanceProfileARN, b.profileARN)
	}
	if inst.DisableAPITermination || inst.DisableAPIStop {
		t.Error("protections not restored to off")
	}
	for k := range inst.Tags {
		if strings.HasPrefix(k, "ocsfhub:") {
			t.Errorf("tag %s left", k)
		}
	}
	g, _ := srv.AutoScaling(member, region).Group("bastion-asg")
	for _, i := range g.Instances {
		if i.InstanceID == instID && i.LifecycleState != "InService" {
			t.Errorf("lifecycle %s", i.LifecycleState)
		}
	}
	tg, _ := srv.ELBv2(member, region).TargetGroup(b.tgARN)
	if !slices.ContainsFunc(tg.Targets, func(x fakeaws.Target) bool { return x.ID == instID && x.State != "draining" }) {
		t.Errorf("not registered again: %+v", tg.Targets)
	}
	checkDeclared(t, srv, rb.Permissions())
	if _, err := rb.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("Plan after rollback: %v", err)
	}
}

// After a detach (the default), rollback attaches the instance back with
// AttachInstances on the wire: it is InService in its group again and the
// group's desired capacity grows by one (AWS adds attached instances to it;
// the replacement launched at isolation stays).
func TestRollbackAfterDetachAttachesBack(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBastion(t, srv, member)
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	iso := newIsolate(t, static(srv, member), remaws.IsolateOptions{})
	if _, err := iso.Apply(t.Context(), plan(t, iso, f)); err != nil {
		t.Fatal(err)
	}
	asg := srv.AutoScaling(member, region)
	if _, ok := asg.GroupOf(instID); ok {
		t.Fatal("isolation did not detach the instance")
	}
	detached, _ := asg.Group("bastion-asg")
	rb, err := remaws.NewRollbackIsolation(static(srv, member), remaws.RollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan(t, rb, f)
	if !slices.Contains(changeIDs(p), "asg/bastion-asg") {
		t.Fatalf("rollback plan has no re-attach: %v", changeIDs(p))
	}
	srv.ResetRequests()
	res, err := rb.Apply(t.Context(), roundTrip(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(res)["asg/bastion-asg"]; st != remediate.OutcomeApplied {
		t.Errorf("asg change %s: %+v", st, res.Outcomes)
	}
	calls := srv.Calls(fakeaws.ServiceAutoScaling, "AttachInstances")
	if len(calls) != 1 || calls[0].Param("AutoScalingGroupName") != "bastion-asg" || calls[0].Param("InstanceIds.member.1") != instID ||
		calls[0].Param("InstanceIds.member.2") != "" || !calls[0].Succeeded() {
		t.Fatalf("AttachInstances requests = %+v", calls)
	}
	g, ok := asg.GroupOf(instID)
	if !ok || g.Name != "bastion-asg" {
		t.Fatalf("instance is in group %q (%v) after rollback", g.Name, ok)
	}
	for _, in := range g.Instances {
		if in.InstanceID == instID && in.LifecycleState != "InService" {
			t.Errorf("lifecycle state %s, want InService", in.LifecycleState)
		}
	}
	if g.DesiredCapacity != detached.DesiredCapacity+1 {
		t.Errorf("desired capacity %d, want %d", g.DesiredCapacity, detached.DesiredCapacity+1)
	}
	if tags := srv.EC2(member, region).Tags(instID); tags["aws:autoscaling:groupName"] != "bastion-asg" {
		t.Errorf("aws:autoscaling:groupName = %q", tags["aws:autoscaling:groupName"])
	}
	checkDeclared(t, srv, rb.Permissions())
	// Applying again attaches nothing; planning again finds nothing.
	srv.ResetRequests()
	res, err = rb.Apply(t.Context(), roundTrip(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 0 || len(srv.Calls(fakeaws.ServiceAutoScaling, "AttachInstances")) != 0 {
		t.Errorf("second Apply: %+v, calls %v", res.Outcomes, srv.Actions())
	}
	if _, err := rb.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("Plan after rollback: %v", err)
	}
}

// A group with target groups registers the attached instance in them
// itself; the rollback's own re-registration then finds it done.
func TestRollbackAttachRegistersGroupTargets(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBastion(t, srv, member)
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	// Attach the bastion's target group to its Auto Scaling group.
	asg := srv.AutoScaling(member, region)
	b, _ := asg.Group("bastion-asg")
	tg, _ := srv.ELBv2(member, region).TargetGroup("bastion-ssh")
	asg.SetTargetGroups(b.Name, []string{tg.ARN})
	iso := newIsolate(t, static(srv, member), remaws.IsolateOptions{})
	if _, err := iso.Apply(t.Context(), plan(t, iso, f)); err != nil {
		t.Fatal(err)
	}
	rb, err := remaws.NewRollbackIsolation(static(srv, member), remaws.RollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan(t, rb, f)
	res, err := rb.Apply(t.Context(), roundTrip(t, p))
	if err != nil {
		t.Fatal(err)
	}
	st := statuses(res)
	if st["asg/bastion-asg"] != remediate.OutcomeApplied || st["tg/bastion-ssh/22"] != remediate.OutcomeAlreadyDone {
		t.Errorf("outcomes %+v", res.Outcomes)
	}
	if n := len(srv.Calls(fakeaws.ServiceELBv2, "RegisterTargets")); n != 0 {
		t.Errorf("%d RegisterTargets calls; Auto Scaling registered the instance", n)
	}
	got, _ := srv.ELBv2(member, region).TargetGroup(tg.ARN)
	if !slices.ContainsFunc(got.Targets, func(x fakeaws.Target) bool { return x.ID == instID && x.Port == 22 && x.State != "draining" }) {
		t.Errorf("targets = %+v", got.Targets)
	}
}

func TestRollbackNotIsolated(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBastion(t, srv, member)
	rb, err := remaws.NewRollbackIsolation(static(srv, member), remaws.RollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rb.Plan(t.Context(), fixture(t, "guardduty-ec2-unauthorized-access.json")); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("Plan on a never-isolated instance: %v", err)
	}
}

func TestRollbackConformance(t *testing.T) {
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	remediatetest.Run(t, func(t *testing.T) remediate.Remediator {
		srv := newServer(t, fakeaws.Options{})
		seedBastion(t, srv, member)
		iso := newIsolate(t, static(srv, member), remaws.IsolateOptions{AutoScaling: remaws.AutoScalingStandby, KeepLoadBalancers: true})
		if _, err := iso.Apply(t.Context(), plan(t, iso, f)); err != nil {
			t.Fatal(err)
		}
		rb, err := remaws.NewRollbackIsolation(static(srv, member), remaws.RollbackOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return rb
	}, remediatetest.Case{Name: "after-isolation", Finding: f})
}

// An Auto Scaling group deleted after the isolation cannot take the
// instance back: the rollback leaves it out at plan time, and skips it at
// apply time when it goes between plan and apply; the rest is restored.
func TestRollbackAfterGroupDeleted(t *testing.T) {
	for _, when := range []string{"before-plan", "before-apply"} {
		t.Run(when, func(t *testing.T) {
			srv := newServer(t, fakeaws.Options{})
			seedBastion(t, srv, member)
			f := fixture(t, "guardduty-ec2-unauthorized-access.json")
			iso := newIsolate(t, static(srv, member), remaws.IsolateOptions{})
			if _, err := iso.Apply(t.Context(), plan(t, iso, f)); err != nil {
				t.Fatal(err)
			}
			rb, err := remaws.NewRollbackIsolation(static(srv, member), remaws.RollbackOptions{})
			if err != nil {
				t.Fatal(err)
			}
			srv.ResetRequests()
			if when == "before-plan" {
				srv.AutoScaling(member, region).DeleteGroup("bastion-asg")
			}
			p := plan(t, rb, f)
			if when == "before-apply" {
				srv.AutoScaling(member, region).DeleteGroup("bastion-asg")
			}
			res, err := rb.Apply(t.Context(), roundTrip(t, p))
			if err != nil {
				t.Fatal(err)
			}
			st, ok := statuses(res)["asg/bastion-asg"]
			switch {
			case when == "before-plan" && ok:
				t.Errorf("the plan re-attaches to a deleted group:\n%s", p)
			case when == "before-apply" && st != remediate.OutcomeSkipped:
				t.Errorf("asg change %q, want skipped", st)
			}
			if n := len(srv.Calls(fakeaws.ServiceAutoScaling, "AttachInstances")); n != 0 {
				t.Errorf("%d AttachInstances calls", n)
			}
			if _, err := rb.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
				t.Errorf("Plan after the rollback: %v", err)
			}
			checkDeclared(t, srv, rb.Permissions())
		})
	}
}
