package fakeaws_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
)

// seedWeb creates a VPC with a "web" group (SSH from anywhere, HTTPS from
// 10/8, all egress) and an instance with two interfaces carrying three
// flows: SSH from the internet (untracked), HTTPS from 10.9.9.9 (tracked)
// and an outbound HTTPS flow (tracked).
func seedWeb(t *testing.T, srv *fakeaws.Server) (*fakeaws.EC2, fakeaws.Instance) {
	t.Helper()
	e := srv.EC2(admin, region)
	vpc := e.AddVPC(fakeaws.VPC{ID: "vpc-0a1b2c3d", CIDR: "10.0.0.0/16"})
	web := e.AddSecurityGroup(fakeaws.SecurityGroup{ID: "sg-0web", Name: "web", VPCID: vpc.ID,
		Ingress: []fakeaws.Rule{
			{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0"},
			{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRv4: "10.0.0.0/8"},
		},
		Egress: []fakeaws.Rule{{Protocol: "-1", CIDRv4: "0.0.0.0/0"}},
	})
	inst := e.AddInstance(fakeaws.Instance{ID: "i-0123456789abcdef0", VPCID: vpc.ID, Tags: map[string]string{"Name": "web-1"},
		NetworkInterfaces: []fakeaws.NetworkInterface{
			{ID: "eni-0primary", Groups: []string{web.ID}, Connections: []fakeaws.Connection{
				{Inbound: true, Protocol: "tcp", Port: 22, Peer: "203.0.113.7"},
				{Inbound: true, Protocol: "tcp", Port: 443, Peer: "10.9.9.9"},
			}},
			{ID: "eni-0second", Groups: []string{web.ID}, Connections: []fakeaws.Connection{
				{Inbound: false, Protocol: "tcp", Port: 443, Peer: "198.51.100.1"},
			}},
		},
	})
	return e, inst
}

func openFlows(e *fakeaws.EC2, instanceID string) []string {
	inst, _ := e.Instance(instanceID)
	var out []string
	for _, n := range inst.NetworkInterfaces {
		for _, c := range n.Connections {
			if c.Open {
				out = append(out, fmt.Sprintf("%s %s:%d", n.ID, c.Peer, c.Port))
			}
		}
	}
	return out
}

// createIsolationGroup creates a group and revokes its default egress, the
// way an isolation remediator would, and returns its id.
func createIsolationGroup(t *testing.T, c *ec2.Client, vpcID string) string {
	t.Helper()
	ctx := t.Context()
	out, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("isolation"), Description: aws.String("no traffic"), VpcId: aws.String(vpcID),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup,
			Tags: []ec2types.Tag{{Key: aws.String("ocsfhub:purpose"), Value: aws.String("isolation")}}}},
	})
	must(t, err)
	rev, err := c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
		GroupId: out.GroupId,
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("-1"),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}},
	})
	must(t, err)
	if !aws.ToBool(rev.Return) || len(rev.RevokedSecurityGroupRules) != 1 {
		t.Fatalf("revoke default egress = %+v", rev)
	}
	return aws.ToString(out.GroupId)
}

func TestEC2IsolationCutsOnlyUntrackedFlowsWhenSwappedDirectly(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e, inst := seedWeb(t, srv)
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	iso := createIsolationGroup(t, c, inst.VPCID)

	for _, n := range inst.NetworkInterfaces {
		_, err := c.ModifyNetworkInterfaceAttribute(t.Context(), &ec2.ModifyNetworkInterfaceAttributeInput{
			NetworkInterfaceId: aws.String(n.ID), Groups: []string{iso}})
		must(t, err)
	}
	got := openFlows(e, inst.ID)
	want := []string{"eni-0primary 10.9.9.9:443", "eni-0second 198.51.100.1:443"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("open flows after a direct swap (-want +got):\n%s", diff)
	}
}

func TestEC2IsolationTheForensicWayCutsEveryFlow(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e, inst := seedWeb(t, srv)
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()
	iso := createIsolationGroup(t, c, inst.VPCID)

	conv, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("untrack"),
		Description: aws.String("allow all"), VpcId: aws.String(inst.VPCID)})
	must(t, err)
	auth, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: conv.GroupId,
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
	must(t, err)
	if len(auth.SecurityGroupRules) != 1 || aws.ToString(auth.SecurityGroupRules[0].SecurityGroupRuleId) == "" {
		t.Fatalf("authorize returned %+v", auth.SecurityGroupRules)
	}
	srv.ResetRequests()
	for _, n := range inst.NetworkInterfaces {
		for _, g := range []string{aws.ToString(conv.GroupId), iso} {
			_, err := c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{
				NetworkInterfaceId: aws.String(n.ID), Groups: []string{g}})
			must(t, err)
		}
	}
	if got := openFlows(e, inst.ID); len(got) != 0 {
		t.Errorf("open flows after the forensic swap = %v, want none", got)
	}
	after, _ := e.Instance(inst.ID)
	for _, n := range after.NetworkInterfaces {
		if diff := cmp.Diff([]string{iso}, n.Groups); diff != "" {
			t.Errorf("%s groups (-want +got):\n%s", n.ID, diff)
		}
	}
	g, _ := e.SecurityGroup(iso)
	if len(g.Ingress) != 0 || len(g.Egress) != 0 {
		t.Errorf("isolation group rules: ingress %v egress %v, want none", g.Ingress, g.Egress)
	}
	if g.Tags["ocsfhub:purpose"] != "isolation" {
		t.Errorf("isolation group tags = %v", g.Tags)
	}
	// The exact wire form: groups go as SecurityGroupId.N.
	calls := srv.Calls(fakeaws.ServiceEC2, "ModifyNetworkInterfaceAttribute")
	if len(calls) != 4 {
		t.Fatalf("%d ModifyNetworkInterfaceAttribute calls, want 4", len(calls))
	}
	last := calls[3]
	if last.Param("NetworkInterfaceId") != "eni-0second" || last.Param("SecurityGroupId.1") != iso || last.Param("SecurityGroupId.2") != "" {
		t.Errorf("last call params = %v", last.Params)
	}
	if last.Account != admin || last.Region != region || last.Principal != "arn:aws:sts::"+admin+":assumed-role/fakeaws/fakeaws" {
		t.Errorf("last call identity = %s %s %s", last.Account, last.Region, last.Principal)
	}
}

func TestEC2ModifyInstanceAttribute(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e, inst := seedWeb(t, srv)
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()

	_, err := c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(inst.ID), Groups: []string{"sg-0web"}})
	wantCode(t, err, "InvalidInstanceID") // two interfaces: must go per interface

	_, err = c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(inst.ID),
		DisableApiTermination: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)},
		DisableApiStop:        &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantCode(t, err, "InvalidParameterCombination") // one attribute per call

	for _, in := range []*ec2.ModifyInstanceAttributeInput{
		{InstanceId: aws.String(inst.ID), DisableApiTermination: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{InstanceId: aws.String(inst.ID), DisableApiStop: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{InstanceId: aws.String(inst.ID), BlockDeviceMappings: []ec2types.InstanceBlockDeviceMappingSpecification{{
			DeviceName: aws.String("/dev/xvda"), Ebs: &ec2types.EbsInstanceBlockDeviceSpecification{DeleteOnTermination: aws.Bool(false)}}}},
	} {
		_, err := c.ModifyInstanceAttribute(ctx, in)
		must(t, err)
	}
	got, _ := e.Instance(inst.ID)
	if !got.DisableAPITermination || !got.DisableAPIStop || got.Volumes[0].DeleteOnTermination {
		t.Errorf("instance after protection = term %v stop %v deleteOnTermination %v", got.DisableAPITermination, got.DisableAPIStop, got.Volumes[0].DeleteOnTermination)
	}
	attr, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(inst.ID),
		Attribute: ec2types.InstanceAttributeNameDisableApiTermination})
	must(t, err)
	if !aws.ToBool(attr.DisableApiTermination.Value) {
		t.Error("DescribeInstanceAttribute disableApiTermination = false")
	}
	_, err = c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{inst.ID}})
	wantCode(t, err, "OperationNotPermitted")
	_, err = c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{inst.ID}})
	wantCode(t, err, "OperationNotPermitted")
	if got, _ := e.Instance(inst.ID); got.State != "running" {
		t.Errorf("state = %s, want running", got.State)
	}

	// Groups on a single-interface instance work through ModifyInstanceAttribute.
	single := e.AddInstance(fakeaws.Instance{VPCID: inst.VPCID, SecurityGroups: []string{"sg-0web"}})
	other := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "other", VPCID: inst.VPCID})
	_, err = c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(single.ID), Groups: []string{other.ID}})
	must(t, err)
	if got, _ := e.Instance(single.ID); !cmp.Equal(got.SecurityGroups, []string{other.ID}) {
		t.Errorf("groups = %v", got.SecurityGroups)
	}
	// A group of another VPC is refused.
	foreign := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "foreign", VPCID: "vpc-0other"})
	_, err = c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{
		NetworkInterfaceId: aws.String("eni-0primary"), Groups: []string{foreign.ID}})
	wantCode(t, err, "InvalidParameter")
	_, err = c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{
		NetworkInterfaceId: aws.String("eni-0missing"), Groups: []string{other.ID}})
	wantCode(t, err, "InvalidNetworkInterfaceID.NotFound")
}

func TestEC2DescribeInstances(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e, inst := seedWeb(t, srv)
	for i := range 11 {
		env := "prod"
		if i%2 == 1 {
			env = "dev"
		}
		e.AddInstance(fakeaws.Instance{VPCID: inst.VPCID, SecurityGroups: []string{"sg-0web"}, Tags: map[string]string{"Env": env}})
	}
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()

	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{inst.ID}})
	must(t, err)
	got := out.Reservations[0].Instances[0]
	if aws.ToString(got.InstanceId) != inst.ID || len(got.NetworkInterfaces) != 2 || got.State.Name != ec2types.InstanceStateNameRunning ||
		aws.ToString(got.NetworkInterfaces[1].Groups[0].GroupName) != "web" || len(got.BlockDeviceMappings) != 1 ||
		aws.ToString(got.Tags[0].Value) != "web-1" || aws.ToInt32(got.NetworkInterfaces[1].Attachment.DeviceIndex) != 1 {
		t.Errorf("DescribeInstances = %+v", got)
	}

	var ids []string
	pages := 0
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		pages++
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				ids = append(ids, aws.ToString(i.InstanceId))
			}
		}
	}
	if pages != 3 || len(ids) != 12 {
		t.Errorf("paginated %d pages, %d instances; want 3 and 12", pages, len(ids))
	}

	f, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:Env"), Values: []string{"dev"}},
		{Name: aws.String("instance-state-name"), Values: []string{"running", "stopped"}},
	}})
	must(t, err)
	if len(f.Reservations) != 5 {
		t.Errorf("tag:Env=dev matched %d instances, want 5", len(f.Reservations))
	}

	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0000000000000dead"}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{inst.ID}, MaxResults: aws.Int32(5)})
	wantCode(t, err, "InvalidParameterCombination")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(2)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("no-such-filter"), Values: []string{"x"}}}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
}

func TestEC2ServerPageSizeForcesPagination(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{PageSize: 2})
	e, inst := seedWeb(t, srv)
	e.AddInstance(fakeaws.Instance{VPCID: inst.VPCID, SecurityGroups: []string{"sg-0web"}})
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))

	// One unpaginated call sees only the first page.
	out, err := c.DescribeNetworkInterfaces(t.Context(), &ec2.DescribeNetworkInterfacesInput{})
	must(t, err)
	if len(out.NetworkInterfaces) != 2 || out.NextToken == nil {
		t.Fatalf("first page: %d interfaces, token %v", len(out.NetworkInterfaces), out.NextToken)
	}
	var ids []string
	p := ec2.NewDescribeNetworkInterfacesPaginator(c, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{
		{Name: aws.String("attachment.instance-id"), Values: []string{inst.ID}},
		{Name: aws.String("attachment.status"), Values: []string{"attaching", "attached"}},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		must(t, err)
		for _, n := range page.NetworkInterfaces {
			ids = append(ids, aws.ToString(n.NetworkInterfaceId))
		}
	}
	if diff := cmp.Diff([]string{"eni-0primary", "eni-0second"}, ids); diff != "" {
		t.Errorf("interfaces (-want +got):\n%s", diff)
	}
}

func TestEC2RevokeSecurityGroupIngress(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e := srv.EC2(admin, region)
	def := e.AddVPC(fakeaws.VPC{ID: "vpc-0default", IsDefault: true})
	custom := e.AddVPC(fakeaws.VPC{ID: "vpc-0custom"})
	open := []fakeaws.Rule{
		{ID: "sgr-0open22", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0"},
		{ID: "sgr-0openv6", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv6: "::/0"},
		{ID: "sgr-0office", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "192.0.2.0/24"},
		{ID: "sgr-0all", Protocol: "-1", CIDRv4: "0.0.0.0/0"},
	}
	g := e.AddSecurityGroup(fakeaws.SecurityGroup{ID: "sg-0risky", VPCID: custom.ID, Ingress: open})
	gd := e.AddSecurityGroup(fakeaws.SecurityGroup{ID: "sg-0indefault", VPCID: def.ID, Ingress: open[:1]})
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()

	// Describe the rules the way a remediator selects them.
	var open4 []string
	p := ec2.NewDescribeSecurityGroupRulesPaginator(c, &ec2.DescribeSecurityGroupRulesInput{MaxResults: aws.Int32(5),
		Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{g.ID}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		for _, r := range page.SecurityGroupRules {
			if !aws.ToBool(r.IsEgress) && (aws.ToString(r.CidrIpv4) == "0.0.0.0/0" || aws.ToString(r.CidrIpv6) == "::/0") {
				open4 = append(open4, aws.ToString(r.SecurityGroupRuleId))
			}
		}
	}
	if diff := cmp.Diff([]string{"sgr-0open22", "sgr-0openv6", "sgr-0all"}, open4); diff != "" {
		t.Fatalf("open rules (-want +got):\n%s", diff)
	}

	// An unknown id fails the whole call and revokes nothing.
	_, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(g.ID),
		SecurityGroupRuleIds: []string{"sgr-0open22", "sgr-0nothere"}})
	wantCode(t, err, "InvalidSecurityGroupRuleId.NotFound")
	if got, _ := e.SecurityGroup(g.ID); len(got.Ingress) != 4 {
		t.Fatalf("a failed revoke changed the group: %v", got.Ingress)
	}

	out, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(g.ID), SecurityGroupRuleIds: open4})
	must(t, err)
	if !aws.ToBool(out.Return) || len(out.RevokedSecurityGroupRules) != 3 {
		t.Errorf("revoke by ids = return %v, %d revoked", aws.ToBool(out.Return), len(out.RevokedSecurityGroupRules))
	}
	got, _ := e.SecurityGroup(g.ID)
	if len(got.Ingress) != 1 || got.Ingress[0].ID != "sgr-0office" {
		t.Errorf("left rules = %v, want only the restricted one", got.Ingress)
	}
	if req := srv.Calls(fakeaws.ServiceEC2, "RevokeSecurityGroupIngress")[1]; req.Param("SecurityGroupRuleId.3") != "sgr-0all" {
		t.Errorf("wire params = %v", req.Params)
	}

	// By properties: a non-matching rule in a non-default VPC is an error...
	mismatch := []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(3389), ToPort: aws.Int32(3389),
		IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}
	_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(g.ID), IpPermissions: mismatch})
	wantCode(t, err, "InvalidPermission.NotFound")
	// ...and a silent success in the default VPC, which revokes nothing.
	out, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(gd.ID), IpPermissions: mismatch})
	must(t, err)
	if aws.ToBool(out.Return) || len(out.UnknownIpPermissions) != 1 || len(out.RevokedSecurityGroupRules) != 0 {
		t.Errorf("default-VPC mismatch = return %v unknown %d revoked %d", aws.ToBool(out.Return), len(out.UnknownIpPermissions), len(out.RevokedSecurityGroupRules))
	}
	if got, _ := e.SecurityGroup(gd.ID); len(got.Ingress) != 1 {
		t.Errorf("default-VPC group lost rules: %v", got.Ingress)
	}
	// Matching properties revoke (the description is ignored).
	out, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupName: aws.String("sg-0indefault"),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0"), Description: aws.String("whatever")}}}}})
	must(t, err)
	if !aws.ToBool(out.Return) || len(out.RevokedSecurityGroupRules) != 1 {
		t.Errorf("revoke by matching properties = %+v", out)
	}

	// Duplicates are refused on authorize.
	_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(g.ID),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("192.0.2.0/24")}}}}})
	wantCode(t, err, "InvalidPermission.Duplicate")

	// DescribeSecurityGroups aggregates rules into IpPermissions.
	dsg, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{g.ID}})
	must(t, err)
	perms := dsg.SecurityGroups[0].IpPermissions
	if len(perms) != 1 || aws.ToString(perms[0].IpRanges[0].CidrIp) != "192.0.2.0/24" || aws.ToInt32(perms[0].FromPort) != 22 {
		t.Errorf("IpPermissions = %+v", perms)
	}
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0gone"}})
	wantCode(t, err, "InvalidGroup.NotFound")
}

func TestEC2CreateSecurityGroupDualStack(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e := srv.EC2(admin, region)
	vpc := e.AddVPC(fakeaws.VPC{IPv6CIDR: "2001:db8::/56"})
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()
	out, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("iso"), Description: aws.String("d"), VpcId: aws.String(vpc.ID)})
	must(t, err)
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc.ID}})
	must(t, err)
	if len(vpcs.Vpcs) != 1 || aws.ToString(vpcs.Vpcs[0].Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock) != "2001:db8::/56" {
		t.Errorf("DescribeVpcs = %+v", vpcs.Vpcs)
	}
	g, _ := e.SecurityGroup(aws.ToString(out.GroupId))
	if len(g.Egress) != 2 || g.Egress[0].CIDRv4 != "0.0.0.0/0" || g.Egress[1].CIDRv6 != "::/0" {
		t.Errorf("dual-stack default egress = %+v", g.Egress)
	}
	_, err = c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("iso"), Description: aws.String("d"), VpcId: aws.String(vpc.ID)})
	wantCode(t, err, "InvalidGroup.Duplicate")
	_, err = c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("d"), VpcId: aws.String("vpc-0nope")})
	wantCode(t, err, "InvalidVpcID.NotFound")
	// The group is found again by tag-less name filter (re-use on a second run).
	d, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc.ID}}, {Name: aws.String("group-name"), Values: []string{"iso"}}}})
	must(t, err)
	if len(d.SecurityGroups) != 1 || aws.ToString(d.SecurityGroups[0].GroupId) != g.ID || len(d.SecurityGroups[0].IpPermissionsEgress) != 1 {
		t.Errorf("DescribeSecurityGroups = %+v", d.SecurityGroups)
	}
}

func TestEC2SnapshotsVolumesAndTags(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e := srv.EC2(admin, region)
	inst := e.AddInstance(fakeaws.Instance{Volumes: []fakeaws.Volume{
		{ID: "vol-0root", Device: "/dev/xvda", DeleteOnTermination: true, Tags: map[string]string{"Team": "a"}},
		{ID: "vol-0data", SizeGiB: 100},
	}})
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()
	findingTag := []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSnapshot,
		Tags: []ec2types.Tag{{Key: aws.String("ocsfhub:finding"), Value: aws.String("f-1")}}}}

	multi, err := c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{
		InstanceSpecification: &ec2types.InstanceSpecification{InstanceId: aws.String(inst.ID)},
		Description:           aws.String("forensics"), CopyTagsFromSource: ec2types.CopyTagsFromSourceVolume,
		TagSpecifications: findingTag,
	})
	must(t, err)
	if len(multi.Snapshots) != 2 || multi.Snapshots[0].State != ec2types.SnapshotStatePending {
		t.Fatalf("CreateSnapshots = %+v", multi.Snapshots)
	}
	one, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String("vol-0data"), TagSpecifications: findingTag})
	must(t, err)
	if aws.ToInt32(one.VolumeSize) != 100 {
		t.Errorf("CreateSnapshot volume size = %d", aws.ToInt32(one.VolumeSize))
	}
	snaps := e.Snapshots()
	if len(snaps) != 3 || snaps[0].Tags["Team"] != "a" || snaps[0].Tags["ocsfhub:finding"] != "f-1" || snaps[1].Tags["Team"] != "" {
		t.Errorf("snapshots = %+v", snaps)
	}
	ds, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("tag:ocsfhub:finding"), Values: []string{"f-1"}}}})
	must(t, err)
	if len(ds.Snapshots) != 3 || ds.Snapshots[0].State != ec2types.SnapshotStateCompleted {
		t.Errorf("DescribeSnapshots = %d, state %s", len(ds.Snapshots), ds.Snapshots[0].State)
	}
	_, err = c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String("vol-0gone")})
	wantCode(t, err, "InvalidVolume.NotFound")

	vols, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{
		{Name: aws.String("attachment.instance-id"), Values: []string{inst.ID}}}})
	must(t, err)
	if len(vols.Volumes) != 2 || aws.ToString(vols.Volumes[1].Attachments[0].Device) != "/dev/sdf" {
		t.Errorf("DescribeVolumes = %+v", vols.Volumes)
	}

	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{inst.ID, "sg-0missing"},
		Tags: []ec2types.Tag{{Key: aws.String("SOC-Status"), Value: aws.String("quarantined")}}})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{inst.ID},
		Tags: []ec2types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("x")}}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{inst.ID},
		Tags: []ec2types.Tag{{Key: aws.String("SOC-Status"), Value: aws.String("quarantined")}}})
	must(t, err)
	if e.Tags(inst.ID)["SOC-Status"] != "quarantined" {
		t.Errorf("tags = %v", e.Tags(inst.ID))
	}
	dt, err := c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{
		{Name: aws.String("resource-id"), Values: []string{inst.ID}}, {Name: aws.String("key"), Values: []string{"SOC-*"}}}})
	must(t, err)
	if len(dt.Tags) != 1 || dt.Tags[0].ResourceType != ec2types.ResourceTypeInstance {
		t.Errorf("DescribeTags = %+v", dt.Tags)
	}
}

func TestEC2InstanceProfileAndAddresses(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e := srv.EC2(admin, region)
	inst := e.AddInstance(fakeaws.Instance{IAMInstanceProfileARN: "arn:aws:iam::" + admin + ":instance-profile/app"})
	bare := e.AddInstance(fakeaws.Instance{})
	forensic := srv.IAM(admin).AddInstanceProfile(fakeaws.InstanceProfile{Name: "forensic"})
	e.AddAddress(fakeaws.Address{InstanceID: inst.ID})
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()

	d, err := c.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{inst.ID}}, {Name: aws.String("state"), Values: []string{"associated"}}}})
	must(t, err)
	if len(d.IamInstanceProfileAssociations) != 1 {
		t.Fatalf("associations = %+v", d.IamInstanceProfileAssociations)
	}
	old := d.IamInstanceProfileAssociations[0]
	_, err = c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(inst.ID),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("forensic")}})
	wantCode(t, err, "IncorrectState")
	r, err := c.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
		AssociationId: old.AssociationId, IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Arn: aws.String(forensic.ARN)}})
	must(t, err)
	if aws.ToString(r.IamInstanceProfileAssociation.AssociationId) == aws.ToString(old.AssociationId) {
		t.Error("replace kept the association id")
	}
	if a, _ := e.InstanceProfileAssociation(inst.ID); a.ProfileARN != forensic.ARN {
		t.Errorf("association = %+v", a)
	}
	_, err = c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(bare.ID),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("nope")}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(bare.ID),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("forensic")}})
	must(t, err)

	addrs, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{inst.ID}}}})
	must(t, err)
	if len(addrs.Addresses) != 1 || addrs.Addresses[0].AssociationId == nil {
		t.Fatalf("addresses = %+v", addrs.Addresses)
	}
	_, err = c.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: addrs.Addresses[0].AssociationId})
	must(t, err)
	if a := e.Addresses()[0]; a.InstanceID != "" || a.AssociationID != "" {
		t.Errorf("address after disassociate = %+v", a)
	}
}

func TestEC2ConnectionTrackingDetails(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e := srv.EC2(admin, region)
	vpc := e.AddVPC(fakeaws.VPC{IPv6CIDR: "2001:db8::/56"})
	app := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "app", VPCID: vpc.ID})
	web := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "web", VPCID: vpc.ID,
		Ingress: []fakeaws.Rule{
			{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRv6: "::/0"},
			{Protocol: "tcp", FromPort: 5432, ToPort: 5432, ReferencedGroupID: app.ID},
			{Protocol: "icmp", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"},
		},
		Egress: []fakeaws.Rule{{Protocol: "-1", CIDRv4: "0.0.0.0/0"}, {Protocol: "-1", CIDRv6: "::/0"}},
	})
	peer := e.AddInstance(fakeaws.Instance{VPCID: vpc.ID, SecurityGroups: []string{app.ID}})
	inst := e.AddInstance(fakeaws.Instance{VPCID: vpc.ID, SecurityGroups: []string{web.ID}})
	v6 := e.AddConnection(inst.ID, fakeaws.Connection{Inbound: true, Protocol: "tcp", Port: 80, Peer: "2001:db8::9"})
	db := e.AddConnection(inst.ID, fakeaws.Connection{Inbound: true, Protocol: "tcp", Port: 5432, Peer: peer.PrivateIP})
	ping := e.AddConnection(inst.ID, fakeaws.Connection{Inbound: true, Protocol: "icmp", Peer: "192.0.2.1"})
	nlb := e.AddConnection(inst.ID, fakeaws.Connection{Inbound: true, Protocol: "tcp", Port: 80, Peer: "2001:db8::10", AutomaticallyTracked: true})
	if v6.Tracked || !db.Tracked || !ping.Tracked || !nlb.Tracked {
		t.Fatalf("initial tracking: v6 %v db %v icmp %v nlb %v", v6.Tracked, db.Tracked, ping.Tracked, nlb.Tracked)
	}
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()
	// Revoking the rule of an untracked flow cuts it at once; tracked flows survive.
	_, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web.ID),
		SecurityGroupRuleIds: []string{web.Ingress[0].ID, web.Ingress[1].ID, web.Ingress[2].ID}})
	must(t, err)
	got, _ := e.NetworkInterface(inst.NetworkInterfaces[0].ID)
	open := map[string]bool{}
	for _, cn := range got.Connections {
		open[cn.ID] = cn.Open
	}
	if open[v6.ID] || !open[db.ID] || !open[ping.ID] || !open[nlb.ID] {
		t.Errorf("after revoke: %v", open)
	}

	// Cleanup and rollback operations.
	_, err = c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(app.ID)})
	wantCode(t, err, "DependencyViolation") // still on the peer's interface
	spare, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("spare"), Description: aws.String("d"), VpcId: aws.String(vpc.ID)})
	must(t, err)
	_, err = c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: spare.GroupId})
	must(t, err)
	if _, ok := e.SecurityGroup(aws.ToString(spare.GroupId)); ok {
		t.Error("deleted group still present")
	}
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{inst.ID}, Tags: []ec2types.Tag{
		{Key: aws.String("SOC-Status"), Value: aws.String("quarantined")}, {Key: aws.String("keep"), Value: aws.String("1")}}})
	must(t, err)
	_, err = c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{inst.ID}, Tags: []ec2types.Tag{{Key: aws.String("SOC-Status")}}})
	must(t, err)
	if diff := cmp.Diff(map[string]string{"keep": "1"}, e.Tags(inst.ID)); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	srv.IAM(admin).AddInstanceProfile(fakeaws.InstanceProfile{Name: "p"})
	a, err := c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(inst.ID),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("p")}})
	must(t, err)
	d, err := c.DisassociateIamInstanceProfile(ctx, &ec2.DisassociateIamInstanceProfileInput{AssociationId: a.IamInstanceProfileAssociation.AssociationId})
	must(t, err)
	if d.IamInstanceProfileAssociation.State != ec2types.IamInstanceProfileAssociationStateDisassociating {
		t.Errorf("disassociate state = %s", d.IamInstanceProfileAssociation.State)
	}
	if _, ok := e.InstanceProfileAssociation(inst.ID); ok {
		t.Error("association still present")
	}
	_, err = c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{inst.ID}})
	must(t, err)
	if got, _ := e.Instance(inst.ID); got.State != "stopped" {
		t.Errorf("state = %s", got.State)
	}
}

// Large responses over reused connections used to break on a net/http
// request-body race (see Server.HTTPClient); this guards the fix.
func TestLargeResponsesOnReusedConnections(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e := srv.EC2(admin, region)
	for range 50 {
		e.AddInstance(fakeaws.Instance{})
	}
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	for i := range 60 {
		out, err := c.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if len(out.Reservations) != 50 {
			t.Fatalf("call %d: %d reservations", i, len(out.Reservations))
		}
	}
	for _, r := range srv.Requests() {
		if !r.Succeeded() {
			t.Fatalf("a request failed: %+v", r)
		}
	}
}

// ModifySecurityGroupRules changes a rule in place: same id, new
// properties; duplicates and unknown ids are refused without changing
// anything.
func TestEC2ModifySecurityGroupRules(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	e := srv.EC2(admin, region)
	e.AddVPC(fakeaws.VPC{ID: "vpc-0mod"})
	g := e.AddSecurityGroup(fakeaws.SecurityGroup{ID: "sg-0mod", Name: "mod", VPCID: "vpc-0mod",
		Ingress: []fakeaws.Rule{
			{ID: "sgr-0000000000000ssh", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0"},
			{ID: "sgr-000000000000http", Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRv4: "10.0.0.0/8"},
		}})
	c := ec2.NewFromConfig(srv.AWSConfig(admin, region))
	ctx := t.Context()
	upd := func(id, cidr, desc string) ec2types.SecurityGroupRuleUpdate {
		return ec2types.SecurityGroupRuleUpdate{SecurityGroupRuleId: aws.String(id), SecurityGroupRule: &ec2types.SecurityGroupRuleRequest{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), CidrIpv4: aws.String(cidr), Description: aws.String(desc)}}
	}
	out, err := c.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{GroupId: aws.String(g.ID),
		SecurityGroupRules: []ec2types.SecurityGroupRuleUpdate{upd("sgr-0000000000000ssh", "198.51.100.0/24", "office")}})
	must(t, err)
	if !aws.ToBool(out.Return) {
		t.Error("Return = false")
	}
	req := srv.Calls(fakeaws.ServiceEC2, "ModifySecurityGroupRules")[0]
	if req.Param("SecurityGroupRule.1.SecurityGroupRuleId") != "sgr-0000000000000ssh" ||
		req.Param("SecurityGroupRule.1.SecurityGroupRule.CidrIpv4") != "198.51.100.0/24" {
		t.Errorf("request = %v", req.Params)
	}
	want := []fakeaws.Rule{
		{ID: "sgr-0000000000000ssh", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "198.51.100.0/24", Description: "office"},
		{ID: "sgr-000000000000http", Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRv4: "10.0.0.0/8"},
	}
	got, _ := e.SecurityGroup(g.ID)
	if diff := cmp.Diff(want, got.Ingress); diff != "" {
		t.Errorf("ingress (-want +got):\n%s", diff)
	}
	// The same rule id is still what DescribeSecurityGroupRules returns,
	// with the new source.
	rules, err := c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{"sgr-0000000000000ssh"}})
	must(t, err)
	if len(rules.SecurityGroupRules) != 1 || aws.ToString(rules.SecurityGroupRules[0].CidrIpv4) != "198.51.100.0/24" {
		t.Errorf("described = %+v", rules.SecurityGroupRules)
	}
	for name, u := range map[string]ec2types.SecurityGroupRuleUpdate{
		"InvalidPermission.Duplicate":         upd("sgr-000000000000http", "198.51.100.0/24", ""),
		"InvalidSecurityGroupRuleId.NotFound": upd("sgr-0000000000nope00", "0.0.0.0/0", ""),
	} {
		_, err := c.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{GroupId: aws.String(g.ID), SecurityGroupRules: []ec2types.SecurityGroupRuleUpdate{u}})
		wantCode(t, err, name)
	}
	_, err = c.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{GroupId: aws.String(g.ID),
		SecurityGroupRules: []ec2types.SecurityGroupRuleUpdate{{SecurityGroupRuleId: aws.String("sgr-000000000000http"),
			SecurityGroupRule: &ec2types.SecurityGroupRuleRequest{IpProtocol: aws.String("-1"), CidrIpv4: aws.String("0.0.0.0/0"), CidrIpv6: aws.String("::/0")}}}})
	wantCode(t, err, "InvalidParameterCombination")
	if after, _ := e.SecurityGroup(g.ID); !cmp.Equal(want, after.Ingress) {
		t.Errorf("refused updates changed the group: %+v", after.Ingress)
	}
}
