package policy

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	cfn "github.com/ocsfhub/ocsfhub/eventbridge/cloudformation"
)

// MemberOptions configure [MemberTemplate].
type MemberOptions struct {
	// Actions are the IAM actions the role allows (the engine's
	// Permissions).
	Actions []string
	// RoleName is the member role's name (default "ocsfhub-remediation");
	// the service's ClientFactoryOptions.RoleName must match.
	RoleName string
	// AdministratorAccountID, when set, is the default of the
	// AdministratorAccountId parameter (the delegated administrator account
	// the service runs in, the only principal the role trusts).
	AdministratorAccountID string
	// RoleRegion, when set, is the default of the RoleRegion parameter: the
	// one Region of each account where the (global) IAM resources are
	// created, so a StackSet deployed to several Regions creates them once.
	RoleRegion string
	// DenyAllProfile, when set, also creates an instance profile of that
	// name whose role denies everything (for IsolateOptions.DenyAllProfile),
	// and limits iam:PassRole to that role.
	DenyAllProfile string
	// MaxSessionDuration is the role's maximum session in seconds (default
	// 3600).
	MaxSessionDuration int
	// Tags go on the roles.
	Tags map[string]string
}

var (
	nameRE    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
)

// MemberTemplate returns the CloudFormation template of the member-account
// role, for a StackSet over the Organization (service-managed permissions,
// deployed to every account and, with RoleRegion, to any Regions):
//
//   - parameters AdministratorAccountId (12 digits), ExternalId and
//     RoleRegion;
//   - the role, trusted only by the administrator account and only with
//     the external id (sts:ExternalId), with one inline policy rendered by
//     [Render] for the stack's own account (${AWS::AccountId});
//   - optionally the deny-all role and instance profile;
//   - output RoleArn.
//
// IAM resources are global: the condition InRoleRegion creates them only
// in RoleRegion.
func MemberTemplate(opts MemberOptions) (*cfn.Template, error) {
	if opts.RoleName == "" {
		opts.RoleName = "ocsfhub-remediation"
	}
	if !nameRE.MatchString(opts.RoleName) {
		return nil, fmt.Errorf("policy: invalid role name %q", opts.RoleName)
	}
	if opts.AdministratorAccountID != "" && !accountRE.MatchString(opts.AdministratorAccountID) {
		return nil, fmt.Errorf("policy: administrator account %q is not 12 digits", opts.AdministratorAccountID)
	}
	if opts.RoleRegion != "" && !regionRE.MatchString(opts.RoleRegion) {
		return nil, fmt.Errorf("policy: invalid Region %q", opts.RoleRegion)
	}
	if opts.DenyAllProfile != "" && !nameRE.MatchString(opts.DenyAllProfile) {
		return nil, fmt.Errorf("policy: invalid instance profile name %q", opts.DenyAllProfile)
	}
	if opts.MaxSessionDuration == 0 {
		opts.MaxSessionDuration = 3600
	}
	if opts.MaxSessionDuration < 3600 || opts.MaxSessionDuration > 43200 {
		return nil, fmt.Errorf("policy: MaxSessionDuration %d outside 3600..43200", opts.MaxSessionDuration)
	}
	ro := Options{Partition: "${AWS::Partition}", Accounts: []string{"${AWS::AccountId}"}}
	if opts.DenyAllProfile != "" {
		ro.PassRoles = []string{"arn:${AWS::Partition}:iam::${AWS::AccountId}:role/" + opts.DenyAllProfile}
	}
	doc, err := Render(opts.Actions, ro)
	if err != nil {
		return nil, err
	}
	if len(doc.Statement) == 0 {
		return nil, fmt.Errorf("policy: no actions")
	}

	admin := cfn.Parameter{Name: "AdministratorAccountId", Type: "String",
		Description:    "The delegated administrator account where ocsfhub runs; the only account trusted to assume the role.",
		AllowedPattern: `^[0-9]{12}$`, ConstraintDescription: "a 12-digit AWS account id"}
	if opts.AdministratorAccountID != "" {
		admin.Default = cfn.Str(opts.AdministratorAccountID)
	}
	minExt, maxExt := 2, 1224
	ext := cfn.Parameter{Name: "ExternalId", Type: "String",
		Description:    "The external id ocsfhub sends with sts:AssumeRole (ClientFactoryOptions.ExternalID).",
		AllowedPattern: `^[\w+=,.@:/-]+$`, MinLength: &minExt, MaxLength: &maxExt}
	region := cfn.Parameter{Name: "RoleRegion", Type: "String",
		Description:    "The Region where the IAM resources are created (IAM is global: StackSet instances in other Regions create nothing).",
		AllowedPattern: `^[a-z]{2}(-[a-z]+)+-[0-9]$`}
	if opts.RoleRegion != "" {
		region.Default = cfn.Str(opts.RoleRegion)
	}

	var stmts []cfn.Statement
	for _, s := range doc.Statement {
		st := cfn.Statement{Sid: cfn.Str(s.Sid), Effect: cfn.Str(s.Effect)}
		for _, a := range s.Action {
			st.Action = append(st.Action, cfn.Str(a))
		}
		for _, r := range s.Resource {
			st.Resource = append(st.Resource, subOrStr(r))
		}
		if len(s.Condition) > 0 {
			st.Condition = map[string]map[string]cfn.Expr{}
			for op, kv := range s.Condition {
				st.Condition[op] = map[string]cfn.Expr{}
				for k, vs := range kv {
					if len(vs) != 1 {
						return nil, fmt.Errorf("policy: condition %s %s has %d values; the template supports one", op, k, len(vs))
					}
					st.Condition[op][k] = cfn.Str(vs[0])
				}
			}
		}
		stmts = append(stmts, st)
	}
	var tags []cfn.Tag
	for _, k := range sortedKeys(opts.Tags) {
		tags = append(tags, cfn.Tag{Key: cfn.Str(k), Value: cfn.Str(opts.Tags[k])})
	}
	role := cfn.Resource{
		LogicalID: "RemediationRole",
		Comment: "The role ocsfhub assumes in this account: trusted only by the administrator account with the external id,\n" +
			"allowed only the actions of the configured remediators, scoped to this account's resources where IAM allows.",
		Condition: "InRoleRegion",
		Properties: cfn.Role{
			RoleName:    cfn.Str(opts.RoleName),
			Description: cfn.Str("ocsfhub automated remediation (least privilege for the configured remediators)"),
			AssumeRolePolicyDocument: &cfn.PolicyDocument{Version: cfn.Str("2012-10-17"), Statement: []cfn.Statement{{
				Effect:    cfn.Str("Allow"),
				Principal: &cfn.Principal{AWS: []cfn.Expr{cfn.Sub("arn:${AWS::Partition}:iam::${AdministratorAccountId}:root")}},
				Action:    []cfn.Expr{cfn.Str("sts:AssumeRole")},
				Condition: map[string]map[string]cfn.Expr{"StringEquals": {"sts:ExternalId": cfn.Ref("ExternalId")}},
			}}},
			Policies: []cfn.InlinePolicy{{PolicyName: cfn.Str("ocsfhub-remediation"),
				PolicyDocument: &cfn.PolicyDocument{Version: cfn.Str("2012-10-17"), Statement: stmts}}},
			MaxSessionDuration: cfn.Int(opts.MaxSessionDuration),
			Tags:               tags,
		},
	}
	t := &cfn.Template{
		Description: "ocsfhub member-account remediation role (deploy with a StackSet to every member account)",
		Comment: "Generated by ocsfhub (remediate/aws/policy). Deploy as a service-managed StackSet to the Organization;\n" +
			"set RoleRegion to one Region so the global IAM resources are created once per account.",
		Parameters: []cfn.Parameter{admin, ext, region},
		Conditions: []cfn.Condition{{Name: "InRoleRegion", Expr: cfn.Equals{A: cfn.Region, B: cfn.Ref("RoleRegion")}}},
		Resources:  []cfn.Resource{role},
		Outputs: []cfn.Output{{Name: "RoleArn", Description: "The remediation role (its name is ClientFactoryOptions.RoleName of the service)",
			Value: cfn.GetAtt{Resource: "RemediationRole", Attribute: "Arn"}, Condition: "InRoleRegion"}},
	}
	if opts.DenyAllProfile != "" {
		t.Resources = append(t.Resources,
			cfn.Resource{
				LogicalID: "DenyAllRole",
				Comment:   "The role of the deny-all instance profile isolation swaps onto compromised instances.",
				Condition: "InRoleRegion",
				Properties: cfn.Role{
					RoleName:    cfn.Str(opts.DenyAllProfile),
					Description: cfn.Str("ocsfhub isolation: denies every action"),
					AssumeRolePolicyDocument: &cfn.PolicyDocument{Version: cfn.Str("2012-10-17"), Statement: []cfn.Statement{{
						Effect: cfn.Str("Allow"), Principal: &cfn.Principal{Service: []cfn.Expr{cfn.Str("ec2.amazonaws.com")}},
						Action: []cfn.Expr{cfn.Str("sts:AssumeRole")},
					}}},
					Policies: []cfn.InlinePolicy{{PolicyName: cfn.Str("deny-all"), PolicyDocument: &cfn.PolicyDocument{
						Version: cfn.Str("2012-10-17"), Statement: []cfn.Statement{{Effect: cfn.Str("Deny"),
							Action: []cfn.Expr{cfn.Str("*")}, Resource: []cfn.Expr{cfn.Str("*")}}}}}},
					Tags: tags,
				},
			},
			cfn.Resource{
				LogicalID:  "DenyAllInstanceProfile",
				Condition:  "InRoleRegion",
				Properties: instanceProfile{Name: cfn.Str(opts.DenyAllProfile), Roles: []cfn.Expr{cfn.Ref("DenyAllRole")}},
			})
	}
	return t, nil
}

// WriteMemberTemplate renders [MemberTemplate] as YAML to w.
func WriteMemberTemplate(w io.Writer, opts MemberOptions) error {
	t, err := MemberTemplate(opts)
	if err != nil {
		return err
	}
	return t.WriteYAML(w)
}

// instanceProfile is AWS::IAM::InstanceProfile.
type instanceProfile struct {
	Name  cfn.Expr   `cfn:"InstanceProfileName"`
	Roles []cfn.Expr `cfn:"Roles"`
}

// ResourceType implements cfn.Properties.
func (instanceProfile) ResourceType() string { return "AWS::IAM::InstanceProfile" }

// subOrStr renders a resource with ${...} variables as !Sub, else a plain
// string.
func subOrStr(s string) cfn.Expr {
	if strings.Contains(s, "${") {
		return cfn.Sub(s)
	}
	return cfn.Str(s)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
