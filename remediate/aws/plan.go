package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
)

// newChange builds a plan change with JSON parameters. params must encode
// (plain structs and maps do); encoding/json sorts map keys, so equal
// parameters give equal bytes.
func newChange(id, action, resource, desc string, params any) remediate.Change {
	b, err := json.Marshal(params)
	if err != nil {
		// Only reachable with a programming error in this package.
		panic(fmt.Sprintf("remediate/aws: change %s: params do not encode: %v", id, err))
	}
	return remediate.Change{ID: id, Action: action, Resource: resource, Description: desc, Params: b}
}

// decodeParams decodes a change's parameters.
func decodeParams(c remediate.Change, v any) error {
	if err := json.Unmarshal(c.Params, v); err != nil {
		return remediate.Permanent(fmt.Errorf("remediate/aws: change %s: bad params: %w", c.ID, err))
	}
	return nil
}

// decodeChange decodes the parameters of a change whose id must start with
// prefix ("block/"); another id is a permanent "unknown change" error of
// the remediator named name.
func decodeChange(name string, c remediate.Change, prefix string, v any) error {
	if !strings.HasPrefix(c.ID, prefix) {
		return remediate.Permanent(fmt.Errorf("%s: unknown change %q", name, c.ID))
	}
	return decodeParams(c, v)
}

// decodeData decodes a plan's private data.
func decodeData(p *remediate.Plan, v any) error {
	if len(p.Data) == 0 {
		return remediate.Permanent(fmt.Errorf("remediate/aws: plan %s has no data", p.ID))
	}
	if err := json.Unmarshal(p.Data, v); err != nil {
		return remediate.Permanent(fmt.Errorf("remediate/aws: plan %s: bad data: %w", p.ID, err))
	}
	return nil
}

// mustJSON encodes v (plan data of this package always encodes).
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("remediate/aws: plan data does not encode: %v", err))
	}
	return b
}

// stepFunc applies one change, checking live state first. It returns the
// outcome status and a detail for the result.
type stepFunc func(ctx context.Context, c remediate.Change) (remediate.OutcomeStatus, string, error)

// applyAll applies a plan's changes in order with step, stopping at the
// first error (the engine applies the plan again later; every step
// re-checks live state, so finished changes report already-done). It
// checks ctx before each change so that a cancelled context changes
// nothing more.
func applyAll(ctx context.Context, log *slog.Logger, name string, p *remediate.Plan, step stepFunc) (*remediate.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	res := &remediate.Result{Summary: p.Summary, Outcomes: make([]remediate.Outcome, 0, len(p.Changes))}
	for _, c := range p.Changes {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: change %s: %w", name, c.ID, err)
		}
		status, detail, err := step(ctx, c)
		if err != nil {
			log.Warn("remediate/aws: change failed", "remediator", name, "plan", p.ID, "change", c.ID, "err", err)
			return nil, err
		}
		log.Info("remediate/aws: change", "remediator", name, "plan", p.ID, "change", c.ID, "status", string(status), "detail", detail)
		res.Outcomes = append(res.Outcomes, remediate.Outcome{Change: c.ID, Status: status, Detail: detail})
	}
	return res, nil
}

// logger returns l or a discarding logger.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// clock returns now or time.Now.
func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// target is the account/Region part of a plan's data, shared by every
// remediator here.
type target struct {
	Account string `json:"account"`
	Region  string `json:"region"`
}

func (t target) with(ref remediate.FindingRef) Target {
	return Target{Account: t.Account, Region: t.Region, Session: SessionLabel(ref)}
}

// startApply is the start of every Apply: it checks ctx, decodes p's data
// into data and returns the clients for the data's target. tgt must point
// into data (&d.Target), so that it reads the decoded value.
func startApply[C any](ctx context.Context, name string, p *remediate.Plan, data any, tgt *target, clients func(context.Context, Target) (C, error)) (C, error) {
	var zero C
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("%s: %w", name, err)
	}
	if err := decodeData(p, data); err != nil {
		return zero, err
	}
	return clients(ctx, tgt.with(p.Finding))
}

// needJournal reports an [ErrConfig] error when a rollback named name has
// no journal to find the plans it undoes in.
func needJournal(name string, journal PlanJournal) error {
	if journal == nil {
		return fmt.Errorf("%w: %s needs the engine's journal to find the plans it undoes", ErrConfig, name)
	}
	return nil
}
