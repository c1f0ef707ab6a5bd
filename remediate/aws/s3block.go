package aws

import (
	"context"
	"fmt"
	"log/slog"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// BucketPublicAccessAPI is the part of the S3 API [BlockBucketPublicAccess]
// calls.
type BucketPublicAccessAPI interface {
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(context.Context, *s3.PutPublicAccessBlockInput, ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
}

var _ BucketPublicAccessAPI = (*s3.Client)(nil)

// PublicAccessBlock is an S3 Block Public Access configuration (bucket or
// account level).
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"block_public_acls"`
	IgnorePublicAcls      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// All reports whether every setting is on.
func (b PublicAccessBlock) All() bool {
	return b.BlockPublicAcls && b.IgnorePublicAcls && b.BlockPublicPolicy && b.RestrictPublicBuckets
}

// PublicAccessOptions configure [BlockBucketPublicAccess] and
// [BlockAccountPublicAccess].
type PublicAccessOptions struct {
	// Name is the remediator name (default "s3-block-public-access" for
	// buckets, "s3-account-block-public-access" for accounts).
	Name string
	// Classes are the finding classes acted on (default: every class).
	Classes []ocsf.ClassUID
	// Controls, for the account-level remediator only, are the Security Hub
	// controls (compliance.control) whose findings it acts on (default
	// ["S3.1"]; "*" allows any finding naming an AWS::::Account resource).
	// Many account-level findings name the account, and blocking public
	// access for a whole account breaks public websites, so the default is
	// narrow.
	Controls []string
	// BucketClients and AccountClients, when set, replace the S3 and S3
	// Control clients built from the [ConfigSource].
	BucketClients  func(ctx context.Context, t Target) (BucketPublicAccessAPI, error)
	AccountClients func(ctx context.Context, t Target) (AccountPublicAccessAPI, error)
	// Logger receives one line per change (default: discarded).
	Logger *slog.Logger
}

// BlockBucketPublicAccess is a [remediate.Remediator] that turns on all four
// Block Public Access settings of the buckets a finding names (resources[]
// of type AWS::S3::Bucket), in the bucket's account and Region, after
// recording the prior configuration in the plan's data ("prior": bucket ->
// settings, null when the bucket had none), which
// [RollbackBucketPublicAccess] restores. The configuration is read back to
// verify.
type BlockBucketPublicAccess struct {
	opts    PublicAccessOptions
	clients func(ctx context.Context, t Target) (BucketPublicAccessAPI, error)
	log     *slog.Logger
}

var _ remediate.Remediator = (*BlockBucketPublicAccess)(nil)

// NewBlockBucketPublicAccess returns the remediator acting through src.
func NewBlockBucketPublicAccess(src ConfigSource, opts PublicAccessOptions) (*BlockBucketPublicAccess, error) {
	if opts.Name == "" {
		opts.Name = "s3-block-public-access"
	}
	r := &BlockBucketPublicAccess{opts: opts, log: logger(opts.Logger)}
	clients, err := clientsFrom(src, opts.BucketClients, func(cfg awssdk.Config) BucketPublicAccessAPI { return s3.NewFromConfig(cfg) })
	if err != nil {
		return nil, err
	}
	r.clients = clients
	return r, nil
}

// Name returns the remediator name.
func (r *BlockBucketPublicAccess) Name() string { return r.opts.Name }

// Permissions returns the IAM actions Plan and Apply call.
func (r *BlockBucketPublicAccess) Permissions() []string {
	return []string{"s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"}
}

type bucketData struct {
	Target target                        `json:"target"`
	Prior  map[string]*PublicAccessBlock `json:"prior"`
}

type bucketParams struct {
	Bucket string            `json:"bucket"`
	Config PublicAccessBlock `json:"public_access_block"`
}

var blockAll = PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}

// Plan reads each bucket's configuration and plans the buckets not fully
// blocked.
func (r *BlockBucketPublicAccess) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := checkFinding(ctx, r.Name(), f, r.opts.Classes); err != nil {
		return nil, err
	}
	buckets, tgt, err := resourcesInOneTarget(r.Name(), f, ocsf.ResourceTypeS3Bucket, "buckets")
	if err != nil {
		return nil, err
	}
	c, err := r.clients(ctx, tgt.with(remediate.RefOf(f)))
	if err != nil {
		return nil, err
	}
	p := &remediate.Plan{Destructive: true}
	d := bucketData{Target: tgt, Prior: map[string]*PublicAccessBlock{}}
	for _, b := range buckets {
		cur, err := bucketBlock(ctx, c, b.ID)
		if err != nil {
			if isCode(err, "NoSuchBucket") {
				continue
			}
			return nil, err
		}
		if cur != nil && cur.All() {
			continue
		}
		d.Prior[b.ID] = cur
		p.Resources = append(p.Resources, b.ref(b.ID))
		p.Changes = append(p.Changes, newChange("block/"+b.ID, "s3:PutBucketPublicAccessBlock", b.ARN,
			"turn on all four Block Public Access settings of bucket "+b.ID, bucketParams{Bucket: b.ID, Config: blockAll}))
	}
	if len(p.Changes) == 0 {
		return nil, notApplicable(r.Name(), "every bucket already blocks public access (or no longer exists)")
	}
	p.Summary = fmt.Sprintf("block public access of %d bucket(s) in %s", len(p.Changes), tgt.Account)
	p.Data = mustJSON(d)
	return p, nil
}

// bucketBlock returns the bucket's configuration, nil when it has none.
func bucketBlock(ctx context.Context, c BucketPublicAccessAPI, bucket string) (*PublicAccessBlock, error) {
	out, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: awssdk.String(bucket)})
	if err != nil {
		if isCode(err, "NoSuchPublicAccessBlockConfiguration") {
			return nil, nil
		}
		return nil, wrap("s3:GetBucketPublicAccessBlock", bucket, err)
	}
	return fromS3(out.PublicAccessBlockConfiguration), nil
}

func fromS3(c *s3types.PublicAccessBlockConfiguration) *PublicAccessBlock {
	if c == nil {
		return &PublicAccessBlock{}
	}
	return &PublicAccessBlock{BlockPublicAcls: awssdk.ToBool(c.BlockPublicAcls), IgnorePublicAcls: awssdk.ToBool(c.IgnorePublicAcls),
		BlockPublicPolicy: awssdk.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: awssdk.ToBool(c.RestrictPublicBuckets)}
}

// Apply puts the configuration on buckets not already fully blocked and
// reads it back.
func (r *BlockBucketPublicAccess) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	var d bucketData
	c, err := startApply(ctx, r.Name(), p, &d, &d.Target, r.clients)
	if err != nil {
		return nil, err
	}
	return applyAll(ctx, r.log, r.Name(), p, func(ctx context.Context, ch remediate.Change) (remediate.OutcomeStatus, string, error) {
		var pr bucketParams
		if err := decodeChange(r.Name(), ch, "block/", &pr); err != nil {
			return "", "", err
		}
		cur, err := bucketBlock(ctx, c, pr.Bucket)
		if err != nil {
			if isCode(err, "NoSuchBucket") {
				return remediate.OutcomeSkipped, "bucket no longer exists", nil
			}
			return "", "", err
		}
		if cur != nil && *cur == pr.Config {
			return remediate.OutcomeAlreadyDone, "", nil
		}
		if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: awssdk.String(pr.Bucket),
			PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
				BlockPublicAcls: awssdk.Bool(pr.Config.BlockPublicAcls), IgnorePublicAcls: awssdk.Bool(pr.Config.IgnorePublicAcls),
				BlockPublicPolicy: awssdk.Bool(pr.Config.BlockPublicPolicy), RestrictPublicBuckets: awssdk.Bool(pr.Config.RestrictPublicBuckets),
			}}); err != nil {
			return "", "", wrap("s3:PutBucketPublicAccessBlock", pr.Bucket, err)
		}
		after, err := bucketBlock(ctx, c, pr.Bucket)
		if err != nil {
			return "", "", err
		}
		if after == nil || *after != pr.Config {
			return "", "", notEffective("s3:PutBucketPublicAccessBlock", pr.Bucket, "configuration reads back as %+v", after)
		}
		return remediate.OutcomeApplied, "all four settings on (verified)", nil
	})
}
