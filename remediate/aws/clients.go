package aws

import (
	"container/list"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// Target is where a remediator acts: an account, a Region, and a session
// label that ends up in the role session name (and so in CloudTrail's
// userIdentity of every call), normally the finding's id.
type Target struct {
	// Account is the 12-digit AWS account id.
	Account string
	// Region is the AWS Region ("eu-west-1").
	Region string
	// Session is a label for the work, usually [SessionLabel] of the
	// finding. It is sanitised into an STS role session name.
	Session string
}

// ConfigSource gives the aws.Config to act with in a target account and
// Region. [*ClientFactory] is the implementation that assumes a role in
// member accounts; [StaticConfig] uses one set of credentials everywhere.
//
// Config must be safe for concurrent use. Its errors are classified like
// the calls' (an AccessDenied from STS is permanent, throttling transient).
type ConfigSource interface {
	Config(ctx context.Context, t Target) (awssdk.Config, error)
}

// ConfigSourceFunc adapts a function to [ConfigSource].
type ConfigSourceFunc func(ctx context.Context, t Target) (awssdk.Config, error)

// Config calls f(ctx, t).
func (f ConfigSourceFunc) Config(ctx context.Context, t Target) (awssdk.Config, error) {
	return f(ctx, t)
}

// StaticConfig returns a [ConfigSource] that uses cfg's credentials for
// every target, only switching the Region: for a single account, or when
// the process already runs with credentials valid in every account.
func StaticConfig(cfg awssdk.Config) ConfigSource {
	return ConfigSourceFunc(func(ctx context.Context, t Target) (awssdk.Config, error) {
		if err := ctx.Err(); err != nil {
			return awssdk.Config{}, err
		}
		c := cfg.Copy()
		if t.Region != "" {
			c.Region = t.Region
		}
		return c, nil
	})
}

// ClientFactoryOptions configure a [ClientFactory].
type ClientFactoryOptions struct {
	// HomeAccount is the account the base credentials belong to (the
	// delegated administrator, where the service runs). Targets in it use
	// the base credentials without assuming a role. Empty: discovered once
	// with sts:GetCallerIdentity when a role is configured.
	HomeAccount string
	// RoleName is the name of the role to assume in member accounts,
	// deployed there by the member-role StackSet (see the policy package).
	// It may contain the placeholders {account} and {region}. Empty means
	// no role is assumed: every target must be in the home account (or, when
	// HomeAccount is also empty, the base credentials are used everywhere).
	RoleName string
	// RolePath is the role's path (default "/").
	RolePath string
	// Partition is the ARN partition of the roles (default "aws").
	Partition string
	// ExternalID is sent with every AssumeRole (the member role's trust
	// policy requires it). Not a secret, but not logged either.
	ExternalID string
	// SessionPrefix starts every role session name (default "ocsfhub").
	SessionPrefix string
	// Duration is the lifetime of assumed-role credentials (default and
	// minimum 15 minutes).
	Duration time.Duration
	// MaxEntries bounds the number of cached credential sets (default 256);
	// the least recently used is dropped first.
	MaxEntries int
	// Logger receives a debug line per AssumeRole (default: discarded).
	Logger *slog.Logger
}

// ClientFactory is a [ConfigSource] for an AWS Organization: targets in the
// home account use the base credentials; targets in other accounts use
// credentials from sts:AssumeRole into the member role
// (arn:<partition>:iam::<account>:role<path><name>) with the external id and
// a role session name carrying the sanitised session label (the finding id),
// so CloudTrail in the member account names the finding behind each change.
// Credentials are cached per (account, session) in an aws.CredentialsCache,
// which refreshes them before they expire; configs differ per Region only.
//
// It is safe for concurrent use.
type ClientFactory struct {
	base awssdk.Config
	opts ClientFactoryOptions
	log  *slog.Logger
	sts  *sts.Client

	homeMu sync.Mutex
	home   string

	mu    sync.Mutex
	lru   *list.List // of *credEntry, most recent first
	byKey map[string]*list.Element
}

type credEntry struct {
	key   string
	cache *awssdk.CredentialsCache
}

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// NewClientFactory returns a factory over base, the configuration of the
// home (delegated administrator) account, typically from
// config.LoadDefaultConfig.
func NewClientFactory(base awssdk.Config, opts ClientFactoryOptions) (*ClientFactory, error) {
	if opts.HomeAccount != "" && !accountRE.MatchString(opts.HomeAccount) {
		return nil, fmt.Errorf("%w: HomeAccount %q is not a 12-digit account id", ErrConfig, opts.HomeAccount)
	}
	if opts.RoleName != "" {
		probe := roleNameFor(opts.RoleName, "111122223333", "us-east-1")
		if !roleNameRE.MatchString(probe) {
			return nil, fmt.Errorf("%w: RoleName %q is not a valid IAM role name", ErrConfig, opts.RoleName)
		}
	}
	if opts.RolePath == "" {
		opts.RolePath = "/"
	}
	if !strings.HasPrefix(opts.RolePath, "/") || !strings.HasSuffix(opts.RolePath, "/") {
		return nil, fmt.Errorf("%w: RolePath %q must start and end with /", ErrConfig, opts.RolePath)
	}
	if opts.Partition == "" {
		opts.Partition = "aws"
	}
	if opts.SessionPrefix == "" {
		opts.SessionPrefix = "ocsfhub"
	}
	if len(opts.SessionPrefix) > 32 || !sessionCharsRE.MatchString(opts.SessionPrefix) {
		return nil, fmt.Errorf("%w: SessionPrefix %q must be 1-32 characters of [A-Za-z0-9_+=,.@-]", ErrConfig, opts.SessionPrefix)
	}
	if opts.ExternalID != "" && (len(opts.ExternalID) < 2 || len(opts.ExternalID) > 1224 || !externalIDRE.MatchString(opts.ExternalID)) {
		return nil, fmt.Errorf("%w: ExternalID must be 2-1224 characters of [A-Za-z0-9_+=,.@:/-]", ErrConfig)
	}
	if opts.Duration < 15*time.Minute {
		opts.Duration = 15 * time.Minute
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 256
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ClientFactory{
		base:  base.Copy(),
		opts:  opts,
		log:   log,
		sts:   sts.NewFromConfig(base),
		home:  opts.HomeAccount,
		lru:   list.New(),
		byKey: map[string]*list.Element{},
	}, nil
}

var (
	roleNameRE     = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	sessionCharsRE = regexp.MustCompile(`^[\w+=,.@-]+$`)
	externalIDRE   = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

func roleNameFor(tmpl, account, region string) string {
	return strings.NewReplacer("{account}", account, "{region}", region).Replace(tmpl)
}

// RoleARN returns the ARN of the member role for an account and Region.
func (f *ClientFactory) RoleARN(account, region string) string {
	return "arn:" + f.opts.Partition + ":iam::" + account + ":role" + f.opts.RolePath + roleNameFor(f.opts.RoleName, account, region)
}

// Home returns the home account, discovering it with sts:GetCallerIdentity
// on first use when it was not configured.
func (f *ClientFactory) Home(ctx context.Context) (string, error) {
	f.homeMu.Lock()
	defer f.homeMu.Unlock()
	if f.home != "" {
		return f.home, nil
	}
	out, err := f.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", wrap("sts:GetCallerIdentity", "", err)
	}
	f.home = awssdk.ToString(out.Account)
	return f.home, nil
}

// Config returns the configuration to act in t.Account and t.Region (the
// base Region when t.Region is empty). For a member account it assumes the
// member role now (or reuses cached credentials), so that a trust or
// external-id problem surfaces here as an *Error for sts:AssumeRole.
func (f *ClientFactory) Config(ctx context.Context, t Target) (awssdk.Config, error) {
	if err := ctx.Err(); err != nil {
		return awssdk.Config{}, err
	}
	cfg := f.base.Copy()
	if t.Region != "" {
		cfg.Region = t.Region
	}
	if t.Account == "" || f.opts.RoleName == "" && f.opts.HomeAccount == "" {
		return cfg, nil
	}
	if !accountRE.MatchString(t.Account) {
		return awssdk.Config{}, remediate.Permanent(fmt.Errorf("remediate/aws: target account %q is not a 12-digit account id", t.Account))
	}
	if f.opts.RoleName == "" {
		if t.Account != f.opts.HomeAccount {
			return awssdk.Config{}, remediate.Permanent(fmt.Errorf("%w: account %s is not the home account %s and no member role is configured",
				ErrConfig, t.Account, f.opts.HomeAccount))
		}
		return cfg, nil
	}
	home, err := f.Home(ctx)
	if err != nil {
		return awssdk.Config{}, err
	}
	if t.Account == home {
		return cfg, nil
	}
	session := SessionName(f.opts.SessionPrefix, t.Session)
	roleARN := f.RoleARN(t.Account, cfg.Region)
	cache := f.credentials(t.Account+"\x00"+roleARN+"\x00"+session, roleARN, session)
	if _, err := cache.Retrieve(ctx); err != nil {
		return awssdk.Config{}, wrap("sts:AssumeRole", roleARN, err)
	}
	cfg.Credentials = cache
	return cfg, nil
}

// credentials returns the cached credentials for key, creating the cache
// entry (without calling STS) when missing.
func (f *ClientFactory) credentials(key, roleARN, session string) *awssdk.CredentialsCache {
	f.mu.Lock()
	defer f.mu.Unlock()
	if el, ok := f.byKey[key]; ok {
		f.lru.MoveToFront(el)
		return el.Value.(*credEntry).cache
	}
	f.log.Debug("remediate/aws: new member-role session", "role", roleARN, "session", session)
	prov := stscreds.NewAssumeRoleProvider(f.sts, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = session
		o.Duration = f.opts.Duration
		if f.opts.ExternalID != "" {
			o.ExternalID = awssdk.String(f.opts.ExternalID)
		}
	})
	e := &credEntry{key: key, cache: awssdk.NewCredentialsCache(prov)}
	f.byKey[key] = f.lru.PushFront(e)
	for f.lru.Len() > f.opts.MaxEntries {
		old := f.lru.Back()
		f.lru.Remove(old)
		delete(f.byKey, old.Value.(*credEntry).key)
	}
	return e.cache
}

// maxSessionName is STS's limit on RoleSessionName.
const maxSessionName = 64

// SessionName builds an STS role session name from a prefix and a label
// (a finding id): characters outside [A-Za-z0-9_+=,.@-] become '-', and when
// the result exceeds 64 characters the label keeps its end (the most
// specific part of an ARN-like finding id). The result always satisfies
// STS's constraints: 2 to 64 characters of [\w+=,.@-].
func SessionName(prefix, label string) string {
	clean := func(s string) string {
		b := []byte(s)
		for i, c := range b {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				strings.IndexByte("_+=,.@-", c) >= 0) {
				b[i] = '-'
			}
		}
		return string(b)
	}
	prefix = clean(prefix)
	if len(prefix) > 32 {
		prefix = prefix[:32]
	}
	label = strings.Trim(clean(label), "-")
	if label == "" {
		if len(prefix) < 2 {
			return prefix + "--"[:2-len(prefix)]
		}
		return prefix
	}
	if prefix == "" {
		prefix = "s"
	}
	room := maxSessionName - len(prefix) - 1
	if len(label) > room {
		label = strings.TrimLeft(label[len(label)-room:], "-")
	}
	return prefix + "-" + label
}

// SessionLabel returns the label of a finding for role session names: its
// finding_info.uid (whose end is the producer's finding id), else its
// metadata.uid.
func SessionLabel(ref remediate.FindingRef) string {
	if ref.FindingUID != "" {
		return ref.FindingUID
	}
	return ref.MetadataUID
}

// clientsFrom returns given when it is set (clients injected through the
// options), else a function that builds the clients for each target with
// build from src's config. With neither, it is an [ErrConfig] error.
func clientsFrom[C any](src ConfigSource, given func(context.Context, Target) (C, error), build func(awssdk.Config) C) (func(context.Context, Target) (C, error), error) {
	if given != nil {
		return given, nil
	}
	if src == nil {
		return nil, fmt.Errorf("%w: no ConfigSource", ErrConfig)
	}
	return func(ctx context.Context, t Target) (C, error) {
		cfg, err := src.Config(ctx, t)
		if err != nil {
			var zero C
			return zero, err
		}
		return build(cfg), nil
	}, nil
}
