package remediate

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Approvals lists approvals in the given states (pending ones when none are
// given), oldest first. Pending approvals past their expiry are marked
// expired first.
func (e *Engine) Approvals(ctx context.Context, states ...ApprovalState) ([]Approval, error) {
	if len(states) == 0 {
		states = []ApprovalState{ApprovalPending}
	}
	if err := e.expireApprovals(ctx); err != nil {
		return nil, err
	}
	return e.store.ListApprovals(ctx, states...)
}

// Approval returns one approval (any state), or ErrNotFound.
func (e *Engine) Approval(ctx context.Context, id string) (Approval, error) {
	if err := e.expireApprovals(ctx); err != nil {
		return Approval{}, err
	}
	return e.store.GetApproval(ctx, id)
}

func (e *Engine) expireApprovals(ctx context.Context) error {
	pending, err := e.store.ListApprovals(ctx, ApprovalPending)
	if err != nil {
		return err
	}
	now := e.now()
	for _, a := range pending {
		if a.ExpiresAt.IsZero() || now.Before(a.ExpiresAt) {
			continue
		}
		upd, err := e.store.UpdateApproval(ctx, a.ID, func(x *Approval) error {
			if x.State != ApprovalPending || x.ExpiresAt.IsZero() || now.Before(x.ExpiresAt) {
				return ErrNotPending
			}
			x.State = ApprovalExpired
			x.DecidedAt = now
			return nil
		})
		if errors.Is(err, ErrNotPending) || errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := e.store.Append(ctx, approvalRecord(upd, DecisionExpired, now, "", "approval expired unanswered")); err != nil {
			return err
		}
	}
	return nil
}

func approvalRecord(a Approval, d Decision, now time.Time, actor, reason string) Record {
	r := Record{
		Time: now, Decision: d, Finding: a.Finding, FindingID: a.Finding.ID(), Rule: a.Rule,
		Remediator: a.Remediator, Mode: ModeApproval.String(), Key: a.ID, Actor: actor, Reason: reason,
	}
	if a.Plan != nil {
		r.PlanID = a.Plan.ID
	}
	return r
}

// Approve approves a pending plan. It returns once the decision is durable
// and the work is queued; a worker then plans again against live state and
// applies the new plan if the approved one covers it (otherwise the new plan
// goes back to pending). It returns ErrNotFound, ErrNotPending (already
// decided or expired) or ErrKilled.
func (e *Engine) Approve(ctx context.Context, id, actor, note string) error {
	if err := e.start(ctx); err != nil {
		return err
	}
	if reason, killed := e.killed(); killed {
		return fmt.Errorf("%w (%s)", ErrKilled, reason)
	}
	if err := e.expireApprovals(ctx); err != nil {
		return err
	}
	now := e.now()
	a, err := e.store.UpdateApproval(ctx, id, func(a *Approval) error {
		if a.State != ApprovalPending {
			return fmt.Errorf("%w (state %s)", ErrNotPending, a.State)
		}
		a.State = ApprovalApproved
		a.Actor = actor
		a.Note = note
		a.DecidedAt = now
		return nil
	})
	if err != nil {
		return err
	}
	if err := e.store.Append(ctx, approvalRecord(a, DecisionApproved, now, actor, note)); err != nil {
		return err
	}
	return e.enqueueApproval(ctx, a)
}

func (e *Engine) enqueueApproval(ctx context.Context, a Approval) error {
	planID := ""
	if a.Plan != nil {
		planID = a.Plan.ID
	}
	m := Message{ID: "a-" + a.ID + "-" + planID, Kind: KindApproval, EnqueuedAt: e.now(), ApprovalID: a.ID, Event: a.Event}
	if err := e.store.Enqueue(ctx, m); err != nil {
		return fmt.Errorf("remediate: queue approved plan: %w", err)
	}
	return nil
}

// Deny denies a pending plan; it will not be applied. The finding generation
// is not planned again (a new generation, with a newer modified time, is).
func (e *Engine) Deny(ctx context.Context, id, actor, reason string) error {
	if err := e.expireApprovals(ctx); err != nil {
		return err
	}
	now := e.now()
	a, err := e.store.UpdateApproval(ctx, id, func(a *Approval) error {
		if a.State != ApprovalPending {
			return fmt.Errorf("%w (state %s)", ErrNotPending, a.State)
		}
		a.State = ApprovalDenied
		a.Actor = actor
		a.Note = reason
		a.DecidedAt = now
		return nil
	})
	if err != nil {
		return err
	}
	return e.store.Append(ctx, approvalRecord(a, DecisionDenied, now, actor, reason))
}
