package fakeaws_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
)

// BenchmarkDescribeInstances measures one SDK round trip through the fake
// (serialize, HTTP, model, XML, deserialize) with 50 instances.
func BenchmarkDescribeInstances(b *testing.B) {
	srv := newServer(b, fakeaws.Options{})
	e := srv.EC2(admin, region)
	for range 50 {
		e.AddInstance(fakeaws.Instance{})
	}
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	for b.Loop() {
		if _, err := c.DescribeInstances(b.Context(), &ec2.DescribeInstancesInput{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkModifyNetworkInterfaceAttribute measures a small write.
func BenchmarkModifyNetworkInterfaceAttribute(b *testing.B) {
	srv := newServer(b, fakeaws.Options{})
	e := srv.EC2(admin, region)
	vpc := e.AddVPC(fakeaws.VPC{})
	g := e.AddSecurityGroup(fakeaws.SecurityGroup{VPCID: vpc.ID})
	inst := e.AddInstance(fakeaws.Instance{VPCID: vpc.ID, SecurityGroups: []string{g.ID}})
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	in := &ec2.ModifyNetworkInterfaceAttributeInput{NetworkInterfaceId: aws.String(inst.NetworkInterfaces[0].ID), Groups: []string{g.ID}}
	for b.Loop() {
		if _, err := c.ModifyNetworkInterfaceAttribute(b.Context(), in); err != nil {
			b.Fatal(err)
		}
	}
}
