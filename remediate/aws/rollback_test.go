package aws_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

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

// recordingASG is a hand-written Auto Scaling fake for the one call the fake
// server does not implement (AttachInstances); EC2 and ELBv2 stay on the
// wire.
type recordingASG struct {
	mu       sync.Mutex
	attached []string
	inner    remaws.RollbackAutoScalingAPI
}

func (a *recordingASG) DescribeAutoScalingInstances(ctx context.Context, in *autoscaling.DescribeAutoScalingInstancesInput, o ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingInstancesOutput, error) {
	return a.inner.DescribeAutoScalingInstances(ctx, in, o...)
}

func (a *recordingASG) AttachInstances(_ context.Context, in *autoscaling.AttachInstancesInput, _ ...func(*autoscaling.Options)) (*autoscaling.AttachInstancesOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.attached = append(a.attached, *in.AutoScalingGroupName+"/"+strings.Join(in.InstanceIds, ","))
	return &autoscaling.AttachInstancesOutput{}, nil
}

func (a *recordingASG) ExitStandby(ctx context.Context, in *autoscaling.ExitStandbyInput, o ...func(*autoscaling.Options)) (*autoscaling.ExitStandbyOutput, error) {
	return a.inner.ExitStandby(ctx, in, o...)
}

func TestRollbackAfterDetachAttachesBack(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBastion(t, srv, member)
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	iso := newIsolate(t, static(srv, member), remaws.IsolateOptions{})
	if _, err := iso.Apply(t.Context(), plan(t, iso, f)); err != nil {
		t.Fatal(err)
	}
	cfg := srv.AWSConfig(member, region)
	asg := &recordingASG{inner: autoscaling.NewFromConfig(cfg)}
	rb, err := remaws.NewRollbackIsolation(nil, remaws.RollbackOptions{Clients: func(ctx context.Context, _ remaws.Target) (remaws.RollbackClients, error) {
		return remaws.RollbackClients{EC2: ec2.NewFromConfig(cfg), AutoScaling: asg, ELBv2: elbv2.NewFromConfig(cfg)}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := plan(t, rb, f)
	if _, err := rb.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asg.attached, []string{"bastion-asg/" + instID}) {
		t.Errorf("AttachInstances calls = %v", asg.attached)
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
