package fakeaws_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
)

// Swap an instance's groups for a no-rule isolation group with a real EC2
// client, then check the requests and the resulting state.
func Example() {
	ctx := context.Background()
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	e := srv.EC2("111111111111", "eu-west-1")
	vpc := e.AddVPC(fakeaws.VPC{ID: "vpc-1"})
	web := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "web", VPCID: vpc.ID,
		Ingress: []fakeaws.Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0"}}})
	iso := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "isolation", VPCID: vpc.ID})
	inst := e.AddInstance(fakeaws.Instance{VPCID: vpc.ID, SecurityGroups: []string{web.ID}})

	c := ec2.NewFromConfig(srv.AWSConfig("111111111111", "eu-west-1"))
	for _, n := range inst.NetworkInterfaces {
		if _, err := c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{
			NetworkInterfaceId: aws.String(n.ID), Groups: []string{iso.ID}}); err != nil {
			fmt.Println(err)
			return
		}
	}
	got, _ := e.Instance(inst.ID)
	g, _ := e.SecurityGroup(got.SecurityGroups[0])
	fmt.Println("groups now:", g.Name)
	req := srv.Calls(fakeaws.ServiceEC2, "ModifyNetworkInterfaceAttribute")[0]
	fmt.Println("sent SecurityGroupId.1 =", req.Param("SecurityGroupId.1") == iso.ID, "to account", req.Account)
	// Output:
	// groups now: isolation
	// sent SecurityGroupId.1 = true to account 111111111111
}

// A fresh server answers with an empty model.
func ExampleNew() {
	srv := fakeaws.New(fakeaws.Options{PageSize: 50})
	defer srv.Close()
	out, err := ec2.NewFromConfig(srv.AWSConfig("111111111111", "us-east-1")).
		DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{})
	fmt.Println(len(out.Reservations), err)
	// Output: 0 <nil>
}

// Clients built from a member-account role session act on that account.
func ExampleServer_AWSConfig() {
	ctx := context.Background()
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	srv.IAM("222222222222").AddRole(fakeaws.Role{Name: "remediation",
		Trust: &fakeaws.Trust{Principals: []string{"111111111111"}, ExternalID: "ext-1"}})
	srv.EC2("222222222222", "eu-west-1").AddInstance(fakeaws.Instance{ID: "i-0member"})

	admin := srv.AWSConfig("111111111111", "eu-west-1")
	memberCfg := admin.Copy()
	memberCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(admin),
		"arn:aws:iam::222222222222:role/remediation", func(o *stscreds.AssumeRoleOptions) { o.ExternalID = aws.String("ext-1") }))
	out, err := ec2.NewFromConfig(memberCfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(aws.ToString(out.Reservations[0].Instances[0].InstanceId))
	for _, r := range srv.Requests() {
		fmt.Println(r.Name(), "in", r.Account)
	}
	// Output:
	// i-0member
	// sts:AssumeRole in 111111111111
	// ec2:DescribeInstances in 222222222222
}

// Throttled calls are retried by the SDK; a denied call fails for good.
func ExampleServer_Inject() {
	ctx := context.Background()
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	srv.IAM("111111111111").AddAccessKey("bob", fakeaws.AccessKey{ID: "AKIAEXAMPLE"})
	srv.Inject(fakeaws.Throttle(fakeaws.ServiceIAM, "UpdateAccessKey", 1))
	srv.Inject(fakeaws.Deny(fakeaws.ServiceEC2, "CreateTags"))
	cfg := srv.AWSConfig("111111111111", "us-east-1")

	_, err := iam.NewFromConfig(cfg).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
		UserName: aws.String("bob"), AccessKeyId: aws.String("AKIAEXAMPLE"), Status: iamtypes.StatusTypeInactive})
	fmt.Println("update:", err)
	_, err = ec2.NewFromConfig(cfg).CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"i-1"},
		Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	fmt.Println("tag denied:", err != nil)
	k, _ := srv.IAM("111111111111").AccessKey("AKIAEXAMPLE")
	fmt.Println("key:", k.Status)
	fmt.Println(srv.Actions())
	// Output:
	// update: <nil>
	// tag denied: true
	// key: Inactive
	// [iam:UpdateAccessKey!Throttling iam:UpdateAccessKey ec2:CreateTags!UnauthorizedOperation]
}
