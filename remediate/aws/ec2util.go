package aws

import (
	"context"
	"slices"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Single-call interfaces the shared helpers take; the exported per-action
// interfaces list the same methods.
type (
	describeInstancesAPI interface {
		DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	}
	describeGroupsAPI interface {
		DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	}
	describeRulesAPI interface {
		DescribeSecurityGroupRules(context.Context, *ec2.DescribeSecurityGroupRulesInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupRulesOutput, error)
	}
	describeInterfacesAPI interface {
		DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	}
	describeAssociationsAPI interface {
		DescribeIamInstanceProfileAssociations(context.Context, *ec2.DescribeIamInstanceProfileAssociationsInput, ...func(*ec2.Options)) (*ec2.DescribeIamInstanceProfileAssociationsOutput, error)
	}
)

// describeInstance returns the instance, or nil when it does not exist.
func describeInstance(ctx context.Context, c describeInstancesAPI, id string) (*ec2types.Instance, error) {
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			if isCode(err, "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed") {
				return nil, nil
			}
			return nil, wrap("ec2:DescribeInstances", id, err)
		}
		for _, r := range out.Reservations {
			for i := range r.Instances {
				if awssdk.ToString(r.Instances[i].InstanceId) == id {
					return &r.Instances[i], nil
				}
			}
		}
	}
	return nil, nil
}

// findGroup returns the security group named name in a VPC, or nil.
func findGroup(ctx context.Context, c describeGroupsAPI, vpc, name string) (*ec2types.SecurityGroup, error) {
	out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: awssdk.String("vpc-id"), Values: []string{vpc}},
		{Name: awssdk.String("group-name"), Values: []string{name}},
	}})
	if err != nil {
		return nil, wrap("ec2:DescribeSecurityGroups", vpc+"/"+name, err)
	}
	for i := range out.SecurityGroups {
		if awssdk.ToString(out.SecurityGroups[i].GroupName) == name {
			return &out.SecurityGroups[i], nil
		}
	}
	return nil, nil
}

// groupRules returns every rule of a security group, following pages.
func groupRules(ctx context.Context, c describeRulesAPI, groupID string) ([]ec2types.SecurityGroupRule, error) {
	p := ec2.NewDescribeSecurityGroupRulesPaginator(c, &ec2.DescribeSecurityGroupRulesInput{
		Filters: []ec2types.Filter{{Name: awssdk.String("group-id"), Values: []string{groupID}}},
	})
	var out []ec2types.SecurityGroupRule
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("ec2:DescribeSecurityGroupRules", groupID, err)
		}
		out = append(out, page.SecurityGroupRules...)
	}
	return out, nil
}

// interfaceGroups returns the security group ids of a network interface, and
// false when the interface does not exist.
func interfaceGroups(ctx context.Context, c describeInterfacesAPI, eni string) ([]string, bool, error) {
	out, err := c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{eni}})
	if err != nil {
		if isCode(err, "InvalidNetworkInterfaceID.NotFound") {
			return nil, false, nil
		}
		return nil, false, wrap("ec2:DescribeNetworkInterfaces", eni, err)
	}
	for _, ni := range out.NetworkInterfaces {
		if awssdk.ToString(ni.NetworkInterfaceId) == eni {
			var ids []string
			for _, g := range ni.Groups {
				ids = append(ids, awssdk.ToString(g.GroupId))
			}
			return ids, true, nil
		}
	}
	return nil, false, nil
}

// profileAssociation returns the instance's associated instance profile
// association, or nil.
func profileAssociation(ctx context.Context, c describeAssociationsAPI, instanceID string) (*ec2types.IamInstanceProfileAssociation, error) {
	p := ec2.NewDescribeIamInstanceProfileAssociationsPaginator(c, &ec2.DescribeIamInstanceProfileAssociationsInput{
		Filters: []ec2types.Filter{
			{Name: awssdk.String("instance-id"), Values: []string{instanceID}},
			{Name: awssdk.String("state"), Values: []string{"associating", "associated"}},
		},
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("ec2:DescribeIamInstanceProfileAssociations", instanceID, err)
		}
		for i := range out.IamInstanceProfileAssociations {
			a := &out.IamInstanceProfileAssociations[i]
			if awssdk.ToString(a.InstanceId) == instanceID {
				return a, nil
			}
		}
	}
	return nil, nil
}

// tagMap converts EC2 tags to a map.
func tagMap(tags []ec2types.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
	}
	return m
}

// ec2Tags converts a map to EC2 tags, sorted by key.
func ec2Tags(m map[string]string) []ec2types.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]ec2types.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, ec2types.Tag{Key: awssdk.String(k), Value: awssdk.String(m[k])})
	}
	return out
}

// sameSet reports whether a and b hold the same strings, ignoring order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// profileName returns the name part of an instance profile ARN
// (arn:aws:iam::111122223333:instance-profile/path/name -> name).
func profileName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
