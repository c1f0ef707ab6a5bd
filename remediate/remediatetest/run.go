// Package remediatetest helps test remediators and code around the
// remediation engine: [Run] checks a [remediate.Remediator] against the
// contract in its documentation (as testing/slogtest checks a slog.Handler),
// and [Fake], [StatusRecorder] and [TagMap] stand in for real remediators,
// Security Hub write-back and tag lookups.
package remediatetest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"sync"
	"testing"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// Case is one scenario for [Run].
type Case struct {
	// Name names the subtest.
	Name string
	// Finding is a finding the remediator applies to, against the live state
	// a fresh remediator from newRemediator sees.
	Finding ocsf.Finding
	// NotApplicable are findings it must decline with
	// [remediate.ErrNotApplicable].
	NotApplicable []ocsf.Finding
	// AllowReplan skips the convergence check (after Apply, planning again
	// must give ErrNotApplicable or a plan without changes). Set it for
	// remediators that legitimately plan again, such as a ticket that gets a
	// comment on every new finding generation.
	AllowReplan bool
}

var iamAction = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9*]+$`)

// Run checks the remediators newRemediator makes against the Remediator
// contract, once per case, each check with a fresh remediator (and so a
// fresh fake world):
//
//   - Name is non-empty and stable; Permissions are IAM actions
//     ("service:Action").
//   - Plan returns a valid plan (changes with ids and actions) that survives
//     a JSON round trip, and planning twice gives the same changes (planning
//     changes nothing).
//   - Apply accepts the plan decoded from JSON and makes every change;
//     applying it again makes none (idempotency); planning again afterwards
//     finds nothing to do (convergence, unless AllowReplan).
//   - A partial Apply is finished by applying again: with ctx cancelled
//     before Apply, nothing is changed and the error wraps context.Canceled;
//     Plan with a cancelled ctx fails the same way.
//   - NotApplicable findings give ErrNotApplicable.
//   - Concurrent Plan calls are safe (run with -race) and agree.
func Run(t *testing.T, newRemediator func(t *testing.T) remediate.Remediator, cases ...Case) {
	t.Helper()
	if len(cases) == 0 {
		t.Fatal("remediatetest.Run: no cases")
	}
	for _, c := range cases {
		name := c.Name
		if name == "" {
			name = "case"
		}
		t.Run(name, func(t *testing.T) { runCase(t, newRemediator, c) })
	}
}

func runCase(t *testing.T, newRemediator func(t *testing.T) remediate.Remediator, c Case) {
	if c.Finding == nil {
		t.Fatal("remediatetest: Case.Finding is nil")
	}
	t.Run("Name", func(t *testing.T) {
		r := newRemediator(t)
		n := r.Name()
		if n == "" {
			t.Fatal("Name() is empty")
		}
		if n2 := newRemediator(t).Name(); n2 != n {
			t.Fatalf("Name() is not stable: %q then %q", n, n2)
		}
	})
	t.Run("Permissions", func(t *testing.T) {
		for _, p := range newRemediator(t).Permissions() {
			if !iamAction.MatchString(p) {
				t.Errorf("permission %q is not an IAM action (service:Action)", p)
			}
		}
	})
	t.Run("PlanIsJSON", func(t *testing.T) {
		r := newRemediator(t)
		p := mustPlan(t, r, c.Finding)
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("plan does not encode: %v", err)
		}
		var back remediate.Plan
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("plan does not decode: %v", err)
		}
		b2, err := json.Marshal(&back)
		if err != nil || string(b2) != string(b) {
			t.Fatalf("plan JSON does not round-trip:\n%s\n%s", b, b2)
		}
	})
	t.Run("PlanChangesNothing", func(t *testing.T) {
		r := newRemediator(t)
		p1 := mustPlan(t, r, c.Finding)
		p2 := mustPlan(t, r, c.Finding)
		if !sameChanges(p1, p2) {
			t.Fatalf("planning twice gave different changes:\n%s\n%s", p1, p2)
		}
	})
	t.Run("ApplyIsIdempotent", func(t *testing.T) {
		ctx := t.Context()
		r := newRemediator(t)
		p := roundTrip(t, mustPlan(t, r, c.Finding))
		res, err := r.Apply(ctx, p)
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		checkResult(t, p, res)
		if res.Applied() == 0 {
			t.Fatalf("first Apply made no change: %+v", res.Outcomes)
		}
		res2, err := r.Apply(ctx, roundTrip(t, p))
		if err != nil {
			t.Fatalf("second Apply: %v", err)
		}
		checkResult(t, p, res2)
		if n := res2.Applied(); n != 0 {
			t.Fatalf("second Apply of the same plan made %d change(s); it must make none", n)
		}
		if !c.AllowReplan {
			p3, err := r.Plan(ctx, c.Finding)
			switch {
			case errors.Is(err, remediate.ErrNotApplicable):
			case err != nil:
				t.Fatalf("Plan after Apply: %v", err)
			case len(p3.Changes) != 0:
				t.Fatalf("Plan after Apply still has changes (live state did not converge):\n%s", p3)
			}
		}
	})
	t.Run("Cancellation", func(t *testing.T) {
		r := newRemediator(t)
		p := roundTrip(t, mustPlan(t, r, c.Finding))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := r.Plan(ctx, c.Finding); !errors.Is(err, context.Canceled) {
			t.Errorf("Plan with a cancelled context: got %v, want an error wrapping context.Canceled", err)
		}
		if _, err := r.Apply(ctx, p); !errors.Is(err, context.Canceled) {
			t.Errorf("Apply with a cancelled context: got %v, want an error wrapping context.Canceled", err)
		}
		res, err := r.Apply(t.Context(), p)
		if err != nil {
			t.Fatalf("Apply after the cancelled one: %v", err)
		}
		if res.Applied() != len(p.Changes) {
			t.Fatalf("Apply with a cancelled context changed something: a later Apply made %d of %d changes",
				res.Applied(), len(p.Changes))
		}
	})
	if len(c.NotApplicable) > 0 {
		t.Run("NotApplicable", func(t *testing.T) {
			r := newRemediator(t)
			for i, f := range c.NotApplicable {
				p, err := r.Plan(t.Context(), f)
				if !errors.Is(err, remediate.ErrNotApplicable) {
					t.Errorf("NotApplicable[%d]: got plan %v, err %v; want ErrNotApplicable", i, p, err)
				}
			}
		})
	}
	t.Run("ConcurrentPlan", func(t *testing.T) {
		r := newRemediator(t)
		want := mustPlan(t, r, c.Finding)
		var wg sync.WaitGroup
		errs := make(chan string, 8)
		for range 8 {
			wg.Go(func() {
				p, err := r.Plan(t.Context(), c.Finding)
				switch {
				case err != nil:
					errs <- "Plan: " + err.Error()
				case !sameChanges(want, p):
					errs <- "concurrent Plan gave different changes"
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})
}

func mustPlan(t *testing.T, r remediate.Remediator, f ocsf.Finding) *remediate.Plan {
	t.Helper()
	p, err := r.Plan(t.Context(), f)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if p == nil {
		t.Fatal("Plan returned nil and no error")
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("invalid plan: %v\n%s", err, p)
	}
	// What the engine does before storing a plan.
	p.ID = "p-conformance"
	p.Remediator = r.Name()
	p.Finding = remediate.RefOf(f)
	return p
}

func roundTrip(t *testing.T, p *remediate.Plan) *remediate.Plan {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("encode plan: %v", err)
	}
	var q remediate.Plan
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatalf("decode plan: %v", err)
	}
	return &q
}

func sameChanges(a, b *remediate.Plan) bool {
	if len(a.Changes) != len(b.Changes) {
		return false
	}
	for i := range a.Changes {
		if !a.Changes[i].Equal(b.Changes[i]) || a.Changes[i].ID != b.Changes[i].ID {
			return false
		}
	}
	return a.Destructive == b.Destructive && reflect.DeepEqual(a.Resources, b.Resources)
}

func checkResult(t *testing.T, p *remediate.Plan, r *remediate.Result) {
	t.Helper()
	if r == nil {
		t.Fatal("Apply returned a nil result and no error")
	}
	if len(r.Outcomes) != len(p.Changes) {
		t.Fatalf("result has %d outcomes for %d changes", len(r.Outcomes), len(p.Changes))
	}
	for i, o := range r.Outcomes {
		if o.Change != p.Changes[i].ID {
			t.Errorf("outcome %d is for change %q, want %q (plan order)", i, o.Change, p.Changes[i].ID)
		}
		switch o.Status {
		case remediate.OutcomeApplied, remediate.OutcomeAlreadyDone, remediate.OutcomeSkipped:
		default:
			t.Errorf("outcome %d has unknown status %q", i, o.Status)
		}
	}
}
