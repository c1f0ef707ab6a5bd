package fakeaws

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// VPC is a virtual private cloud.
type VPC struct {
	// ID is assigned ("vpc-…") when empty.
	ID string
	// CIDR defaults to "10.0.0.0/16".
	CIDR string
	// IPv6CIDR, when set, makes the VPC dual-stack: CreateSecurityGroup then
	// adds a "::/0" allow-all egress rule next to the IPv4 one, as AWS does.
	IPv6CIDR string
	// IsDefault marks the default VPC of the region. It changes how
	// RevokeSecurityGroupIngress/Egress by IpPermissions treats rules that do
	// not exist (default VPC: success with UnknownIpPermissions and Return
	// false; other VPCs: InvalidPermission.NotFound).
	IsDefault bool
}

// Rule is one security group rule. Exactly one of CIDRv4, CIDRv6,
// PrefixListID and ReferencedGroupID is set.
type Rule struct {
	// ID is the security group rule id ("sgr-…"), assigned when empty.
	ID string
	// Protocol is "-1" (all traffic), "tcp", "udp", "icmp", "icmpv6" or a
	// protocol number.
	Protocol string
	// FromPort and ToPort bound the port range (ICMP: type and code); -1 for
	// all. Protocol "-1" always has -1/-1.
	FromPort, ToPort int32
	// CIDRv4 is an IPv4 source (ingress) or destination (egress).
	CIDRv4 string
	// CIDRv6 is an IPv6 source or destination.
	CIDRv6 string
	// PrefixListID is a managed prefix list.
	PrefixListID string
	// ReferencedGroupID is a security group whose members are the peers.
	ReferencedGroupID string
	// Description is the rule description.
	Description string
}

// SecurityGroup is a VPC security group.
type SecurityGroup struct {
	// ID is assigned ("sg-…") when empty.
	ID string
	// Name defaults to the ID; Description to the Name.
	Name, Description string
	// VPCID defaults to the region's default VPC.
	VPCID string
	// OwnerID is the owning account (set by the server).
	OwnerID string
	// Tags are the group's tags.
	Tags map[string]string
	// Ingress and Egress are the rules, in creation order. Seeding uses them
	// as given (no implicit allow-all egress; CreateSecurityGroup adds it).
	Ingress, Egress []Rule
}

// Instance is an EC2 instance. As a seed ([EC2.AddInstance]) it describes
// what to create; as a view it is the current state.
type Instance struct {
	// ID is assigned ("i-…") when empty.
	ID string
	// VPCID defaults to the default VPC; SubnetID and AvailabilityZone get
	// defaults derived from them.
	VPCID, SubnetID, AvailabilityZone string
	// State is the instance state name ("running" by default).
	State string
	// InstanceType defaults to "t3.micro"; ImageID to "ami-0fa4e00000000000".
	InstanceType, ImageID string
	// PrivateIP of the primary interface (assigned when empty) and PublicIP.
	PrivateIP, PublicIP string
	// LaunchTime defaults to the server clock.
	LaunchTime time.Time
	// Tags are the instance tags.
	Tags map[string]string
	// SecurityGroups, when seeding without NetworkInterfaces, are the groups
	// of the single primary interface (the VPC's "default" group when empty).
	// In a view: the groups of all interfaces, in order, without duplicates.
	SecurityGroups []string
	// NetworkInterfaces are the attached interfaces in device order (seed:
	// created and attached as given; DeviceIndex is the position).
	NetworkInterfaces []NetworkInterface
	// Volumes are the attached EBS volumes (seed: when empty, one 8 GiB root
	// volume on /dev/xvda with DeleteOnTermination).
	Volumes []Volume
	// IAMInstanceProfileARN is the associated instance profile (seed: the
	// association is made, and the IAM instance profile created if missing).
	IAMInstanceProfileARN string
	// DisableAPITermination and DisableAPIStop are the protection attributes.
	DisableAPITermination, DisableAPIStop bool
	// ShutdownBehavior is "stop" (default) or "terminate".
	ShutdownBehavior string
}

// NetworkInterface is an elastic network interface.
type NetworkInterface struct {
	// ID is assigned ("eni-…") when empty.
	ID string
	// VPCID, SubnetID and AvailabilityZone default to the instance's.
	VPCID, SubnetID, AvailabilityZone string
	// PrivateIP is assigned when empty.
	PrivateIP string
	// Description is the interface description.
	Description string
	// Groups are the security group ids, in order.
	Groups []string
	// InstanceID, AttachmentID and DeviceIndex describe the attachment.
	InstanceID, AttachmentID string
	DeviceIndex              int32
	// Tags are the interface tags.
	Tags map[string]string
	// Connections are the established flows through the interface (see
	// [Connection]).
	Connections []Connection
}

// Connection is an established flow through a network interface, for
// testing isolation against security group connection tracking.
//
// The model follows the EC2 documentation: a flow is untracked when it is
// allowed by a rule for 0.0.0.0/0 (or ::/0) and the opposite direction has
// a rule allowing all response traffic to 0.0.0.0/0 (::/0) on all ports;
// ICMP flows and automatically tracked flows (NLB, NAT gateway, Transit
// Gateway...) are always tracked. Whenever the rules that apply to an
// interface change (its groups are replaced, or a rule of one of its groups
// is revoked or authorized), every open flow is re-evaluated: a flow still
// permitted stays open (tracked or untracked by the new rules); a flow no
// longer permitted stays open if it was tracked (tracked connections are not
// interrupted by rule changes) and is cut if it was untracked. So moving an
// interface straight to a no-rule group leaves tracked flows open, while
// first moving it to an allow-all group (which makes every flow untracked)
// and then to the no-rule group cuts them, the technique of AWS's forensic
// orchestrator. The timing of real propagation is not modelled.
type Connection struct {
	// ID is assigned ("conn-N") when empty.
	ID string
	// Inbound is true for a flow the peer opened to the instance (matched
	// against ingress rules), false for one the instance opened (egress).
	Inbound bool
	// Protocol is "tcp", "udp" or "icmp".
	Protocol string
	// Port is the instance's port for inbound flows and the peer's port for
	// outbound flows.
	Port int32
	// Peer is the remote IP address.
	Peer string
	// AutomaticallyTracked marks flows that are always tracked.
	AutomaticallyTracked bool
	// Open reports whether packets of the flow still pass (view only).
	Open bool
	// Tracked reports whether the flow has a tracking entry (view only).
	Tracked bool
}

// Volume is an EBS volume.
type Volume struct {
	// ID is assigned ("vol-…") when empty.
	ID string
	// SizeGiB defaults to 8; VolumeType to "gp3".
	SizeGiB    int32
	VolumeType string
	// AvailabilityZone defaults to the instance's.
	AvailabilityZone string
	// Encrypted marks an encrypted volume.
	Encrypted bool
	// InstanceID, Device and DeleteOnTermination describe the attachment.
	InstanceID, Device  string
	DeleteOnTermination bool
	// Tags are the volume tags.
	Tags map[string]string
}

// Snapshot is an EBS snapshot.
type Snapshot struct {
	// ID is assigned ("snap-…") when empty.
	ID string
	// VolumeID is the source volume and VolumeSize its size.
	VolumeID   string
	VolumeSize int32
	// Description is the snapshot description.
	Description string
	// State is "pending" in the CreateSnapshot(s) response and "completed"
	// afterwards.
	State string
	// OwnerID is the owning account.
	OwnerID string
	// StartTime is when the snapshot was started.
	StartTime time.Time
	// Encrypted mirrors the volume.
	Encrypted bool
	// Tags are the snapshot tags.
	Tags map[string]string
}

// InstanceProfileAssociation links an instance to an IAM instance profile.
type InstanceProfileAssociation struct {
	// ID is the association id ("iip-assoc-…").
	ID string
	// InstanceID is the instance.
	InstanceID string
	// ProfileARN and ProfileID identify the instance profile.
	ProfileARN, ProfileID string
	// State is "associated".
	State string
	// Time is when the association was made.
	Time time.Time
}

// Address is an Elastic IP address.
type Address struct {
	// AllocationID is assigned ("eipalloc-…") when empty.
	AllocationID string
	// AssociationID is assigned ("eipassoc-…") when the address is
	// associated and it is empty.
	AssociationID string
	// PublicIP is the address (assigned from 198.51.100.0/24 when empty).
	PublicIP string
	// InstanceID, NetworkInterfaceID and PrivateIP describe the association
	// (empty when unassociated).
	InstanceID, NetworkInterfaceID, PrivateIP string
}

// ec2State is the EC2 state of one account and region.
type ec2State struct {
	vpcs      table[VPC]
	groups    table[sgState]
	instances table[instState]
	enis      table[eniState]
	volumes   table[volState]
	snapshots table[Snapshot]
	assocs    table[InstanceProfileAssociation]
	addresses table[Address]
	tags      map[string]map[string]string
}

type sgState struct {
	id, name, desc, vpc, owner string
	ingress, egress            []Rule
}

type blockDev struct {
	device, volumeID string
	deleteOnTerm     bool
}

type instState struct {
	id, vpc, subnet, az, state, itype, image, privateIP, publicIP string
	launch                                                        time.Time
	enis                                                          []string
	devices                                                       []blockDev
	disableTerm, disableStop                                      bool
	shutdown                                                      string
	sourceDestCheck                                               bool
}

type eniState struct {
	id, vpc, subnet, az, desc, privateIP string
	groups                               []string
	instanceID, attachID                 string
	device                               int32
	deleteOnTerm                         bool
	sourceDestCheck                      bool
	conns                                []*Connection
}

type volState struct {
	id, vtype, az    string
	size             int32
	encrypted        bool
	instanceID, dev  string
	deleteOnTerm     bool
	created          time.Time
	snapshotSourceID string
}

// EC2 is the EC2 state of one account and region, for seeding and
// assertions. Methods are safe for concurrent use; views are copies.
type EC2 struct {
	s               *Server
	account, region string
}

// EC2 returns the EC2 state of an account (12 digits) and region.
func (s *Server) EC2(account, region string) *EC2 {
	mustAccount(account)
	return &EC2{s: s, account: account, region: region}
}

func (e *EC2) st() *ec2State { return e.s.reg(e.account, e.region).ec2 }

// AddVPC creates a VPC.
func (e *EC2) AddVPC(v VPC) VPC {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	if v.ID == "" {
		v.ID = e.s.newID("vpc")
	}
	if _, ok := st.vpcs.get(v.ID); ok {
		panic(fmt.Sprintf("fakeaws: VPC %s already exists", v.ID))
	}
	if v.CIDR == "" {
		v.CIDR = "10.0.0.0/16"
	}
	if v.IsDefault {
		for _, o := range st.vpcs.all() {
			if o.IsDefault {
				panic(fmt.Sprintf("fakeaws: the region already has default VPC %s", o.ID))
			}
		}
	}
	st.vpcs.put(v.ID, &v)
	return v
}

// ensureVPC returns the VPC, creating a non-default one for an unknown id
// and the default VPC for "". Callers hold mu.
func (s *Server) ensureVPC(st *ec2State, id string) *VPC {
	if id == "" {
		for _, v := range st.vpcs.all() {
			if v.IsDefault {
				return v
			}
		}
		v := &VPC{ID: s.newID("vpc"), CIDR: "172.31.0.0/16", IsDefault: true}
		st.vpcs.put(v.ID, v)
		return v
	}
	if v, ok := st.vpcs.get(id); ok {
		return v
	}
	v := &VPC{ID: id, CIDR: "10.0.0.0/16"}
	st.vpcs.put(id, v)
	return v
}

// defaultGroup returns (creating) the "default" security group of a VPC.
// Callers hold mu.
func (s *Server) defaultGroup(st *ec2State, account string, vpc *VPC) *sgState {
	for _, g := range st.groups.all() {
		if g.vpc == vpc.ID && g.name == "default" {
			return g
		}
	}
	g := &sgState{id: s.newID("sg"), name: "default", desc: "default VPC security group", vpc: vpc.ID, owner: account}
	g.ingress = []Rule{{ID: s.newID("sgr"), Protocol: "-1", FromPort: -1, ToPort: -1, ReferencedGroupID: g.id}}
	g.egress = s.defaultEgress(vpc)
	st.groups.put(g.id, g)
	return g
}

// defaultEgress is the allow-all egress AWS gives a new group. Callers hold mu.
func (s *Server) defaultEgress(vpc *VPC) []Rule {
	rules := []Rule{{ID: s.newID("sgr"), Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv4: "0.0.0.0/0"}}
	if vpc.IPv6CIDR != "" {
		rules = append(rules, Rule{ID: s.newID("sgr"), Protocol: "-1", FromPort: -1, ToPort: -1, CIDRv6: "::/0"})
	}
	return rules
}

// AddSecurityGroup creates a security group with exactly the given rules
// (ids are assigned to rules without one).
func (e *EC2) AddSecurityGroup(g SecurityGroup) SecurityGroup {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	vpc := e.s.ensureVPC(st, g.VPCID)
	if g.ID == "" {
		g.ID = e.s.newID("sg")
	}
	if _, ok := st.groups.get(g.ID); ok {
		panic(fmt.Sprintf("fakeaws: security group %s already exists", g.ID))
	}
	if g.Name == "" {
		g.Name = g.ID
	}
	if g.Description == "" {
		g.Description = g.Name
	}
	sg := &sgState{id: g.ID, name: g.Name, desc: g.Description, vpc: vpc.ID, owner: e.account}
	for _, r := range g.Ingress {
		sg.ingress = append(sg.ingress, e.s.seedRule(r))
	}
	for _, r := range g.Egress {
		sg.egress = append(sg.egress, e.s.seedRule(r))
	}
	st.groups.put(sg.id, sg)
	if len(g.Tags) > 0 {
		st.tags[sg.id] = cloneMap(g.Tags)
	}
	return e.s.groupView(st, sg)
}

// seedRule normalises a seeded rule. Callers hold mu.
func (s *Server) seedRule(r Rule) Rule {
	if r.ID == "" {
		r.ID = s.newID("sgr")
	}
	p, ok := normProtocol(r.Protocol)
	if !ok {
		panic(fmt.Sprintf("fakeaws: rule protocol %q is not valid", r.Protocol))
	}
	r.Protocol = p
	if p == "-1" {
		r.FromPort, r.ToPort = -1, -1
	}
	n := 0
	for _, v := range []string{r.CIDRv4, r.CIDRv6, r.PrefixListID, r.ReferencedGroupID} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		panic(fmt.Sprintf("fakeaws: rule %s needs exactly one of CIDRv4, CIDRv6, PrefixListID, ReferencedGroupID", r.ID))
	}
	return r
}

// AddInstance creates an instance with its interfaces, volumes and
// instance profile association (see [Instance] for the defaults) and
// returns its view.
func (e *EC2) AddInstance(in Instance) Instance {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	s, st := e.s, e.st()
	vpc := s.ensureVPC(st, in.VPCID)
	if in.ID == "" {
		in.ID = s.newID("i")
	}
	if _, ok := st.instances.get(in.ID); ok {
		panic(fmt.Sprintf("fakeaws: instance %s already exists", in.ID))
	}
	it := &instState{
		id: in.ID, vpc: vpc.ID, subnet: in.SubnetID, az: in.AvailabilityZone, state: in.State,
		itype: in.InstanceType, image: in.ImageID, privateIP: in.PrivateIP, publicIP: in.PublicIP,
		launch: in.LaunchTime, disableTerm: in.DisableAPITermination, disableStop: in.DisableAPIStop,
		shutdown: in.ShutdownBehavior, sourceDestCheck: true,
	}
	if it.subnet == "" {
		it.subnet = "subnet-" + strings.TrimPrefix(vpc.ID, "vpc-")
	}
	if it.az == "" {
		it.az = e.region + "a"
	}
	if it.state == "" {
		it.state = "running"
	}
	if it.itype == "" {
		it.itype = "t3.micro"
	}
	if it.image == "" {
		it.image = "ami-0fa4e00000000000"
	}
	if it.privateIP == "" {
		it.privateIP = s.newIP()
	}
	if it.launch.IsZero() {
		it.launch = s.now()
	}
	if it.shutdown == "" {
		it.shutdown = "stop"
	}
	enis := in.NetworkInterfaces
	if len(enis) == 0 {
		groups := in.SecurityGroups
		if len(groups) == 0 {
			groups = []string{s.defaultGroup(st, e.account, vpc).id}
		}
		enis = []NetworkInterface{{Groups: groups, PrivateIP: it.privateIP}}
	}
	for i, n := range enis {
		eni := &eniState{
			id: n.ID, vpc: n.VPCID, subnet: n.SubnetID, az: n.AvailabilityZone, desc: n.Description,
			privateIP: n.PrivateIP, groups: slices.Clone(n.Groups), instanceID: it.id,
			attachID: s.newID("eni-attach"), device: int32(i), deleteOnTerm: i == 0, sourceDestCheck: true,
		}
		if eni.id == "" {
			eni.id = s.newID("eni")
		}
		if _, ok := st.enis.get(eni.id); ok {
			panic(fmt.Sprintf("fakeaws: network interface %s already exists", eni.id))
		}
		if eni.vpc == "" {
			eni.vpc = it.vpc
		}
		if eni.subnet == "" {
			eni.subnet = it.subnet
		}
		if eni.az == "" {
			eni.az = it.az
		}
		if eni.privateIP == "" {
			if i == 0 {
				eni.privateIP = it.privateIP
			} else {
				eni.privateIP = s.newIP()
			}
		}
		if len(eni.groups) == 0 {
			eni.groups = []string{s.defaultGroup(st, e.account, s.ensureVPC(st, eni.vpc)).id}
		}
		for _, g := range eni.groups {
			if _, ok := st.groups.get(g); !ok {
				panic(fmt.Sprintf("fakeaws: instance %s: security group %s does not exist (add it first)", it.id, g))
			}
		}
		st.enis.put(eni.id, eni)
		if len(n.Tags) > 0 {
			st.tags[eni.id] = cloneMap(n.Tags)
		}
		it.enis = append(it.enis, eni.id)
		for _, c := range n.Connections {
			s.addConnection(st, eni, c)
		}
	}
	vols := in.Volumes
	if len(vols) == 0 {
		vols = []Volume{{Device: "/dev/xvda", DeleteOnTermination: true}}
	}
	for i, v := range vols {
		vs := &volState{id: v.ID, vtype: v.VolumeType, az: v.AvailabilityZone, size: v.SizeGiB, encrypted: v.Encrypted,
			instanceID: it.id, dev: v.Device, deleteOnTerm: v.DeleteOnTermination, created: it.launch}
		if vs.id == "" {
			vs.id = s.newID("vol")
		}
		if _, ok := st.volumes.get(vs.id); ok {
			panic(fmt.Sprintf("fakeaws: volume %s already exists", vs.id))
		}
		if vs.vtype == "" {
			vs.vtype = "gp3"
		}
		if vs.az == "" {
			vs.az = it.az
		}
		if vs.size == 0 {
			vs.size = 8
		}
		if vs.dev == "" {
			if i == 0 {
				vs.dev = "/dev/xvda"
			} else {
				vs.dev = fmt.Sprintf("/dev/sd%c", 'e'+i)
			}
		}
		st.volumes.put(vs.id, vs)
		if len(v.Tags) > 0 {
			st.tags[vs.id] = cloneMap(v.Tags)
		}
		it.devices = append(it.devices, blockDev{device: vs.dev, volumeID: vs.id, deleteOnTerm: vs.deleteOnTerm})
	}
	st.instances.put(it.id, it)
	if len(in.Tags) > 0 {
		st.tags[it.id] = cloneMap(in.Tags)
	}
	if in.IAMInstanceProfileARN != "" {
		p := s.ensureInstanceProfile(e.account, in.IAMInstanceProfileARN)
		a := &InstanceProfileAssociation{ID: s.newID("iip-assoc"), InstanceID: it.id, ProfileARN: p.arn,
			ProfileID: p.id, State: "associated", Time: s.now()}
		st.assocs.put(a.ID, a)
	}
	return s.instanceView(st, it)
}

// newIP returns a fresh private IPv4 address. Callers hold mu.
func (s *Server) newIP() string {
	n := s.next("ip")
	return fmt.Sprintf("10.0.%d.%d", n/250, n%250+4)
}

// AddConnection records an established flow on a network interface (or on
// the primary interface of an instance) and returns it with its initial
// tracking state.
func (e *EC2) AddConnection(interfaceOrInstanceID string, c Connection) Connection {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	eni, ok := st.enis.get(interfaceOrInstanceID)
	if !ok {
		it, ok := st.instances.get(interfaceOrInstanceID)
		if !ok || len(it.enis) == 0 {
			panic(fmt.Sprintf("fakeaws: no network interface or instance %s", interfaceOrInstanceID))
		}
		eni, _ = st.enis.get(it.enis[0])
	}
	return *e.s.addConnection(st, eni, c)
}

// AddAddress creates an Elastic IP, associated when InstanceID or
// NetworkInterfaceID is set.
func (e *EC2) AddAddress(a Address) Address {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	if a.AllocationID == "" {
		a.AllocationID = e.s.newID("eipalloc")
	}
	if a.PublicIP == "" {
		a.PublicIP = fmt.Sprintf("198.51.100.%d", e.s.next("eip")%250+1)
	}
	if a.InstanceID != "" && a.NetworkInterfaceID == "" {
		if it, ok := st.instances.get(a.InstanceID); ok && len(it.enis) > 0 {
			a.NetworkInterfaceID = it.enis[0]
		}
	}
	if a.NetworkInterfaceID != "" {
		if eni, ok := st.enis.get(a.NetworkInterfaceID); ok {
			if a.InstanceID == "" {
				a.InstanceID = eni.instanceID
			}
			if a.PrivateIP == "" {
				a.PrivateIP = eni.privateIP
			}
		}
		if a.AssociationID == "" {
			a.AssociationID = e.s.newID("eipassoc")
		}
	}
	st.addresses.put(a.AllocationID, &a)
	return a
}

// Instance returns the current state of an instance.
func (e *EC2) Instance(id string) (Instance, bool) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	it, ok := st.instances.get(id)
	if !ok {
		return Instance{}, false
	}
	return e.s.instanceView(st, it), true
}

// Instances returns every instance, in creation order.
func (e *EC2) Instances() []Instance {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	var out []Instance
	for _, it := range st.instances.all() {
		out = append(out, e.s.instanceView(st, it))
	}
	return out
}

// NetworkInterface returns the current state of a network interface.
func (e *EC2) NetworkInterface(id string) (NetworkInterface, bool) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	n, ok := st.enis.get(id)
	if !ok {
		return NetworkInterface{}, false
	}
	return eniView(st, n), true
}

// SecurityGroup returns the current state of a security group.
func (e *EC2) SecurityGroup(id string) (SecurityGroup, bool) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	g, ok := st.groups.get(id)
	if !ok {
		return SecurityGroup{}, false
	}
	return e.s.groupView(st, g), true
}

// SecurityGroupByName finds a group by VPC and name.
func (e *EC2) SecurityGroupByName(vpcID, name string) (SecurityGroup, bool) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	for _, g := range st.groups.all() {
		if g.vpc == vpcID && g.name == name {
			return e.s.groupView(st, g), true
		}
	}
	return SecurityGroup{}, false
}

// SecurityGroups returns every security group, in creation order.
func (e *EC2) SecurityGroups() []SecurityGroup {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	var out []SecurityGroup
	for _, g := range st.groups.all() {
		out = append(out, e.s.groupView(st, g))
	}
	return out
}

// Volume returns the current state of a volume.
func (e *EC2) Volume(id string) (Volume, bool) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	v, ok := st.volumes.get(id)
	if !ok {
		return Volume{}, false
	}
	return volumeView(st, v), true
}

// Snapshots returns every snapshot, in creation order.
func (e *EC2) Snapshots() []Snapshot {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	st := e.st()
	var out []Snapshot
	for _, sn := range st.snapshots.all() {
		out = append(out, snapshotView(st, sn))
	}
	return out
}

// Tags returns the tags of any EC2 resource.
func (e *EC2) Tags(resourceID string) map[string]string {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	return cloneMap(e.st().tags[resourceID])
}

// InstanceProfileAssociation returns the instance profile association of an
// instance.
func (e *EC2) InstanceProfileAssociation(instanceID string) (InstanceProfileAssociation, bool) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	for _, a := range e.st().assocs.all() {
		if a.InstanceID == instanceID {
			return *a, true
		}
	}
	return InstanceProfileAssociation{}, false
}

// Addresses returns every Elastic IP.
func (e *EC2) Addresses() []Address {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	var out []Address
	for _, a := range e.st().addresses.all() {
		out = append(out, *a)
	}
	return out
}

// VPCs returns every VPC, in creation order.
func (e *EC2) VPCs() []VPC {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	var out []VPC
	for _, v := range e.st().vpcs.all() {
		out = append(out, *v)
	}
	return out
}

// instanceView builds the view of an instance. Callers hold mu.
func (s *Server) instanceView(st *ec2State, it *instState) Instance {
	v := Instance{
		ID: it.id, VPCID: it.vpc, SubnetID: it.subnet, AvailabilityZone: it.az, State: it.state,
		InstanceType: it.itype, ImageID: it.image, PrivateIP: it.privateIP, PublicIP: it.publicIP,
		LaunchTime: it.launch, Tags: cloneMap(st.tags[it.id]), DisableAPITermination: it.disableTerm,
		DisableAPIStop: it.disableStop, ShutdownBehavior: it.shutdown,
	}
	for _, id := range it.enis {
		if n, ok := st.enis.get(id); ok {
			nv := eniView(st, n)
			v.NetworkInterfaces = append(v.NetworkInterfaces, nv)
			for _, g := range nv.Groups {
				if !slices.Contains(v.SecurityGroups, g) {
					v.SecurityGroups = append(v.SecurityGroups, g)
				}
			}
		}
	}
	for _, d := range it.devices {
		if vs, ok := st.volumes.get(d.volumeID); ok {
			v.Volumes = append(v.Volumes, volumeView(st, vs))
		}
	}
	for _, a := range st.assocs.all() {
		if a.InstanceID == it.id {
			v.IAMInstanceProfileARN = a.ProfileARN
		}
	}
	return v
}

func eniView(st *ec2State, n *eniState) NetworkInterface {
	v := NetworkInterface{
		ID: n.id, VPCID: n.vpc, SubnetID: n.subnet, AvailabilityZone: n.az, PrivateIP: n.privateIP,
		Description: n.desc, Groups: slices.Clone(n.groups), InstanceID: n.instanceID, DeviceIndex: n.device,
		Tags: cloneMap(st.tags[n.id]),
	}
	if n.instanceID != "" {
		v.AttachmentID = n.attachID
	}
	for _, c := range n.conns {
		v.Connections = append(v.Connections, *c)
	}
	return v
}

func volumeView(st *ec2State, vs *volState) Volume {
	return Volume{ID: vs.id, SizeGiB: vs.size, VolumeType: vs.vtype, AvailabilityZone: vs.az, Encrypted: vs.encrypted,
		InstanceID: vs.instanceID, Device: vs.dev, DeleteOnTermination: vs.deleteOnTerm, Tags: cloneMap(st.tags[vs.id])}
}

func snapshotView(st *ec2State, sn *Snapshot) Snapshot {
	v := *sn
	v.Tags = cloneMap(st.tags[sn.ID])
	return v
}

func (s *Server) groupView(st *ec2State, g *sgState) SecurityGroup {
	return SecurityGroup{ID: g.id, Name: g.name, Description: g.desc, VPCID: g.vpc, OwnerID: g.owner,
		Tags: cloneMap(st.tags[g.id]), Ingress: slices.Clone(g.ingress), Egress: slices.Clone(g.egress)}
}
