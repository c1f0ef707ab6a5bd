package aws_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/smithy-go"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
)

// exampleFinding reads a fixture of the repository (examples run in the
// package directory).
func exampleFinding(name string) ocsf.Finding {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "findings", name))
	if err != nil {
		panic(err)
	}
	ev, err := ocsf.DecodeEvent(data)
	if err != nil {
		panic(err)
	}
	fs, err := ev.Findings()
	if err != nil {
		panic(err)
	}
	return fs[0]
}

// Isolate the instance of a GuardDuty finding in a member account, from the
// delegated administrator account, against the in-repo fake AWS.
func ExampleNewIsolateInstance() {
	ctx := context.Background()
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	const admin, member, region = "999988887777", "111122223333", "us-east-1"
	srv.IAM(member).AddRole(fakeaws.Role{Name: "ocsfhub-remediation",
		Trust: &fakeaws.Trust{Principals: []string{admin}, ExternalID: "ext-1234"}})
	e := srv.EC2(member, region)
	e.AddVPC(fakeaws.VPC{ID: "vpc-0123abcd4567ef890"})
	web := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "bastion", VPCID: "vpc-0123abcd4567ef890",
		Ingress: []fakeaws.Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "198.51.100.0/24"}},
		Egress:  []fakeaws.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"}}})
	e.AddInstance(fakeaws.Instance{ID: "i-0a1b2c3d4e5f67890", VPCID: "vpc-0123abcd4567ef890", SecurityGroups: []string{web.ID}})
	conn := e.AddConnection("i-0a1b2c3d4e5f67890", fakeaws.Connection{Inbound: true, Protocol: "tcp", Port: 22, Peer: "198.51.100.77"})

	cf, err := remaws.NewClientFactory(srv.AWSConfig(admin, region), remaws.ClientFactoryOptions{
		HomeAccount: admin, RoleName: "ocsfhub-remediation", ExternalID: "ext-1234"})
	if err != nil {
		fmt.Println(err)
		return
	}
	isolate, err := remaws.NewIsolateInstance(cf, remaws.IsolateOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := exampleFinding("guardduty-ec2-unauthorized-access.json")
	p, err := isolate.Plan(ctx, f)
	if err != nil {
		fmt.Println(err)
		return
	}
	p.ID, p.Remediator, p.Finding = "p-example", isolate.Name(), remediate.RefOf(f) // the engine fills these
	fmt.Print(p)
	res, err := isolate.Apply(ctx, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("applied:", res.Applied())
	inst, _ := e.Instance("i-0a1b2c3d4e5f67890")
	g, _ := e.SecurityGroup(inst.SecurityGroups[0])
	fmt.Println("groups now:", g.Name, "with", len(g.Ingress)+len(g.Egress), "rules")
	for _, c := range inst.NetworkInterfaces[0].Connections {
		fmt.Println("ssh from", c.Peer, "open:", c.Open, "(was", conn.Open, "and tracked:", conn.Tracked, ")")
	}
	fmt.Println("assumed:", srv.AssumedRoles()[0].RoleARN)
	// Output:
	// plan p-example by ec2-isolate for finding 5b1047abee40b6bb4623a89e5571e5fae6b92a8c07f3aa5c52944a4294feb904 (111122223333/us-east-1)
	//   isolate i-0a1b2c3d4e5f67890 in 111122223333/us-east-1
	//   destructive: yes
	//   1. ec2:CreateTags arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f67890: record the prior state (security groups per interface, instance profile, Auto Scaling group, target groups, protections) as tags on the instance
	//   2. ec2:ModifyInstanceAttribute arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f67890: enable termination protection (disableApiTermination)
	//   3. ec2:ModifyInstanceAttribute arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f67890: enable stop protection (disableApiStop)
	//   4. ec2:CreateSecurityGroup vpc-0123abcd4567ef890: create the isolation security group ocsfhub-isolation in vpc-0123abcd4567ef890 and revoke its default egress rule (no rules at all)
	//   5. ec2:CreateSecurityGroup vpc-0123abcd4567ef890: create the transient group ocsfhub-untrack-i-0a1b2c3d4e5f67890 allowing all traffic from and to anywhere, so the interfaces' flows become untracked
	//   6. ec2:ModifyNetworkInterfaceAttribute eni-0000000fa4e000001: switch eni-0000000fa4e000001 to the allow-all group (flows become untracked), then to the isolation group only (untracked flows stop)
	//   7. ec2:DeleteSecurityGroup vpc-0123abcd4567ef890: delete the transient allow-all group ocsfhub-untrack-i-0a1b2c3d4e5f67890
	//   8. ec2:CreateTags arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f67890: tag the instance ocsfhub:isolation=isolated
	// applied: 8
	// groups now: ocsfhub-isolation with 0 rules
	// ssh from 198.51.100.77 open: false (was true and tracked: true )
	// assumed: arn:aws:iam::111122223333:role/ocsfhub-remediation
}

// Write a finding's status back to the OCSF Security Hub.
func ExampleNewStatusWriter() {
	ctx := context.Background()
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	f := exampleFinding("guardduty-ec2-unauthorized-access.json")
	raw, _ := f.MarshalJSON()
	hub := srv.SecurityHub("999988887777", "us-east-1")
	hub.AddFinding(raw)

	w, err := remaws.NewStatusWriter(securityhub.NewFromConfig(srv.AWSConfig("999988887777", "us-east-1")), remaws.StatusWriterOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = w.WriteStatus(ctx, remediate.StatusUpdate{Finding: remediate.RefOf(f), StatusID: remediate.StatusResolved,
		Comment: "[ocsfhub plan=p-1] Resolved (ec2-isolate): isolated"})
	got, _ := hub.Finding(remediate.RefOf(f).MetadataUID)
	fmt.Println(err, got.Status, got.Comment)
	// Output: <nil> Resolved [ocsfhub plan=p-1] Resolved (ec2-isolate): isolated
}

// Role session names carry the finding id within STS's limits.
func ExampleSessionName() {
	fmt.Println(remaws.SessionName("ocsfhub", "arn:aws:guardduty:us-east-1:111122223333:detector/f2b3cbe41413047352141e5b863d87e6/finding/85c90e4f537bf057e77bc25db74b65e6"))
	// Output: ocsfhub-2141e5b863d87e6-finding-85c90e4f537bf057e77bc25db74b65e6
}

// Build the remediators of a rule file.
func ExampleRegistry() {
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	src := remaws.StaticConfig(srv.AWSConfig("111122223333", "us-east-1"))
	rs, err := remediate.LoadRules("rules.yaml", []byte(`
remediators:
  ec2-revoke-open-ingress: {ports: [22, 3389]}
rules:
  - name: close-admin-ports
    remediator: ec2-revoke-open-ingress
    mode: automatic
    pattern: {compliance: {control: [EC2.19]}}
`), remaws.Registry(src, nil))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := rs.Rules[0]
	fmt.Println(r.Name, r.Remediator.Name(), r.Mode, r.Remediator.Permissions())
	// Output: close-admin-ports ec2-revoke-open-ingress automatic [ec2:DescribeSecurityGroupRules ec2:RevokeSecurityGroupIngress]
}

// Classify AWS errors for the engine.
func ExampleClassifyError() {
	fmt.Println(remaws.ClassifyError(&fakeAPIError{"ScalingActivityInProgress"}))
	fmt.Println(remaws.ClassifyError(&fakeAPIError{"UnmodifiableEntity"}))
	fmt.Println(remaws.ClassifyError(&fakeAPIError{"RequestLimitExceeded"}))
	// Output:
	// transient
	// permanent
	// transient
}

type fakeAPIError struct{ code string }

func (e *fakeAPIError) Error() string                 { return "api error " + e.code }
func (e *fakeAPIError) ErrorCode() string             { return e.code }
func (e *fakeAPIError) ErrorMessage() string          { return "" }
func (e *fakeAPIError) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

// planAndApply runs a remediator on a finding as the engine would, printing
// the plan's changes and the outcomes.
func planAndApply(r remediate.Remediator, f ocsf.Finding) {
	ctx := context.Background()
	p, err := r.Plan(ctx, f)
	if err != nil {
		fmt.Println("plan:", err)
		return
	}
	p.ID, p.Remediator, p.Finding = "p-example", r.Name(), remediate.RefOf(f)
	res, err := r.Apply(ctx, p)
	if err != nil {
		fmt.Println("apply:", err)
		return
	}
	for i, o := range res.Outcomes {
		fmt.Printf("%s %s: %s\n", o.Status, p.Changes[i].Action, p.Changes[i].Description)
	}
}

// Revoke the rules of a security group open to the internet on SSH and RDP,
// keeping HTTPS and restricted sources.
func ExampleNewRevokeOpenIngress() {
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	e := srv.EC2("111122223333", "us-east-1")
	e.AddSecurityGroup(fakeaws.SecurityGroup{ID: "sg-0f1e2d3c4b5a69788", Name: "bastion", Ingress: []fakeaws.Rule{
		{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0"},
		{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRv4: "0.0.0.0/0"},
		{Protocol: "tcp", FromPort: 3389, ToPort: 3389, CIDRv4: "203.0.113.0/24"},
		{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv6: "::/0"},
	}})
	r, err := remaws.NewRevokeOpenIngress(remaws.StaticConfig(srv.AWSConfig("111122223333", "us-east-1")),
		remaws.RevokeOptions{Ports: []remaws.PortRange{remaws.Port(22), remaws.Port(3389)}})
	if err != nil {
		fmt.Println(err)
		return
	}
	planAndApply(r, exampleFinding("cspm-ec2-security-group-open.json"))
	g, _ := e.SecurityGroup("sg-0f1e2d3c4b5a69788")
	fmt.Println("rules left:", len(g.Ingress))
	// Output:
	// applied ec2:RevokeSecurityGroupIngress: revoke ingress tcp 22 from 0.0.0.0/0 on sg-0f1e2d3c4b5a69788
	// applied ec2:RevokeSecurityGroupIngress: revoke ingress all traffic from ::/0 on sg-0f1e2d3c4b5a69788
	// rules left: 2
}

// Deactivate a user's leaked access key and revoke the user's sessions.
func ExampleNewContainCredentials() {
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	srv.IAM("111122223333").AddUser(fakeaws.User{Name: "bastion-ssm-role"})
	srv.IAM("111122223333").AddRole(fakeaws.Role{Name: "bastion-ssm-role"})
	r, err := remaws.NewContainCredentials(remaws.StaticConfig(srv.AWSConfig("111122223333", "us-east-1")),
		remaws.ContainOptions{RevokeSessions: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A temporary key of an assumed role: the role's sessions are revoked.
	planAndApply(r, exampleFinding("guardduty-iam-credential-exfiltration.json"))
	role, _ := srv.IAM("111122223333").Role("bastion-ssm-role")
	_, ok := role.InlinePolicies[remaws.DefaultRevokePolicyName]
	fmt.Println("revoke policy on the role:", ok)
	// Output:
	// applied iam:PutRolePolicy: revoke every session of role bastion-ssm-role issued before now (inline deny policy AWSRevokeOlderSessions on aws:TokenIssueTime)
	// revoke policy on the role: true
}

// Block public access of a bucket and, for control S3.1, of the account.
func ExampleNewBlockBucketPublicAccess() {
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	srv.S3("111122223333").AddBucket(fakeaws.Bucket{Name: "acme-customer-exports-111122223333", Region: "us-east-1"})
	src := remaws.StaticConfig(srv.AWSConfig("111122223333", "us-east-1"))
	bucket, _ := remaws.NewBlockBucketPublicAccess(src, remaws.PublicAccessOptions{})
	account, _ := remaws.NewBlockAccountPublicAccess(src, remaws.PublicAccessOptions{})
	planAndApply(bucket, exampleFinding("cspm-s3-public-access.json"))
	planAndApply(account, exampleFinding("cspm-s3-account-public-access.json"))
	planAndApply(account, exampleFinding("cspm-s3-public-access.json"))
	// Output:
	// applied s3:PutBucketPublicAccessBlock: turn on all four Block Public Access settings of bucket acme-customer-exports-111122223333
	// applied s3:PutAccountPublicAccessBlock: turn on all four account-level Block Public Access settings of 111122223333
	// plan: s3-account-block-public-access: control "S3.8" is not one of [S3.1]: remediate: finding does not apply
}

// Undo an isolation from the state recorded on the instance.
func ExampleNewRollbackIsolation() {
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	e := srv.EC2("111122223333", "us-east-1")
	web := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "web"})
	e.AddInstance(fakeaws.Instance{ID: "i-0a1b2c3d4e5f67890", SecurityGroups: []string{web.ID}})
	src := remaws.StaticConfig(srv.AWSConfig("111122223333", "us-east-1"))
	f := exampleFinding("guardduty-ec2-unauthorized-access.json")
	isolate, _ := remaws.NewIsolateInstance(src, remaws.IsolateOptions{KeepTrackedConnections: true, NoProtection: true})
	rollback, _ := remaws.NewRollbackIsolation(src, remaws.RollbackOptions{})
	ctx := context.Background()
	p, _ := isolate.Plan(ctx, f)
	if _, err := isolate.Apply(ctx, p); err != nil {
		fmt.Println(err)
		return
	}
	planAndApply(rollback, f)
	inst, _ := e.Instance("i-0a1b2c3d4e5f67890")
	fmt.Println("groups:", inst.SecurityGroups[0] == web.ID, "tags:", len(inst.Tags))
	// Output:
	// applied ec2:ModifyNetworkInterfaceAttribute: restore the security groups of eni-0000000fa4e000001: sg-0000000fa4e000001
	// applied ec2:DeleteTags: remove the isolation tags (7)
	// groups: true tags: 0
}

// exampleEngine applies r to f through an engine on a store in dir, as the
// service does, and returns the store: the journal rollbacks read.
func exampleEngine(dir string, r remediate.Remediator, f ocsf.Finding) (*boltstore.Store, error) {
	ctx := context.Background()
	store, err := boltstore.Open(filepath.Join(dir, "remediate.db"), nil)
	if err != nil {
		return nil, err
	}
	eng, err := remediate.New(store, remediate.Options{Rules: []remediate.Rule{{Name: "forward", Remediator: r, Mode: remediate.ModeAutomatic}}})
	if err == nil {
		err = eng.Accept(ctx, nil, f)
	}
	if err == nil {
		err = eng.ProcessNext(ctx)
	}
	if err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// printOutcomes plans and applies r on f, printing each change's outcome,
// action and id.
func printOutcomes(r remediate.Remediator, f ocsf.Finding) {
	ctx := context.Background()
	p, err := r.Plan(ctx, f)
	if err != nil {
		fmt.Println("plan:", err)
		return
	}
	p.ID, p.Remediator, p.Finding = "p-example", r.Name(), remediate.RefOf(f)
	res, err := r.Apply(ctx, p)
	if err != nil {
		fmt.Println("apply:", err)
		return
	}
	for i, o := range res.Outcomes {
		fmt.Println(o.Status, p.Changes[i].Action, o.Change)
	}
}

// Undo a bucket's public access block (after a person suppressed the
// finding, say): the configuration the block plan recorded in the engine's
// journal comes back.
func ExampleNewRollbackBucketPublicAccess() {
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	s3state := srv.S3("111122223333")
	s3state.AddBucket(fakeaws.Bucket{Name: "acme-customer-exports-111122223333", Region: "us-east-1",
		PublicAccessBlock: &fakeaws.PublicAccessBlock{BlockPublicAcls: true}})
	src := remaws.StaticConfig(srv.AWSConfig("111122223333", "us-east-1"))
	f := exampleFinding("cspm-s3-public-access.json")

	dir, err := os.MkdirTemp("", "ocsfhub-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	block, _ := remaws.NewBlockBucketPublicAccess(src, remaws.PublicAccessOptions{})
	store, err := exampleEngine(dir, block, f)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	b, _ := s3state.Bucket("acme-customer-exports-111122223333")
	fmt.Printf("blocked: %+v\n", *b.PublicAccessBlock)

	rollback, err := remaws.NewRollbackBucketPublicAccess(src, store, remaws.PublicAccessRollbackOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	printOutcomes(rollback, f)
	b, _ = s3state.Bucket("acme-customer-exports-111122223333")
	fmt.Printf("restored: %+v\n", *b.PublicAccessBlock)
	// Output:
	// blocked: {BlockPublicAcls:true IgnorePublicAcls:true BlockPublicPolicy:true RestrictPublicBuckets:true}
	// applied s3:PutBucketPublicAccessBlock restore/acme-customer-exports-111122223333
	// restored: {BlockPublicAcls:true IgnorePublicAcls:false BlockPublicPolicy:false RestrictPublicBuckets:false}
}

// Undo an account-level block: the account had none, so it is deleted.
func ExampleNewRollbackAccountPublicAccess() {
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	src := remaws.StaticConfig(srv.AWSConfig("111122223333", "us-east-1"))
	f := exampleFinding("cspm-s3-account-public-access.json")
	dir, err := os.MkdirTemp("", "ocsfhub-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	block, _ := remaws.NewBlockAccountPublicAccess(src, remaws.PublicAccessOptions{})
	store, err := exampleEngine(dir, block, f)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	rollback, _ := remaws.NewRollbackAccountPublicAccess(src, store, remaws.PublicAccessRollbackOptions{})
	printOutcomes(rollback, f)
	_, ok := srv.S3("111122223333").AccountPublicAccessBlock()
	fmt.Println("account-level configuration:", ok)
	// Output:
	// applied s3:PutAccountPublicAccessBlock restore-account/111122223333
	// account-level configuration: false
}

// Authorize again the rules a revocation removed, from the descriptions its
// plan recorded in the engine's journal.
func ExampleNewRollbackRevokedIngress() {
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	e := srv.EC2("111122223333", "us-east-1")
	e.AddSecurityGroup(fakeaws.SecurityGroup{ID: "sg-0f1e2d3c4b5a69788", Name: "bastion", Ingress: []fakeaws.Rule{
		{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0", Description: "ssh for the vendor"},
		{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRv4: "10.0.0.0/8"},
	}})
	src := remaws.StaticConfig(srv.AWSConfig("111122223333", "us-east-1"))
	f := exampleFinding("cspm-ec2-security-group-open.json")
	dir, err := os.MkdirTemp("", "ocsfhub-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	revoke, _ := remaws.NewRevokeOpenIngress(src, remaws.RevokeOptions{})
	store, err := exampleEngine(dir, revoke, f)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	rollback, _ := remaws.NewRollbackRevokedIngress(src, store, remaws.RevokeRollbackOptions{})
	printOutcomes(rollback, f)
	g, _ := e.SecurityGroup("sg-0f1e2d3c4b5a69788")
	for _, r := range g.Ingress {
		fmt.Printf("%s %d from %s %q\n", r.Protocol, r.FromPort, r.CIDRv4, r.Description)
	}
	// Output:
	// applied ec2:AuthorizeSecurityGroupIngress authorize/sgr-0000000fa4e000001
	// tcp 443 from 10.0.0.0/8 ""
	// tcp 22 from 0.0.0.0/0 "ssh for the vendor"
}

// Read live tags for the engine's tag exclusions.
func ExampleNewTagReader() {
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	srv.EC2("111122223333", "us-east-1").AddInstance(fakeaws.Instance{ID: "i-0a1b2c3d4e5f67890", Tags: map[string]string{"ocsfhub:exclude": "yes"}})
	tr, _ := remaws.NewTagReader(remaws.StaticConfig(srv.AWSConfig("111122223333", "us-east-1")))
	tags, err := tr.Tags(context.Background(), remediate.Resource{Type: "AWS::EC2::Instance", UID: "i-0a1b2c3d4e5f67890",
		Region: "us-east-1", AccountUID: "111122223333"})
	fmt.Println(tags, err)
	// Output: map[ocsfhub:exclude:yes] <nil>
}

// Configure credentials for an Organization: the delegated administrator's
// own credentials at home, the member role elsewhere.
func ExampleNewClientFactory() {
	srv := fakeaws.New(fakeaws.Options{})
	defer srv.Close()
	srv.IAM("111122223333").AddRole(fakeaws.Role{Name: "ocsfhub-remediation",
		Trust: &fakeaws.Trust{Principals: []string{"999988887777"}, ExternalID: "ext-1234"}})
	cf, err := remaws.NewClientFactory(srv.AWSConfig("999988887777", "us-east-1"), remaws.ClientFactoryOptions{
		HomeAccount: "999988887777", RoleName: "ocsfhub-remediation", ExternalID: "ext-1234"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	for _, acct := range []string{"999988887777", "111122223333"} {
		if _, err := cf.Config(ctx, remaws.Target{Account: acct, Region: "eu-west-1", Session: "finding/85c90e4f"}); err != nil {
			fmt.Println(err)
		}
	}
	for _, a := range srv.AssumedRoles() {
		fmt.Println(a.RoleARN, a.SessionName)
	}
	// Output: arn:aws:iam::111122223333:role/ocsfhub-remediation ocsfhub-finding-85c90e4f
}
