package listener

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ReplayReport summarises a [Handler.Replay].
type ReplayReport struct {
	// Accepted counts letters now handed to the Sink (and deleted).
	Accepted int
	// Duplicates counts letters whose event had been accepted meanwhile (deleted).
	Duplicates int
	// Refused lists letters refused again (still 400/422): kept, with the
	// new reason and Replays incremented.
	Refused []string
	// Failed lists letters that met a transient failure (Sink error,
	// timeout): kept unchanged, to be replayed later.
	Failed []string
}

// Replay feeds dead letters back through the pipeline (nesting, envelope,
// decoding, validation, duplicate check, Sink) as if they had just arrived,
// typically after a fix: a validator or schema update, a Sink that rejected
// too eagerly, a corrected producer. Credentials are not checked again: only
// authenticated requests are ever dead-lettered. With no ids, every letter in
// [Options.DeadLetters] is replayed, oldest first.
//
// A letter that is accepted, or found to be a duplicate, is deleted; one
// refused again is rewritten with the new reason; one that meets a transient
// failure is kept as it was. Each replay gets its own hand-off budget. The
// returned error reports a store failure, or ctx ending; per-letter outcomes
// are in the report and in the log.
func (h *Handler) Replay(ctx context.Context, ids ...string) (ReplayReport, error) {
	var rep ReplayReport
	store := h.o.DeadLetters
	if len(ids) == 0 {
		var err error
		if ids, err = store.List(ctx); err != nil {
			return rep, err
		}
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("listener: replay: %w", err)
		}
		dl, err := store.Get(ctx, id)
		if err != nil {
			return rep, err
		}
		start := time.Now()
		in := &request{start: start, body: dl.Body, idemKey: dl.IdempotencyKey, contentType: dl.ContentType, replay: true}
		// Detached like a request: cancelling ctx stops between letters, never
		// in the middle of a hand-off.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.o.HandoffTimeout)
		res := h.process(pctx, in)
		cancel()
		res.dlID = id
		h.report(ctx, start, res, "", true)
		switch {
		case res.outcome == OutcomeAccepted || res.outcome == OutcomeDuplicate:
			if res.outcome == OutcomeAccepted {
				rep.Accepted++
			} else {
				rep.Duplicates++
			}
			if err := store.Delete(ctx, id); err != nil && !errors.Is(err, ErrDeadLetterNotFound) {
				return rep, err
			}
		case res.deadLettered():
			rep.Refused = append(rep.Refused, id)
			dl.Replays++
			dl.Status, dl.Outcome, dl.Reason, dl.Problems = res.status, res.outcome, res.reason, res.problems
			if _, err := store.Put(ctx, dl); err != nil {
				return rep, err
			}
		default:
			rep.Failed = append(rep.Failed, id)
		}
	}
	return rep, nil
}
