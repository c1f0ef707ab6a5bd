package ticket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/ocsfhub/ocsfhub/remediate"
)

// Resolver resolves the ticket of a finding; [*Remediator] implements it.
type Resolver interface {
	// Name is the remediator's name.
	Name() string
	// Resolve resolves the finding's ticket, if it has an open one, with
	// note as the closing text. It is idempotent.
	Resolve(ctx context.Context, ref remediate.FindingRef, note string) (*remediate.Result, error)
}

var _ Resolver = (*Remediator)(nil)

// WriteBackOptions configure [NewWriteBack].
type WriteBackOptions struct {
	// Next receives every update first (the Security Hub writer); nil
	// means tickets only.
	Next remediate.StatusWriter
	// Resolvers are the ticket remediators whose tickets are resolved.
	Resolvers []Resolver
	// Skip names more remediators whose fixes should not close tickets.
	// Only updates that say a plan fixed the finding
	// ([remediate.StatusUpdate.Remediated]) close tickets at all, so
	// notifications and tickets (whose plans have
	// [remediate.EffectNotify]) never do and need not be listed here.
	Skip []string
	// Logger receives errors (default: discarded).
	Logger *slog.Logger
}

// NewWriteBack returns a [remediate.StatusWriter] for the engine's
// [remediate.Options.StatusWriter] that passes every update to Next and,
// when the update says a plan fixed the finding (the engine writes Resolved
// after applying a plan with [remediate.EffectResolve]: isolation, key
// deactivation…; see [remediate.StatusUpdate.Remediated]), resolves the
// finding's ticket with every Resolver. That is how a ticket closes when
// the finding is remediated: the engine does not route its own write-back
// to the rules again, so the ticket remediators would not see it.
//
// The update names its remediator and effect explicitly; the comment is not
// parsed. Put ticket rules before remediation rules, so the ticket exists
// when the fix is written back.
//
// WriteStatus returns Next's error joined with the resolvers' errors; each
// is classified as usual, so the engine retries transient ones (both Next
// and Resolve are idempotent).
func NewWriteBack(opts WriteBackOptions) (remediate.StatusWriter, error) {
	if len(opts.Resolvers) == 0 {
		return nil, fmt.Errorf("%w: write-back: no resolvers", ErrConfig)
	}
	w := &writeBack{next: opts.Next, resolvers: slices.Clone(opts.Resolvers), log: opts.Logger}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	for _, r := range opts.Resolvers {
		if r == nil {
			return nil, fmt.Errorf("%w: write-back: nil resolver", ErrConfig)
		}
		w.skip = append(w.skip, r.Name())
	}
	w.skip = append(w.skip, opts.Skip...)
	return w, nil
}

type writeBack struct {
	next      remediate.StatusWriter
	resolvers []Resolver
	skip      []string
	log       *slog.Logger
}

// Permissions returns the permissions of Next, so the engine's policy still
// lists securityhub:BatchUpdateFindings.
func (w *writeBack) Permissions() []string { return remediate.Permissions(w.next) }

func (w *writeBack) WriteStatus(ctx context.Context, u remediate.StatusUpdate) error {
	var errs []error
	if w.next != nil {
		if err := w.next.WriteStatus(ctx, u); err != nil {
			errs = append(errs, err)
		}
	}
	if !u.Remediated() || u.Remediator == "" || slices.Contains(w.skip, u.Remediator) {
		return errors.Join(errs...)
	}
	note := "remediated by " + u.Remediator
	if text := strings.TrimSpace(u.Text); text != "" {
		note += ": " + text
	}
	for _, r := range w.resolvers {
		if _, err := r.Resolve(ctx, u.Finding, note); err != nil {
			w.log.Error("ticket: resolve after write-back", "remediator", r.Name(), "plan", u.PlanID, "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
