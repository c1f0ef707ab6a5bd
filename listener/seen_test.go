package listener_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
)

func TestMemorySeenStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := listener.NewMemorySeenStore(listener.MemorySeenOptions{MaxEntries: 3, Now: clock.Now})
	seen := func(k string) bool {
		t.Helper()
		ok, err := s.Seen(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	mark := func(k string, ttl time.Duration) {
		t.Helper()
		if err := s.MarkSeen(ctx, k, ttl); err != nil {
			t.Fatal(err)
		}
	}
	if seen("a") {
		t.Fatal("empty store has a")
	}
	mark("a", time.Hour)
	if !seen("a") {
		t.Fatal("a not seen after MarkSeen")
	}
	clock.Add(time.Hour)
	if seen("a") {
		t.Fatal("a seen after its ttl")
	}
	// Capacity: the oldest entries go first.
	mark("b", time.Hour)
	mark("c", time.Hour)
	mark("d", time.Hour)
	mark("e", time.Hour)
	if seen("b") || !seen("c") || !seen("d") || !seen("e") {
		t.Fatalf("after overflow: b=%v c=%v d=%v e=%v", seen("b"), seen("c"), seen("d"), seen("e"))
	}
	if s.Len() > 3 {
		t.Fatalf("Len %d > MaxEntries", s.Len())
	}
	// Re-marking extends; the stale queue record must not delete the key.
	mark("c", 3*time.Hour)
	clock.Add(2 * time.Hour)
	mark("f", time.Hour)
	if !seen("c") || seen("d") || !seen("f") {
		t.Fatalf("after re-mark: c=%v d=%v f=%v", seen("c"), seen("d"), seen("f"))
	}
}

func TestMemorySeenStoreManyKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := listener.NewMemorySeenStore(listener.MemorySeenOptions{MaxEntries: 1000, Now: clock.Now})
	for i := range 10_000 {
		if err := s.MarkSeen(ctx, fmt.Sprint(i), time.Minute); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Millisecond)
	}
	if s.Len() != 1000 {
		t.Fatalf("Len %d", s.Len())
	}
	for _, k := range []string{"8999", "9000", "9999"} {
		ok, _ := s.Seen(ctx, k)
		if ok != (k != "8999") {
			t.Errorf("Seen(%s)=%v", k, ok)
		}
	}
}
