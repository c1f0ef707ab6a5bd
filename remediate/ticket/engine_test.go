package ticket_test

import (
	"context"
	"fmt"
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

// With the engine: one issue per finding, a comment per generation; the
// engine marks the finding In Progress (notified), never Resolved, after a
// ticket plan; an analyst's resolution in the console (BatchUpdateFindingsV2:
// status and comment change, modified time does not) reaches the rule and
// resolves the issue.
func TestEngineTicketLifecycle(t *testing.T) {
	for _, tc := range []struct {
		name    string
		comment func(engineComment string) string
	}{
		{"analyst comments", func(string) string { return "false positive: scanner" }},
		{"analyst keeps our comment", func(c string) string { return c }},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
			if len(ups) != 1 || ups[0].StatusID != remediate.StatusInProgress || ups[0].Effect != remediate.EffectNotify || ups[0].Remediated() {
				t.Fatalf("write-backs %+v", ups)
			}
			engineComment := ups[0].Comment
			if !strings.Contains(engineComment, "Notified (jira): ticket: created Jira issue SEC-1") {
				t.Fatalf("the engine's comment: %q", engineComment)
			}
			// Security Hub re-emits the finding with our update: ours, not
			// routed.
			t0 := gd.Summary().ModifiedTime
			e.run(generation(t, gd, t0, 2, engineComment))
			if is := fj.Issues(); len(is[0].Comments) != 0 {
				t.Fatalf("our own update was routed: %d comments", len(is[0].Comments))
			}

			// The provider updates the finding later; Security Hub keeps the
			// workflow status and comment: a comment on the issue, no
			// write-back (the finding is In Progress already).
			now := time.Now().UTC()
			g2 := generation(t, gd, now.Add(time.Hour), 2, engineComment)
			e.run(g2)
			is := fj.Issues()
			if len(is) != 1 || is[0].Done || len(is[0].Comments) != 1 || len(rec.Updates()) != 1 {
				t.Fatalf("after the provider update: %d issues, done %v, %d comments, %d write-backs", len(is), is[0].Done, len(is[0].Comments), len(rec.Updates()))
			}

			// An analyst resolves the finding in the console: same modified
			// time as g2, status Resolved.
			g3 := generation(t, gd, now.Add(time.Hour), 4, tc.comment(engineComment))
			e.run(g3)
			is = fj.Issues()
			if len(is) != 1 || !is[0].Done || len(is[0].Comments) != 2 {
				t.Fatalf("after the analyst: %d issues, done %v, %d comments", len(is), is[0].Done, len(is[0].Comments))
			}
			if n := len(rec.Updates()); n != 1 {
				t.Fatalf("closing the ticket wrote %d updates back; want none (the analyst decided)", n-1)
			}

			// A redelivery of the first generation is the engine's duplicate;
			// an older generation delivered late (EventBridge does not keep
			// order) is stale: it opens nothing.
			stale := generation(t, gd, now.Add(30*time.Minute), 1, "")
			e.run(gd, stale)
			if is := fj.Issues(); len(is) != 1 {
				t.Fatalf("a stale delivery opened issue %s", is[len(is)-1].Key)
			}
		})
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
	// Jira and PagerDuty: In Progress once each (notified); the isolation:
	// In Progress, then Resolved, which closed both tickets.
	var got []string
	for _, u := range rec.Updates() {
		got = append(got, fmt.Sprintf("%s %s %s", u.Remediator, u.StatusID, u.Stage))
	}
	want := []string{"jira In Progress applied", "pagerduty In Progress applied", "ec2-isolate In Progress applying", "ec2-isolate Resolved applied"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("Security Hub updates %q, want %q", got, want)
	}
}
