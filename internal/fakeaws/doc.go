// Package fakeaws is an in-process fake of the AWS APIs the remediators
// call, speaking the real wire protocols so that unmodified aws-sdk-go-v2
// clients work against it, over a small in-memory model that tests seed and
// inspect.
//
// # Usage
//
//	srv := fakeaws.New(fakeaws.Options{})
//	t.Cleanup(srv.Close)
//	e := srv.EC2("111111111111", "eu-west-1")
//	web := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "web", VPCID: "vpc-1",
//		Ingress: []fakeaws.Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0"}}})
//	inst := e.AddInstance(fakeaws.Instance{VPCID: "vpc-1", SecurityGroups: []string{web.ID}})
//
//	cfg := srv.AWSConfig("111111111111", "eu-west-1")
//	err := remediator.Isolate(ctx, ec2.NewFromConfig(cfg), inst.ID) // code under test
//
//	got, _ := e.Instance(inst.ID)                       // the resulting state
//	calls := srv.Calls(fakeaws.ServiceEC2, "ModifyNetworkInterfaceAttribute")
//	_ = calls[0].Param("SecurityGroupId.1")              // the exact request
//
// [Server.AWSConfig] returns a config that every client accepts as is
// (ec2, iam, sts, autoscaling, elasticloadbalancingv2, s3, s3control,
// securityhub .NewFromConfig(cfg)). Multi-account code assumes roles
// through STS exactly as in production; the server maps the temporary keys
// it issues to the role's account, so each logged [Request] names the
// account whose state it touched.
//
// # Protocols and operations
//
//   - EC2 (ec2Query, 2016-11-15): DescribeInstances, DescribeInstanceAttribute,
//     ModifyInstanceAttribute (one attribute per call; groups refused for
//     multi-interface instances, as EC2 does), DescribeNetworkInterfaces,
//     ModifyNetworkInterfaceAttribute, DescribeSecurityGroups,
//     DescribeSecurityGroupRules, CreateSecurityGroup (with the default
//     allow-all egress, plus ::/0 in dual-stack VPCs), DeleteSecurityGroup,
//     Authorize/RevokeSecurityGroupIngress/Egress (by rule ids, or by
//     IpPermissions with the default-VPC "Return false +
//     UnknownIpPermissions" and non-default-VPC InvalidPermission.NotFound
//     behaviours), ModifySecurityGroupRules (in place: the rule keeps its
//     id), CreateTags, DeleteTags, DescribeTags, CreateSnapshot,
//     CreateSnapshots, DescribeSnapshots, DescribeVolumes,
//     DescribeIamInstanceProfileAssociations, AssociateIamInstanceProfile,
//     ReplaceIamInstanceProfileAssociation, DisassociateIamInstanceProfile,
//     DescribeAddresses, DisassociateAddress, DescribeVpcs,
//     StopInstances, TerminateInstances; NextToken/MaxResults pagination,
//     filters with wildcards (unsupported filter names are an error), DryRun.
//   - IAM (awsQuery, 2010-05-08): GetUser, GetRole, ListUserTags, ListRoleTags,
//     ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed,
//     GetLoginProfile, DeleteLoginProfile, Put/Get/Delete/ListUserPolicies and
//     RolePolicies (documents URL-encoded on the way out, as IAM does),
//     Attach/Detach/ListAttachedUserPolicies and RolePolicies,
//     GetInstanceProfile, ListMFADevices, DeactivateMFADevice;
//     Marker/MaxItems pagination.
//   - STS (awsQuery, 2011-06-15): AssumeRole (trust and external id checked,
//     temporary keys mapped to the role's account, expiry on the server
//     clock), GetCallerIdentity.
//   - Auto Scaling (awsQuery, 2011-01-01): DescribeAutoScalingInstances,
//     DescribeAutoScalingGroups, DetachInstances, EnterStandby, ExitStandby,
//     SetInstanceProtection (replacements launched when the desired capacity
//     is kept; target groups drained), AttachInstances (running instances of
//     no other group, in the group's zones; desired capacity grows by the
//     number attached, within the maximum size; InService at once;
//     registered in the group's target groups).
//   - ELBv2 (awsQuery, 2015-12-01): DescribeTargetGroups, DescribeTargetHealth,
//     DeregisterTargets (targets go "draining"; an id and port that are not
//     registered, such as a port-override registration deregistered without
//     its port, succeed silently and change nothing, as in AWS), RegisterTargets.
//   - S3 (REST-XML, path or virtual-hosted style): Get/Put/DeletePublicAccessBlock,
//     GetBucketPolicyStatus, GetBucketPolicy, Get/Put/DeleteBucketTagging,
//     GetBucketLocation, HeadBucket; wrong-region requests get
//     AuthorizationHeaderMalformed, other accounts' buckets AccessDenied.
//   - S3 Control (REST-XML, x-amz-account-id): Get/Put/DeletePublicAccessBlock
//     for the caller's account.
//   - Security Hub (REST-JSON): BatchUpdateFindingsV2 (PATCH
//     /findingsv2/batchupdatev2; ProcessedFindings and UnprocessedFindings,
//     validation as documented by the SDK) and GetFindingsV2 (POST
//     /findingsv2; string, number and boolean filters, sorting, pagination).
//
// Errors come in each protocol's envelope, so clients return the SDK's
// typed errors (*iamtypes.NoSuchEntityException, *shtypes.ValidationException,
// *elbtypes.TargetGroupNotFoundException...) or a smithy.APIError with the
// AWS code (EC2, S3). An operation the fake does not implement fails with
// InvalidAction (NotImplemented for S3) naming it.
//
// # Faults
//
// [Server.Inject] makes matching requests fail before they reach the model:
// [Throttle] (retried by the SDK), [Deny] (permanent), [FailOnCall] (the
// n-th call, for "failed half-way through a plan, applying again completes
// it" tests), or any [Fault]. [SecurityHub.RejectUpdates] puts findings in
// UnprocessedFindings.
//
// # Limits
//
// Signatures are not verified (only the access key id, session token and
// expiry). IAM policies are stored, validated as JSON and measured, never
// evaluated; trust is reduced to [Trust]. Security Hub does not model
// member/administrator permissions. Snapshots complete at once.
// Connection tracking follows the documented rules (see [Connection]) but
// not their timing.
package fakeaws
