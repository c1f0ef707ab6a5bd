package fakeaws

// EC2 Query response shapes. Element names follow the ec2 module's
// deserializers.go (lowerCamel members, lists as <xSet><item>).

type xTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xGroupIdent struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type xInstanceState struct {
	Code int32  `xml:"code"`
	Name string `xml:"name"`
}

type xPlacement struct {
	AvailabilityZone string `xml:"availabilityZone"`
	Tenancy          string `xml:"tenancy"`
}

type xIamProfile struct {
	Arn string `xml:"arn"`
	ID  string `xml:"id"`
}

type xEbsInstanceBlockDevice struct {
	VolumeID            string  `xml:"volumeId"`
	Status              string  `xml:"status"`
	AttachTime          xmlTime `xml:"attachTime"`
	DeleteOnTermination bool    `xml:"deleteOnTermination"`
}

type xBlockDevice struct {
	DeviceName string                  `xml:"deviceName"`
	Ebs        xEbsInstanceBlockDevice `xml:"ebs"`
}

type xInstanceENIAttachment struct {
	AttachmentID        string  `xml:"attachmentId"`
	DeviceIndex         int32   `xml:"deviceIndex"`
	Status              string  `xml:"status"`
	AttachTime          xmlTime `xml:"attachTime"`
	DeleteOnTermination bool    `xml:"deleteOnTermination"`
}

type xInstanceENI struct {
	NetworkInterfaceID string                 `xml:"networkInterfaceId"`
	SubnetID           string                 `xml:"subnetId"`
	VpcID              string                 `xml:"vpcId"`
	Description        string                 `xml:"description"`
	OwnerID            string                 `xml:"ownerId"`
	Status             string                 `xml:"status"`
	PrivateIPAddress   string                 `xml:"privateIpAddress"`
	SourceDestCheck    bool                   `xml:"sourceDestCheck"`
	InterfaceType      string                 `xml:"interfaceType"`
	Groups             []xGroupIdent          `xml:"groupSet>item"`
	Attachment         xInstanceENIAttachment `xml:"attachment"`
}

type xInstance struct {
	InstanceID       string         `xml:"instanceId"`
	ImageID          string         `xml:"imageId"`
	State            xInstanceState `xml:"instanceState"`
	PrivateIPAddress string         `xml:"privateIpAddress,omitempty"`
	IPAddress        string         `xml:"ipAddress,omitempty"`
	InstanceType     string         `xml:"instanceType"`
	LaunchTime       xmlTime        `xml:"launchTime"`
	Placement        xPlacement     `xml:"placement"`
	SubnetID         string         `xml:"subnetId"`
	VpcID            string         `xml:"vpcId"`
	Architecture     string         `xml:"architecture"`
	RootDeviceType   string         `xml:"rootDeviceType"`
	RootDeviceName   string         `xml:"rootDeviceName"`
	BlockDevices     []xBlockDevice `xml:"blockDeviceMapping>item"`
	IamProfile       *xIamProfile   `xml:"iamInstanceProfile,omitempty"`
	Groups           []xGroupIdent  `xml:"groupSet>item"`
	SourceDestCheck  bool           `xml:"sourceDestCheck"`
	ENIs             []xInstanceENI `xml:"networkInterfaceSet>item"`
	Tags             []xTag         `xml:"tagSet>item"`
}

type xReservation struct {
	ReservationID string        `xml:"reservationId"`
	OwnerID       string        `xml:"ownerId"`
	Instances     []xInstance   `xml:"instancesSet>item"`
	Groups        []xGroupIdent `xml:"groupSet>item"`
}

type xDescribeInstances struct {
	Reservations []xReservation `xml:"reservationSet>item"`
	NextToken    string         `xml:"nextToken,omitempty"`
}

type xENIAttachment struct {
	AttachmentID        string  `xml:"attachmentId"`
	InstanceID          string  `xml:"instanceId"`
	InstanceOwnerID     string  `xml:"instanceOwnerId"`
	DeviceIndex         int32   `xml:"deviceIndex"`
	Status              string  `xml:"status"`
	AttachTime          xmlTime `xml:"attachTime"`
	DeleteOnTermination bool    `xml:"deleteOnTermination"`
}

type xNetworkInterface struct {
	NetworkInterfaceID string          `xml:"networkInterfaceId"`
	SubnetID           string          `xml:"subnetId"`
	VpcID              string          `xml:"vpcId"`
	AvailabilityZone   string          `xml:"availabilityZone"`
	Description        string          `xml:"description"`
	OwnerID            string          `xml:"ownerId"`
	RequesterManaged   bool            `xml:"requesterManaged"`
	Status             string          `xml:"status"`
	PrivateIPAddress   string          `xml:"privateIpAddress"`
	SourceDestCheck    bool            `xml:"sourceDestCheck"`
	InterfaceType      string          `xml:"interfaceType"`
	Groups             []xGroupIdent   `xml:"groupSet>item"`
	Attachment         *xENIAttachment `xml:"attachment,omitempty"`
	Tags               []xTag          `xml:"tagSet>item"`
}

type xDescribeNetworkInterfaces struct {
	NetworkInterfaces []xNetworkInterface `xml:"networkInterfaceSet>item"`
	NextToken         string              `xml:"nextToken,omitempty"`
}

type xIPRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type xIPv6Range struct {
	CidrIPv6    string `xml:"cidrIpv6"`
	Description string `xml:"description,omitempty"`
}

type xPrefixListID struct {
	PrefixListID string `xml:"prefixListId"`
	Description  string `xml:"description,omitempty"`
}

type xUserIDGroupPair struct {
	UserID      string `xml:"userId"`
	GroupID     string `xml:"groupId"`
	Description string `xml:"description,omitempty"`
}

type xIPPermission struct {
	IPProtocol    string             `xml:"ipProtocol"`
	FromPort      *int32             `xml:"fromPort,omitempty"`
	ToPort        *int32             `xml:"toPort,omitempty"`
	Groups        []xUserIDGroupPair `xml:"groups>item"`
	IPRanges      []xIPRange         `xml:"ipRanges>item"`
	IPv6Ranges    []xIPv6Range       `xml:"ipv6Ranges>item"`
	PrefixListIDs []xPrefixListID    `xml:"prefixListIds>item"`
}

type xSecurityGroup struct {
	OwnerID          string          `xml:"ownerId"`
	GroupID          string          `xml:"groupId"`
	GroupName        string          `xml:"groupName"`
	GroupDescription string          `xml:"groupDescription"`
	VpcID            string          `xml:"vpcId"`
	SecurityGroupArn string          `xml:"securityGroupArn"`
	IPPermissions    []xIPPermission `xml:"ipPermissions>item"`
	IPPermissionsEg  []xIPPermission `xml:"ipPermissionsEgress>item"`
	Tags             []xTag          `xml:"tagSet>item"`
}

type xDescribeSecurityGroups struct {
	SecurityGroups []xSecurityGroup `xml:"securityGroupInfo>item"`
	NextToken      string           `xml:"nextToken,omitempty"`
}

type xReferencedGroup struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type xSecurityGroupRule struct {
	SecurityGroupRuleID  string            `xml:"securityGroupRuleId"`
	GroupID              string            `xml:"groupId"`
	GroupOwnerID         string            `xml:"groupOwnerId"`
	IsEgress             bool              `xml:"isEgress"`
	IPProtocol           string            `xml:"ipProtocol"`
	FromPort             int32             `xml:"fromPort"`
	ToPort               int32             `xml:"toPort"`
	CidrIPv4             string            `xml:"cidrIpv4,omitempty"`
	CidrIPv6             string            `xml:"cidrIpv6,omitempty"`
	PrefixListID         string            `xml:"prefixListId,omitempty"`
	ReferencedGroupInfo  *xReferencedGroup `xml:"referencedGroupInfo,omitempty"`
	Description          string            `xml:"description,omitempty"`
	SecurityGroupRuleArn string            `xml:"securityGroupRuleArn"`
	Tags                 []xTag            `xml:"tagSet>item"`
}

type xDescribeSecurityGroupRules struct {
	Rules     []xSecurityGroupRule `xml:"securityGroupRuleSet>item"`
	NextToken string               `xml:"nextToken,omitempty"`
}

type xAuthorize struct {
	Return bool                 `xml:"return"`
	Rules  []xSecurityGroupRule `xml:"securityGroupRuleSet>item"`
}

type xRevokedRule struct {
	SecurityGroupRuleID string `xml:"securityGroupRuleId"`
	GroupID             string `xml:"groupId"`
	IsEgress            bool   `xml:"isEgress"`
	IPProtocol          string `xml:"ipProtocol"`
	FromPort            int32  `xml:"fromPort"`
	ToPort              int32  `xml:"toPort"`
	CidrIPv4            string `xml:"cidrIpv4,omitempty"`
	CidrIPv6            string `xml:"cidrIpv6,omitempty"`
	PrefixListID        string `xml:"prefixListId,omitempty"`
	ReferencedGroupID   string `xml:"referencedGroupId,omitempty"`
	Description         string `xml:"description,omitempty"`
}

type xRevoke struct {
	Return  bool            `xml:"return"`
	Revoked []xRevokedRule  `xml:"revokedSecurityGroupRuleSet>item"`
	Unknown []xIPPermission `xml:"unknownIpPermissionSet>item"`
}

type xCreateSecurityGroup struct {
	GroupID          string `xml:"groupId"`
	SecurityGroupArn string `xml:"securityGroupArn"`
	Tags             []xTag `xml:"tagSet>item"`
}

type xReturn struct {
	Return bool `xml:"return"`
}

type xTagDescription struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}

type xDescribeTags struct {
	Tags      []xTagDescription `xml:"tagSet>item"`
	NextToken string            `xml:"nextToken,omitempty"`
}

type xSnapshot struct {
	SnapshotID  string  `xml:"snapshotId"`
	VolumeID    string  `xml:"volumeId"`
	Status      string  `xml:"status"`
	StartTime   xmlTime `xml:"startTime"`
	Progress    string  `xml:"progress"`
	OwnerID     string  `xml:"ownerId"`
	VolumeSize  int32   `xml:"volumeSize"`
	Description string  `xml:"description"`
	Encrypted   bool    `xml:"encrypted"`
	StorageTier string  `xml:"storageTier"`
	Tags        []xTag  `xml:"tagSet>item"`
}

type xDescribeSnapshots struct {
	Snapshots []xSnapshot `xml:"snapshotSet>item"`
	NextToken string      `xml:"nextToken,omitempty"`
}

type xSnapshotInfo struct {
	SnapshotID       string  `xml:"snapshotId"`
	VolumeID         string  `xml:"volumeId"`
	State            string  `xml:"state"`
	StartTime        xmlTime `xml:"startTime"`
	Progress         string  `xml:"progress"`
	OwnerID          string  `xml:"ownerId"`
	VolumeSize       int32   `xml:"volumeSize"`
	Description      string  `xml:"description"`
	Encrypted        bool    `xml:"encrypted"`
	AvailabilityZone string  `xml:"availabilityZone"`
	Tags             []xTag  `xml:"tagSet>item"`
}

type xCreateSnapshots struct {
	Snapshots []xSnapshotInfo `xml:"snapshotSet>item"`
}

type xVolumeAttachment struct {
	VolumeID            string  `xml:"volumeId"`
	InstanceID          string  `xml:"instanceId"`
	Device              string  `xml:"device"`
	Status              string  `xml:"status"`
	AttachTime          xmlTime `xml:"attachTime"`
	DeleteOnTermination bool    `xml:"deleteOnTermination"`
}

type xVolume struct {
	VolumeID         string              `xml:"volumeId"`
	Size             int32               `xml:"size"`
	SnapshotID       string              `xml:"snapshotId"`
	AvailabilityZone string              `xml:"availabilityZone"`
	Status           string              `xml:"status"`
	CreateTime       xmlTime             `xml:"createTime"`
	Attachments      []xVolumeAttachment `xml:"attachmentSet>item"`
	VolumeType       string              `xml:"volumeType"`
	Encrypted        bool                `xml:"encrypted"`
	MultiAttach      bool                `xml:"multiAttachEnabled"`
	Tags             []xTag              `xml:"tagSet>item"`
}

type xDescribeVolumes struct {
	Volumes   []xVolume `xml:"volumeSet>item"`
	NextToken string    `xml:"nextToken,omitempty"`
}

type xIamAssociation struct {
	AssociationID string      `xml:"associationId"`
	InstanceID    string      `xml:"instanceId"`
	Profile       xIamProfile `xml:"iamInstanceProfile"`
	State         string      `xml:"state"`
	Timestamp     xmlTime     `xml:"timestamp"`
}

type xDescribeIamAssociations struct {
	Associations []xIamAssociation `xml:"iamInstanceProfileAssociationSet>item"`
	NextToken    string            `xml:"nextToken,omitempty"`
}

type xIamAssociationResult struct {
	Association xIamAssociation `xml:"iamInstanceProfileAssociation"`
}

type xAddress struct {
	PublicIP           string `xml:"publicIp"`
	AllocationID       string `xml:"allocationId"`
	Domain             string `xml:"domain"`
	InstanceID         string `xml:"instanceId,omitempty"`
	AssociationID      string `xml:"associationId,omitempty"`
	NetworkInterfaceID string `xml:"networkInterfaceId,omitempty"`
	PrivateIPAddress   string `xml:"privateIpAddress,omitempty"`
	Tags               []xTag `xml:"tagSet>item"`
}

type xDescribeAddresses struct {
	Addresses []xAddress `xml:"addressesSet>item"`
}

type xStateChange struct {
	InstanceID    string         `xml:"instanceId"`
	CurrentState  xInstanceState `xml:"currentState"`
	PreviousState xInstanceState `xml:"previousState"`
}

type xStateChanges struct {
	Instances []xStateChange `xml:"instancesSet>item"`
}

type xInstanceAttribute struct {
	InstanceID            string         `xml:"instanceId"`
	DisableAPITermination *xmlBoolValue  `xml:"disableApiTermination,omitempty"`
	DisableAPIStop        *xmlBoolValue  `xml:"disableApiStop,omitempty"`
	SourceDestCheck       *xmlBoolValue  `xml:"sourceDestCheck,omitempty"`
	ShutdownBehavior      *xmlValue      `xml:"instanceInitiatedShutdownBehavior,omitempty"`
	InstanceType          *xmlValue      `xml:"instanceType,omitempty"`
	Groups                []xGroupIdent  `xml:"groupSet>item"`
	BlockDevices          []xBlockDevice `xml:"blockDeviceMapping>item"`
}

// xmlValue is an EC2 AttributeValue (<x><value>…</value></x>).
type xmlValue struct {
	Value string `xml:"value"`
}

type xCidrState struct {
	State string `xml:"state"`
}

type xIPv6Assoc struct {
	AssociationID string     `xml:"associationId"`
	IPv6CidrBlock string     `xml:"ipv6CidrBlock"`
	State         xCidrState `xml:"ipv6CidrBlockState"`
}

type xVpc struct {
	VpcID           string       `xml:"vpcId"`
	OwnerID         string       `xml:"ownerId"`
	State           string       `xml:"state"`
	CidrBlock       string       `xml:"cidrBlock"`
	InstanceTenancy string       `xml:"instanceTenancy"`
	IsDefault       bool         `xml:"isDefault"`
	IPv6            []xIPv6Assoc `xml:"ipv6CidrBlockAssociationSet>item"`
	Tags            []xTag       `xml:"tagSet>item"`
}

type xDescribeVpcs struct {
	Vpcs      []xVpc `xml:"vpcSet>item"`
	NextToken string `xml:"nextToken,omitempty"`
}
