// Package aws holds the AWS remediators of the remediation engine
// (package remediate), the Security Hub write-back, the live tag reader and
// the multi-account client factory, all on the AWS SDK for Go v2.
//
// # Remediators
//
//   - [IsolateInstance] ("ec2-isolate"): contain a compromised EC2 instance:
//     record its prior state, enable termination and stop protection,
//     take it out of Auto Scaling and load balancers, optionally snapshot
//     its volumes and swap its instance profile, then move every network
//     interface to a no-rule isolation group through a transient allow-all
//     group, so that tracked connections are cut (the technique of AWS's
//     Automated Forensic Orchestrator for EC2).
//   - [RollbackIsolation] ("ec2-isolate-rollback"): restore what isolation
//     recorded.
//   - [RevokeOpenIngress] ("ec2-revoke-open-ingress"): revoke ingress rules
//     open to 0.0.0.0/0 or ::/0 by rule id, and verify.
//   - [RollbackRevokedIngress] ("ec2-revoke-open-ingress-rollback"):
//     authorize the revoked rules again, from the rule descriptions the
//     revoke plan recorded.
//   - [ContainCredentials] ("iam-contain-credentials"): deactivate an access
//     key, revoke sessions, delete a console password; verify each.
//   - [BlockBucketPublicAccess] ("s3-block-public-access") and
//     [BlockAccountPublicAccess] ("s3-account-block-public-access"), and
//     their rollbacks [RollbackBucketPublicAccess]
//     ("s3-block-public-access-rollback") and [RollbackAccountPublicAccess]
//     ("s3-account-block-public-access-rollback"): restore the
//     configuration the block plan recorded, or delete it when there was
//     none.
//
// The isolation keeps its prior state on the instance, so its rollback
// needs nothing else. A revoked rule or an account has nowhere to keep one:
// those rollbacks read the plan applied for the same finding from the
// engine's journal ([PlanJournal], [RegistryOptions.Journal]).
//
// Each follows the [remediate.Remediator] contract: Plan reads live state
// and lists only what is left to do (so planning again after a successful
// Apply finds nothing: ErrNotApplicable), Apply re-checks live state before
// every change and reports already-done changes as such, so applying a plan
// again after a failure half-way finishes it. Apply works from the plan
// alone, as decoded from the journal (possibly days later, in another
// process, under a changed configuration): the tag prefix of an isolation
// and the policy name of a session revocation are the plan's, and a rule is
// revoked only while it still has the properties the plan recorded. Each declares the IAM actions
// it may call (Permissions), and each action file defines the narrow client
// interfaces it calls through (IsolateEC2API, RevokeEC2API, ...), with
// compile-time checks that the SDK clients satisfy them.
//
// # Accounts and Regions
//
// Every remediator acts in the account and Region of the finding's resource
// (resources[].owner.account.uid and resources[].region, else cloud.account.uid
// and cloud.region) through a [ConfigSource]. [ClientFactory] is the one for
// an Organization: the delegated administrator's credentials in its own
// account, sts:AssumeRole into a member role elsewhere (external id, a role
// session name carrying the finding id, cached credentials):
//
//	base, _ := config.LoadDefaultConfig(ctx)
//	cf, _ := aws.NewClientFactory(base, aws.ClientFactoryOptions{
//		RoleName: "ocsfhub-remediation", ExternalID: externalID})
//	isolate, _ := aws.NewIsolateInstance(cf, aws.IsolateOptions{Snapshot: true})
//	reg := aws.Registry(cf, logger) // for remediate.LoadRules
//
// The policy subpackage renders the matching least-privilege policy and the
// member role's CloudFormation template (for a StackSet).
//
// # Errors
//
// A failed call is an [*Error] naming the IAM action and the resource,
// wrapped in a remediate.ClassError: throttling, 5xx and contention are
// transient (the engine retries), access denied, validation and "not
// found" permanent ([ClassifyError]). A call that succeeded without effect
// (read back) wraps [ErrNotRevoked]. Missing resources at plan time are
// [remediate.ErrNotApplicable]; at apply time they are skipped changes.
package aws
