package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

func open(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, &boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The defaults: fsync on, concurrent writes batched.
func TestConformance(t *testing.T) {
	remediatetest.RunStore(t, func(t *testing.T) remediate.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// Also with one transaction per write (and no fsync, to stay fast).
func TestConformanceUnbatched(t *testing.T) {
	remediatetest.RunStore(t, func(t *testing.T) remediate.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"), &boltstore.Options{BatchDelay: -1, NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// Everything survives a reopen; a message leased when the process "died"
// comes back, counted as orphaned; leases do not survive.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "s.db")
	s := open(t, path)
	for _, id := range []string{"m1", "m2"} {
		if err := s.Enqueue(ctx, remediate.Message{ID: id, Kind: remediate.KindFinding, Finding: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := s.Receive(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcquireTask(ctx, "k", "w1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, remediate.Record{ID: "r1", Decision: remediate.DecisionMatched}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSetting(ctx, "kill-switch", []byte(`{"engaged":true}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, path)
	st, err := s2.QueueStats(ctx)
	if err != nil || st.Ready != 2 || st.InFlight != 0 {
		t.Fatalf("stats after reopen: %+v %v", st, err)
	}
	var again *remediate.Delivery
	for range 2 {
		x, err := s2.Receive(ctx, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if x.ID == d.ID {
			again = x
		} else if x.Orphaned != 0 {
			t.Fatalf("never-received message counted as orphaned: %+v", x)
		}
	}
	if again == nil || again.Orphaned != 1 || again.Receives != 2 {
		t.Fatalf("message leased at the crash: %+v", again)
	}
	if _, err := s2.AcquireTask(ctx, "k", "w2", time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("task lease survived the restart: %v", err)
	}
	if recs, _ := s2.Query(ctx, remediate.Query{}); len(recs) != 1 {
		t.Fatalf("journal after reopen: %d", len(recs))
	}
	if v, _ := s2.GetSetting(ctx, "kill-switch"); string(v) != `{"engaged":true}` {
		t.Fatalf("setting after reopen: %q", v)
	}
}

// A lease that runs out in a live process is handed to another receiver and
// counted as orphaned; the first holder can no longer settle it.
func TestLeaseExpiry(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "s.db"))
	if err := s.Enqueue(ctx, remediate.Message{ID: "m", Kind: remediate.KindFinding}); err != nil {
		t.Fatal(err)
	}
	d1, err := s.Receive(ctx, 30*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	d2, err := s.Receive(rctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if d2.ID != "m" || d2.Orphaned != 1 {
		t.Fatalf("second delivery: %+v", d2)
	}
	if err := s.Ack(ctx, d1); !errors.Is(err, remediate.ErrLeaseLost) {
		t.Fatalf("Ack by the expired holder: %v", err)
	}
	if err := s.Ack(ctx, d2); err != nil {
		t.Fatal(err)
	}
}

func TestCloseUnblocksReceive(t *testing.T) {
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Receive(context.Background(), time.Minute)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, remediate.ErrClosed) {
			t.Fatalf("Receive after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Receive still blocked after Close")
	}
	if err := s.Enqueue(context.Background(), remediate.Message{ID: "x"}); !errors.Is(err, remediate.ErrClosed) {
		t.Fatalf("Enqueue after Close: %v", err)
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	open(t, path)
	if _, err := boltstore.Open(path, &boltstore.Options{Timeout: 50 * time.Millisecond}); err == nil {
		t.Fatal("a second Open of a locked file succeeded")
	}
}
