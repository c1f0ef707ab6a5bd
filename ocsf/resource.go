package ocsf

import (
	"errors"
	"strings"
)

// Resource types as Security Hub writes them in resources[].type
// (CloudFormation names).
const (
	ResourceTypeAccount              = "AWS::::Account"
	ResourceTypeContainer            = "AWS::Container::Container"
	ResourceTypeEC2Instance          = "AWS::EC2::Instance"
	ResourceTypeEC2SecurityGroup     = "AWS::EC2::SecurityGroup"
	ResourceTypeEC2Volume            = "AWS::EC2::Volume"
	ResourceTypeEC2VPC               = "AWS::EC2::VPC"
	ResourceTypeECRContainerImage    = "AWS::ECR::ContainerImage"
	ResourceTypeECRRepository        = "AWS::ECR::Repository"
	ResourceTypeEKSCluster           = "AWS::EKS::Cluster"
	ResourceTypeIAMAccessKey         = "AWS::IAM::AccessKey"
	ResourceTypeIAMPolicy            = "AWS::IAM::Policy"
	ResourceTypeIAMRole              = "AWS::IAM::Role"
	ResourceTypeIAMUser              = "AWS::IAM::User"
	ResourceTypeKMSKey               = "AWS::KMS::Key"
	ResourceTypeLambdaFunction       = "AWS::Lambda::Function"
	ResourceTypeRDSDBInstance        = "AWS::RDS::DBInstance"
	ResourceTypeS3Bucket             = "AWS::S3::Bucket"
	ResourceTypeS3Object             = "AWS::S3::Object"
	ResourceTypeSNSTopic             = "AWS::SNS::Topic"
	ResourceTypeSQSQueue             = "AWS::SQS::Queue"
	ResourceTypeCloudTrailTrail      = "AWS::CloudTrail::Trail"
	ResourceTypeECSTaskDefinition    = "AWS::ECS::TaskDefinition"
	ResourceTypeSecretsManagerSecret = "AWS::SecretsManager::Secret"
)

// asffType maps the ASFF resource type names (used by Security Hub CSPM and
// by Security Lake's OCSF mapping) to the CloudFormation names.
func asffType(t string) (string, bool) {
	switch t {
	case "AwsAccount":
		return ResourceTypeAccount, true
	case "AwsEc2Instance":
		return ResourceTypeEC2Instance, true
	case "AwsEc2SecurityGroup":
		return ResourceTypeEC2SecurityGroup, true
	case "AwsEc2Volume":
		return ResourceTypeEC2Volume, true
	case "AwsEc2Vpc":
		return ResourceTypeEC2VPC, true
	case "AwsEcrContainerImage":
		return ResourceTypeECRContainerImage, true
	case "AwsEcrRepository":
		return ResourceTypeECRRepository, true
	case "AwsEksCluster":
		return ResourceTypeEKSCluster, true
	case "AwsIamAccessKey":
		return ResourceTypeIAMAccessKey, true
	case "AwsIamPolicy":
		return ResourceTypeIAMPolicy, true
	case "AwsIamRole":
		return ResourceTypeIAMRole, true
	case "AwsIamUser":
		return ResourceTypeIAMUser, true
	case "AwsKmsKey":
		return ResourceTypeKMSKey, true
	case "AwsLambdaFunction":
		return ResourceTypeLambdaFunction, true
	case "AwsRdsDbInstance":
		return ResourceTypeRDSDBInstance, true
	case "AwsS3Bucket":
		return ResourceTypeS3Bucket, true
	case "AwsS3Object":
		return ResourceTypeS3Object, true
	case "AwsSnsTopic":
		return ResourceTypeSNSTopic, true
	case "AwsSqsQueue":
		return ResourceTypeSQSQueue, true
	case "AwsCloudTrailTrail":
		return ResourceTypeCloudTrailTrail, true
	case "AwsEcsTaskDefinition":
		return ResourceTypeECSTaskDefinition, true
	case "AwsSecretsManagerSecret":
		return ResourceTypeSecretsManagerSecret, true
	}
	return "", false
}

// CanonicalResourceType returns the CloudFormation name of a resource type
// given in ASFF style ("AwsEc2Instance" -> "AWS::EC2::Instance") for the
// types listed as ResourceType constants; any other name is returned
// unchanged.
func CanonicalResourceType(t string) string {
	if c, ok := asffType(t); ok {
		return c
	}
	return t
}

// Is reports whether the resource has type t, comparing canonical names.
func (r ResourceRef) Is(t string) bool {
	return CanonicalResourceType(r.Type) == CanonicalResourceType(t)
}

// ARN returns the resource's ARN: UID when it is one, else UIDAlt.
func (r ResourceRef) ARN() (ARN, bool) {
	for _, s := range []string{r.UID, r.UIDAlt} {
		if a, err := ParseARN(s); err == nil {
			return a, true
		}
	}
	return ARN{}, false
}

// ID returns the resource's own id: UID when it is not an ARN ("i-0abc..."),
// else the id at the end of the ARN's resource part
// ("arn:aws:ec2:us-east-1:111122223333:instance/i-0abc..." gives "i-0abc...").
func (r ResourceRef) ID() string {
	a, err := ParseARN(r.UID)
	if err != nil {
		return r.UID
	}
	return a.ResourceID()
}

// ErrInvalidARN is returned by [ParseARN] for a string that is not an ARN.
var ErrInvalidARN = errors.New("ocsf: not an ARN")

// ARN is an Amazon Resource Name,
// arn:partition:service:region:account-id:resource.
type ARN struct {
	Partition string // "aws", "aws-cn", "aws-us-gov"
	Service   string // "ec2", "iam", "s3", ...
	Region    string // empty for global services
	AccountID string // empty for S3 buckets
	Resource  string // "instance/i-0abc...", "user/alice", "my-bucket", ...
}

// ParseARN splits an ARN into its parts. It fails with [ErrInvalidARN]
// unless s starts with "arn:" and has six colon-separated parts with a
// non-empty partition, service and resource.
func ParseARN(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, ErrInvalidARN
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}, nil
}

// String reassembles the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// ResourceType returns the resource type prefix of the resource part: the
// text before its first '/' or ':' ("instance" for "instance/i-0abc"), or ""
// when there is none (an S3 bucket, "my-bucket").
func (a ARN) ResourceType() string {
	if i := strings.IndexAny(a.Resource, "/:"); i >= 0 {
		return a.Resource[:i]
	}
	return ""
}

// ResourceID returns the last segment of the resource part: "i-0abc" for
// "instance/i-0abc", "alice" for "user/division/alice", "my-bucket" for
// "my-bucket".
func (a ARN) ResourceID() string {
	if i := strings.LastIndexAny(a.Resource, "/:"); i >= 0 {
		return a.Resource[i+1:]
	}
	return a.Resource
}
