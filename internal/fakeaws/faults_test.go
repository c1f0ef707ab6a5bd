package fakeaws_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
)

func TestThrottlingIsRetried(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	srv.EC2(admin, region).AddInstance(fakeaws.Instance{})
	srv.Inject(fakeaws.Throttle(fakeaws.ServiceEC2, "DescribeInstances", 2))
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	_, err := c.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{})
	must(t, err)
	want := []string{"ec2:DescribeInstances!RequestLimitExceeded", "ec2:DescribeInstances!RequestLimitExceeded", "ec2:DescribeInstances"}
	if diff := cmp.Diff([]string{"ec2:DescribeInstances"}, srv.IAMActions()); diff != "" {
		t.Errorf("IAM actions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, srv.Actions()); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	calls := srv.Calls(fakeaws.ServiceEC2, "DescribeInstances")
	if !calls[0].Injected || calls[0].Status != 503 || !calls[2].Succeeded() {
		t.Errorf("calls = %+v", calls)
	}

	// More throttles than attempts: the SDK gives up with the code.
	srv.ResetRequests()
	srv.Inject(fakeaws.Throttle(fakeaws.ServiceIAM, "ListAccessKeys", 5))
	_, err = iam.NewFromConfig(srv.AWSConfig(admin, region)).ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("x")})
	wantCode(t, err, "Throttling")
	var maxErr *retry.MaxAttemptsError
	if !errors.As(err, &maxErr) || maxErr.Attempt != 3 {
		t.Errorf("error = %v, want MaxAttemptsError after 3 attempts", err)
	}
}

func TestFailureHalfWayThroughAPlan(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e := srv.EC2(admin, region)
	vpc := e.AddVPC(fakeaws.VPC{})
	web := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "web", VPCID: vpc.ID})
	iso := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "iso", VPCID: vpc.ID})
	inst := e.AddInstance(fakeaws.Instance{VPCID: vpc.ID, NetworkInterfaces: []fakeaws.NetworkInterface{
		{Groups: []string{web.ID}}, {Groups: []string{web.ID}}, {Groups: []string{web.ID}}}})
	srv.Inject(fakeaws.FailOnCall(fakeaws.ServiceEC2, "ModifyNetworkInterfaceAttribute", 2, ""))
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))

	apply := func() error {
		for _, n := range inst.NetworkInterfaces {
			cur, _ := e.NetworkInterface(n.ID)
			if cmp.Equal(cur.Groups, []string{iso.ID}) {
				continue // idempotent: already done
			}
			if _, err := c.ModifyNetworkInterfaceAttribute(t.Context(), &ec2.ModifyNetworkInterfaceAttributeInput{
				NetworkInterfaceId: aws.String(n.ID), Groups: []string{iso.ID}}); err != nil {
				return err
			}
		}
		return nil
	}
	err := apply()
	wantCode(t, err, "UnauthorizedOperation")
	done := 0
	for _, n := range inst.NetworkInterfaces {
		if cur, _ := e.NetworkInterface(n.ID); cmp.Equal(cur.Groups, []string{iso.ID}) {
			done++
		}
	}
	if done != 1 {
		t.Fatalf("%d interfaces isolated after the failure, want 1", done)
	}
	must(t, apply())
	if got, _ := e.Instance(inst.ID); !cmp.Equal(got.SecurityGroups, []string{iso.ID}) {
		t.Errorf("groups after re-apply = %v", got.SecurityGroups)
	}
	if n := len(srv.Calls(fakeaws.ServiceEC2, "ModifyNetworkInterfaceAttribute")); n != 4 {
		t.Errorf("%d calls, want 4 (ok, denied, then the two remaining)", n)
	}
}

func TestFaultScopes(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	srv.Inject(fakeaws.Fault{Service: fakeaws.ServiceEC2, Account: member, Code: "InternalError", Times: 1})
	srv.Inject(fakeaws.Fault{Service: fakeaws.ServiceEC2, Action: "DescribeVolumes", Region: "us-east-1", Code: "Blocked", Status: 403})
	ctx := t.Context()
	// Not the faulted account: passes.
	_, err := ec2.NewFromConfig(srv.AWSConfig(admin, region)).DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	must(t, err)
	// The faulted account: one 500, retried by the SDK.
	_, err = ec2.NewFromConfig(srv.AWSConfig(member, region)).DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	must(t, err)
	// The faulted region: permanent, with the given status.
	_, err = ec2.NewFromConfig(srv.AWSConfig(admin, "us-east-1")).DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	wantCode(t, err, "Blocked")
	want := []string{"ec2:DescribeVolumes", "ec2:DescribeVolumes!InternalError", "ec2:DescribeVolumes", "ec2:DescribeVolumes!Blocked"}
	if diff := cmp.Diff(want, srv.Actions()); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	// Unknown operations say so.
	_, err = ec2.NewFromConfig(srv.AWSConfig(admin, region)).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	wantCode(t, err, "InvalidAction")
}
