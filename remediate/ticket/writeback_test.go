package ticket_test

import (
	"context"
	"testing"

	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
	"github.com/ocsfhub/ocsfhub/remediate/ticket"
)

// NewWriteBack decides from the update's fields, never from its comment:
// only an update saying a fixing plan was applied closes tickets.
func TestWriteBackDecidesFromFields(t *testing.T) {
	fixed := func(mod func(*remediate.StatusUpdate)) remediate.StatusUpdate {
		u := remediate.StatusUpdate{
			Finding: remediate.RefOf(guardDuty(t)), StatusID: remediate.StatusResolved, PlanID: "p-1",
			Comment: "[ocsfhub plan=p-1] Resolved (ec2-isolate): isolated", Remediator: "ec2-isolate",
			Effect: remediate.EffectResolve, Stage: remediate.StageApplied, Text: "isolated",
		}
		if mod != nil {
			mod(&u)
		}
		return u
	}
	for _, tc := range []struct {
		name    string
		u       remediate.StatusUpdate
		resolve bool
	}{
		{"a fix was applied", fixed(nil), true},
		{"the fix is being applied", fixed(func(u *remediate.StatusUpdate) {
			u.StatusID, u.Stage = remediate.StatusInProgress, remediate.StageApplying
		}), false},
		{"the fix failed", fixed(func(u *remediate.StatusUpdate) { u.StatusID, u.Stage = remediate.StatusNew, remediate.StageFailed }), false},
		{"a notification, whatever its comment says", fixed(func(u *remediate.StatusUpdate) { u.Effect = remediate.EffectNotify }), false},
		{"an engine-looking comment without the fields", remediate.StatusUpdate{
			Finding: remediate.RefOf(guardDuty(t)), StatusID: remediate.StatusResolved, PlanID: "p-1",
			Comment: "[ocsfhub plan=p-1] Resolved (ec2-isolate): isolated",
		}, false},
		{"a skipped remediator", fixed(func(u *remediate.StatusUpdate) { u.Remediator = "quarantine-lite" }), false},
		{"the resolver's own plan", fixed(func(u *remediate.StatusUpdate) { u.Remediator = "pagerduty" }), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := newFakePagerDuty(t, pdRoutingKey)
			pd := newPagerDuty(t, fp, nil)
			mustApply(t, pd, mustPlan(t, pd, guardDuty(t)))
			next := &remediatetest.StatusRecorder{}
			wb, err := ticket.NewWriteBack(ticket.WriteBackOptions{Next: next, Resolvers: []ticket.Resolver{pd}, Skip: []string{"quarantine-lite"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := wb.WriteStatus(context.Background(), tc.u); err != nil {
				t.Fatal(err)
			}
			if len(next.Updates()) != 1 {
				t.Fatalf("Next got %d updates", len(next.Updates()))
			}
			a := fp.Alerts()
			if len(a) != 1 {
				t.Fatalf("alerts %+v", a)
			}
			if resolved := !a[0].Open; resolved != tc.resolve {
				t.Fatalf("alert resolved %v, want %v", resolved, tc.resolve)
			}
		})
	}
}
