package aws

import (
	"context"
	"log/slog"
	"slices"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// AccountPublicAccessAPI is the part of the S3 Control API
// [BlockAccountPublicAccess] calls.
type AccountPublicAccessAPI interface {
	GetPublicAccessBlock(context.Context, *s3control.GetPublicAccessBlockInput, ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(context.Context, *s3control.PutPublicAccessBlockInput, ...func(*s3control.Options)) (*s3control.PutPublicAccessBlockOutput, error)
}

var _ AccountPublicAccessAPI = (*s3control.Client)(nil)

// BlockAccountPublicAccess is a [remediate.Remediator] that turns on all
// four account-level Block Public Access settings (S3 Control
// PutPublicAccessBlock) of the account a finding names (resources[] of type
// AWS::::Account), for the Security Hub controls configured in
// [PublicAccessOptions.Controls] (S3.1 by default). The prior configuration
// is recorded in the plan's data ("prior", null when none), which
// [RollbackAccountPublicAccess] restores, and the new one read back to
// verify.
type BlockAccountPublicAccess struct {
	opts    PublicAccessOptions
	clients func(ctx context.Context, t Target) (AccountPublicAccessAPI, error)
	log     *slog.Logger
}

var _ remediate.Remediator = (*BlockAccountPublicAccess)(nil)

// NewBlockAccountPublicAccess returns the remediator acting through src.
func NewBlockAccountPublicAccess(src ConfigSource, opts PublicAccessOptions) (*BlockAccountPublicAccess, error) {
	if opts.Name == "" {
		opts.Name = "s3-account-block-public-access"
	}
	if opts.Controls == nil {
		opts.Controls = []string{"S3.1"}
	}
	r := &BlockAccountPublicAccess{opts: opts, log: logger(opts.Logger)}
	clients, err := clientsFrom(src, opts.AccountClients, func(cfg awssdk.Config) AccountPublicAccessAPI { return s3control.NewFromConfig(cfg) })
	if err != nil {
		return nil, err
	}
	r.clients = clients
	return r, nil
}

// Name returns the remediator name.
func (r *BlockAccountPublicAccess) Name() string { return r.opts.Name }

// Permissions returns the IAM actions Plan and Apply call.
func (r *BlockAccountPublicAccess) Permissions() []string {
	return []string{"s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"}
}

type accountData struct {
	Target target             `json:"target"`
	Prior  *PublicAccessBlock `json:"prior"`
}

type accountParams struct {
	AccountID string            `json:"account_id"`
	Config    PublicAccessBlock `json:"public_access_block"`
}

// Plan reads the account's configuration and plans the block unless it is
// complete.
func (r *BlockAccountPublicAccess) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := checkFinding(ctx, r.Name(), f, r.opts.Classes); err != nil {
		return nil, err
	}
	if !slices.Contains(r.opts.Controls, "*") {
		if c := complianceControl(f); !slices.Contains(r.opts.Controls, c) {
			return nil, notApplicable(r.Name(), "control %q is not one of %v", c, r.opts.Controls)
		}
	}
	accts := findResources(f, ocsf.ResourceTypeAccount)
	if len(accts) != 1 || !accountRE.MatchString(accts[0].ID) {
		return nil, notApplicable(r.Name(), "the finding names %d AWS::::Account resources, want one", len(accts))
	}
	a := accts[0]
	tgt := target{Account: a.ID, Region: a.Region}
	c, err := r.clients(ctx, tgt.with(remediate.RefOf(f)))
	if err != nil {
		return nil, err
	}
	cur, err := accountBlock(ctx, c, a.ID)
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.All() {
		return nil, notApplicable(r.Name(), "account %s already blocks public access", a.ID)
	}
	arn := "arn:" + a.Partition + ":s3:" + a.Region + ":" + a.ID + ":account"
	return &remediate.Plan{
		Summary:     "block public access for every bucket of account " + a.ID,
		Destructive: true,
		Resources:   []remediate.Resource{{Type: ocsf.ResourceTypeAccount, UID: a.ID, Region: a.Region, AccountUID: a.ID}},
		Changes: []remediate.Change{newChange("block-account/"+a.ID, "s3:PutAccountPublicAccessBlock", arn,
			"turn on all four account-level Block Public Access settings of "+a.ID, accountParams{AccountID: a.ID, Config: blockAll})},
		Data: mustJSON(accountData{Target: tgt, Prior: cur}),
	}, nil
}

func accountBlock(ctx context.Context, c AccountPublicAccessAPI, account string) (*PublicAccessBlock, error) {
	out, err := c.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: awssdk.String(account)})
	if err != nil {
		if isCode(err, "NoSuchPublicAccessBlockConfiguration") {
			return nil, nil
		}
		return nil, wrap("s3:GetAccountPublicAccessBlock", account, err)
	}
	cfg := out.PublicAccessBlockConfiguration
	if cfg == nil {
		return &PublicAccessBlock{}, nil
	}
	return &PublicAccessBlock{BlockPublicAcls: awssdk.ToBool(cfg.BlockPublicAcls), IgnorePublicAcls: awssdk.ToBool(cfg.IgnorePublicAcls),
		BlockPublicPolicy: awssdk.ToBool(cfg.BlockPublicPolicy), RestrictPublicBuckets: awssdk.ToBool(cfg.RestrictPublicBuckets)}, nil
}

// Apply puts the account configuration unless it is in place, and reads it
// back.
func (r *BlockAccountPublicAccess) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	var d accountData
	c, err := startApply(ctx, r.Name(), p, &d, &d.Target, r.clients)
	if err != nil {
		return nil, err
	}
	return applyAll(ctx, r.log, r.Name(), p, func(ctx context.Context, ch remediate.Change) (remediate.OutcomeStatus, string, error) {
		var pr accountParams
		if err := decodeParams(ch, &pr); err != nil {
			return "", "", err
		}
		cur, err := accountBlock(ctx, c, pr.AccountID)
		if err != nil {
			return "", "", err
		}
		if cur != nil && *cur == pr.Config {
			return remediate.OutcomeAlreadyDone, "", nil
		}
		if _, err := c.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{AccountId: awssdk.String(pr.AccountID),
			PublicAccessBlockConfiguration: &s3ctypes.PublicAccessBlockConfiguration{
				BlockPublicAcls: awssdk.Bool(pr.Config.BlockPublicAcls), IgnorePublicAcls: awssdk.Bool(pr.Config.IgnorePublicAcls),
				BlockPublicPolicy: awssdk.Bool(pr.Config.BlockPublicPolicy), RestrictPublicBuckets: awssdk.Bool(pr.Config.RestrictPublicBuckets),
			}}); err != nil {
			return "", "", wrap("s3:PutAccountPublicAccessBlock", pr.AccountID, err)
		}
		after, err := accountBlock(ctx, c, pr.AccountID)
		if err != nil {
			return "", "", err
		}
		if after == nil || *after != pr.Config {
			return "", "", notEffective("s3:PutAccountPublicAccessBlock", pr.AccountID, "configuration reads back as %+v", after)
		}
		return remediate.OutcomeApplied, "all four account-level settings on (verified)", nil
	})
}
