package aws

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// BucketPublicAccessRollbackAPI is the part of the S3 API
// [RollbackBucketPublicAccess] calls.
type BucketPublicAccessRollbackAPI interface {
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(context.Context, *s3.PutPublicAccessBlockInput, ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	DeletePublicAccessBlock(context.Context, *s3.DeletePublicAccessBlockInput, ...func(*s3.Options)) (*s3.DeletePublicAccessBlockOutput, error)
}

// AccountPublicAccessRollbackAPI is the part of the S3 Control API
// [RollbackAccountPublicAccess] calls.
type AccountPublicAccessRollbackAPI interface {
	GetPublicAccessBlock(context.Context, *s3control.GetPublicAccessBlockInput, ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(context.Context, *s3control.PutPublicAccessBlockInput, ...func(*s3control.Options)) (*s3control.PutPublicAccessBlockOutput, error)
	DeletePublicAccessBlock(context.Context, *s3control.DeletePublicAccessBlockInput, ...func(*s3control.Options)) (*s3control.DeletePublicAccessBlockOutput, error)
}

var (
	_ BucketPublicAccessRollbackAPI  = (*s3.Client)(nil)
	_ AccountPublicAccessRollbackAPI = (*s3control.Client)(nil)
)

// PublicAccessRollbackOptions configure [RollbackBucketPublicAccess] and
// [RollbackAccountPublicAccess].
type PublicAccessRollbackOptions struct {
	// Name is the remediator name (default
	// "s3-block-public-access-rollback" for buckets,
	// "s3-account-block-public-access-rollback" for accounts).
	Name string
	// Undo is the name of the remediator whose plans are rolled back
	// (default "s3-block-public-access" for buckets,
	// "s3-account-block-public-access" for accounts).
	Undo string
	// Classes are the finding classes acted on (default: every class; the
	// routing rule decides, for example "status_id 3 (Suppressed)").
	Classes []ocsf.ClassUID
	// BucketClients and AccountClients, when set, replace the S3 and S3
	// Control clients built from the [ConfigSource].
	BucketClients  func(ctx context.Context, t Target) (BucketPublicAccessRollbackAPI, error)
	AccountClients func(ctx context.Context, t Target) (AccountPublicAccessRollbackAPI, error)
	// Logger receives one line per change (default: discarded).
	Logger *slog.Logger
}

// String renders the four settings ("BlockPublicAcls=true
// IgnorePublicAcls=false BlockPublicPolicy=true RestrictPublicBuckets=false").
func (b PublicAccessBlock) String() string {
	return fmt.Sprintf("BlockPublicAcls=%t IgnorePublicAcls=%t BlockPublicPolicy=%t RestrictPublicBuckets=%t",
		b.BlockPublicAcls, b.IgnorePublicAcls, b.BlockPublicPolicy, b.RestrictPublicBuckets)
}

// samePAB reports whether two configurations are the same, nil (none)
// included.
func samePAB(a, b *PublicAccessBlock) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// describePAB renders a configuration, "none" for nil.
func describePAB(b *PublicAccessBlock) string {
	if b == nil {
		return "none"
	}
	return b.String()
}

// restoreBlockParams restore one configuration: Prior, or none (delete) when
// Prior is null.
type restoreBlockParams struct {
	Bucket    string             `json:"bucket,omitempty"`
	AccountID string             `json:"account_id,omitempty"`
	Prior     *PublicAccessBlock `json:"prior"`
	// Undoes is the id of the plan that recorded Prior.
	Undoes string `json:"undoes_plan"`
}

type restoreBlockData struct {
	Target target `json:"target"`
}

// RollbackBucketPublicAccess is a [remediate.Remediator] that undoes
// [BlockBucketPublicAccess] for the buckets a finding names: it finds, in
// the engine's journal, the block plans applied for the same finding
// (metadata.uid) and restores each bucket's configuration recorded there
// before the block (the latest such plan wins), or deletes the
// configuration when the bucket had none. Plan lists only the buckets whose
// live configuration differs; Apply checks it again, and reads the result
// back. Buckets the block skipped, buckets no longer there and findings
// without an applied block plan are not applicable. Plans are destructive:
// they make buckets publicly reachable again.
type RollbackBucketPublicAccess struct {
	opts    PublicAccessRollbackOptions
	journal PlanJournal
	clients func(ctx context.Context, t Target) (BucketPublicAccessRollbackAPI, error)
	log     *slog.Logger
}

var _ remediate.Remediator = (*RollbackBucketPublicAccess)(nil)

// NewRollbackBucketPublicAccess returns the rollback acting through src and
// reading plans from journal (required).
func NewRollbackBucketPublicAccess(src ConfigSource, journal PlanJournal, opts PublicAccessRollbackOptions) (*RollbackBucketPublicAccess, error) {
	if opts.Name == "" {
		opts.Name = NameBucketBlockRollback
	}
	if opts.Undo == "" {
		opts.Undo = NameBucketBlock
	}
	if err := needJournal(opts.Name, journal); err != nil {
		return nil, err
	}
	r := &RollbackBucketPublicAccess{opts: opts, journal: journal, log: logger(opts.Logger)}
	clients, err := clientsFrom(src, opts.BucketClients, func(cfg awssdk.Config) BucketPublicAccessRollbackAPI { return s3.NewFromConfig(cfg) })
	if err != nil {
		return nil, err
	}
	r.clients = clients
	return r, nil
}

// Name returns the remediator name.
func (r *RollbackBucketPublicAccess) Name() string { return r.opts.Name }

// Permissions returns the IAM actions Plan and Apply call (S3's
// DeletePublicAccessBlock is authorized by s3:PutBucketPublicAccessBlock).
func (r *RollbackBucketPublicAccess) Permissions() []string {
	return []string{"s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"}
}

// Plan finds the recorded configurations and plans those that differ from
// the live ones.
func (r *RollbackBucketPublicAccess) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := checkFinding(ctx, r.Name(), f, r.opts.Classes); err != nil {
		return nil, err
	}
	buckets, tgt, err := resourcesInOneTarget(r.Name(), f, ocsf.ResourceTypeS3Bucket, "buckets")
	if err != nil {
		return nil, err
	}
	ref := remediate.RefOf(f)
	applied, err := appliedPlans(ctx, r.journal, ref.ID(), r.opts.Undo)
	if err != nil {
		return nil, err
	}
	// The configuration each bucket had before the latest block of it.
	type recorded struct {
		prior  *PublicAccessBlock
		planID string
	}
	prior := map[string]recorded{}
	for _, ap := range applied {
		var d bucketData
		if err := decodeData(ap.plan, &d); err != nil {
			return nil, err
		}
		if d.Target.Account != tgt.Account {
			continue
		}
		for _, c := range ap.plan.Changes {
			var pr bucketParams
			if !strings.HasPrefix(c.ID, "block/") || ap.skipped[c.ID] || decodeParams(c, &pr) != nil {
				continue
			}
			if before, ok := d.Prior[pr.Bucket]; ok {
				prior[pr.Bucket] = recorded{prior: before, planID: ap.plan.ID}
			}
		}
	}
	if len(prior) == 0 {
		return nil, notApplicable(r.Name(), "the journal holds no applied %s plan for this finding's buckets", r.opts.Undo)
	}
	c, err := r.clients(ctx, tgt.with(ref))
	if err != nil {
		return nil, err
	}
	p := &remediate.Plan{Destructive: true}
	for _, b := range buckets {
		rec, ok := prior[b.ID]
		if !ok {
			continue
		}
		cur, err := bucketBlock(ctx, c, b.ID)
		if err != nil {
			if isCode(err, "NoSuchBucket") {
				continue
			}
			return nil, err
		}
		if samePAB(cur, rec.prior) {
			continue
		}
		desc := "restore the Block Public Access settings of bucket " + b.ID + " to " + describePAB(rec.prior) + " (before plan " + rec.planID + ")"
		if rec.prior == nil {
			desc = "delete the Block Public Access configuration of bucket " + b.ID + " (it had none before plan " + rec.planID + ")"
		}
		p.Resources = append(p.Resources, b.ref(b.ID))
		p.Changes = append(p.Changes, newChange("restore/"+b.ID, "s3:PutBucketPublicAccessBlock", b.ARN, desc,
			restoreBlockParams{Bucket: b.ID, Prior: rec.prior, Undoes: rec.planID}))
	}
	if len(p.Changes) == 0 {
		return nil, notApplicable(r.Name(), "every bucket is back to its recorded configuration (or no longer exists)")
	}
	p.Summary = fmt.Sprintf("restore the public access configuration of %d bucket(s) in %s", len(p.Changes), tgt.Account)
	p.Data = mustJSON(restoreBlockData{Target: tgt})
	return p, nil
}

// Apply restores each configuration unless it is in place, and reads it
// back.
func (r *RollbackBucketPublicAccess) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	var d restoreBlockData
	c, err := startApply(ctx, r.Name(), p, &d, &d.Target, r.clients)
	if err != nil {
		return nil, err
	}
	return applyAll(ctx, r.log, r.Name(), p, func(ctx context.Context, ch remediate.Change) (remediate.OutcomeStatus, string, error) {
		var pr restoreBlockParams
		if err := decodeChange(r.Name(), ch, "restore/", &pr); err != nil {
			return "", "", err
		}
		cur, err := bucketBlock(ctx, c, pr.Bucket)
		if err != nil {
			if isCode(err, "NoSuchBucket") {
				return remediate.OutcomeSkipped, "bucket no longer exists", nil
			}
			return "", "", err
		}
		if samePAB(cur, pr.Prior) {
			return remediate.OutcomeAlreadyDone, describePAB(cur), nil
		}
		if pr.Prior == nil {
			if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: awssdk.String(pr.Bucket)}); err != nil {
				return "", "", wrap("s3:PutBucketPublicAccessBlock", pr.Bucket, err)
			}
		} else {
			if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: awssdk.String(pr.Bucket),
				PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
					BlockPublicAcls: awssdk.Bool(pr.Prior.BlockPublicAcls), IgnorePublicAcls: awssdk.Bool(pr.Prior.IgnorePublicAcls),
					BlockPublicPolicy: awssdk.Bool(pr.Prior.BlockPublicPolicy), RestrictPublicBuckets: awssdk.Bool(pr.Prior.RestrictPublicBuckets),
				}}); err != nil {
				return "", "", wrap("s3:PutBucketPublicAccessBlock", pr.Bucket, err)
			}
		}
		after, err := bucketBlock(ctx, c, pr.Bucket)
		if err != nil {
			return "", "", err
		}
		if !samePAB(after, pr.Prior) {
			return "", "", notEffective("s3:PutBucketPublicAccessBlock", pr.Bucket, "configuration reads back as %s, want %s", describePAB(after), describePAB(pr.Prior))
		}
		return remediate.OutcomeApplied, "restored " + describePAB(pr.Prior) + " (verified)", nil
	})
}

// RollbackAccountPublicAccess is a [remediate.Remediator] that undoes
// [BlockAccountPublicAccess] for the account a finding names (resources[]
// of type AWS::::Account): it finds, in the engine's journal, the latest
// account block plan applied for the same finding and restores the
// account-level configuration recorded there, or deletes it when the
// account had none. Plan and Apply compare with the live configuration
// first; Apply reads the result back. Plans are destructive: every bucket
// of the account loses the account-level protection.
type RollbackAccountPublicAccess struct {
	opts    PublicAccessRollbackOptions
	journal PlanJournal
	clients func(ctx context.Context, t Target) (AccountPublicAccessRollbackAPI, error)
	log     *slog.Logger
}

var _ remediate.Remediator = (*RollbackAccountPublicAccess)(nil)

// NewRollbackAccountPublicAccess returns the rollback acting through src
// and reading plans from journal (required).
func NewRollbackAccountPublicAccess(src ConfigSource, journal PlanJournal, opts PublicAccessRollbackOptions) (*RollbackAccountPublicAccess, error) {
	if opts.Name == "" {
		opts.Name = NameAccountBlockRollback
	}
	if opts.Undo == "" {
		opts.Undo = NameAccountBlock
	}
	if err := needJournal(opts.Name, journal); err != nil {
		return nil, err
	}
	r := &RollbackAccountPublicAccess{opts: opts, journal: journal, log: logger(opts.Logger)}
	clients, err := clientsFrom(src, opts.AccountClients, func(cfg awssdk.Config) AccountPublicAccessRollbackAPI { return s3control.NewFromConfig(cfg) })
	if err != nil {
		return nil, err
	}
	r.clients = clients
	return r, nil
}

// Name returns the remediator name.
func (r *RollbackAccountPublicAccess) Name() string { return r.opts.Name }

// Permissions returns the IAM actions Plan and Apply call (S3 Control's
// DeletePublicAccessBlock is authorized by s3:PutAccountPublicAccessBlock).
func (r *RollbackAccountPublicAccess) Permissions() []string {
	return []string{"s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"}
}

// Plan finds the recorded configuration and plans it unless it is live.
func (r *RollbackAccountPublicAccess) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := checkFinding(ctx, r.Name(), f, r.opts.Classes); err != nil {
		return nil, err
	}
	accts := findResources(f, ocsf.ResourceTypeAccount)
	if len(accts) != 1 || !accountRE.MatchString(accts[0].ID) {
		return nil, notApplicable(r.Name(), "the finding names %d AWS::::Account resources, want one", len(accts))
	}
	a := accts[0]
	ref := remediate.RefOf(f)
	applied, err := appliedPlans(ctx, r.journal, ref.ID(), r.opts.Undo)
	if err != nil {
		return nil, err
	}
	var rec *restoreBlockParams
	for _, ap := range applied {
		var d accountData
		if err := decodeData(ap.plan, &d); err != nil {
			return nil, err
		}
		for _, c := range ap.plan.Changes {
			var pr accountParams
			if !strings.HasPrefix(c.ID, "block-account/") || ap.skipped[c.ID] || decodeParams(c, &pr) != nil || pr.AccountID != a.ID {
				continue
			}
			rec = &restoreBlockParams{AccountID: a.ID, Prior: d.Prior, Undoes: ap.plan.ID}
		}
	}
	if rec == nil {
		return nil, notApplicable(r.Name(), "the journal holds no applied %s plan for account %s and this finding", r.opts.Undo, a.ID)
	}
	tgt := target{Account: a.ID, Region: a.Region}
	c, err := r.clients(ctx, tgt.with(ref))
	if err != nil {
		return nil, err
	}
	cur, err := accountBlock(ctx, c, a.ID)
	if err != nil {
		return nil, err
	}
	if samePAB(cur, rec.Prior) {
		return nil, notApplicable(r.Name(), "account %s is back to its recorded configuration (%s)", a.ID, describePAB(cur))
	}
	desc := "restore the account-level Block Public Access settings of " + a.ID + " to " + describePAB(rec.Prior) + " (before plan " + rec.Undoes + ")"
	if rec.Prior == nil {
		desc = "delete the account-level Block Public Access configuration of " + a.ID + " (it had none before plan " + rec.Undoes + ")"
	}
	arn := "arn:" + a.Partition + ":s3:" + a.Region + ":" + a.ID + ":account"
	return &remediate.Plan{
		Summary:     "restore the account-level public access configuration of " + a.ID,
		Destructive: true,
		Resources:   []remediate.Resource{{Type: ocsf.ResourceTypeAccount, UID: a.ID, Region: a.Region, AccountUID: a.ID}},
		Changes:     []remediate.Change{newChange("restore-account/"+a.ID, "s3:PutAccountPublicAccessBlock", arn, desc, *rec)},
		Data:        mustJSON(restoreBlockData{Target: tgt}),
	}, nil
}

// Apply restores the configuration unless it is in place, and reads it
// back.
func (r *RollbackAccountPublicAccess) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	var d restoreBlockData
	c, err := startApply(ctx, r.Name(), p, &d, &d.Target, r.clients)
	if err != nil {
		return nil, err
	}
	return applyAll(ctx, r.log, r.Name(), p, func(ctx context.Context, ch remediate.Change) (remediate.OutcomeStatus, string, error) {
		var pr restoreBlockParams
		if err := decodeChange(r.Name(), ch, "restore-account/", &pr); err != nil {
			return "", "", err
		}
		cur, err := accountBlock(ctx, c, pr.AccountID)
		if err != nil {
			return "", "", err
		}
		if samePAB(cur, pr.Prior) {
			return remediate.OutcomeAlreadyDone, describePAB(cur), nil
		}
		if pr.Prior == nil {
			if _, err := c.DeletePublicAccessBlock(ctx, &s3control.DeletePublicAccessBlockInput{AccountId: awssdk.String(pr.AccountID)}); err != nil {
				return "", "", wrap("s3:PutAccountPublicAccessBlock", pr.AccountID, err)
			}
		} else {
			if _, err := c.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{AccountId: awssdk.String(pr.AccountID),
				PublicAccessBlockConfiguration: &s3ctypes.PublicAccessBlockConfiguration{
					BlockPublicAcls: awssdk.Bool(pr.Prior.BlockPublicAcls), IgnorePublicAcls: awssdk.Bool(pr.Prior.IgnorePublicAcls),
					BlockPublicPolicy: awssdk.Bool(pr.Prior.BlockPublicPolicy), RestrictPublicBuckets: awssdk.Bool(pr.Prior.RestrictPublicBuckets),
				}}); err != nil {
				return "", "", wrap("s3:PutAccountPublicAccessBlock", pr.AccountID, err)
			}
		}
		after, err := accountBlock(ctx, c, pr.AccountID)
		if err != nil {
			return "", "", err
		}
		if !samePAB(after, pr.Prior) {
			return "", "", notEffective("s3:PutAccountPublicAccessBlock", pr.AccountID, "configuration reads back as %s, want %s", describePAB(after), describePAB(pr.Prior))
		}
		return remediate.OutcomeApplied, "restored " + describePAB(pr.Prior) + " (verified)", nil
	})
}
