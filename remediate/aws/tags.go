package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// TagsEC2API is the part of the EC2 API [TagReader] calls.
type TagsEC2API interface {
	DescribeTags(context.Context, *ec2.DescribeTagsInput, ...func(*ec2.Options)) (*ec2.DescribeTagsOutput, error)
}

// TagsIAMAPI is the part of the IAM API [TagReader] calls.
type TagsIAMAPI interface {
	ListUserTags(context.Context, *iam.ListUserTagsInput, ...func(*iam.Options)) (*iam.ListUserTagsOutput, error)
	ListRoleTags(context.Context, *iam.ListRoleTagsInput, ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error)
	GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
}

// TagsS3API is the part of the S3 API [TagReader] calls.
type TagsS3API interface {
	GetBucketTagging(context.Context, *s3.GetBucketTaggingInput, ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
}

var (
	_ TagsEC2API = (*ec2.Client)(nil)
	_ TagsIAMAPI = (*iam.Client)(nil)
	_ TagsS3API  = (*s3.Client)(nil)
)

// ErrUnsupportedResource is returned (wrapped, permanent) by
// [TagReader.Tags] for a resource type it cannot read tags of.
var ErrUnsupportedResource = errors.New("remediate/aws: tags of this resource type cannot be read")

// TagReader is the [remediate.TagReader] for AWS resources: it reads live
// tags in the resource's account and Region (through the same
// [ConfigSource] as the remediators) for EC2 resources (DescribeTags), IAM
// users and roles (ListUserTags, ListRoleTags), access keys (the owning
// user's tags) and S3 buckets (GetBucketTagging). An account has no tags
// here (an empty map; use account exclusions). Other types return an error
// wrapping [ErrUnsupportedResource], so the engine fails closed for
// destructive plans.
type TagReader struct {
	cfg ConfigSource
}

var _ remediate.TagReader = (*TagReader)(nil)

// NewTagReader returns a tag reader acting through src.
func NewTagReader(src ConfigSource) (*TagReader, error) {
	if src == nil {
		return nil, fmt.Errorf("%w: no ConfigSource", ErrConfig)
	}
	return &TagReader{cfg: src}, nil
}

// Permissions returns the IAM actions Tags may call.
func (r *TagReader) Permissions() []string {
	return []string{"ec2:DescribeTags", "iam:GetAccessKeyLastUsed", "iam:ListRoleTags", "iam:ListUserTags", "s3:GetBucketTagging"}
}

// Tags returns the live tags of res.
func (r *TagReader) Tags(ctx context.Context, res remediate.Resource) (map[string]string, error) {
	typ := ocsf.CanonicalResourceType(res.Type)
	id := res.UID
	if a, err := ocsf.ParseARN(id); err == nil {
		id = a.ResourceID()
		if a.Service == "s3" {
			id, _, _ = strings.Cut(a.Resource, "/")
		}
	}
	region := res.Region
	if region == "global" {
		region = ""
	}
	t := Target{Account: res.AccountUID, Region: region, Session: "tags"}
	switch typ {
	case ocsf.ResourceTypeAccount:
		return map[string]string{}, nil
	case ocsf.ResourceTypeEC2Instance, ocsf.ResourceTypeEC2SecurityGroup, ocsf.ResourceTypeEC2Volume, ocsf.ResourceTypeEC2VPC:
		cfg, err := r.cfg.Config(ctx, t)
		if err != nil {
			return nil, err
		}
		p := ec2.NewDescribeTagsPaginator(ec2.NewFromConfig(cfg), &ec2.DescribeTagsInput{
			Filters: []ec2types.Filter{{Name: awssdk.String("resource-id"), Values: []string{id}}}})
		out := map[string]string{}
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, wrap("ec2:DescribeTags", id, err)
			}
			for _, tg := range page.Tags {
				out[awssdk.ToString(tg.Key)] = awssdk.ToString(tg.Value)
			}
		}
		return out, nil
	case ocsf.ResourceTypeIAMUser, ocsf.ResourceTypeIAMRole, ocsf.ResourceTypeIAMAccessKey:
		cfg, err := r.cfg.Config(ctx, t)
		if err != nil {
			return nil, err
		}
		c := iam.NewFromConfig(cfg)
		if typ == ocsf.ResourceTypeIAMAccessKey {
			o, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: awssdk.String(id)})
			if err != nil {
				return nil, wrap("iam:GetAccessKeyLastUsed", id, err)
			}
			id, typ = awssdk.ToString(o.UserName), ocsf.ResourceTypeIAMUser
		}
		out := map[string]string{}
		if typ == ocsf.ResourceTypeIAMRole {
			p := iam.NewListRoleTagsPaginator(c, &iam.ListRoleTagsInput{RoleName: awssdk.String(id)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, wrap("iam:ListRoleTags", id, err)
				}
				for _, tg := range page.Tags {
					out[awssdk.ToString(tg.Key)] = awssdk.ToString(tg.Value)
				}
			}
			return out, nil
		}
		p := iam.NewListUserTagsPaginator(c, &iam.ListUserTagsInput{UserName: awssdk.String(id)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, wrap("iam:ListUserTags", id, err)
			}
			for _, tg := range page.Tags {
				out[awssdk.ToString(tg.Key)] = awssdk.ToString(tg.Value)
			}
		}
		return out, nil
	case ocsf.ResourceTypeS3Bucket:
		cfg, err := r.cfg.Config(ctx, t)
		if err != nil {
			return nil, err
		}
		o, err := s3.NewFromConfig(cfg).GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: awssdk.String(id)})
		if err != nil {
			if isCode(err, "NoSuchTagSet") {
				return map[string]string{}, nil
			}
			return nil, wrap("s3:GetBucketTagging", id, err)
		}
		out := map[string]string{}
		for _, tg := range o.TagSet {
			out[awssdk.ToString(tg.Key)] = awssdk.ToString(tg.Value)
		}
		return out, nil
	}
	return nil, remediate.Permanent(fmt.Errorf("%w: %s", ErrUnsupportedResource, res.Type))
}
