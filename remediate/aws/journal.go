package aws

import (
	"context"
	"fmt"

	"github.com/ocsfhub/ocsfhub/remediate"
)

// PlanJournal is the part of the engine's journal the rollbacks of
// [RevokeOpenIngress], [BlockBucketPublicAccess] and
// [BlockAccountPublicAccess] read: those remediators record the prior state
// only in their plans (a revoked rule has no tag to carry it, an account
// has nowhere to put one), so undoing them means finding the plan applied
// for the same finding. Every [remediate.Journal] is one, such as the
// engine's store (boltstore.Store).
//
// Query must return records in Seq order and be safe for concurrent use
// (the [remediate.Journal] contract).
type PlanJournal interface {
	Query(ctx context.Context, q remediate.Query) ([]remediate.Record, error)
}

var _ PlanJournal = remediate.Journal(nil)

// appliedPlan is a plan the engine applied, with the changes its Apply
// skipped (a bucket or group that no longer existed: nothing to undo).
type appliedPlan struct {
	plan    *remediate.Plan
	skipped map[string]bool
}

// appliedPlans returns the plans the remediator named name applied for a
// finding, in the order they were applied. A plan counts once an "applied"
// record follows its "applying" record (which carries the plan): plans
// only dry-run, pending, denied or failed changed nothing to undo.
func appliedPlans(ctx context.Context, j PlanJournal, findingID, name string) ([]appliedPlan, error) {
	recs, err := j.Query(ctx, remediate.Query{FindingID: findingID,
		Decisions: []remediate.Decision{remediate.DecisionApplying, remediate.DecisionApplied}})
	if err != nil {
		return nil, fmt.Errorf("remediate/aws: read the plans of %s from the journal: %w", name, err)
	}
	plans := map[string]*remediate.Plan{}
	var out []appliedPlan
	seen := map[string]bool{}
	for _, r := range recs {
		if r.Remediator != name || r.PlanID == "" {
			continue
		}
		switch r.Decision {
		case remediate.DecisionApplying:
			if r.Plan != nil {
				plans[r.PlanID] = r.Plan
			}
		case remediate.DecisionApplied:
			p, ok := plans[r.PlanID]
			if !ok || seen[r.PlanID] {
				continue
			}
			seen[r.PlanID] = true
			ap := appliedPlan{plan: p, skipped: map[string]bool{}}
			if r.Result != nil {
				for _, o := range r.Result.Outcomes {
					if o.Status == remediate.OutcomeSkipped {
						ap.skipped[o.Change] = true
					}
				}
			}
			out = append(out, ap)
		}
	}
	return out, nil
}
