package policy_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/ocsfhub/ocsfhub/remediate/aws/policy"
)

// Render the policy of a service that only revokes open ports in member
// accounts and writes findings back.
func ExampleRender() {
	doc, err := policy.Render([]string{
		"ec2:DescribeSecurityGroupRules", "ec2:RevokeSecurityGroupIngress", "securityhub:BatchUpdateFindings",
	}, policy.Options{AssumeRoleName: "ocsfhub-remediation"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range doc.Statement {
		fmt.Println(s.Sid, s.Action, s.Resource)
	}
	// Output:
	// AssumeMemberRole [sts:AssumeRole] [arn:aws:iam::*:role/ocsfhub-remediation]
	// EC2SecurityGroup [ec2:RevokeSecurityGroupIngress] [arn:aws:ec2:*:*:security-group-rule/* arn:aws:ec2:*:*:security-group/*]
	// NoResourceLevel [securityhub:BatchUpdateFindings] [*]
	// Read [ec2:DescribeSecurityGroupRules] [*]
}

// Write the member-account role template for a StackSet.
func ExampleWriteMemberTemplate() {
	var b strings.Builder
	err := policy.WriteMemberTemplate(&b, policy.MemberOptions{
		Actions:                []string{"iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:GetAccessKeyLastUsed"},
		AdministratorAccountID: "999988887777",
		RoleRegion:             "us-east-1",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "-") && (strings.Contains(l, "iam:") || strings.Contains(l, "sts:")) || strings.Contains(l, "sts:ExternalId:") {
			fmt.Println(strings.TrimSpace(l))
		}
	}
	// Output:
	// - !Sub arn:${AWS::Partition}:iam::${AdministratorAccountId}:root
	// - sts:AssumeRole
	// sts:ExternalId: !Ref ExternalId
	// - iam:GetAccessKeyLastUsed
	// - iam:ListAccessKeys
	// - iam:UpdateAccessKey
	// - !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*
}
