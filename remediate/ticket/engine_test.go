package ticket_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
	"github.com/ocsfhub/ocsfhub/remediate/ticket"
)

// engine runs the real engine over a bolt store in a temporary directory.
type engine struct {
	t     *testing.T
	store *boltstore.Store
	eng   *remediate.Engine
}

func newEngine(t *testing.T, opts remediate.Options) *engine {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "remediate.db"), &boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	opts.BackoffBase, opts.BackoffMax = time.Millisecond, 5*time.Millisecond
	eng, err := remediate.New(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &engine{t: t, store: st, eng: eng}
}

// run accepts the findings and processes the queue until it is empty.
func (e *engine) run(fs ...ocsf.Finding) {
	e.t.Helper()
	for _, f := range fs {
		if err := e.eng.Accept(context.Background(), nil, f); err != nil {
			e.t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		st, err := e.store.QueueStats(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if st.Dead > 0 {
			dl, _ := e.eng.DeadLetters(context.Background())
			e.t.Fatalf("dead letters: %+v", dl)
		}
		if st.Ready+st.Delayed+st.InFlight == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = e.eng.ProcessNext(ctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			e.t.Fatal(err)
		}
	}
	e.t.Fatal("queue did not drain")
}

// With the engine: one issue per finding, a comment per generation, the
// engine's own "Resolved" after the ticket plan is not a resolution, and an
// analyst's is.
func TestEngineTicketLifecycle(t *testing.T) {
	fj := newFakeJira(t, jiraBasic)
	jira := newJira(t, fj, nil)
	rec := &remediatetest.StatusRecorder{}
	e := newEngine(t, remediate.Options{
		Rules:        []remediate.Rule{{Name: "ticket-all", Remediator: jira, Mode: remediate.ModeAutomatic}},
		StatusWriter: rec,
	})
	gd := guardDuty(t)
	e.run(gd, gd) // a duplicate delivery
	if is := fj.Issues(); len(is) != 1 || is[0].Done {
		t.Fatalf("issues %+v", is)
	}
	ups := rec.Updates()
	if len(ups) != 2 || ups[1].StatusID != remediate.StatusResolved {
		t.Fatalf("write-backs %+v", ups)
	}
	engineComment := ups[1].Comment
	if !strings.Contains(engineComment, "Resolved (jira): ticket: created Jira issue SEC-1") {
		t.Fatalf("the engine's comment format changed: %q", engineComment)
	}

	// Security Hub keeps the Resolved status and our comment when the
	// provider updates the finding later: a comment, not a resolution.
	now := time.Now().UTC()
	g2 := generation(t, gd, now.Add(time.Hour), 4, engineComment)
	e.run(g2)
	is := fj.Issues()
	if len(is) != 1 || is[0].Done || len(is[0].Comments) != 1 {
		t.Fatalf("after the provider update: %d issues, done %v, %d comments", len(is), is[0].Done, len(is[0].Comments))
	}

	// An analyst resolves the finding.
	g3 := generation(t, gd, now.Add(2*time.Hour), 4, "false positive: scanner")
	e.run(g3)
	is = fj.Issues()
	if len(is) != 1 || !is[0].Done || len(is[0].Comments) != 2 {
		t.Fatalf("after the analyst: %d issues, done %v, %d comments", len(is), is[0].Done, len(is[0].Comments))
	}

	// A redelivery of the first generation is the engine's duplicate; an
	// older generation delivered late (EventBridge does not keep order) is
	// stale: it opens nothing.
	stale := generation(t, gd, now.Add(30*time.Minute), 1, "")
	e.run(gd, stale)
	if is := fj.Issues(); len(is) != 1 {
		t.Fatalf("a stale delivery opened issue %s", is[len(is)-1].Key)
	}
}

// NewWriteBack resolves the ticket when another remediator fixes the
// finding.
func TestEngineWriteBackResolvesTicket(t *testing.T) {
	fj := newFakeJira(t, jiraBasic)
	jira := newJira(t, fj, nil)
	fp := newFakePagerDuty(t, pdRoutingKey)
	pd := newPagerDuty(t, fp, nil)
	isolate := &remediatetest.Fake{ID: "ec2-isolate", Destructive: true}
	rec := &remediatetest.StatusRecorder{}
	wb, err := ticket.NewWriteBack(ticket.WriteBackOptions{Next: rec, Resolvers: []ticket.Resolver{jira, pd}})
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, remediate.Options{
		Rules: []remediate.Rule{
			{Name: "ticket", Remediator: jira, Mode: remediate.ModeAutomatic},
			{Name: "page", Remediator: pd, Mode: remediate.ModeAutomatic},
			{Name: "isolate", Remediator: isolate, Mode: remediate.ModeAutomatic},
		},
		StatusWriter: wb,
	})
	if got := e.eng.Permissions(); len(got) != 1 || got[0] != "securityhub:BatchUpdateFindings" {
		t.Errorf("permissions %v", got)
	}
	e.run(guardDuty(t))
	is := fj.Issues()
	if len(is) != 1 || !is[0].Done {
		t.Fatalf("issues %+v", is)
	}
	if !strings.Contains(string(is[0].Comments[0]), "Resolved: remediated by ec2-isolate") {
		t.Errorf("closing comment %s", is[0].Comments[0])
	}
	if a := fp.Alerts(); len(a) != 1 || a[0].Open {
		t.Fatalf("alerts %+v", a)
	}
	if n := len(rec.Updates()); n != 6 {
		t.Errorf("%d Security Hub updates, want 6 (in progress and resolved for 3 plans)", n)
	}
}
