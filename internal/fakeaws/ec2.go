package fakeaws

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ec2Dispatch routes an EC2 action. Callers hold mu.
func (s *Server) ec2Dispatch(c *call) (any, *apiError) {
	st := s.reg(c.account, c.region).ec2
	switch c.action {
	case "DescribeInstances":
		return s.ec2DescribeInstances(c, st)
	case "DescribeInstanceAttribute":
		return s.ec2DescribeInstanceAttribute(c, st)
	case "DescribeNetworkInterfaces":
		return s.ec2DescribeNetworkInterfaces(c, st)
	case "ModifyNetworkInterfaceAttribute":
		return s.ec2ModifyNetworkInterfaceAttribute(c, st)
	case "ModifyInstanceAttribute":
		return s.ec2ModifyInstanceAttribute(c, st)
	case "DescribeSecurityGroups":
		return s.ec2DescribeSecurityGroups(c, st)
	case "DescribeSecurityGroupRules":
		return s.ec2DescribeSecurityGroupRules(c, st)
	case "CreateSecurityGroup":
		return s.ec2CreateSecurityGroup(c, st)
	case "DeleteSecurityGroup":
		return s.ec2DeleteSecurityGroup(c, st)
	case "AuthorizeSecurityGroupIngress":
		return s.ec2Authorize(c, st, false)
	case "AuthorizeSecurityGroupEgress":
		return s.ec2Authorize(c, st, true)
	case "RevokeSecurityGroupIngress":
		return s.ec2Revoke(c, st, false)
	case "RevokeSecurityGroupEgress":
		return s.ec2Revoke(c, st, true)
	case "ModifySecurityGroupRules":
		return s.ec2ModifySecurityGroupRules(c, st)
	case "CreateTags":
		return s.ec2CreateTags(c, st)
	case "DeleteTags":
		return s.ec2DeleteTags(c, st)
	case "DescribeTags":
		return s.ec2DescribeTags(c, st)
	case "CreateSnapshot":
		return s.ec2CreateSnapshot(c, st)
	case "CreateSnapshots":
		return s.ec2CreateSnapshots(c, st)
	case "DescribeSnapshots":
		return s.ec2DescribeSnapshots(c, st)
	case "DescribeVolumes":
		return s.ec2DescribeVolumes(c, st)
	case "DescribeIamInstanceProfileAssociations":
		return s.ec2DescribeIamAssociations(c, st)
	case "AssociateIamInstanceProfile":
		return s.ec2AssociateIamInstanceProfile(c, st)
	case "ReplaceIamInstanceProfileAssociation":
		return s.ec2ReplaceIamInstanceProfileAssociation(c, st)
	case "DisassociateIamInstanceProfile":
		return s.ec2DisassociateIamInstanceProfile(c, st)
	case "DescribeAddresses":
		return s.ec2DescribeAddresses(c, st)
	case "DisassociateAddress":
		return s.ec2DisassociateAddress(c, st)
	case "DescribeVpcs":
		return s.ec2DescribeVpcs(c, st)
	case "StopInstances":
		return s.ec2ChangeState(c, st, "stopped")
	case "TerminateInstances":
		return s.ec2ChangeState(c, st, "terminated")
	}
	return nil, unknownAction(c)
}

var ec2Page = pageSpec{tokenKey: "NextToken", maxKey: "MaxResults", min: 5, max: 1000}

// ---- filters ----

type ec2Filter struct {
	name   string
	values []string
}

// parseEC2Filters reads Filter.N.Name / Filter.N.Value.M and rejects names
// the operation does not support here ("tag:<key>", "tag-key" and
// "tag-value" are accepted when tags is true).
func parseEC2Filters(c *call, tags bool, known ...string) ([]ec2Filter, *apiError) {
	var out []ec2Filter
	for _, f := range subs(c.form, "Filter") {
		name := f.Get("Name")
		ok := slices.Contains(known, name)
		if tags && (strings.HasPrefix(name, "tag:") || name == "tag-key" || name == "tag-value") {
			ok = true
		}
		if !ok {
			return nil, errf(400, "InvalidParameterValue", "The filter '%s' is invalid (fakeaws supports: %s)", name, strings.Join(known, ", "))
		}
		out = append(out, ec2Filter{name: name, values: list(f, "Value")})
	}
	return out, nil
}

// matchFilters reports whether a resource passes every filter (a filter
// passes when any attribute value matches any filter value).
func matchFilters(fs []ec2Filter, tags map[string]string, attr func(name string) []string) bool {
	for _, f := range fs {
		var vals []string
		switch {
		case strings.HasPrefix(f.name, "tag:"):
			if v, ok := tags[strings.TrimPrefix(f.name, "tag:")]; ok {
				vals = []string{v}
			}
		case f.name == "tag-key":
			vals = sortedKeys(tags)
		case f.name == "tag-value":
			for _, k := range sortedKeys(tags) {
				vals = append(vals, tags[k])
			}
		default:
			vals = attr(f.name)
		}
		hit := false
		for _, v := range vals {
			for _, p := range f.values {
				if wildcardMatch(p, v) {
					hit = true
				}
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// describePage is the body shared by the Describe* calls: it keeps the items
// named in ids (every item when ids is empty) that pass keep (when not nil)
// and the filters, reading tags under each item's id, and returns the page
// the request asks for.
func describePage[T any](s *Server, c *call, st *ec2State, spec pageSpec, items []T, ids []string, filters []ec2Filter,
	id func(T) string, keep func(T) bool, attr func(it T, name string) []string) ([]T, string, *apiError) {
	var sel []T
	for _, it := range items {
		if len(ids) > 0 && !slices.Contains(ids, id(it)) {
			continue
		}
		if keep != nil && !keep(it) {
			continue
		}
		if matchFilters(filters, st.tags[id(it)], func(name string) []string { return attr(it, name) }) {
			sel = append(sel, it)
		}
	}
	return paginate(s, c, sel, spec)
}

func tagsXML(m map[string]string) []xTag {
	var out []xTag
	for _, k := range sortedKeys(m) {
		out = append(out, xTag{Key: k, Value: m[k]})
	}
	return out
}

// parseTagList reads "prefix.N.Key" / "prefix.N.Value".
func parseTagList(f url.Values, prefix string) ([][2]string, bool) {
	var out [][2]string
	for _, t := range subs(f, prefix) {
		out = append(out, [2]string{t.Get("Key"), t.Get("Value")})
	}
	return out, len(out) > 0
}

// validateEC2Tags checks keys and values the way EC2 does.
func validateEC2Tags(tags [][2]string) *apiError {
	for _, kv := range tags {
		k, v := kv[0], kv[1]
		switch {
		case k == "":
			return errf(400, "InvalidParameterValue", "Tag key must not be empty")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return errf(400, "InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		case len(k) > 128:
			return errf(400, "InvalidParameterValue", "Tag key exceeds the maximum length of 128 characters")
		case len(v) > 256:
			return errf(400, "InvalidParameterValue", "Tag value exceeds the maximum length of 256 characters")
		}
	}
	return nil
}

// applyTags merges tags into a resource, enforcing the 50-tag limit.
// mergedTags returns the tags id would carry once tags are added to them,
// without storing them, or the error for going past 50 tags.
func mergedTags(st *ec2State, id string, tags [][2]string) (map[string]string, *apiError) {
	m := cloneMap(st.tags[id])
	if m == nil {
		m = map[string]string{}
	}
	for _, kv := range tags {
		m[kv[0]] = kv[1]
	}
	if len(m) > 50 {
		return nil, errf(400, "TagLimitExceeded", "The maximum number of tags (50) for resource %s has been exceeded", id)
	}
	return m, nil
}

func applyTags(st *ec2State, id string, tags [][2]string) *apiError {
	m, err := mergedTags(st, id, tags)
	if err != nil {
		return err
	}
	st.tags[id] = m
	return nil
}

// tagSpecs reads TagSpecification.N for one resource type.
func tagSpecs(c *call, resourceType string) ([][2]string, *apiError) {
	var out [][2]string
	for _, spec := range subs(c.form, "TagSpecification") {
		rt := spec.Get("ResourceType")
		if rt != resourceType {
			return nil, errf(400, "InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt)
		}
		tags, _ := parseTagList(spec, "Tag")
		out = append(out, tags...)
	}
	if err := validateEC2Tags(out); err != nil {
		return nil, err
	}
	return out, nil
}

// ---- ids ----

func resourceType(id string) string {
	switch {
	case strings.HasPrefix(id, "i-"):
		return "instance"
	case strings.HasPrefix(id, "sg-"):
		return "security-group"
	case strings.HasPrefix(id, "eni-"):
		return "network-interface"
	case strings.HasPrefix(id, "vol-"):
		return "volume"
	case strings.HasPrefix(id, "snap-"):
		return "snapshot"
	case strings.HasPrefix(id, "vpc-"):
		return "vpc"
	case strings.HasPrefix(id, "eipalloc-"):
		return "elastic-ip"
	case strings.HasPrefix(id, "sgr-"):
		return "security-group-rule"
	}
	return ""
}

// checkResource returns the EC2 not-found error of a resource id, or nil.
func checkResource(st *ec2State, id string) *apiError {
	exists := false
	code := ""
	switch resourceType(id) {
	case "instance":
		_, exists = st.instances.get(id)
		code = "InvalidInstanceID.NotFound"
	case "security-group":
		_, exists = st.groups.get(id)
		code = "InvalidGroup.NotFound"
	case "network-interface":
		_, exists = st.enis.get(id)
		code = "InvalidNetworkInterfaceID.NotFound"
	case "volume":
		_, exists = st.volumes.get(id)
		code = "InvalidVolume.NotFound"
	case "snapshot":
		_, exists = st.snapshots.get(id)
		code = "InvalidSnapshot.NotFound"
	case "vpc":
		_, exists = st.vpcs.get(id)
		code = "InvalidVpcID.NotFound"
	case "elastic-ip":
		_, exists = st.addresses.get(id)
		code = "InvalidAllocationID.NotFound"
	case "security-group-rule":
		exists = findRule(st, id) != nil
		code = "InvalidSecurityGroupRuleId.NotFound"
	default:
		return errf(400, "InvalidID", "The ID '%s' is not valid", id)
	}
	if !exists {
		return errf(400, code, "The ID '%s' does not exist", id)
	}
	return nil
}

// rules returns the group's egress or ingress rules, to read or to replace
// in place.
func (g *sgState) rules(egress bool) *[]Rule {
	if egress {
		return &g.egress
	}
	return &g.ingress
}

func findRule(st *ec2State, id string) *Rule {
	for _, g := range st.groups.all() {
		for _, egress := range []bool{false, true} {
			rules := *g.rules(egress)
			for i := range rules {
				if rules[i].ID == id {
					return &rules[i]
				}
			}
		}
	}
	return nil
}

func (s *Server) instance(st *ec2State, id string) (*instState, *apiError) {
	if !strings.HasPrefix(id, "i-") {
		return nil, errf(400, "InvalidInstanceID.Malformed", "Invalid id: \"%s\"", id)
	}
	it, ok := st.instances.get(id)
	if !ok {
		return nil, errf(400, "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
	}
	return it, nil
}

func (s *Server) group(st *ec2State, id string) (*sgState, *apiError) {
	if !strings.HasPrefix(id, "sg-") {
		return nil, errf(400, "InvalidGroupId.Malformed", "Invalid id: \"%s\" (expecting \"sg-...\")", id)
	}
	g, ok := st.groups.get(id)
	if !ok {
		return nil, errf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist", id)
	}
	return g, nil
}

func (s *Server) eni(st *ec2State, id string) (*eniState, *apiError) {
	if !strings.HasPrefix(id, "eni-") {
		return nil, errf(400, "InvalidNetworkInterfaceID.Malformed", "Invalid id: \"%s\" (expecting \"eni-...\")", id)
	}
	n, ok := st.enis.get(id)
	if !ok {
		return nil, errf(400, "InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
	}
	return n, nil
}

// groupByIDOrName resolves GroupId, or GroupName in the default VPC.
func (s *Server) groupByIDOrName(c *call, st *ec2State, allowName bool) (*sgState, *apiError) {
	if id := c.param("GroupId"); id != "" {
		return s.group(st, id)
	}
	name := c.param("GroupName")
	if name == "" || !allowName {
		return nil, missingParam(c.svc, "GroupId")
	}
	for _, g := range st.groups.all() {
		if v, ok := st.vpcs.get(g.vpc); ok && v.IsDefault && g.name == name {
			return g, nil
		}
	}
	return nil, errf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC", name)
}

func instanceStateCode(state string) int32 {
	switch state {
	case "pending":
		return 0
	case "running":
		return 16
	case "shutting-down":
		return 32
	case "terminated":
		return 48
	case "stopping":
		return 64
	case "stopped":
		return 80
	}
	return 16
}

func groupIdents(st *ec2State, ids []string) []xGroupIdent {
	var out []xGroupIdent
	for _, id := range ids {
		name := ""
		if g, ok := st.groups.get(id); ok {
			name = g.name
		}
		out = append(out, xGroupIdent{GroupID: id, GroupName: name})
	}
	return out
}

// ---- instances ----

func (s *Server) instanceXML(c *call, st *ec2State, it *instState) xInstance {
	v := s.instanceView(st, it)
	x := xInstance{
		InstanceID: it.id, ImageID: it.image, State: xInstanceState{instanceStateCode(it.state), it.state},
		PrivateIPAddress: it.privateIP, IPAddress: it.publicIP, InstanceType: it.itype, LaunchTime: xmlTime(it.launch),
		Placement: xPlacement{AvailabilityZone: it.az, Tenancy: "default"}, SubnetID: it.subnet, VpcID: it.vpc,
		Architecture: "x86_64", RootDeviceType: "ebs", SourceDestCheck: it.sourceDestCheck,
		Groups: groupIdents(st, v.SecurityGroups), Tags: tagsXML(st.tags[it.id]),
	}
	if len(it.devices) > 0 {
		x.RootDeviceName = it.devices[0].device
	}
	for _, d := range it.devices {
		x.BlockDevices = append(x.BlockDevices, xBlockDevice{DeviceName: d.device, Ebs: xEbsInstanceBlockDevice{
			VolumeID: d.volumeID, Status: "attached", AttachTime: xmlTime(it.launch), DeleteOnTermination: d.deleteOnTerm}})
	}
	for _, n := range v.NetworkInterfaces {
		eni, _ := st.enis.get(n.ID)
		x.ENIs = append(x.ENIs, xInstanceENI{
			NetworkInterfaceID: n.ID, SubnetID: n.SubnetID, VpcID: n.VPCID, Description: n.Description, OwnerID: c.account,
			Status: "in-use", PrivateIPAddress: n.PrivateIP, SourceDestCheck: eni.sourceDestCheck, InterfaceType: "interface",
			Groups: groupIdents(st, n.Groups),
			Attachment: xInstanceENIAttachment{AttachmentID: n.AttachmentID, DeviceIndex: n.DeviceIndex, Status: "attached",
				AttachTime: xmlTime(it.launch), DeleteOnTermination: eni.deleteOnTerm},
		})
	}
	for _, a := range st.assocs.all() {
		if a.InstanceID == it.id {
			x.IamProfile = &xIamProfile{Arn: a.ProfileARN, ID: a.ProfileID}
		}
	}
	return x
}

func (s *Server) ec2DescribeInstances(c *call, st *ec2State) (any, *apiError) {
	ids := list(c.form, "InstanceId")
	if len(ids) > 0 && c.param("MaxResults") != "" {
		return nil, errf(400, "InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	filters, err := parseEC2Filters(c, true, "instance-id", "instance-state-name", "vpc-id", "subnet-id",
		"network-interface.network-interface-id", "instance.group-id", "iam-instance-profile.arn", "availability-zone",
		"private-ip-address", "ip-address", "instance-type")
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, id := range ids {
		if _, ok := st.instances.get(id); !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, errf(400, "InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist", strings.Join(missing, ", "))
	}
	page, next, err := describePage(s, c, st, ec2Page, st.instances.all(), ids, filters,
		func(it *instState) string { return it.id }, nil,
		func(it *instState, name string) []string {
			switch name {
			case "instance-id":
				return []string{it.id}
			case "instance-state-name":
				return []string{it.state}
			case "vpc-id":
				return []string{it.vpc}
			case "subnet-id":
				return []string{it.subnet}
			case "network-interface.network-interface-id":
				return it.enis
			case "instance.group-id":
				return s.instanceView(st, it).SecurityGroups
			case "iam-instance-profile.arn":
				return []string{s.instanceView(st, it).IAMInstanceProfileARN}
			case "availability-zone":
				return []string{it.az}
			case "private-ip-address":
				return []string{it.privateIP}
			case "ip-address":
				return []string{it.publicIP}
			case "instance-type":
				return []string{it.itype}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	out := &xDescribeInstances{NextToken: next}
	for _, it := range page {
		out.Reservations = append(out.Reservations, xReservation{
			ReservationID: "r-" + strings.TrimPrefix(it.id, "i-"), OwnerID: c.account,
			Instances: []xInstance{s.instanceXML(c, st, it)},
		})
	}
	return out, nil
}

func (s *Server) ec2DescribeInstanceAttribute(c *call, st *ec2State) (any, *apiError) {
	id, err := required(c, "InstanceId")
	if err != nil {
		return nil, err
	}
	attr, err := required(c, "Attribute")
	if err != nil {
		return nil, err
	}
	it, err := s.instance(st, id)
	if err != nil {
		return nil, err
	}
	out := &xInstanceAttribute{InstanceID: it.id}
	switch attr {
	case "disableApiTermination":
		out.DisableAPITermination = &xmlBoolValue{it.disableTerm}
	case "disableApiStop":
		out.DisableAPIStop = &xmlBoolValue{it.disableStop}
	case "sourceDestCheck":
		out.SourceDestCheck = &xmlBoolValue{it.sourceDestCheck}
	case "instanceInitiatedShutdownBehavior":
		out.ShutdownBehavior = &xmlValue{it.shutdown}
	case "instanceType":
		out.InstanceType = &xmlValue{it.itype}
	case "groupSet":
		out.Groups = groupIdents(st, s.instanceView(st, it).SecurityGroups)
	case "blockDeviceMapping":
		for _, d := range it.devices {
			out.BlockDevices = append(out.BlockDevices, xBlockDevice{DeviceName: d.device, Ebs: xEbsInstanceBlockDevice{
				VolumeID: d.volumeID, Status: "attached", AttachTime: xmlTime(it.launch), DeleteOnTermination: d.deleteOnTerm}})
		}
	default:
		return nil, errf(400, "InvalidParameterValue", "Value (%s) for parameter attribute is invalid (fakeaws supports disableApiTermination, disableApiStop, sourceDestCheck, instanceInitiatedShutdownBehavior, instanceType, groupSet, blockDeviceMapping)", attr)
	}
	return out, nil
}

// setGroups validates and applies the security groups of an interface.
func (s *Server) setGroups(st *ec2State, eni *eniState, groups []string) *apiError {
	var uniq []string
	for _, id := range groups {
		g, err := s.group(st, id)
		if err != nil {
			return err
		}
		if g.vpc != eni.vpc {
			return errf(400, "InvalidParameter", "Security group %s and network interface %s belong to different networks.", id, eni.id)
		}
		if !slices.Contains(uniq, id) {
			uniq = append(uniq, id)
		}
	}
	if len(uniq) > 5 {
		return errf(400, "SecurityGroupsPerInterfaceLimitExceeded", "The maximum number of security groups per interface has been reached.")
	}
	eni.groups = uniq
	reevaluate(st, eni)
	return nil
}

func (s *Server) ec2ModifyNetworkInterfaceAttribute(c *call, st *ec2State) (any, *apiError) {
	id, err := required(c, "NetworkInterfaceId")
	if err != nil {
		return nil, err
	}
	eni, err := s.eni(st, id)
	if err != nil {
		return nil, err
	}
	groups := list(c.form, "SecurityGroupId")
	desc, hasDesc := c.form["Description.Value"]
	sdc, hasSDC, err := boolParam(c, "SourceDestCheck.Value")
	if err != nil {
		return nil, err
	}
	n := 0
	for _, b := range []bool{len(groups) > 0, hasDesc, hasSDC} {
		if b {
			n++
		}
	}
	switch {
	case n == 0:
		return nil, errf(400, "MissingParameter", "The request must contain exactly one attribute to modify (fakeaws supports SecurityGroupId.N, Description.Value, SourceDestCheck.Value)")
	case n > 1:
		return nil, errf(400, "InvalidParameterCombination", "Fields for multiple attribute types specified")
	}
	switch {
	case len(groups) > 0:
		if err := s.setGroups(st, eni, groups); err != nil {
			return nil, err
		}
	case hasDesc:
		eni.desc = desc[0]
	case hasSDC:
		eni.sourceDestCheck = sdc
	}
	return &xReturn{Return: true}, nil
}

func (s *Server) ec2ModifyInstanceAttribute(c *call, st *ec2State) (any, *apiError) {
	id, err := required(c, "InstanceId")
	if err != nil {
		return nil, err
	}
	it, err := s.instance(st, id)
	if err != nil {
		return nil, err
	}
	// Normalise the legacy Attribute/Value form to the structured one.
	f := cloneValues(c.form)
	if attr := f.Get("Attribute"); attr != "" {
		key := map[string]string{
			"disableApiTermination": "DisableApiTermination.Value", "disableApiStop": "DisableApiStop.Value",
			"instanceInitiatedShutdownBehavior": "InstanceInitiatedShutdownBehavior.Value",
			"sourceDestCheck":                   "SourceDestCheck.Value", "instanceType": "InstanceType.Value",
		}[attr]
		if key == "" {
			return nil, errf(400, "InvalidParameterValue", "Value (%s) for parameter attribute is invalid (fakeaws supports disableApiTermination, disableApiStop, instanceInitiatedShutdownBehavior, sourceDestCheck, instanceType)", attr)
		}
		f.Set(key, f.Get("Value"))
	}
	groups := list(f, "GroupId")
	bdm := subs(f, "BlockDeviceMapping")
	var set []string
	for _, k := range []string{"DisableApiTermination.Value", "DisableApiStop.Value", "InstanceInitiatedShutdownBehavior.Value",
		"SourceDestCheck.Value", "InstanceType.Value"} {
		if _, ok := f[k]; ok {
			set = append(set, k)
		}
	}
	if len(groups) > 0 {
		set = append(set, "GroupId")
	}
	if len(bdm) > 0 {
		set = append(set, "BlockDeviceMapping")
	}
	switch {
	case len(set) == 0:
		return nil, errf(400, "MissingParameter", "The request must contain exactly one attribute to modify")
	case len(set) > 1:
		return nil, errf(400, "InvalidParameterCombination", "Fields for multiple attribute types specified: %s", strings.Join(set, ", "))
	}
	switch set[0] {
	case "GroupId":
		if len(it.enis) > 1 {
			return nil, errf(400, "InvalidInstanceID", "There are multiple interfaces attached to instance '%s'. Please specify an interface ID for the operation instead.", it.id)
		}
		eni, _ := st.enis.get(it.enis[0])
		if err := s.setGroups(st, eni, groups); err != nil {
			return nil, err
		}
	case "BlockDeviceMapping":
		for _, m := range bdm {
			dev := m.Get("DeviceName")
			v, ok, err := parseBool(c.svc, m.Get("Ebs.DeleteOnTermination"), "Ebs.DeleteOnTermination")
			if err != nil {
				return nil, err
			}
			found := false
			for i := range it.devices {
				if it.devices[i].device == dev {
					found = true
					if ok {
						it.devices[i].deleteOnTerm = v
						if vs, has := st.volumes.get(it.devices[i].volumeID); has {
							vs.deleteOnTerm = v
						}
					}
				}
			}
			if !found {
				return nil, errf(400, "InvalidInstanceAttributeValue", "No device is currently mapped at %s", dev)
			}
		}
	case "InstanceInitiatedShutdownBehavior.Value":
		v := f.Get(set[0])
		if v != "stop" && v != "terminate" {
			return nil, errf(400, "InvalidParameterValue", "Value (%s) for parameter instanceInitiatedShutdownBehavior is invalid", v)
		}
		it.shutdown = v
	case "InstanceType.Value":
		if it.state != "stopped" {
			return nil, errf(400, "IncorrectInstanceState", "The instance '%s' is not in the 'stopped' state.", it.id)
		}
		it.itype = f.Get(set[0])
	default:
		v, _, err := parseBool(c.svc, f.Get(set[0]), set[0])
		if err != nil {
			return nil, err
		}
		switch set[0] {
		case "DisableApiTermination.Value":
			it.disableTerm = v
		case "DisableApiStop.Value":
			it.disableStop = v
		case "SourceDestCheck.Value":
			it.sourceDestCheck = v
		}
	}
	return &xReturn{Return: true}, nil
}

func (s *Server) ec2ChangeState(c *call, st *ec2State, target string) (any, *apiError) {
	ids := list(c.form, "InstanceId")
	if len(ids) == 0 {
		return nil, missingParam(c.svc, "InstanceId")
	}
	var its []*instState
	for _, id := range ids {
		it, err := s.instance(st, id)
		if err != nil {
			return nil, err
		}
		if target == "stopped" && it.disableStop {
			return nil, errf(400, "OperationNotPermitted", "The instance '%s' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.", id)
		}
		if target == "terminated" && it.disableTerm {
			return nil, errf(400, "OperationNotPermitted", "The instance '%s' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.", id)
		}
		its = append(its, it)
	}
	out := &xStateChanges{}
	for _, it := range its {
		prev := it.state
		shown := map[string]string{"stopped": "stopping", "terminated": "shutting-down"}[target]
		if prev == target || (target == "stopped" && prev == "terminated") {
			shown = prev
		} else {
			it.state = target
		}
		out.Instances = append(out.Instances, xStateChange{InstanceID: it.id,
			CurrentState: xInstanceState{instanceStateCode(shown), shown}, PreviousState: xInstanceState{instanceStateCode(prev), prev}})
	}
	return out, nil
}

// ---- network interfaces ----

func (s *Server) ec2DescribeNetworkInterfaces(c *call, st *ec2State) (any, *apiError) {
	ids := list(c.form, "NetworkInterfaceId")
	if len(ids) > 0 && c.param("MaxResults") != "" {
		return nil, errf(400, "InvalidParameterCombination", "The parameter NetworkInterfaceIds cannot be used with the parameter maxResults")
	}
	filters, err := parseEC2Filters(c, true, "network-interface-id", "attachment.instance-id", "attachment.status",
		"attachment.attachment-id", "vpc-id", "subnet-id", "group-id", "status", "private-ip-address", "availability-zone")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := s.eni(st, id); err != nil {
			return nil, err
		}
	}
	page, next, err := describePage(s, c, st, ec2Page, st.enis.all(), ids, filters,
		func(n *eniState) string { return n.id }, nil,
		func(n *eniState, name string) []string {
			status, attStatus := "available", ""
			if n.instanceID != "" {
				status, attStatus = "in-use", "attached"
			}
			switch name {
			case "network-interface-id":
				return []string{n.id}
			case "attachment.instance-id":
				return []string{n.instanceID}
			case "attachment.status":
				return []string{attStatus}
			case "attachment.attachment-id":
				return []string{n.attachID}
			case "vpc-id":
				return []string{n.vpc}
			case "subnet-id":
				return []string{n.subnet}
			case "group-id":
				return n.groups
			case "status":
				return []string{status}
			case "private-ip-address":
				return []string{n.privateIP}
			case "availability-zone":
				return []string{n.az}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	out := &xDescribeNetworkInterfaces{NextToken: next}
	for _, n := range page {
		x := xNetworkInterface{
			NetworkInterfaceID: n.id, SubnetID: n.subnet, VpcID: n.vpc, AvailabilityZone: n.az, Description: n.desc,
			OwnerID: c.account, Status: "available", PrivateIPAddress: n.privateIP, SourceDestCheck: n.sourceDestCheck,
			InterfaceType: "interface", Groups: groupIdents(st, n.groups), Tags: tagsXML(st.tags[n.id]),
		}
		if n.instanceID != "" {
			x.Status = "in-use"
			at := s.now()
			if it, ok := st.instances.get(n.instanceID); ok {
				at = it.launch
			}
			x.Attachment = &xENIAttachment{AttachmentID: n.attachID, InstanceID: n.instanceID, InstanceOwnerID: c.account,
				DeviceIndex: n.device, Status: "attached", AttachTime: xmlTime(at), DeleteOnTermination: n.deleteOnTerm}
		}
		out.NetworkInterfaces = append(out.NetworkInterfaces, x)
	}
	return out, nil
}

// ---- security groups ----

func (s *Server) sgArn(c *call, id string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", c.region, c.account, id)
}

// permissionsXML aggregates rules into IpPermissions the way
// DescribeSecurityGroups shows them.
func permissionsXML(rules []Rule, account string) []xIPPermission {
	var out []xIPPermission
	index := map[string]int{}
	for _, r := range rules {
		key := fmt.Sprintf("%s/%d/%d", r.Protocol, r.FromPort, r.ToPort)
		i, ok := index[key]
		if !ok {
			p := xIPPermission{IPProtocol: r.Protocol}
			if r.Protocol != "-1" {
				from, to := r.FromPort, r.ToPort
				p.FromPort, p.ToPort = &from, &to
			}
			out = append(out, p)
			i = len(out) - 1
			index[key] = i
		}
		p := &out[i]
		switch {
		case r.CIDRv4 != "":
			p.IPRanges = append(p.IPRanges, xIPRange{CidrIP: r.CIDRv4, Description: r.Description})
		case r.CIDRv6 != "":
			p.IPv6Ranges = append(p.IPv6Ranges, xIPv6Range{CidrIPv6: r.CIDRv6, Description: r.Description})
		case r.PrefixListID != "":
			p.PrefixListIDs = append(p.PrefixListIDs, xPrefixListID{PrefixListID: r.PrefixListID, Description: r.Description})
		case r.ReferencedGroupID != "":
			p.Groups = append(p.Groups, xUserIDGroupPair{UserID: account, GroupID: r.ReferencedGroupID, Description: r.Description})
		}
	}
	return out
}

func (s *Server) ec2DescribeSecurityGroups(c *call, st *ec2State) (any, *apiError) {
	ids := list(c.form, "GroupId")
	names := list(c.form, "GroupName")
	filters, err := parseEC2Filters(c, true, "group-id", "group-name", "vpc-id", "description", "owner-id")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := s.group(st, id); err != nil {
			return nil, err
		}
	}
	for _, name := range names {
		found := false
		for _, g := range st.groups.all() {
			if v, ok := st.vpcs.get(g.vpc); ok && v.IsDefault && g.name == name {
				found = true
			}
		}
		if !found {
			return nil, errf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC", name)
		}
	}
	var keep func(*sgState) bool
	if len(names) > 0 {
		keep = func(g *sgState) bool {
			v, _ := st.vpcs.get(g.vpc)
			return v != nil && v.IsDefault && slices.Contains(names, g.name)
		}
	}
	page, next, err := describePage(s, c, st, ec2Page, st.groups.all(), ids, filters,
		func(g *sgState) string { return g.id }, keep,
		func(g *sgState, name string) []string {
			switch name {
			case "group-id":
				return []string{g.id}
			case "group-name":
				return []string{g.name}
			case "vpc-id":
				return []string{g.vpc}
			case "description":
				return []string{g.desc}
			case "owner-id":
				return []string{g.owner}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	out := &xDescribeSecurityGroups{NextToken: next}
	for _, g := range page {
		out.SecurityGroups = append(out.SecurityGroups, xSecurityGroup{
			OwnerID: g.owner, GroupID: g.id, GroupName: g.name, GroupDescription: g.desc, VpcID: g.vpc,
			SecurityGroupArn: s.sgArn(c, g.id), IPPermissions: permissionsXML(g.ingress, g.owner),
			IPPermissionsEg: permissionsXML(g.egress, g.owner), Tags: tagsXML(st.tags[g.id]),
		})
	}
	return out, nil
}

func (s *Server) ruleXML(c *call, st *ec2State, g *sgState, r Rule, egress bool) xSecurityGroupRule {
	x := xSecurityGroupRule{
		SecurityGroupRuleID: r.ID, GroupID: g.id, GroupOwnerID: g.owner, IsEgress: egress, IPProtocol: r.Protocol,
		FromPort: r.FromPort, ToPort: r.ToPort, CidrIPv4: r.CIDRv4, CidrIPv6: r.CIDRv6, PrefixListID: r.PrefixListID,
		Description: r.Description, Tags: tagsXML(st.tags[r.ID]),
		SecurityGroupRuleArn: fmt.Sprintf("arn:aws:ec2:%s:%s:security-group-rule/%s", c.region, g.owner, r.ID),
	}
	if r.ReferencedGroupID != "" {
		x.ReferencedGroupInfo = &xReferencedGroup{GroupID: r.ReferencedGroupID, UserID: g.owner}
	}
	return x
}

func (s *Server) ec2DescribeSecurityGroupRules(c *call, st *ec2State) (any, *apiError) {
	ids := list(c.form, "SecurityGroupRuleId")
	filters, err := parseEC2Filters(c, true, "group-id", "security-group-rule-id")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if findRule(st, id) == nil {
			return nil, errf(400, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
		}
	}
	type ref struct {
		g      *sgState
		r      Rule
		egress bool
	}
	var sel []ref
	for _, g := range st.groups.all() {
		for _, dir := range []bool{false, true} {
			for _, r := range *g.rules(dir) {
				if len(ids) > 0 && !slices.Contains(ids, r.ID) {
					continue
				}
				if matchFilters(filters, st.tags[r.ID], func(name string) []string {
					switch name {
					case "group-id":
						return []string{g.id}
					case "security-group-rule-id":
						return []string{r.ID}
					}
					return nil
				}) {
					sel = append(sel, ref{g, r, dir})
				}
			}
		}
	}
	page, next, err := paginate(s, c, sel, ec2Page)
	if err != nil {
		return nil, err
	}
	out := &xDescribeSecurityGroupRules{NextToken: next}
	for _, x := range page {
		out.Rules = append(out.Rules, s.ruleXML(c, st, x.g, x.r, x.egress))
	}
	return out, nil
}

func (s *Server) ec2CreateSecurityGroup(c *call, st *ec2State) (any, *apiError) {
	name, err := required(c, "GroupName")
	if err != nil {
		return nil, err
	}
	desc, err := required(c, "GroupDescription")
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(name, "sg-") {
		return nil, errf(400, "InvalidParameterValue", "Group names may not be in the format sg-*.")
	}
	if len(name) > 255 || len(desc) > 255 {
		return nil, errf(400, "InvalidParameterValue", "Group name and description are limited to 255 characters.")
	}
	var vpc *VPC
	if id := c.param("VpcId"); id != "" {
		v, ok := st.vpcs.get(id)
		if !ok {
			return nil, errf(400, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
		}
		vpc = v
	} else {
		for _, v := range st.vpcs.all() {
			if v.IsDefault {
				vpc = v
			}
		}
		if vpc == nil {
			return nil, errf(400, "VPCIdNotSpecified", "No default VPC for this user")
		}
	}
	for _, g := range st.groups.all() {
		if g.vpc == vpc.ID && g.name == name {
			return nil, errf(400, "InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpc.ID)
		}
	}
	tags, err := tagSpecs(c, "security-group")
	if err != nil {
		return nil, err
	}
	g := &sgState{id: s.newID("sg"), name: name, desc: desc, vpc: vpc.ID, owner: c.account, egress: s.defaultEgress(vpc)}
	st.groups.put(g.id, g)
	if len(tags) > 0 {
		if err := applyTags(st, g.id, tags); err != nil {
			return nil, err
		}
	}
	return &xCreateSecurityGroup{GroupID: g.id, SecurityGroupArn: s.sgArn(c, g.id), Tags: tagsXML(st.tags[g.id])}, nil
}

func (s *Server) ec2DeleteSecurityGroup(c *call, st *ec2State) (any, *apiError) {
	g, err := s.groupByIDOrName(c, st, true)
	if err != nil {
		return nil, err
	}
	if g.name == "default" {
		return nil, errf(400, "CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", g.id)
	}
	for _, n := range st.enis.all() {
		if slices.Contains(n.groups, g.id) {
			return nil, errf(400, "DependencyViolation", "resource %s has a dependent object", g.id)
		}
	}
	for _, o := range st.groups.all() {
		if o.id == g.id {
			continue
		}
		for _, r := range append(slices.Clone(o.ingress), o.egress...) {
			if r.ReferencedGroupID == g.id {
				return nil, errf(400, "DependencyViolation", "resource %s has a dependent object", g.id)
			}
		}
	}
	st.groups.del(g.id)
	delete(st.tags, g.id)
	return &xReturn{Return: true}, nil
}

// parsePermissions expands IpPermissions.N (and the legacy top-level
// CidrIp/IpProtocol/FromPort/ToPort form) into one rule per source.
func (s *Server) parsePermissions(c *call, st *ec2State) ([]Rule, *apiError) {
	perms := subs(c.form, "IpPermissions")
	if c.param("CidrIp") != "" || c.param("IpProtocol") != "" {
		legacy := url.Values{}
		for _, k := range []string{"IpProtocol", "FromPort", "ToPort"} {
			if v := c.param(k); v != "" {
				legacy.Set(k, v)
			}
		}
		if v := c.param("CidrIp"); v != "" {
			legacy.Set("IpRanges.1.CidrIp", v)
		}
		perms = append(perms, legacy)
	}
	var out []Rule
	for _, p := range perms {
		proto, ok := normProtocol(p.Get("IpProtocol"))
		if !ok {
			return nil, errf(400, "InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol.", p.Get("IpProtocol"))
		}
		base := Rule{Protocol: proto, FromPort: -1, ToPort: -1}
		if proto != "-1" {
			from, hasFrom, err := int32Param(&call{svc: c.svc, form: p}, "FromPort")
			if err != nil {
				return nil, err
			}
			to, hasTo, err := int32Param(&call{svc: c.svc, form: p}, "ToPort")
			if err != nil {
				return nil, err
			}
			if proto == "tcp" || proto == "udp" {
				if !hasFrom || !hasTo {
					return nil, errf(400, "InvalidParameterValue", "Invalid value 'null' for fromPort/toPort. Ports must be specified for %s", proto)
				}
				if from < 0 || to > 65535 || from > to {
					return nil, errf(400, "InvalidParameterValue", "Invalid port range %d-%d", from, to)
				}
			}
			if hasFrom {
				base.FromPort = from
			}
			if hasTo {
				base.ToPort = to
			}
		}
		n := 0
		for _, r := range subs(p, "IpRanges") {
			pfx, err := netip.ParsePrefix(r.Get("CidrIp"))
			if err != nil || !pfx.Addr().Is4() {
				return nil, errf(400, "InvalidParameterValue", "CIDR block %s is malformed", r.Get("CidrIp"))
			}
			rule := base
			rule.CIDRv4, rule.Description = pfx.String(), r.Get("Description")
			out = append(out, rule)
			n++
		}
		for _, r := range subs(p, "Ipv6Ranges") {
			pfx, err := netip.ParsePrefix(r.Get("CidrIpv6"))
			if err != nil || !pfx.Addr().Is6() {
				return nil, errf(400, "InvalidParameterValue", "CIDR block %s is malformed", r.Get("CidrIpv6"))
			}
			rule := base
			rule.CIDRv6, rule.Description = pfx.String(), r.Get("Description")
			out = append(out, rule)
			n++
		}
		for _, r := range subs(p, "PrefixListIds") {
			rule := base
			rule.PrefixListID, rule.Description = r.Get("PrefixListId"), r.Get("Description")
			out = append(out, rule)
			n++
		}
		for _, r := range subs(p, "Groups") {
			rule := base
			id := r.Get("GroupId")
			if id == "" && r.Get("GroupName") != "" {
				for _, g := range st.groups.all() {
					if v, ok := st.vpcs.get(g.vpc); ok && v.IsDefault && g.name == r.Get("GroupName") {
						id = g.id
					}
				}
				if id == "" {
					return nil, errf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC", r.Get("GroupName"))
				}
			}
			if _, err := s.group(st, id); err != nil {
				return nil, err
			}
			rule.ReferencedGroupID, rule.Description = id, r.Get("Description")
			out = append(out, rule)
			n++
		}
		if n == 0 {
			return nil, errf(400, "MissingParameter", "Either a CIDR range, a prefix list or a source security group must be specified for each permission")
		}
	}
	return out, nil
}

// sameRule compares the protocol, ports and peer of two rules (not ids or
// descriptions).
func sameRule(a, b Rule) bool {
	return a.Protocol == b.Protocol && a.FromPort == b.FromPort && a.ToPort == b.ToPort && a.CIDRv4 == b.CIDRv4 &&
		a.CIDRv6 == b.CIDRv6 && a.PrefixListID == b.PrefixListID && a.ReferencedGroupID == b.ReferencedGroupID
}

func ruleString(r Rule) string {
	peer := r.CIDRv4 + r.CIDRv6 + r.PrefixListID + r.ReferencedGroupID
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", peer, strings.ToUpper(r.Protocol), r.FromPort, r.ToPort)
}

func (s *Server) ec2Authorize(c *call, st *ec2State, egress bool) (any, *apiError) {
	g, err := s.groupByIDOrName(c, st, !egress)
	if err != nil {
		return nil, err
	}
	rules, err := s.parsePermissions(c, st)
	if err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return nil, errf(400, "MissingParameter", "The request must contain the parameter ipPermissions")
	}
	existing := *g.rules(egress)
	for i, r := range rules {
		for _, e := range existing {
			if sameRule(e, r) {
				return nil, errf(400, "InvalidPermission.Duplicate", "the specified rule \"%s\" already exists", ruleString(r))
			}
		}
		for _, e := range rules[:i] {
			if sameRule(e, r) {
				return nil, errf(400, "InvalidPermission.Duplicate", "the specified rule \"%s\" is listed twice", ruleString(r))
			}
		}
	}
	if len(existing)+len(rules) > 60 {
		return nil, errf(400, "RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")
	}
	tags, err := tagSpecs(c, "security-group-rule")
	if err != nil {
		return nil, err
	}
	out := &xAuthorize{Return: true}
	for _, r := range rules {
		r.ID = s.newID("sgr")
		*g.rules(egress) = append(*g.rules(egress), r)
		if len(tags) > 0 {
			_ = applyTags(st, r.ID, tags)
		}
		out.Rules = append(out.Rules, s.ruleXML(c, st, g, r, egress))
	}
	reevaluateGroup(st, g.id)
	return out, nil
}

func (s *Server) ec2Revoke(c *call, st *ec2State, egress bool) (any, *apiError) {
	g, err := s.groupByIDOrName(c, st, !egress)
	if err != nil {
		return nil, err
	}
	ids := list(c.form, "SecurityGroupRuleId")
	perms, err := s.parsePermissions(c, st)
	if err != nil {
		return nil, err
	}
	switch {
	case len(ids) > 0 && len(perms) > 0:
		return nil, errf(400, "InvalidParameterCombination", "You may specify either security group rule IDs or IP permissions, not both.")
	case len(ids) == 0 && len(perms) == 0:
		return nil, errf(400, "MissingParameter", "The request must contain the parameter ipPermissions or securityGroupRuleIds")
	}
	rules := g.rules(egress)
	out := &xRevoke{}
	revoke := map[string]bool{}
	if len(ids) > 0 {
		for _, id := range ids {
			if !strings.HasPrefix(id, "sgr-") {
				return nil, errf(400, "InvalidSecurityGroupRuleId.Malformed", "The security group rule ID '%s' is malformed", id)
			}
			found := false
			for _, r := range *rules {
				if r.ID == id {
					found = true
				}
			}
			if !found {
				return nil, errf(400, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
			}
			revoke[id] = true
		}
	} else {
		var unknown []Rule
		for _, p := range perms {
			hit := false
			for _, r := range *rules {
				if sameRule(r, p) {
					revoke[r.ID], hit = true, true
				}
			}
			if !hit {
				unknown = append(unknown, p)
			}
		}
		if len(unknown) > 0 {
			if v, ok := st.vpcs.get(g.vpc); !ok || !v.IsDefault {
				return nil, errf(400, "InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
			}
			out.Unknown = permissionsXML(unknown, g.owner)
		}
	}
	var keep []Rule
	for _, r := range *rules {
		if revoke[r.ID] {
			out.Revoked = append(out.Revoked, xRevokedRule{
				SecurityGroupRuleID: r.ID, GroupID: g.id, IsEgress: egress, IPProtocol: r.Protocol, FromPort: r.FromPort,
				ToPort: r.ToPort, CidrIPv4: r.CIDRv4, CidrIPv6: r.CIDRv6, PrefixListID: r.PrefixListID,
				ReferencedGroupID: r.ReferencedGroupID, Description: r.Description,
			})
			delete(st.tags, r.ID)
			continue
		}
		keep = append(keep, r)
	}
	*rules = keep
	out.Return = len(out.Unknown) == 0
	reevaluateGroup(st, g.id)
	return out, nil
}

// ec2ModifySecurityGroupRules replaces rules of a group in place: each
// SecurityGroupRule.N names a rule id and gives its new protocol, ports,
// peer (exactly one of CidrIpv4, CidrIpv6, PrefixListId, ReferencedGroupId)
// and description. The rule keeps its id, which is why revoking by id alone
// can hit a rule that has changed since it was read. The whole call fails
// when any update is invalid.
func (s *Server) ec2ModifySecurityGroupRules(c *call, st *ec2State) (any, *apiError) {
	id, err := required(c, "GroupId")
	if err != nil {
		return nil, err
	}
	g, err := s.group(st, id)
	if err != nil {
		return nil, err
	}
	updates := subs(c.form, "SecurityGroupRule")
	if len(updates) == 0 {
		return nil, missingParam(c.svc, "SecurityGroupRule")
	}
	type update struct {
		egress bool
		index  int
		rule   Rule
	}
	var ups []update
	for _, u := range updates {
		rid := u.Get("SecurityGroupRuleId")
		if rid == "" {
			return nil, missingParam(c.svc, "SecurityGroupRuleId")
		}
		up := update{index: -1}
		for i, r := range g.ingress {
			if r.ID == rid {
				up.index = i
			}
		}
		for i, r := range g.egress {
			if r.ID == rid {
				up.index, up.egress = i, true
			}
		}
		if up.index < 0 {
			return nil, errf(400, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist in %s", rid, g.id)
		}
		req := sub(u, "SecurityGroupRule")
		rule, err := s.ruleRequest(c, st, req)
		if err != nil {
			return nil, err
		}
		rule.ID = rid
		up.rule = rule
		ups = append(ups, up)
	}
	for i, up := range ups {
		for _, e := range *g.rules(up.egress) {
			if e.ID != up.rule.ID && sameRule(e, up.rule) {
				return nil, errf(400, "InvalidPermission.Duplicate", "the specified rule \"%s\" already exists", ruleString(up.rule))
			}
		}
		for _, o := range ups[:i] {
			if o.egress == up.egress && sameRule(o.rule, up.rule) {
				return nil, errf(400, "InvalidPermission.Duplicate", "the specified rule \"%s\" is listed twice", ruleString(up.rule))
			}
		}
	}
	for _, up := range ups {
		(*g.rules(up.egress))[up.index] = up.rule
	}
	reevaluateGroup(st, g.id)
	return &xReturn{Return: true}, nil
}

// ruleRequest parses a SecurityGroupRuleRequest (ModifySecurityGroupRules).
func (s *Server) ruleRequest(c *call, st *ec2State, req url.Values) (Rule, *apiError) {
	proto, ok := normProtocol(req.Get("IpProtocol"))
	if !ok {
		return Rule{}, errf(400, "InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol.", req.Get("IpProtocol"))
	}
	r := Rule{Protocol: proto, FromPort: -1, ToPort: -1, Description: req.Get("Description")}
	if proto != "-1" {
		sc := &call{svc: c.svc, form: req}
		from, hasFrom, err := int32Param(sc, "FromPort")
		if err != nil {
			return Rule{}, err
		}
		to, hasTo, err := int32Param(sc, "ToPort")
		if err != nil {
			return Rule{}, err
		}
		if proto == "tcp" || proto == "udp" {
			if !hasFrom || !hasTo {
				return Rule{}, errf(400, "InvalidParameterValue", "Invalid value 'null' for fromPort/toPort. Ports must be specified for %s", proto)
			}
			if from < 0 || to > 65535 || from > to {
				return Rule{}, errf(400, "InvalidParameterValue", "Invalid port range %d-%d", from, to)
			}
		}
		if hasFrom {
			r.FromPort = from
		}
		if hasTo {
			r.ToPort = to
		}
	}
	peers := 0
	if v := req.Get("CidrIpv4"); v != "" {
		pfx, err := netip.ParsePrefix(v)
		if err != nil || !pfx.Addr().Is4() {
			return Rule{}, errf(400, "InvalidParameterValue", "CIDR block %s is malformed", v)
		}
		r.CIDRv4 = pfx.String()
		peers++
	}
	if v := req.Get("CidrIpv6"); v != "" {
		pfx, err := netip.ParsePrefix(v)
		if err != nil || !pfx.Addr().Is6() {
			return Rule{}, errf(400, "InvalidParameterValue", "CIDR block %s is malformed", v)
		}
		r.CIDRv6 = pfx.String()
		peers++
	}
	if v := req.Get("PrefixListId"); v != "" {
		r.PrefixListID = v
		peers++
	}
	if v := req.Get("ReferencedGroupId"); v != "" {
		if _, err := s.group(st, v); err != nil {
			return Rule{}, err
		}
		r.ReferencedGroupID = v
		peers++
	}
	if peers != 1 {
		return Rule{}, errf(400, "InvalidParameterCombination", "Exactly one of CidrIpv4, CidrIpv6, PrefixListId and ReferencedGroupId must be specified for a security group rule")
	}
	return r, nil
}

// ---- tags ----

func (s *Server) ec2CreateTags(c *call, st *ec2State) (any, *apiError) {
	ids := list(c.form, "ResourceId")
	if len(ids) == 0 {
		return nil, missingParam(c.svc, "ResourceId")
	}
	tags, ok := parseTagList(c.form, "Tag")
	if !ok {
		return nil, missingParam(c.svc, "Tag")
	}
	if err := validateEC2Tags(tags); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := checkResource(st, id); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		if _, err := mergedTags(st, id, tags); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		_ = applyTags(st, id, tags)
	}
	return &xReturn{Return: true}, nil
}

func (s *Server) ec2DeleteTags(c *call, st *ec2State) (any, *apiError) {
	ids := list(c.form, "ResourceId")
	if len(ids) == 0 {
		return nil, missingParam(c.svc, "ResourceId")
	}
	for _, id := range ids {
		if err := checkResource(st, id); err != nil {
			return nil, err
		}
	}
	specs := subs(c.form, "Tag")
	for _, id := range ids {
		m := st.tags[id]
		if len(specs) == 0 {
			delete(st.tags, id)
			continue
		}
		for _, t := range specs {
			k := t.Get("Key")
			if _, hasValue := t["Value"]; hasValue && m[k] != t.Get("Value") {
				continue
			}
			delete(m, k)
		}
	}
	return &xReturn{Return: true}, nil
}

func (s *Server) ec2DescribeTags(c *call, st *ec2State) (any, *apiError) {
	filters, err := parseEC2Filters(c, false, "resource-id", "resource-type", "key", "value")
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(st.tags))
	for id := range st.tags {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var sel []xTagDescription
	for _, id := range ids {
		m := st.tags[id]
		for _, k := range sortedKeys(m) {
			td := xTagDescription{ResourceID: id, ResourceType: resourceType(id), Key: k, Value: m[k]}
			if matchFilters(filters, nil, func(name string) []string {
				switch name {
				case "resource-id":
					return []string{td.ResourceID}
				case "resource-type":
					return []string{td.ResourceType}
				case "key":
					return []string{td.Key}
				case "value":
					return []string{td.Value}
				}
				return nil
			}) {
				sel = append(sel, td)
			}
		}
	}
	page, next, err := paginate(s, c, sel, ec2Page)
	if err != nil {
		return nil, err
	}
	return &xDescribeTags{Tags: page, NextToken: next}, nil
}

// ---- volumes and snapshots ----

func (s *Server) snapshotXML(st *ec2State, sn *Snapshot, state string) xSnapshot {
	progress := "100%"
	if state == "pending" {
		progress = "0%"
	}
	return xSnapshot{SnapshotID: sn.ID, VolumeID: sn.VolumeID, Status: state, StartTime: xmlTime(sn.StartTime),
		Progress: progress, OwnerID: sn.OwnerID, VolumeSize: sn.VolumeSize, Description: sn.Description,
		Encrypted: sn.Encrypted, StorageTier: "standard", Tags: tagsXML(st.tags[sn.ID])}
}

// newSnapshot records a completed snapshot of a volume. Callers hold mu.
func (s *Server) newSnapshot(c *call, st *ec2State, vs *volState, desc string, tags [][2]string) *Snapshot {
	sn := &Snapshot{ID: s.newID("snap"), VolumeID: vs.id, VolumeSize: vs.size, Description: desc, State: "completed",
		OwnerID: c.account, StartTime: s.now(), Encrypted: vs.encrypted}
	st.snapshots.put(sn.ID, sn)
	if len(tags) > 0 {
		_ = applyTags(st, sn.ID, tags)
	}
	return sn
}

func (s *Server) ec2CreateSnapshot(c *call, st *ec2State) (any, *apiError) {
	id, err := required(c, "VolumeId")
	if err != nil {
		return nil, err
	}
	vs, ok := st.volumes.get(id)
	if !ok {
		return nil, errf(400, "InvalidVolume.NotFound", "The volume '%s' does not exist.", id)
	}
	tags, err := tagSpecs(c, "snapshot")
	if err != nil {
		return nil, err
	}
	sn := s.newSnapshot(c, st, vs, c.param("Description"), tags)
	x := s.snapshotXML(st, sn, "pending")
	return &x, nil
}

func (s *Server) ec2CreateSnapshots(c *call, st *ec2State) (any, *apiError) {
	id := c.param("InstanceSpecification.InstanceId")
	if id == "" {
		return nil, missingParam(c.svc, "InstanceSpecification.InstanceId")
	}
	it, err := s.instance(st, id)
	if err != nil {
		return nil, err
	}
	excludeBoot, _, err := boolParam(c, "InstanceSpecification.ExcludeBootVolume")
	if err != nil {
		return nil, err
	}
	exclude := list(c.form, "InstanceSpecification.ExcludeDataVolumeId")
	tags, err := tagSpecs(c, "snapshot")
	if err != nil {
		return nil, err
	}
	copyTags := c.param("CopyTagsFromSource")
	if copyTags != "" && copyTags != "volume" {
		return nil, errf(400, "InvalidParameterValue", "Value (%s) for parameter CopyTagsFromSource is invalid", copyTags)
	}
	out := &xCreateSnapshots{}
	for i, d := range it.devices {
		if (i == 0 && excludeBoot) || slices.Contains(exclude, d.volumeID) {
			continue
		}
		vs, ok := st.volumes.get(d.volumeID)
		if !ok {
			continue
		}
		all := slices.Clone(tags)
		if copyTags == "volume" {
			for _, k := range sortedKeys(st.tags[vs.id]) {
				all = append([][2]string{{k, st.tags[vs.id][k]}}, all...)
			}
		}
		sn := s.newSnapshot(c, st, vs, c.param("Description"), all)
		x := s.snapshotXML(st, sn, "pending")
		out.Snapshots = append(out.Snapshots, xSnapshotInfo{SnapshotID: x.SnapshotID, VolumeID: x.VolumeID, State: "pending",
			StartTime: x.StartTime, Progress: x.Progress, OwnerID: x.OwnerID, VolumeSize: x.VolumeSize,
			Description: x.Description, Encrypted: x.Encrypted, AvailabilityZone: vs.az, Tags: x.Tags})
	}
	return out, nil
}

func (s *Server) ec2DescribeSnapshots(c *call, st *ec2State) (any, *apiError) {
	ids := list(c.form, "SnapshotId")
	owners := list(c.form, "Owner")
	filters, err := parseEC2Filters(c, true, "snapshot-id", "volume-id", "status", "owner-id", "description")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, ok := st.snapshots.get(id); !ok {
			return nil, errf(400, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
		}
	}
	page, next, err := describePage(s, c, st, ec2Page, st.snapshots.all(), ids, filters,
		func(sn *Snapshot) string { return sn.ID },
		func(sn *Snapshot) bool {
			return len(owners) == 0 || slices.Contains(owners, sn.OwnerID) || slices.Contains(owners, "self")
		},
		func(sn *Snapshot, name string) []string {
			switch name {
			case "snapshot-id":
				return []string{sn.ID}
			case "volume-id":
				return []string{sn.VolumeID}
			case "status":
				return []string{sn.State}
			case "owner-id":
				return []string{sn.OwnerID}
			case "description":
				return []string{sn.Description}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	out := &xDescribeSnapshots{NextToken: next}
	for _, sn := range page {
		out.Snapshots = append(out.Snapshots, s.snapshotXML(st, sn, sn.State))
	}
	return out, nil
}

func (s *Server) ec2DescribeVolumes(c *call, st *ec2State) (any, *apiError) {
	ids := list(c.form, "VolumeId")
	filters, err := parseEC2Filters(c, true, "volume-id", "attachment.instance-id", "attachment.device",
		"attachment.delete-on-termination", "attachment.status", "status", "availability-zone", "volume-type", "encrypted")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, ok := st.volumes.get(id); !ok {
			return nil, errf(400, "InvalidVolume.NotFound", "The volume '%s' does not exist.", id)
		}
	}
	page, next, err := describePage(s, c, st, pageSpec{tokenKey: "NextToken", maxKey: "MaxResults", min: 5, max: 500},
		st.volumes.all(), ids, filters, func(vs *volState) string { return vs.id }, nil,
		func(vs *volState, name string) []string {
			status, attStatus := "available", ""
			if vs.instanceID != "" {
				status, attStatus = "in-use", "attached"
			}
			switch name {
			case "volume-id":
				return []string{vs.id}
			case "attachment.instance-id":
				return []string{vs.instanceID}
			case "attachment.device":
				return []string{vs.dev}
			case "attachment.delete-on-termination":
				return []string{strconv.FormatBool(vs.deleteOnTerm)}
			case "attachment.status":
				return []string{attStatus}
			case "status":
				return []string{status}
			case "availability-zone":
				return []string{vs.az}
			case "volume-type":
				return []string{vs.vtype}
			case "encrypted":
				return []string{strconv.FormatBool(vs.encrypted)}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	out := &xDescribeVolumes{NextToken: next}
	for _, vs := range page {
		x := xVolume{VolumeID: vs.id, Size: vs.size, SnapshotID: vs.snapshotSourceID, AvailabilityZone: vs.az, Status: "available",
			CreateTime: xmlTime(vs.created), VolumeType: vs.vtype, Encrypted: vs.encrypted, Tags: tagsXML(st.tags[vs.id])}
		if vs.instanceID != "" {
			x.Status = "in-use"
			x.Attachments = []xVolumeAttachment{{VolumeID: vs.id, InstanceID: vs.instanceID, Device: vs.dev, Status: "attached",
				AttachTime: xmlTime(vs.created), DeleteOnTermination: vs.deleteOnTerm}}
		}
		out.Volumes = append(out.Volumes, x)
	}
	return out, nil
}

// ---- instance profiles ----

func assocXML(a *InstanceProfileAssociation, state string) xIamAssociation {
	return xIamAssociation{AssociationID: a.ID, InstanceID: a.InstanceID, State: state, Timestamp: xmlTime(a.Time),
		Profile: xIamProfile{Arn: a.ProfileARN, ID: a.ProfileID}}
}

func (s *Server) ec2DescribeIamAssociations(c *call, st *ec2State) (any, *apiError) {
	ids := list(c.form, "AssociationId")
	filters, err := parseEC2Filters(c, false, "instance-id", "state")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, ok := st.assocs.get(id); !ok {
			return nil, errf(400, "InvalidAssociationID.NotFound", "An association with ID %s does not exist", id)
		}
	}
	// Tag filters are refused above, so the tags describePage reads are never used.
	page, next, err := describePage(s, c, st, ec2Page, st.assocs.all(), ids, filters,
		func(a *InstanceProfileAssociation) string { return a.ID }, nil,
		func(a *InstanceProfileAssociation, name string) []string {
			if name == "instance-id" {
				return []string{a.InstanceID}
			}
			return []string{a.State}
		})
	if err != nil {
		return nil, err
	}
	out := &xDescribeIamAssociations{NextToken: next}
	for _, a := range page {
		out.Associations = append(out.Associations, assocXML(a, a.State))
	}
	return out, nil
}

// profileParam resolves IamInstanceProfile.Arn / .Name in the caller's IAM.
func (s *Server) profileParam(c *call) (*iamProfile, *apiError) {
	arn, name := c.param("IamInstanceProfile.Arn"), c.param("IamInstanceProfile.Name")
	if arn == "" && name == "" {
		return nil, missingParam(c.svc, "IamInstanceProfile")
	}
	iam := s.acct(c.account).iam
	for _, p := range iam.profiles.all() {
		if (arn != "" && p.arn == arn) || (arn == "" && p.name == name) {
			return p, nil
		}
	}
	if arn != "" {
		return nil, errf(400, "InvalidParameterValue", "Value (%s) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN", arn)
	}
	return nil, errf(400, "InvalidParameterValue", "Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name", name)
}

func (s *Server) ec2AssociateIamInstanceProfile(c *call, st *ec2State) (any, *apiError) {
	id, err := required(c, "InstanceId")
	if err != nil {
		return nil, err
	}
	it, err := s.instance(st, id)
	if err != nil {
		return nil, err
	}
	p, err := s.profileParam(c)
	if err != nil {
		return nil, err
	}
	for _, a := range st.assocs.all() {
		if a.InstanceID == it.id {
			return nil, errf(400, "IncorrectState", "There is an existing association for instance %s", it.id)
		}
	}
	a := &InstanceProfileAssociation{ID: s.newID("iip-assoc"), InstanceID: it.id, ProfileARN: p.arn, ProfileID: p.id,
		State: "associated", Time: s.now()}
	st.assocs.put(a.ID, a)
	return &xIamAssociationResult{Association: assocXML(a, "associating")}, nil
}

func (s *Server) ec2ReplaceIamInstanceProfileAssociation(c *call, st *ec2State) (any, *apiError) {
	id, err := required(c, "AssociationId")
	if err != nil {
		return nil, err
	}
	old, ok := st.assocs.get(id)
	if !ok {
		return nil, errf(400, "InvalidAssociationID.NotFound", "An association with ID %s does not exist", id)
	}
	p, err := s.profileParam(c)
	if err != nil {
		return nil, err
	}
	st.assocs.del(old.ID)
	a := &InstanceProfileAssociation{ID: s.newID("iip-assoc"), InstanceID: old.InstanceID, ProfileARN: p.arn, ProfileID: p.id,
		State: "associated", Time: s.now()}
	st.assocs.put(a.ID, a)
	return &xIamAssociationResult{Association: assocXML(a, "associating")}, nil
}

func (s *Server) ec2DisassociateIamInstanceProfile(c *call, st *ec2State) (any, *apiError) {
	id, err := required(c, "AssociationId")
	if err != nil {
		return nil, err
	}
	a, ok := st.assocs.get(id)
	if !ok {
		return nil, errf(400, "InvalidAssociationID.NotFound", "An association with ID %s does not exist", id)
	}
	st.assocs.del(id)
	return &xIamAssociationResult{Association: assocXML(a, "disassociating")}, nil
}

// ---- addresses ----

func (s *Server) ec2DescribeAddresses(c *call, st *ec2State) (any, *apiError) {
	ips := list(c.form, "PublicIp")
	allocs := list(c.form, "AllocationId")
	filters, err := parseEC2Filters(c, true, "instance-id", "public-ip", "allocation-id", "association-id",
		"network-interface-id", "private-ip-address", "domain")
	if err != nil {
		return nil, err
	}
	out := &xDescribeAddresses{}
	for _, a := range st.addresses.all() {
		if len(ips) > 0 && !slices.Contains(ips, a.PublicIP) {
			continue
		}
		if len(allocs) > 0 && !slices.Contains(allocs, a.AllocationID) {
			continue
		}
		if matchFilters(filters, st.tags[a.AllocationID], func(name string) []string {
			switch name {
			case "instance-id":
				return []string{a.InstanceID}
			case "public-ip":
				return []string{a.PublicIP}
			case "allocation-id":
				return []string{a.AllocationID}
			case "association-id":
				return []string{a.AssociationID}
			case "network-interface-id":
				return []string{a.NetworkInterfaceID}
			case "private-ip-address":
				return []string{a.PrivateIP}
			case "domain":
				return []string{"vpc"}
			}
			return nil
		}) {
			out.Addresses = append(out.Addresses, xAddress{PublicIP: a.PublicIP, AllocationID: a.AllocationID, Domain: "vpc",
				InstanceID: a.InstanceID, AssociationID: a.AssociationID, NetworkInterfaceID: a.NetworkInterfaceID,
				PrivateIPAddress: a.PrivateIP, Tags: tagsXML(st.tags[a.AllocationID])})
		}
	}
	return out, nil
}

func (s *Server) ec2DisassociateAddress(c *call, st *ec2State) (any, *apiError) {
	assoc, ip := c.param("AssociationId"), c.param("PublicIp")
	if assoc == "" && ip == "" {
		return nil, missingParam(c.svc, "AssociationId")
	}
	for _, a := range st.addresses.all() {
		if (assoc != "" && a.AssociationID == assoc) || (assoc == "" && a.PublicIP == ip && a.AssociationID != "") {
			a.AssociationID, a.InstanceID, a.NetworkInterfaceID, a.PrivateIP = "", "", "", ""
			return &xReturn{Return: true}, nil
		}
	}
	if assoc == "" {
		return nil, errf(400, "InvalidAddress.NotFound", "The address '%s' does not exist or is not associated", ip)
	}
	return nil, errf(400, "InvalidAssociationID.NotFound", "The association ID '%s' does not exist", assoc)
}

// ---- VPCs ----

func (s *Server) ec2DescribeVpcs(c *call, st *ec2State) (any, *apiError) {
	ids := list(c.form, "VpcId")
	filters, err := parseEC2Filters(c, true, "vpc-id", "is-default", "cidr", "state")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, ok := st.vpcs.get(id); !ok {
			return nil, errf(400, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
		}
	}
	page, next, err := describePage(s, c, st, ec2Page, st.vpcs.all(), ids, filters,
		func(v *VPC) string { return v.ID }, nil,
		func(v *VPC, name string) []string {
			switch name {
			case "vpc-id":
				return []string{v.ID}
			case "is-default":
				return []string{strconv.FormatBool(v.IsDefault)}
			case "cidr":
				return []string{v.CIDR}
			case "state":
				return []string{"available"}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	out := &xDescribeVpcs{NextToken: next}
	for _, v := range page {
		x := xVpc{VpcID: v.ID, OwnerID: c.account, State: "available", CidrBlock: v.CIDR, InstanceTenancy: "default",
			IsDefault: v.IsDefault, Tags: tagsXML(st.tags[v.ID])}
		if v.IPv6CIDR != "" {
			x.IPv6 = []xIPv6Assoc{{AssociationID: "vpc-cidr-assoc-" + strings.TrimPrefix(v.ID, "vpc-"), IPv6CidrBlock: v.IPv6CIDR,
				State: xCidrState{State: "associated"}}}
		}
		out.Vpcs = append(out.Vpcs, x)
	}
	return out, nil
}
