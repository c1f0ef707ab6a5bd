package aws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// SecurityHubAPI is the part of the Security Hub API [StatusWriter] calls.
type SecurityHubAPI interface {
	BatchUpdateFindingsV2(context.Context, *securityhub.BatchUpdateFindingsV2Input, ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsV2Output, error)
}

var _ SecurityHubAPI = (*securityhub.Client)(nil)

// ErrUnidentifiable is returned (wrapped, permanent) for an update whose
// finding has neither a metadata.uid nor the complete (account, finding,
// product) identifier.
var ErrUnidentifiable = errors.New("remediate/aws: finding cannot be identified to Security Hub")

// UnprocessedError is a finding Security Hub listed in UnprocessedFindings
// of a BatchUpdateFindingsV2 call that otherwise succeeded.
type UnprocessedError struct {
	// Finding is the finding's id (metadata.uid, or the identifier triple).
	Finding string
	// Code is the error code (ResourceNotFoundException, ValidationException,
	// InternalServerException, ConflictException).
	Code string
	// Message is Security Hub's message.
	Message string
}

// Error returns "remediate/aws: finding <id> not updated: <code>: <message>".
func (e *UnprocessedError) Error() string {
	return "remediate/aws: finding " + e.Finding + " not updated: " + e.Code + ": " + e.Message
}

// ErrorCode returns Code, so that remediate.Classify classifies it.
func (e *UnprocessedError) ErrorCode() string { return e.Code }

// transient reports whether Security Hub may accept the update later.
func (e *UnprocessedError) transient() bool {
	return e.Code == string(shtypes.BatchUpdateFindingsV2UnprocessedFindingErrorCodeInternalServerException) ||
		e.Code == string(shtypes.BatchUpdateFindingsV2UnprocessedFindingErrorCodeConflictException)
}

// StatusWriterOptions configure a [StatusWriter].
type StatusWriterOptions struct {
	// PreferIdentifiers identifies findings by the (cloud.account.uid,
	// finding_info.uid, metadata.product.uid) triple even when metadata.uid
	// is known. By default metadata.uid is used when present.
	PreferIdentifiers bool
	// Attempts is how many times a finding that comes back unprocessed with
	// a transient code (InternalServerException, ConflictException) is sent
	// (default 3). Throttling and 5xx of the call itself are retried by the
	// SDK's retryer.
	Attempts int
	// Backoff is the first delay between those attempts, doubled each time
	// (default 200ms).
	Backoff time.Duration
	// Logger receives a warning per unprocessed finding (default:
	// discarded).
	Logger *slog.Logger
}

// StatusWriter is the [remediate.StatusWriter] for the OCSF Security Hub:
// each update is a BatchUpdateFindingsV2 call setting StatusId and Comment
// of one finding, identified by MetadataUids (metadata.uid) or by
// FindingIdentifiers (cloud account, finding_info.uid, product uid). The
// call can succeed while the finding is in UnprocessedFindings: transient
// codes are retried, and whatever remains is returned as an
// [*UnprocessedError], classified transient (InternalServerException,
// ConflictException) or permanent (ResourceNotFoundException,
// ValidationException).
//
// Give it a client for the Security Hub home Region of the delegated
// administrator account: that is where findings of every member account and
// linked Region can be updated. The IAM action is
// securityhub:BatchUpdateFindings (the V1 name authorizes V2 as well).
type StatusWriter struct {
	client SecurityHubAPI
	opts   StatusWriterOptions
	log    *slog.Logger
}

var _ remediate.StatusWriter = (*StatusWriter)(nil)

// NewStatusWriter returns a writer calling client.
func NewStatusWriter(client SecurityHubAPI, opts StatusWriterOptions) (*StatusWriter, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil Security Hub client", ErrConfig)
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 200 * time.Millisecond
	}
	return &StatusWriter{client: client, opts: opts, log: logger(opts.Logger)}, nil
}

// Permissions returns the IAM action the writer needs.
func (w *StatusWriter) Permissions() []string { return []string{"securityhub:BatchUpdateFindings"} }

// WriteStatus sets the finding's status and comment.
func (w *StatusWriter) WriteStatus(ctx context.Context, u remediate.StatusUpdate) error {
	in := &securityhub.BatchUpdateFindingsV2Input{StatusId: awssdk.Int32(int32(u.StatusID))}
	key := u.Finding.Key()
	var id string
	switch {
	case key.MetadataUID != "" && !(w.opts.PreferIdentifiers && key.HasIdentifier()):
		in.MetadataUids = []string{key.MetadataUID}
		id = key.MetadataUID
	case key.HasIdentifier():
		in.FindingIdentifiers = []shtypes.OcsfFindingIdentifier{{
			CloudAccountUid:    awssdk.String(key.CloudAccountUID),
			FindingInfoUid:     awssdk.String(key.FindingInfoUID),
			MetadataProductUid: awssdk.String(key.ProductUID),
		}}
		id = key.CloudAccountUID + "|" + key.ProductUID + "|" + key.FindingInfoUID
	default:
		return remediate.Permanent(fmt.Errorf("%w: %q", ErrUnidentifiable, u.Finding.ID()))
	}
	if c := truncateRunes(u.Comment, remediate.MaxCommentLen); c != "" {
		in.Comment = awssdk.String(c)
	}
	delay := w.opts.Backoff
	for attempt := 1; ; attempt++ {
		out, err := w.client.BatchUpdateFindingsV2(ctx, in)
		if err != nil {
			return wrap("securityhub:BatchUpdateFindings", id, err)
		}
		if len(out.UnprocessedFindings) == 0 {
			return nil
		}
		uf := out.UnprocessedFindings[0]
		ue := &UnprocessedError{Finding: id, Code: string(uf.ErrorCode), Message: awssdk.ToString(uf.ErrorMessage)}
		w.log.Warn("remediate/aws: finding not updated", "finding", id, "code", ue.Code, "attempt", attempt)
		if !ue.transient() {
			return remediate.Permanent(ue)
		}
		if attempt >= w.opts.Attempts {
			return remediate.Transient(ue)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (%w)", ctx.Err(), ue)
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
