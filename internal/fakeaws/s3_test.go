package fakeaws_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
)

func allBlocked() *s3types.PublicAccessBlockConfiguration {
	return &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
		BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}
}

func TestS3BucketPublicAccessBlock(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	b := srv.S3(member)
	b.AddBucket(fakeaws.Bucket{Name: "leaky", Region: region, Policy: `{"Statement":[]}`, PolicyIsPublic: true,
		Tags: map[string]string{"owner": "data"}})
	b.AddBucket(fakeaws.Bucket{Name: "elsewhere", Region: "us-west-2"})
	srv.S3(admin).AddBucket(fakeaws.Bucket{Name: "not-yours", Region: region})
	c := s3.NewFromConfig(srv.AWSConfig(member, region))
	ctx := t.Context()

	_, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("leaky")})
	wantCode(t, err, "NoSuchPublicAccessBlockConfiguration")
	ps, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("leaky")})
	must(t, err)
	if !aws.ToBool(ps.PolicyStatus.IsPublic) {
		t.Error("policy status not public before the block")
	}
	_, err = c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("leaky"), PublicAccessBlockConfiguration: allBlocked()})
	must(t, err)
	got, ok := b.Bucket("leaky")
	if !ok || got.PublicAccessBlock == nil || *got.PublicAccessBlock != (fakeaws.PublicAccessBlock{true, true, true, true}) {
		t.Errorf("bucket after put = %+v", got.PublicAccessBlock)
	}
	read, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("leaky")})
	must(t, err)
	if !aws.ToBool(read.PublicAccessBlockConfiguration.RestrictPublicBuckets) {
		t.Errorf("read back = %+v", read.PublicAccessBlockConfiguration)
	}
	ps, err = c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("leaky")})
	must(t, err)
	if aws.ToBool(ps.PolicyStatus.IsPublic) {
		t.Error("policy status still public after RestrictPublicBuckets")
	}
	req := srv.Calls(fakeaws.ServiceS3, "PutPublicAccessBlock")[0]
	if req.Method != http.MethodPut || req.Path != "/leaky" || req.Param("Bucket") != "leaky" ||
		!strings.Contains(string(req.Body), "<RestrictPublicBuckets>true</RestrictPublicBuckets>") {
		t.Errorf("PutPublicAccessBlock request = %s %s %v %s", req.Method, req.Path, req.Params, req.Body)
	}

	tags, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("leaky")})
	must(t, err)
	if len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != "owner" {
		t.Errorf("tags = %+v", tags.TagSet)
	}
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("elsewhere")})
	wantCode(t, err, "AuthorizationHeaderMalformed") // signed for the wrong region
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("elsewhere")})
	must(t, err)
	if loc.LocationConstraint != "us-west-2" {
		t.Errorf("location = %q", loc.LocationConstraint)
	}
	west := s3.NewFromConfig(srv.AWSConfig(member, "us-west-2"))
	_, err = west.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("elsewhere")})
	wantCode(t, err, "NoSuchTagSet")
	_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("not-yours")})
	wantCode(t, err, "AccessDenied")
	_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("missing")})
	wantCode(t, err, "NoSuchBucket")
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("leaky")})
	must(t, err)

	// SlowDown is retried by the SDK.
	srv.Inject(fakeaws.Throttle(fakeaws.ServiceS3, "GetPublicAccessBlock", 2))
	_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("leaky")})
	must(t, err)
	if n := len(srv.Calls(fakeaws.ServiceS3, "GetPublicAccessBlock")); n != 7 {
		t.Errorf("%d GetPublicAccessBlock requests, want 7 (4 before, 2 throttled, 1 ok)", n)
	}
}

func TestS3ControlAccountPublicAccessBlock(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	c := s3control.NewFromConfig(srv.AWSConfig(member, region))
	ctx := t.Context()
	cfg := &s3ctypes.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
		BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}

	_, err := c.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(member)})
	wantCode(t, err, "NoSuchPublicAccessBlockConfiguration")
	_, err = c.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{AccountId: aws.String(member), PublicAccessBlockConfiguration: cfg})
	must(t, err)
	if p, ok := srv.S3(member).AccountPublicAccessBlock(); !ok || !p.BlockPublicPolicy {
		t.Errorf("account block = %+v %v", p, ok)
	}
	req := srv.Calls(fakeaws.ServiceS3Control, "PutPublicAccessBlock")[0]
	if req.Path != "/v20180820/configuration/publicAccessBlock" || req.Param("AccountId") != member || req.IAMAction() != "s3:PutAccountPublicAccessBlock" {
		t.Errorf("request = %s %v", req.Path, req.Params)
	}
	_, err = c.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{AccountId: aws.String(admin), PublicAccessBlockConfiguration: cfg})
	wantCode(t, err, "AccessDenied")

	// Without the server's HTTP client, S3ControlOptions supplies the resolver.
	plain := aws.Config{Region: region, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: srv.AWSConfig(member, region).Credentials, HTTPClient: &http.Client{}}
	out, err := s3control.NewFromConfig(plain, srv.S3ControlOptions).GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(member)})
	must(t, err)
	if !aws.ToBool(out.PublicAccessBlockConfiguration.IgnorePublicAcls) {
		t.Errorf("read back = %+v", out.PublicAccessBlockConfiguration)
	}
	// Unknown credentials are rejected.
	plain.Credentials = credentials.NewStaticCredentialsProvider("AKIAUNKNOWN", "x", "")
	_, err = s3control.NewFromConfig(plain, srv.S3ControlOptions).GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(member)})
	wantCode(t, err, "InvalidAccessKeyId")
}
