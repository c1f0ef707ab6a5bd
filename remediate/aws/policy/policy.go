// Package policy renders the least-privilege IAM policies of the AWS
// remediators: the policy of the service itself (JSON, for the delegated
// administrator account) and a CloudFormation template of the member-account
// role, ready for a StackSet across an Organization.
//
// Remediators declare the IAM actions they call (remediate.Remediator's
// Permissions, gathered by remediate.Engine.Permissions); this package
// knows, for each of those actions, which resource types IAM lets a policy
// scope it to, and groups actions with the same scope into one statement:
//
//	actions := engine.Permissions()
//	doc, err := policy.Render(actions, policy.Options{AssumeRoleName: "ocsfhub-remediation"})
//	b, _ := doc.JSON()
//
// Describe and List calls, and the few actions without resource-level
// permissions (s3:PutAccountPublicAccessBlock, securityhub:BatchUpdateFindings
// for V2 findings), get Resource "*". iam:PassRole is limited to the deny-all
// instance profile's role when it is known, and to EC2 in any case.
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ErrAction is returned (wrapped) for a string that is not an IAM action.
var ErrAction = errors.New("policy: not an IAM action (service:Action)")

// Placeholders in resource patterns.
const (
	partitionVar = "{partition}"
	regionVar    = "{region}"
	accountVar   = "{account}"
)

// scope is a set of resource patterns (and conditions) shared by actions.
type scope struct {
	sid       string
	resources []string
	condition map[string]map[string][]string
}

var (
	ec2ARN = "arn:" + partitionVar + ":ec2:" + regionVar + ":" + accountVar + ":"
	iamARN = "arn:" + partitionVar + ":iam::" + accountVar + ":"

	scopeRead        = scope{sid: "Read", resources: []string{"*"}}
	scopeInstance    = scope{sid: "EC2Instance", resources: []string{ec2ARN + "instance/*"}}
	scopeInterface   = scope{sid: "EC2NetworkInterface", resources: []string{ec2ARN + "network-interface/*", ec2ARN + "security-group/*"}}
	scopeGroup       = scope{sid: "EC2SecurityGroup", resources: []string{ec2ARN + "security-group/*", ec2ARN + "security-group-rule/*"}}
	scopeCreateGroup = scope{sid: "EC2CreateSecurityGroup", resources: []string{ec2ARN + "security-group/*", ec2ARN + "vpc/*"}}
	scopeSnapshot    = scope{sid: "EC2Snapshot", resources: []string{ec2ARN + "instance/*", ec2ARN + "volume/*",
		"arn:" + partitionVar + ":ec2:" + regionVar + "::snapshot/*"}}
	scopeTags = scope{sid: "EC2Tags", resources: []string{ec2ARN + "instance/*", ec2ARN + "security-group/*",
		"arn:" + partitionVar + ":ec2:" + regionVar + "::snapshot/*"}}
	scopeASG    = scope{sid: "AutoScalingGroup", resources: []string{"arn:" + partitionVar + ":autoscaling:" + regionVar + ":" + accountVar + ":autoScalingGroup:*:autoScalingGroupName/*"}}
	scopeTarget = scope{sid: "TargetGroup", resources: []string{"arn:" + partitionVar + ":elasticloadbalancing:" + regionVar + ":" + accountVar + ":targetgroup/*/*"}}
	scopeUser   = scope{sid: "IAMUser", resources: []string{iamARN + "user/*"}}
	scopeRole   = scope{sid: "IAMRole", resources: []string{iamARN + "role/*"}}
	scopeBucket = scope{sid: "S3Bucket", resources: []string{"arn:" + partitionVar + ":s3:::*"}}
	// Actions without resource-level permissions.
	scopeAny = scope{sid: "NoResourceLevel", resources: []string{"*"}}
)

// actionScopes maps the actions the remediators call to their scope.
var actionScopes = map[string]scope{
	"ec2:DescribeInstances":                      scopeRead,
	"ec2:DescribeInstanceAttribute":              scopeRead,
	"ec2:DescribeNetworkInterfaces":              scopeRead,
	"ec2:DescribeSecurityGroups":                 scopeRead,
	"ec2:DescribeSecurityGroupRules":             scopeRead,
	"ec2:DescribeVpcs":                           scopeRead,
	"ec2:DescribeSnapshots":                      scopeRead,
	"ec2:DescribeIamInstanceProfileAssociations": scopeRead,
	"ec2:DescribeTags":                           scopeRead,
	"autoscaling:DescribeAutoScalingInstances":   scopeRead,
	"autoscaling:DescribeAutoScalingGroups":      scopeRead,
	"elasticloadbalancing:DescribeTargetGroups":  scopeRead,
	"elasticloadbalancing:DescribeTargetHealth":  scopeRead,
	"sts:GetCallerIdentity":                      scopeRead,

	"ec2:ModifyInstanceAttribute":              scopeInstance,
	"ec2:ReplaceIamInstanceProfileAssociation": scopeInstance,
	"ec2:AssociateIamInstanceProfile":          scopeInstance,
	"ec2:DisassociateIamInstanceProfile":       scopeInstance,
	"ec2:ModifyNetworkInterfaceAttribute":      scopeInterface,
	"ec2:CreateSecurityGroup":                  scopeCreateGroup,
	"ec2:AuthorizeSecurityGroupIngress":        scopeGroup,
	"ec2:AuthorizeSecurityGroupEgress":         scopeGroup,
	"ec2:RevokeSecurityGroupIngress":           scopeGroup,
	"ec2:RevokeSecurityGroupEgress":            scopeGroup,
	"ec2:DeleteSecurityGroup":                  scopeGroup,
	"ec2:CreateSnapshots":                      scopeSnapshot,
	"ec2:CreateTags":                           scopeTags,
	"ec2:DeleteTags":                           scopeTags,

	"autoscaling:DetachInstances": scopeASG,
	"autoscaling:AttachInstances": scopeASG,
	"autoscaling:EnterStandby":    scopeASG,
	"autoscaling:ExitStandby":     scopeASG,

	"elasticloadbalancing:DeregisterTargets": scopeTarget,
	"elasticloadbalancing:RegisterTargets":   scopeTarget,

	"iam:GetAccessKeyLastUsed": scopeUser,
	"iam:ListAccessKeys":       scopeUser,
	"iam:UpdateAccessKey":      scopeUser,
	"iam:GetUserPolicy":        scopeUser,
	"iam:PutUserPolicy":        scopeUser,
	"iam:GetLoginProfile":      scopeUser,
	"iam:DeleteLoginProfile":   scopeUser,
	"iam:ListUserTags":         scopeUser,
	"iam:GetRolePolicy":        scopeRole,
	"iam:PutRolePolicy":        scopeRole,
	"iam:ListRoleTags":         scopeRole,

	"s3:GetBucketPublicAccessBlock": scopeBucket,
	"s3:PutBucketPublicAccessBlock": scopeBucket,
	"s3:GetBucketTagging":           scopeBucket,

	"s3:GetAccountPublicAccessBlock":  scopeAny,
	"s3:PutAccountPublicAccessBlock":  scopeAny,
	"securityhub:BatchUpdateFindings": scopeAny,
}

// Options configure rendering.
type Options struct {
	// Partition is the ARN partition (default "aws").
	Partition string
	// Accounts are the accounts resources may be in (default "*", any).
	// The member template uses the stack's own account.
	Accounts []string
	// Regions are the Regions resources may be in (default "*").
	Regions []string
	// PassRoles are the role ARNs iam:PassRole may pass (the deny-all
	// instance profile's role). Default: any role of the accounts; either
	// way only to ec2.amazonaws.com.
	PassRoles []string
	// AssumeRoleName, when set, adds sts:AssumeRole on the member role of
	// that name in the accounts (for the service's own policy).
	AssumeRoleName string
	// AssumeRolePath is the member role's path (default "/").
	AssumeRolePath string
}

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a [Document].
type Statement struct {
	Sid       string                         `json:"Sid,omitempty"`
	Effect    string                         `json:"Effect"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// JSON returns the document indented, deterministic and ending in a
// newline.
func (d *Document) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Actions returns every action of the document, sorted.
func (d *Document) Actions() []string {
	var out []string
	for _, s := range d.Statement {
		out = append(out, s.Action...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

var actionRE = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9*]+$`)

// Render returns the least-privilege policy allowing actions: one statement
// per resource scope, actions and resources sorted. Actions this package
// does not know are allowed on "*" (in a statement of their own, Sid
// "Unscoped") so that a custom remediator's policy is complete; review them.
func Render(actions []string, opts Options) (*Document, error) {
	if opts.Partition == "" {
		opts.Partition = "aws"
	}
	type group struct {
		sc      scope
		actions []string
	}
	var groups []*group
	bySid := map[string]*group{}
	add := func(sc scope, a string) {
		g, ok := bySid[sc.sid]
		if !ok {
			g = &group{sc: sc}
			bySid[sc.sid] = g
			groups = append(groups, g)
		}
		if !slices.Contains(g.actions, a) {
			g.actions = append(g.actions, a)
		}
	}
	for _, a := range actions {
		if !actionRE.MatchString(a) {
			return nil, fmt.Errorf("%w: %q", ErrAction, a)
		}
		switch sc, ok := actionScopes[a]; {
		case a == "iam:PassRole":
			add(passRoleScope(opts), a)
		case ok:
			add(sc, a)
		default:
			add(scope{sid: "Unscoped", resources: []string{"*"}}, a)
		}
	}
	if opts.AssumeRoleName != "" {
		path := opts.AssumeRolePath
		if path == "" {
			path = "/"
		}
		add(scope{sid: "AssumeMemberRole", resources: []string{iamARN + "role" + path + opts.AssumeRoleName}}, "sts:AssumeRole")
	}
	slices.SortFunc(groups, func(a, b *group) int { return strings.Compare(a.sc.sid, b.sc.sid) })
	doc := &Document{Version: "2012-10-17"}
	for _, g := range groups {
		slices.Sort(g.actions)
		doc.Statement = append(doc.Statement, Statement{
			Sid: g.sc.sid, Effect: "Allow", Action: g.actions, Resource: expand(g.sc.resources, opts), Condition: g.sc.condition,
		})
	}
	return doc, nil
}

func passRoleScope(opts Options) scope {
	sc := scope{sid: "PassDenyAllRole", resources: []string{iamARN + "role/*"},
		condition: map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {"ec2.amazonaws.com"}}}}
	if len(opts.PassRoles) > 0 {
		sc.resources = slices.Clone(opts.PassRoles)
	}
	return sc
}

// expand fills the placeholders with every (account, region) pair.
func expand(patterns []string, opts Options) []string {
	accounts := opts.Accounts
	if len(accounts) == 0 {
		accounts = []string{"*"}
	}
	regions := opts.Regions
	if len(regions) == 0 {
		regions = []string{"*"}
	}
	var out []string
	for _, p := range patterns {
		p = strings.ReplaceAll(p, partitionVar, opts.Partition)
		for _, a := range accounts {
			pa := strings.ReplaceAll(p, accountVar, a)
			for _, r := range regions {
				out = append(out, strings.ReplaceAll(pa, regionVar, r))
				if !strings.Contains(pa, regionVar) {
					break
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
