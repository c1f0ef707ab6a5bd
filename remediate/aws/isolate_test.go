package aws_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

// bastion is the seeded state of the GuardDuty fixture's instance.
type bastion struct {
	srv                *fakeaws.Server
	web, monitor       fakeaws.SecurityGroup
	inst               fakeaws.Instance
	sshConn, httpsConn fakeaws.Connection
	tgARN              string
	profileARN         string
}

// seedBastion creates, in account acct, the bastion of the fixtures with two
// interfaces (three group memberships), an instance profile, an Auto Scaling
// group, a target group outside it, two volumes and an established tracked
// SSH connection from the attacker.
func seedBastion(t *testing.T, srv *fakeaws.Server, acct string) *bastion {
	t.Helper()
	e := srv.EC2(acct, region)
	e.AddVPC(fakeaws.VPC{ID: vpcID, CIDR: "10.20.0.0/16", IPv6CIDR: "2600:1f18:1234:5600::/56"})
	b := &bastion{srv: srv}
	// A restricted source: flows through it are tracked.
	b.web = e.AddSecurityGroup(fakeaws.SecurityGroup{ID: openSGID, Name: "bastion-legacy-sg", VPCID: vpcID,
		Ingress: []fakeaws.Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "198.51.100.0/24"}},
		Egress:  []fakeaws.Rule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"}}})
	b.monitor = e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "monitoring", VPCID: vpcID,
		Ingress: []fakeaws.Rule{{Protocol: "tcp", FromPort: 9100, ToPort: 9100, CIDRv4: "10.20.0.0/16"}}})
	iamState := srv.IAM(acct)
	iamState.AddRole(fakeaws.Role{Name: "bastion-ssm-role"})
	iamState.AddRole(fakeaws.Role{Name: "ocsfhub-deny-all"})
	prof := iamState.AddInstanceProfile(fakeaws.InstanceProfile{Name: "bastion-ssm-role", Roles: []string{"bastion-ssm-role"}})
	iamState.AddInstanceProfile(fakeaws.InstanceProfile{Name: "ocsfhub-deny-all", Roles: []string{"ocsfhub-deny-all"}})
	b.profileARN = prof.ARN
	b.inst = e.AddInstance(fakeaws.Instance{
		ID: instID, VPCID: vpcID, Tags: map[string]string{"Name": "web-bastion-01"},
		NetworkInterfaces: []fakeaws.NetworkInterface{
			{Groups: []string{b.web.ID}},
			{Groups: []string{b.web.ID, b.monitor.ID}},
		},
		Volumes: []fakeaws.Volume{
			{Device: "/dev/xvda", SizeGiB: 8, DeleteOnTermination: true},
			{Device: "/dev/xvdb", SizeGiB: 100},
		},
		IAMInstanceProfileARN: prof.ARN,
	})
	b.sshConn = e.AddConnection(instID, fakeaws.Connection{Inbound: true, Protocol: "tcp", Port: 22, Peer: "198.51.100.77"})
	b.httpsConn = e.AddConnection(instID, fakeaws.Connection{Protocol: "tcp", Port: 443, Peer: "203.0.113.9"})
	srv.AutoScaling(acct, region).AddGroup(fakeaws.AutoScalingGroup{Name: "bastion-asg", MinSize: 1, MaxSize: 2,
		Instances: []fakeaws.AutoScalingInstance{{InstanceID: instID}}})
	tg := srv.ELBv2(acct, region).AddTargetGroup(fakeaws.TargetGroup{Name: "bastion-ssh", Protocol: "TCP", Port: 22, VPCID: vpcID,
		Targets: []fakeaws.Target{{ID: instID}}})
	b.tgARN = tg.ARN
	srv.ResetRequests()
	return b
}

func (b *bastion) connections(t *testing.T, acct string) map[string]fakeaws.Connection {
	t.Helper()
	out := map[string]fakeaws.Connection{}
	inst, _ := b.srv.EC2(acct, region).Instance(instID)
	for _, ni := range inst.NetworkInterfaces {
		for _, c := range ni.Connections {
			out[c.ID] = c
		}
	}
	return out
}

func newIsolate(t *testing.T, src remaws.ConfigSource, opts remaws.IsolateOptions) *remaws.IsolateInstance {
	t.Helper()
	r, err := remaws.NewIsolateInstance(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIsolateInstanceOnTheWire(t *testing.T) {
	srv := newServer(t, fakeaws.Options{PageSize: 1}) // every list is paginated
	b := seedBastion(t, srv, member)
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	r := newIsolate(t, static(srv, member), remaws.IsolateOptions{Snapshot: true, Profile: remaws.ProfileReplace, DenyAllProfile: "ocsfhub-deny-all"})

	p := plan(t, r, f)
	eni0, eni1 := b.inst.NetworkInterfaces[0].ID, b.inst.NetworkInterfaces[1].ID
	want := []string{
		"record", "protect/termination", "protect/stop", "asg/bastion-asg", "tg/bastion-ssh/22", "snapshot",
		"isolation-group/" + vpcID, "untrack-group/" + vpcID, "eni/" + eni0, "eni/" + eni1,
		"untrack-group/" + vpcID + "/delete", "profile", "tag",
	}
	if diff := cmp.Diff(want, changeIDs(p)); diff != "" {
		t.Fatalf("plan changes (-want +got):\n%s\n%s", diff, p)
	}
	if !p.Destructive || len(p.Resources) != 1 || p.Resources[0].ARN != "arn:aws:ec2:us-east-1:111122223333:instance/"+instID {
		t.Errorf("plan resources = %+v destructive=%v", p.Resources, p.Destructive)
	}
	if got := mutating(srv); len(got) != 0 {
		t.Fatalf("Plan changed state: %v", got)
	}

	srv.ResetRequests()
	res, err := r.Apply(t.Context(), p)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if n := res.Applied(); n != len(p.Changes) {
		t.Errorf("applied %d of %d changes: %+v", n, len(p.Changes), res.Outcomes)
	}

	// Every interface carries only the isolation group, which has no rules.
	e := srv.EC2(member, region)
	iso, ok := e.SecurityGroupByName(vpcID, "ocsfhub-isolation")
	if !ok {
		t.Fatal("no isolation group")
	}
	if len(iso.Ingress)+len(iso.Egress) != 0 {
		t.Errorf("isolation group has rules: %+v %+v", iso.Ingress, iso.Egress)
	}
	if iso.Tags["ocsfhub:purpose"] != "isolation" {
		t.Errorf("isolation group tags = %v", iso.Tags)
	}
	inst, _ := e.Instance(instID)
	for _, ni := range inst.NetworkInterfaces {
		if !slices.Equal(ni.Groups, []string{iso.ID}) {
			t.Errorf("%s groups = %v, want only %s", ni.ID, ni.Groups, iso.ID)
		}
	}
	// The transient allow-all group is gone.
	if _, ok := e.SecurityGroupByName(vpcID, "ocsfhub-untrack-"+instID); ok {
		t.Error("transient allow-all group still exists")
	}
	// Tracked connections were cut, not left to time out.
	for id, c := range b.connections(t, member) {
		if c.Open {
			t.Errorf("connection %s (%s port %d) still open after isolation", id, c.Peer, c.Port)
		}
	}
	// Exact requests: per interface, first the allow-all group, then the
	// isolation group; the isolation group lost its default egress rules
	// (IPv4 and IPv6 in this dual-stack VPC) by rule id.
	var seq []string
	for _, c := range srv.Calls(fakeaws.ServiceEC2, "ModifyNetworkInterfaceAttribute") {
		seq = append(seq, c.Param("NetworkInterfaceId")+"->"+c.Param("SecurityGroupId.1")+c.Param("SecurityGroupId.2"))
	}
	untrack := ""
	for _, c := range srv.Calls(fakeaws.ServiceEC2, "CreateSecurityGroup") {
		if strings.HasPrefix(c.Param("GroupName"), "ocsfhub-untrack-") {
			untrack = "created"
		}
	}
	if untrack == "" {
		t.Fatal("no transient group was created")
	}
	if len(seq) != 4 || !strings.HasSuffix(seq[1], iso.ID) || !strings.HasSuffix(seq[3], iso.ID) ||
		strings.HasSuffix(seq[0], iso.ID) || strings.HasSuffix(seq[2], iso.ID) {
		t.Errorf("ModifyNetworkInterfaceAttribute sequence = %v", seq)
	}
	revokes := srv.Calls(fakeaws.ServiceEC2, "RevokeSecurityGroupEgress")
	if len(revokes) != 1 || revokes[0].Param("GroupId") != iso.ID || revokes[0].Param("SecurityGroupRuleId.1") == "" ||
		revokes[0].Param("SecurityGroupRuleId.2") == "" || revokes[0].Param("IpPermissions.1.IpProtocol") != "" {
		t.Errorf("isolation group egress revoke = %+v", revokes)
	}
	// Auto Scaling: detached without decrementing; load balancer: draining.
	if g, _ := srv.AutoScaling(member, region).Group("bastion-asg"); slices.ContainsFunc(g.Instances, func(i fakeaws.AutoScalingInstance) bool { return i.InstanceID == instID }) {
		t.Errorf("instance still in the Auto Scaling group: %+v", g.Instances)
	}
	det := srv.Calls(fakeaws.ServiceAutoScaling, "DetachInstances")
	if len(det) != 1 || det[0].Param("ShouldDecrementDesiredCapacity") != "false" {
		t.Errorf("DetachInstances = %+v", det)
	}
	tg, _ := srv.ELBv2(member, region).TargetGroup(b.tgARN)
	for _, tt := range tg.Targets {
		if tt.ID == instID && tt.State != "draining" {
			t.Errorf("target %s is %s", tt.ID, tt.State)
		}
	}
	// Protections, profile, snapshots, tags.
	if !inst.DisableAPITermination || !inst.DisableAPIStop {
		t.Errorf("protections: termination=%v stop=%v", inst.DisableAPITermination, inst.DisableAPIStop)
	}
	if !strings.HasSuffix(inst.IAMInstanceProfileARN, "/ocsfhub-deny-all") {
		t.Errorf("instance profile = %s", inst.IAMInstanceProfileARN)
	}
	ref := remediate.RefOf(f)
	snaps := 0
	for _, s := range e.Snapshots() {
		if s.Tags["ocsfhub:finding"] == ref.ID() && s.Tags["ocsfhub:instance"] == instID {
			snaps++
		}
	}
	if snaps != 2 {
		t.Errorf("%d forensic snapshots tagged with the finding id, want 2: %+v", snaps, e.Snapshots())
	}
	if inst.Tags["ocsfhub:isolation"] != "isolated" || inst.Tags["ocsfhub:plan"] != "p-test" || inst.Tags["ocsfhub:isolated-at"] == "" ||
		inst.Tags["ocsfhub:prior-groups:"+eni1] != b.web.ID+" "+b.monitor.ID || inst.Tags["ocsfhub:prior-profile"] != b.profileARN ||
		inst.Tags["ocsfhub:prior-asg"] != "detach bastion-asg" || inst.Tags["ocsfhub:prior-tg:1"] != "22 "+b.tgARN {
		t.Errorf("instance tags = %v", inst.Tags)
	}
	checkDeclared(t, srv, r.Permissions())

	// Idempotent: planning again finds nothing to do; applying again makes
	// no change and reports every change already done.
	if _, err := r.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("Plan after isolation: %v, want ErrNotApplicable", err)
	}
	srv.ResetRequests()
	res2, err := r.Apply(t.Context(), p)
	if err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if res2.Applied() != 0 || len(mutating(srv)) != 0 {
		t.Errorf("second Apply changed things: %+v %v", res2.Outcomes, mutating(srv))
	}
}

// Without the allow-all step, a no-rule group does not cut the tracked
// connection: the trap the notes describe, shown on the fake's model.
func TestIsolateKeepTrackedConnectionsLeavesTrackedFlowsOpen(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	b := seedBastion(t, srv, member)
	r := newIsolate(t, static(srv, member), remaws.IsolateOptions{KeepTrackedConnections: true})
	p := plan(t, r, fixture(t, "guardduty-ec2-unauthorized-access.json"))
	if slices.ContainsFunc(changeIDs(p), func(s string) bool { return strings.HasPrefix(s, "untrack-group/") }) {
		t.Fatalf("plan has untrack steps: %v", changeIDs(p))
	}
	if _, err := r.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	conns := b.connections(t, member)
	if !conns[b.sshConn.ID].Open {
		t.Errorf("the tracked SSH connection was cut without the untracking step; the fake no longer models tracking: %+v", conns)
	}
}

func TestIsolateStandby(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBastion(t, srv, member)
	r := newIsolate(t, static(srv, member), remaws.IsolateOptions{AutoScaling: remaws.AutoScalingStandby, KeepLoadBalancers: true, NoProtection: true})
	p := plan(t, r, fixture(t, "guardduty-ec2-unauthorized-access.json"))
	if _, err := r.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	g, _ := srv.AutoScaling(member, region).Group("bastion-asg")
	state := ""
	for _, i := range g.Instances {
		if i.InstanceID == instID {
			state = i.LifecycleState
		}
	}
	if state != "Standby" {
		t.Errorf("lifecycle state = %q, want Standby", state)
	}
	if c := srv.Calls(fakeaws.ServiceAutoScaling, "EnterStandby"); len(c) != 1 || c[0].Param("ShouldDecrementDesiredCapacity") != "false" {
		t.Errorf("EnterStandby calls = %+v", c)
	}
	checkDeclared(t, srv, r.Permissions())
}

// A failure half-way through: the second interface's change is denied once.
// Applying the same plan again completes it, reporting the finished changes
// as already done and making each change once.
func TestIsolateFailureHalfWayThenApplyAgain(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	b := seedBastion(t, srv, member)
	r := newIsolate(t, static(srv, member), remaws.IsolateOptions{})
	p := plan(t, r, fixture(t, "guardduty-ec2-unauthorized-access.json"))
	// Calls 1-2 move the first interface; call 3 is the second interface's
	// switch to the allow-all group.
	srv.Inject(fakeaws.FailOnCall(fakeaws.ServiceEC2, "ModifyNetworkInterfaceAttribute", 3, "UnauthorizedOperation"))
	_, err := r.Apply(t.Context(), p)
	var ae *remaws.Error
	if !errors.As(err, &ae) || ae.Action != "ec2:ModifyNetworkInterfaceAttribute" || ae.Code() != "UnauthorizedOperation" {
		t.Fatalf("Apply error = %v, want an *Error for ec2:ModifyNetworkInterfaceAttribute", err)
	}
	if remediate.Classify(err) != remediate.ClassPermanent {
		t.Errorf("access denied classified %v, want permanent", remediate.Classify(err))
	}
	inst, _ := srv.EC2(member, region).Instance(instID)
	if inst.Tags["ocsfhub:isolation"] != "in-progress" {
		t.Errorf("after the failure the record tag is %q, want in-progress", inst.Tags["ocsfhub:isolation"])
	}
	res, err := r.Apply(t.Context(), p)
	if err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	st := statuses(res)
	eni0, eni1 := b.inst.NetworkInterfaces[0].ID, b.inst.NetworkInterfaces[1].ID
	for id, want := range map[string]remediate.OutcomeStatus{
		"record": remediate.OutcomeAlreadyDone, "asg/bastion-asg": remediate.OutcomeAlreadyDone,
		"eni/" + eni0: remediate.OutcomeAlreadyDone, "eni/" + eni1: remediate.OutcomeApplied,
		"untrack-group/" + vpcID + "/delete": remediate.OutcomeApplied, "tag": remediate.OutcomeApplied,
	} {
		if st[id] != want {
			t.Errorf("%s: %s, want %s", id, st[id], want)
		}
	}
	// Each state change happened once over both applies.
	if n := len(srv.Calls(fakeaws.ServiceAutoScaling, "DetachInstances")); n != 1 {
		t.Errorf("DetachInstances called %d times", n)
	}
	// The recorded prior state is the original one, not the half-isolated one.
	inst, _ = srv.EC2(member, region).Instance(instID)
	if inst.Tags["ocsfhub:prior-groups:"+eni0] != b.web.ID {
		t.Errorf("prior groups of %s = %q", eni0, inst.Tags["ocsfhub:prior-groups:"+eni0])
	}
}

// Throttling is retried by the SDK and the plan completes.
func TestIsolateThrottlingIsRetried(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBastion(t, srv, member)
	r := newIsolate(t, static(srv, member), remaws.IsolateOptions{})
	p := plan(t, r, fixture(t, "guardduty-ec2-unauthorized-access.json"))
	srv.Inject(fakeaws.Throttle(fakeaws.ServiceEC2, "ModifyNetworkInterfaceAttribute", 2))
	if _, err := r.Apply(t.Context(), p); err != nil {
		t.Fatalf("Apply with throttling: %v", err)
	}
	throttled := 0
	for _, c := range srv.Calls(fakeaws.ServiceEC2, "ModifyNetworkInterfaceAttribute") {
		if c.ErrorCode == "RequestLimitExceeded" {
			throttled++
		}
	}
	if throttled != 2 {
		t.Errorf("%d throttled attempts, want 2", throttled)
	}
}

// Persistent throttling surfaces as a transient error.
func TestIsolatePersistentThrottlingIsTransient(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBastion(t, srv, member)
	r := newIsolate(t, static(srv, member), remaws.IsolateOptions{})
	p := plan(t, r, fixture(t, "guardduty-ec2-unauthorized-access.json"))
	srv.Inject(fakeaws.Fault{Service: fakeaws.ServiceEC2, Action: "CreateTags"})
	_, err := r.Apply(t.Context(), p)
	if err == nil || remediate.Classify(err) != remediate.ClassTransient {
		t.Fatalf("error %v classified %v, want transient", err, remediate.Classify(err))
	}
}

func TestIsolateNotApplicable(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBastion(t, srv, member)
	r := newIsolate(t, static(srv, member), remaws.IsolateOptions{})
	for _, name := range []string{
		"inspector-ec2-cve.json",                     // a vulnerability, not a detection
		"guardduty-iam-credential-exfiltration.json", // no instance resource
		"guardduty-runtime-new-binary.json",          // an instance that does not exist
	} {
		if _, err := r.Plan(t.Context(), fixture(t, name)); !errors.Is(err, remediate.ErrNotApplicable) {
			t.Errorf("%s: %v, want ErrNotApplicable", name, err)
		}
	}
}

// The exposure finding names the instance by ARN in uid.
func TestIsolateResolvesARNUID(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBastion(t, srv, member)
	r := newIsolate(t, static(srv, member), remaws.IsolateOptions{})
	p := plan(t, r, fixture(t, "exposure-ec2-open-to-internet.json"))
	if p.Resources[0].UID != instID {
		t.Errorf("resource = %+v", p.Resources[0])
	}
}

func TestIsolateConformance(t *testing.T) {
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	remediatetest.Run(t, func(t *testing.T) remediate.Remediator {
		srv := newServer(t, fakeaws.Options{})
		seedBastion(t, srv, member)
		// Without load balancers: detaching from the group would otherwise
		// not be the only way the target leaves; keep each change independent.
		return newIsolate(t, static(srv, member), remaws.IsolateOptions{Snapshot: true, Profile: remaws.ProfileRemove})
	}, remediatetest.Case{
		Name:          "guardduty-ssh-brute-force",
		Finding:       f,
		NotApplicable: []ocsf.Finding{fixture(t, "inspector-ec2-cve.json"), fixture(t, "cspm-s3-public-access.json")},
	})
}

// If the switch to the isolation group fails after the switch to the
// allow-all group, the interface goes back to its own groups: it is never
// left open to the world.
func TestIsolateNeverLeavesInterfaceOpen(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	b := seedBastion(t, srv, member)
	r := newIsolate(t, static(srv, member), remaws.IsolateOptions{})
	p := plan(t, r, fixture(t, "guardduty-ec2-unauthorized-access.json"))
	// Call 1 moves the first interface to the allow-all group, call 2 (to
	// the isolation group) fails.
	srv.Inject(fakeaws.FailOnCall(fakeaws.ServiceEC2, "ModifyNetworkInterfaceAttribute", 2, "UnauthorizedOperation"))
	if _, err := r.Apply(t.Context(), p); err == nil {
		t.Fatal("Apply succeeded despite the failure")
	}
	eni0 := b.inst.NetworkInterfaces[0]
	ni, _ := srv.EC2(member, region).NetworkInterface(eni0.ID)
	if !slices.Equal(ni.Groups, eni0.Groups) {
		t.Errorf("%s carries %v after the failure, want its own %v", eni0.ID, ni.Groups, eni0.Groups)
	}
	// Applying again completes the isolation.
	if _, err := r.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	iso, _ := srv.EC2(member, region).SecurityGroupByName(vpcID, "ocsfhub-isolation")
	ni, _ = srv.EC2(member, region).NetworkInterface(eni0.ID)
	if !slices.Equal(ni.Groups, []string{iso.ID}) {
		t.Errorf("after the second Apply: %v", ni.Groups)
	}
}

// An instance without room for the record tags is isolated all the same.
func TestIsolateTagLimitDoesNotBlockContainment(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	e := srv.EC2(member, region)
	e.AddVPC(fakeaws.VPC{ID: vpcID})
	web := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "web", VPCID: vpcID})
	tags := map[string]string{}
	for i := range 48 {
		tags[fmt.Sprintf("k%02d", i)] = "v"
	}
	e.AddInstance(fakeaws.Instance{ID: instID, VPCID: vpcID, SecurityGroups: []string{web.ID}, Tags: tags})
	r := newIsolate(t, static(srv, member), remaws.IsolateOptions{})
	p := plan(t, r, fixture(t, "guardduty-ec2-unauthorized-access.json"))
	res, err := r.Apply(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(res); st["record"] != remediate.OutcomeSkipped || st["tag"] != remediate.OutcomeSkipped {
		t.Errorf("outcomes %+v", res.Outcomes)
	}
	iso, _ := e.SecurityGroupByName(vpcID, "ocsfhub-isolation")
	inst, _ := e.Instance(instID)
	if !slices.Equal(inst.SecurityGroups, []string{iso.ID}) {
		t.Errorf("groups %v", inst.SecurityGroups)
	}
}

// A journaled plan is applied as made, even by a remediator configured
// since with another tag prefix: tags and snapshots are checked and written
// under the plan's prefix, so applying again changes nothing and takes no
// second set of snapshots.
func TestIsolateAppliesPlanUnderItsTagPrefix(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBastion(t, srv, member)
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	p := roundTrip(t, plan(t, newIsolate(t, static(srv, member), remaws.IsolateOptions{Snapshot: true}), f))
	later := newIsolate(t, static(srv, member), remaws.IsolateOptions{Snapshot: true, TagPrefix: "acme"})
	if _, err := later.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	res, err := later.Apply(t.Context(), roundTrip(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Applied(); n != 0 {
		t.Errorf("second Apply made %d change(s): %+v (calls %v)", n, res.Outcomes, mutating(srv))
	}
	if n := len(srv.EC2(member, region).Snapshots()); n != 2 {
		t.Errorf("%d snapshots, want one per volume (2)", n)
	}
	inst, _ := srv.EC2(member, region).Instance(instID)
	if inst.Tags["ocsfhub:isolation"] != "isolated" || inst.Tags["ocsfhub:plan"] != p.ID {
		t.Errorf("tags = %v", inst.Tags)
	}
	for k := range inst.Tags {
		if strings.HasPrefix(k, "acme:") {
			t.Errorf("tag %s written under the new prefix", k)
		}
	}
}
