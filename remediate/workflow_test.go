package remediate_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	rt "github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

// withEffect wraps a fake so that its plans carry effect.
func withEffect(f *rt.Fake, effect remediate.Effect) remediate.Remediator {
	return remediate.NewRemediator(f.Name(), func(ctx context.Context, fd ocsf.Finding) (*remediate.Plan, error) {
		p, err := f.Plan(ctx, fd)
		if p != nil {
			p.Effect = effect
		}
		return p, err
	}, f.Apply)
}

// workflowUpdate is what BatchUpdateFindingsV2 (the console) does to a
// finding: status, severity and comment change, modified time does not.
func workflowUpdate(tb testing.TB, f ocsf.Finding, status remediate.StatusID, severity ocsf.SeverityID, comment string) ocsf.Finding {
	tb.Helper()
	return rt.Mutate(tb, f, func(m map[string]any) {
		if status != 0 {
			m["status_id"] = int(status)
			m["status"] = status.String()
		}
		if severity != 0 {
			m["severity_id"] = int(severity)
			m["severity"] = severity.String()
		}
		if comment != "" {
			m["comment"] = comment
		}
	})
}

// reimporter is a status writer that records updates and re-imports the
// finding as Security Hub does after BatchUpdateFindingsV2: same finding,
// same modified time, the new status and comment.
type reimporter struct {
	rt.StatusRecorder
	mu   sync.Mutex
	last ocsf.Finding
}

func newReimporter(tb testing.TB, e **env) *reimporter {
	r := &reimporter{}
	r.OnWrite = func(ctx context.Context, u remediate.StatusUpdate) {
		r.mu.Lock()
		g := workflowUpdate(tb, r.last, u.StatusID, 0, u.Comment)
		r.last = g
		r.mu.Unlock()
		if err := (*e).eng.Accept(ctx, nil, g); err != nil {
			tb.Error(err)
		}
	}
	return r
}

func (r *reimporter) current() ocsf.Finding {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

func (r *reimporter) set(f ocsf.Finding) {
	r.mu.Lock()
	r.last = f
	r.mu.Unlock()
}

// The idempotency key covers what a workflow update changes.
func TestIdempotencyKeyCoversWorkflowState(t *testing.T) {
	gd := fixture(t, fxGuardDuty)
	base := remediate.RefOf(gd)
	key := remediate.IdempotencyKey(base, "mark")
	if again := remediate.IdempotencyKey(remediate.RefOf(fixture(t, fxGuardDuty)), "mark"); again != key {
		t.Fatal("the same finding state gives two keys")
	}
	for name, f := range map[string]ocsf.Finding{
		"status":   workflowUpdate(t, gd, remediate.StatusResolved, 0, ""),
		"severity": workflowUpdate(t, gd, 0, ocsf.SeverityIDCritical, ""),
		"comment":  workflowUpdate(t, gd, 0, 0, "looked at it"),
	} {
		ref := remediate.RefOf(f)
		if ref.ModifiedTime != base.ModifiedTime || ref.ID() != base.ID() {
			t.Fatalf("%s: the update changed the generation or the identity", name)
		}
		if remediate.IdempotencyKey(ref, "mark") == key {
			t.Errorf("a %s change keeps the idempotency key", name)
		}
	}
	c := remediate.RefOf(workflowUpdate(t, gd, 0, 0, "looked at it"))
	if c.CommentDigest == "" || c.CommentDigest == remediate.RefOf(workflowUpdate(t, gd, 0, 0, "looked at it twice")).CommentDigest {
		t.Errorf("comment digest %q does not tell comments apart", c.CommentDigest)
	}
	if base.CommentDigest != "" || base.StatusID != 1 {
		t.Errorf("RefOf(fixture) status %d, comment digest %q", base.StatusID, base.CommentDigest)
	}
}

// A finding a person updates in the console (BatchUpdateFindingsV2, same
// modified time) reaches the rules again: each kind of workflow change is
// routed once, its redelivery is a duplicate, and our own write-backs in
// between never are routed.
func TestWorkflowUpdateReachesRouting(t *testing.T) {
	for _, tc := range []struct {
		name   string
		update func(tb testing.TB, cur ocsf.Finding) ocsf.Finding
	}{
		{"analyst resolves", func(tb testing.TB, cur ocsf.Finding) ocsf.Finding {
			return workflowUpdate(tb, cur, remediate.StatusResolved, 0, "false positive: pentest")
		}},
		{"analyst reopens, comment kept", func(tb testing.TB, cur ocsf.Finding) ocsf.Finding {
			return workflowUpdate(tb, cur, remediate.StatusNew, 0, "")
		}},
		{"analyst raises severity, status and comment kept", func(tb testing.TB, cur ocsf.Finding) ocsf.Finding {
			return workflowUpdate(tb, cur, 0, ocsf.SeverityIDCritical, "")
		}},
		{"analyst comments, status kept", func(tb testing.TB, cur ocsf.Finding) ocsf.Finding {
			return workflowUpdate(tb, cur, 0, 0, "owner asked for a day")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &rt.Fake{ID: "mark"}
			var e *env
			sw := newReimporter(t, &e)
			e = newEnv(t, remediate.Options{StatusWriter: sw, Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeAutomatic)}})
			gd := fixture(t, fxGuardDuty)
			sw.set(gd)
			e.accept(gd)
			e.drain()
			// In Progress and Resolved, each re-imported and recognised.
			if fake.PlanCalls() != 1 || e.count(gd, remediate.DecisionOwnUpdate) != 2 || len(sw.Updates()) != 2 {
				t.Fatalf("plan calls %d, updates %d, decisions %v", fake.PlanCalls(), len(sw.Updates()), e.decisions(gd))
			}
			upd := tc.update(t, sw.current())
			e.accept(upd)
			e.drain()
			if fake.PlanCalls() != 2 {
				t.Fatalf("the workflow update was not routed: plan calls %d, decisions %v", fake.PlanCalls(), e.decisions(gd))
			}
			if n := e.count(gd, remediate.DecisionDuplicate); n != 0 {
				t.Fatalf("workflow update taken for a duplicate: %v", e.decisions(gd))
			}
			// The fake's marks are set: nothing left to do, nothing written.
			if len(fake.Made()) != 1 || len(sw.Updates()) != 2 {
				t.Fatalf("made %v, updates %d", fake.Made(), len(sw.Updates()))
			}
			e.accept(upd)
			e.drain()
			if fake.PlanCalls() != 2 || e.count(gd, remediate.DecisionDuplicate) != 1 {
				t.Fatalf("redelivery: plan calls %d, decisions %v", fake.PlanCalls(), e.decisions(gd))
			}
		})
	}
}

// The write-back follows the plan's effect: a fix is In Progress then
// Resolved, a notification In Progress once (only from New), nothing for
// EffectNone; re-imports of every one of them are our own updates.
func TestWriteBackByEffect(t *testing.T) {
	type write struct {
		Status remediate.StatusID
		Stage  remediate.Stage
		Effect remediate.Effect
		Text   string
		Fixed  bool
	}
	for _, tc := range []struct {
		name   string
		effect remediate.Effect
		status remediate.StatusID // of the incoming finding
		want   []write
	}{
		{"default is resolve", "", remediate.StatusNew, []write{
			{remediate.StatusInProgress, remediate.StageApplying, remediate.EffectResolve, "In progress (r1): mark", false},
			{remediate.StatusResolved, remediate.StageApplied, remediate.EffectResolve, "Resolved (r1): marked", true},
		}},
		{"resolve", remediate.EffectResolve, remediate.StatusNew, []write{
			{remediate.StatusInProgress, remediate.StageApplying, remediate.EffectResolve, "In progress (r1): mark", false},
			{remediate.StatusResolved, remediate.StageApplied, remediate.EffectResolve, "Resolved (r1): marked", true},
		}},
		{"notify from New", remediate.EffectNotify, remediate.StatusNew, []write{
			{remediate.StatusInProgress, remediate.StageApplied, remediate.EffectNotify, "Notified (r1): marked", false},
		}},
		{"notify from Unknown", remediate.EffectNotify, remediate.StatusUnknown, []write{
			{remediate.StatusInProgress, remediate.StageApplied, remediate.EffectNotify, "Notified (r1): marked", false},
		}},
		{"notify leaves a person's status", remediate.EffectNotify, remediate.StatusSuppressed, nil},
		{"notify leaves In Progress", remediate.EffectNotify, remediate.StatusInProgress, nil},
		{"none", remediate.EffectNone, remediate.StatusNew, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &rt.Fake{ID: "r1"}
			var e *env
			sw := newReimporter(t, &e)
			e = newEnv(t, remediate.Options{StatusWriter: sw, Rules: []remediate.Rule{rule("r", "", withEffect(fake, tc.effect), remediate.ModeAutomatic)}})
			f := workflowUpdate(t, fixture(t, fxGuardDuty), tc.status, 0, "")
			if tc.status == remediate.StatusUnknown {
				f = rt.Mutate(t, f, func(m map[string]any) { delete(m, "status_id"); delete(m, "status") })
			}
			sw.set(f)
			e.accept(f)
			e.drain()
			var got []write
			for _, u := range sw.Updates() {
				text := strings.TrimPrefix(u.Comment, "[ocsfhub plan="+u.PlanID+"] ")
				text, _, _ = strings.Cut(text, " finding ")
				if u.Remediator != "r1" || !strings.HasSuffix(u.Comment, "): "+u.Text) || !strings.HasPrefix(u.Comment, "[ocsfhub plan=p-") {
					t.Errorf("update %+v", u)
				}
				got = append(got, write{u.StatusID, u.Stage, u.Effect, text, u.Remediated()})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("write-backs (-want +got):\n%s", diff)
			}
			if fake.PlanCalls() != 1 || len(fake.Made()) != 1 || e.count(f, remediate.DecisionOwnUpdate) != len(tc.want) {
				t.Errorf("plan calls %d, made %v, decisions %v", fake.PlanCalls(), fake.Made(), e.decisions(f))
			}
		})
	}
}

// A failed fix goes back to New with the error; a failed notification
// writes nothing (it wrote nothing before).
func TestWriteBackOnFailureByEffect(t *testing.T) {
	for _, tc := range []struct {
		effect remediate.Effect
		want   []remediate.StatusID
	}{
		{remediate.EffectResolve, []remediate.StatusID{remediate.StatusInProgress, remediate.StatusNew}},
		{remediate.EffectNotify, nil},
	} {
		t.Run(string(tc.effect), func(t *testing.T) {
			fake := &rt.Fake{ID: "r1", ApplyErrs: []error{remediate.Permanent(errors.New("denied"))}}
			sw := &rt.StatusRecorder{}
			e := newEnv(t, remediate.Options{StatusWriter: sw, Rules: []remediate.Rule{rule("r", "", withEffect(fake, tc.effect), remediate.ModeAutomatic)}})
			gd := fixture(t, fxGuardDuty)
			e.accept(gd)
			e.drain()
			var got []remediate.StatusID
			for _, u := range sw.Updates() {
				got = append(got, u.StatusID)
				if u.StatusID == remediate.StatusNew && (u.Stage != remediate.StageFailed || !strings.HasSuffix(u.Text, "denied") ||
					!strings.Contains(u.Comment, "] Remediation failed (r1): ")) {
					t.Errorf("failure update %+v", u)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("write-backs (-want +got):\n%s", diff)
			}
			if e.count(gd, remediate.DecisionFailed) != 1 {
				t.Errorf("decisions %v", e.decisions(gd))
			}
		})
	}
}

func TestPlanEffectValidated(t *testing.T) {
	p := &remediate.Plan{Effect: "fix-maybe", Changes: []remediate.Change{{ID: "a", Action: "x:Y"}}}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "fix-maybe") {
		t.Fatalf("Validate = %v", err)
	}
	for _, ok := range []remediate.Effect{"", remediate.EffectResolve, remediate.EffectNotify, remediate.EffectNone} {
		p.Effect = ok
		if err := p.Validate(); err != nil {
			t.Errorf("effect %q: %v", ok, err)
		}
	}
	p.Effect = remediate.EffectNotify
	if !strings.Contains(p.String(), "effect: notify") {
		t.Errorf("String() does not show the effect:\n%s", p)
	}
	// The engine records the effect it acted on, default included.
	fake := &rt.Fake{ID: "r1"}
	e := newEnv(t, remediate.Options{Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeDryRun)}})
	gd := fixture(t, fxGuardDuty)
	e.accept(gd)
	e.drain()
	for _, r := range e.journal(gd) {
		if r.Plan != nil && r.Plan.Effect != remediate.EffectResolve {
			t.Errorf("journaled plan effect %q", r.Plan.Effect)
		}
	}
}
