package remediatetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
)

// RunStore checks a [remediate.Store] implementation against the contracts
// of the Queue, Journal, IdempotencyStore, ApprovalStore and SettingsStore
// interfaces; newStore returns an empty store (closed by the caller's
// cleanup). Use it for a new backend (SQS + DynamoDB) as boltstore does.
func RunStore(t *testing.T, newStore func(t *testing.T) remediate.Store) {
	t.Helper()
	t.Run("Queue", func(t *testing.T) { testQueue(t, newStore(t)) })
	t.Run("QueueConcurrent", func(t *testing.T) { testQueueConcurrent(t, newStore(t)) })
	t.Run("Journal", func(t *testing.T) { testJournal(t, newStore(t)) })
	t.Run("Tasks", func(t *testing.T) { testTasks(t, newStore(t)) })
	t.Run("Approvals", func(t *testing.T) { testApprovals(t, newStore(t)) })
	t.Run("Settings", func(t *testing.T) { testSettings(t, newStore(t)) })
}

func receive(t *testing.T, q remediate.Queue, wait time.Duration) *remediate.Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	d, err := q.Receive(ctx, time.Minute)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return d
}

func testQueue(t *testing.T, q remediate.Store) {
	ctx := t.Context()
	m := remediate.Message{ID: "m1", Kind: remediate.KindFinding, EnqueuedAt: time.Now().UTC().Truncate(time.Millisecond), Finding: []byte(`{"class_uid":2004}`)}
	for range 2 { // enqueueing the same id twice keeps one message
		if err := q.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	d := receive(t, q, time.Second)
	if d == nil || d.ID != "m1" || string(d.Finding) != `{"class_uid":2004}` || d.Receives != 1 || d.Orphaned != 0 || d.Receipt == "" {
		t.Fatalf("first receive: %+v", d)
	}
	if other := receive(t, q, 50*time.Millisecond); other != nil {
		t.Fatalf("leased message received again (or the duplicate enqueue was kept): %+v", other)
	}
	if st, err := q.QueueStats(ctx); err != nil || st.InFlight != 1 || st.Ready != 0 {
		t.Fatalf("stats while leased: %+v %v", st, err)
	}
	const delay = 300 * time.Millisecond
	retryAt := time.Now()
	if err := q.Retry(ctx, d, delay); err != nil {
		t.Fatal(err)
	}
	if err := q.Ack(ctx, d); !errors.Is(err, remediate.ErrLeaseLost) {
		t.Fatalf("Ack with a released lease: %v", err)
	}
	if st, _ := q.QueueStats(ctx); st.Delayed != 1 && time.Since(retryAt) < delay {
		t.Fatalf("stats after retry: %+v", st)
	}
	d2 := receive(t, q, 5*time.Second)
	if d2 == nil || time.Since(retryAt) < delay-5*time.Millisecond {
		t.Fatalf("retry delay not honoured: %v after %v", d2, time.Since(retryAt))
	}
	if d2.Receives != 2 || d2.Orphaned != 0 {
		t.Fatalf("second receive counters: %+v", d2)
	}
	if err := q.DeadLetter(ctx, d2, "permanent: bad"); err != nil {
		t.Fatal(err)
	}
	dl, err := q.DeadLetters(ctx)
	if err != nil || len(dl) != 1 || dl[0].Reason != "permanent: bad" || string(dl[0].Message.Finding) != `{"class_uid":2004}` {
		t.Fatalf("dead letters: %+v %v", dl, err)
	}
	if err := q.Replay(ctx, "nope"); !errors.Is(err, remediate.ErrNotFound) {
		t.Fatalf("Replay(unknown): %v", err)
	}
	if err := q.Replay(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	d3 := receive(t, q, time.Second)
	if d3 == nil || !d3.Replay || string(d3.Finding) != `{"class_uid":2004}` {
		t.Fatalf("replayed: %+v", d3)
	}
	if err := q.Ack(ctx, d3); err != nil {
		t.Fatal(err)
	}
	if st, _ := q.QueueStats(ctx); st != (remediate.QueueStats{}) {
		t.Fatalf("stats at the end: %+v", st)
	}
	// Receive honours its context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := q.Receive(cctx, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive with a cancelled context: %v", err)
	}
}

// Many receivers, many messages: each message is delivered to one receiver
// at a time and acknowledged once.
func testQueueConcurrent(t *testing.T, q remediate.Store) {
	ctx := t.Context()
	const n = 200
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := i; j < n; j += 4 {
				if err := q.Enqueue(ctx, remediate.Message{ID: fmt.Sprint("m", j), Kind: remediate.KindFinding}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	var mu sync.Mutex
	got := map[string]int{}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var rwg sync.WaitGroup
	for range 4 {
		rwg.Go(func() {
			for {
				d, err := q.Receive(rctx, time.Minute)
				if err != nil {
					return
				}
				mu.Lock()
				got[d.ID]++
				done := len(got) == n
				mu.Unlock()
				if err := q.Ack(ctx, d); err != nil {
					t.Error(err)
				}
				if done {
					cancel()
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-rctx.Done():
	case <-time.After(20 * time.Second):
		t.Error("messages not all received")
		cancel()
	}
	rwg.Wait()
	for id, c := range got {
		if c != 1 {
			t.Errorf("%s received %d times", id, c)
		}
	}
	if len(got) != n {
		t.Errorf("received %d of %d messages", len(got), n)
	}
}

func testJournal(t *testing.T, j remediate.Store) {
	ctx := t.Context()
	t0 := time.Date(2026, 2, 10, 8, 0, 0, 0, time.UTC)
	ref := remediate.FindingRef{MetadataUID: "f-1"}
	recs := []remediate.Record{
		{ID: "a", Time: t0, Decision: remediate.DecisionMatched, Finding: ref, Rule: "r"},
		{Time: t0.Add(time.Minute), Decision: remediate.DecisionApplying, Finding: ref, PlanID: "p-1"},
		{ID: "c", Time: t0.Add(2 * time.Minute), Decision: remediate.DecisionApplied, Finding: ref, PlanID: "p-1"},
		{Time: t0.Add(3 * time.Minute), Decision: remediate.DecisionNoMatch, FindingID: "f-2"},
	}
	if err := j.Append(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	// Appending an ID again is a no-op, also inside one call.
	if err := j.Append(ctx, remediate.Record{ID: "c", Decision: remediate.DecisionFailed}, remediate.Record{ID: "d", Decision: remediate.DecisionDuplicate}, remediate.Record{ID: "d", Decision: remediate.DecisionDuplicate}); err != nil {
		t.Fatal(err)
	}
	all, err := j.Query(ctx, remediate.Query{})
	if err != nil || len(all) != 5 {
		t.Fatalf("all: %d %v", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq {
			t.Fatalf("records out of order: %+v", all)
		}
	}
	if all[1].ID == "" || all[0].FindingID != "f-1" {
		t.Fatalf("ids/finding ids not filled: %+v", all[:2])
	}
	check := func(name string, q remediate.Query, want ...remediate.Decision) {
		t.Helper()
		got, err := j.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var ds []remediate.Decision
		for _, r := range got {
			ds = append(ds, r.Decision)
		}
		if !slices.Equal(ds, want) {
			t.Errorf("%s: got %v, want %v", name, ds, want)
		}
	}
	check("by finding", remediate.Query{FindingID: "f-1"}, remediate.DecisionMatched, remediate.DecisionApplying, remediate.DecisionApplied)
	check("by plan", remediate.Query{PlanID: "p-1"}, remediate.DecisionApplying, remediate.DecisionApplied)
	check("by decision", remediate.Query{Decisions: []remediate.Decision{remediate.DecisionNoMatch, remediate.DecisionMatched}}, remediate.DecisionMatched, remediate.DecisionNoMatch)
	check("since", remediate.Query{Since: t0.Add(90 * time.Second), FindingID: "f-1"}, remediate.DecisionApplied)
	check("since, no index", remediate.Query{Since: t0.Add(150 * time.Second)}, remediate.DecisionNoMatch)
	check("after+limit", remediate.Query{AfterSeq: all[0].Seq, Limit: 2}, remediate.DecisionApplying, remediate.DecisionApplied)
	check("finding after", remediate.Query{FindingID: "f-1", AfterSeq: all[1].Seq}, remediate.DecisionApplied)
}

func testTasks(t *testing.T, s remediate.Store) {
	ctx := t.Context()
	until := time.Now().Add(time.Minute)
	if _, err := s.GetTask(ctx, "k"); !errors.Is(err, remediate.ErrNotFound) {
		t.Fatalf("GetTask(absent): %v", err)
	}
	tk, err := s.AcquireTask(ctx, "k", "w1", until)
	if err != nil || tk.Key != "k" || tk.State != remediate.TaskNew {
		t.Fatalf("acquire new: %+v %v", tk, err)
	}
	if _, err := s.AcquireTask(ctx, "k", "w2", until); !errors.Is(err, remediate.ErrLeased) {
		t.Fatalf("second owner: %v", err)
	}
	tk.State = remediate.TaskApplying
	tk.Plan = &remediate.Plan{ID: "p-1", Changes: []remediate.Change{{ID: "c", Action: "x:Y"}}}
	if err := s.SaveTask(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTask(ctx, remediate.Task{Key: "k", Owner: "w2"}); !errors.Is(err, remediate.ErrLeaseLost) {
		t.Fatalf("save by non-owner: %v", err)
	}
	if err := s.ReleaseTask(ctx, "k", "w2"); err != nil { // not the owner: no-op
		t.Fatal(err)
	}
	if _, err := s.AcquireTask(ctx, "k", "w2", until); !errors.Is(err, remediate.ErrLeased) {
		t.Fatalf("release by non-owner freed the lease: %v", err)
	}
	if err := s.ReleaseTask(ctx, "k", "w1"); err != nil {
		t.Fatal(err)
	}
	tk2, err := s.AcquireTask(ctx, "k", "w2", until)
	if err != nil || tk2.State != remediate.TaskApplying || tk2.Plan == nil || tk2.Plan.ID != "p-1" {
		t.Fatalf("acquire after release: %+v %v", tk2, err)
	}
	// An expired lease can be taken over.
	if _, err := s.AcquireTask(ctx, "e", "w1", time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireTask(ctx, "e", "w2", until); err != nil {
		t.Fatalf("expired lease not taken over: %v", err)
	}
	if c, ok := s.(remediate.Committer); ok {
		tk2.State = remediate.TaskDone
		if err := c.CommitTask(ctx, tk2, remediate.Record{ID: "commit", Decision: remediate.DecisionApplied, PlanID: "p-1"}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetTask(ctx, "k")
		recs, _ := s.Query(ctx, remediate.Query{PlanID: "p-1"})
		if got.State != remediate.TaskDone || len(recs) != 1 {
			t.Fatalf("CommitTask: task %s, %d records", got.State, len(recs))
		}
		if err := c.CommitTask(ctx, remediate.Task{Key: "k", Owner: "w9"}, remediate.Record{ID: "nope"}); !errors.Is(err, remediate.ErrLeaseLost) {
			t.Fatalf("CommitTask by non-owner: %v", err)
		}
		if recs, _ := s.Query(ctx, remediate.Query{}); slices.ContainsFunc(recs, func(r remediate.Record) bool { return r.ID == "nope" }) {
			t.Fatal("CommitTask by non-owner journaled its records")
		}
	}
}

func testApprovals(t *testing.T, s remediate.Store) {
	ctx := t.Context()
	t0 := time.Now().UTC()
	for i, id := range []string{"b", "a"} {
		a := remediate.Approval{ID: id, State: remediate.ApprovalPending, CreatedAt: t0.Add(time.Duration(i) * time.Second), Plan: &remediate.Plan{ID: "p-" + id}}
		if err := s.PutApproval(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ListApprovals(ctx, remediate.ApprovalPending)
	if err != nil || len(list) != 2 || list[0].ID != "b" {
		t.Fatalf("list (oldest first): %+v %v", list, err)
	}
	if _, err := s.GetApproval(ctx, "zz"); !errors.Is(err, remediate.ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
	if _, err := s.UpdateApproval(ctx, "zz", func(*remediate.Approval) error { return nil }); !errors.Is(err, remediate.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	// Concurrent decisions: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 8 {
		wg.Go(func() {
			_, err := s.UpdateApproval(ctx, "a", func(a *remediate.Approval) error {
				if a.State != remediate.ApprovalPending {
					return remediate.ErrNotPending
				}
				a.State = remediate.ApprovalApproved
				a.Actor = fmt.Sprint("actor", i)
				return nil
			})
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, remediate.ErrNotPending) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent approvals won, want 1", wins)
	}
	a, _ := s.GetApproval(ctx, "a")
	if a.State != remediate.ApprovalApproved || a.Plan == nil || a.Plan.ID != "p-a" {
		t.Fatalf("after update: %+v", a)
	}
	if list, _ := s.ListApprovals(ctx, remediate.ApprovalPending); len(list) != 1 {
		t.Fatalf("pending after approval: %d", len(list))
	}
	if list, _ := s.ListApprovals(ctx); len(list) != 2 {
		t.Fatalf("all: %d", len(list))
	}
}

func testSettings(t *testing.T, s remediate.Store) {
	ctx := t.Context()
	if v, err := s.GetSetting(ctx, "x"); err != nil || v != nil {
		t.Fatalf("unset: %q %v", v, err)
	}
	if err := s.PutSetting(ctx, "x", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetSetting(ctx, "x"); err != nil || string(v) != "1" {
		t.Fatalf("set: %q %v", v, err)
	}
}
