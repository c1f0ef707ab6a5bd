package boltstore_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/listener/boltstore"
	"github.com/ocsfhub/ocsfhub/listener/listenertest"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

var _ listener.SeenStore = (*boltstore.Store)(nil)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "seen.db")
	s, err := boltstore.Open(path, boltstore.Options{Now: c.now, PruneInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	seen := func(k string) bool {
		t.Helper()
		ok, err := s.Seen(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if seen("a") {
		t.Fatal("empty store")
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.MarkSeen(ctx, fmt.Sprint("k", i), time.Hour); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := s.MarkSeen(ctx, "long", 3*time.Hour); err != nil {
		t.Fatal(err)
	}
	if !seen("k0") || !seen("k49") || !seen("long") {
		t.Fatal("marked keys not seen")
	}
	// Survives a reopen.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = boltstore.Open(path, boltstore.Options{Now: c.now, PruneInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !seen("k7") {
		t.Fatal("lost after reopen")
	}
	// Re-marking extends the expiry.
	if err := s.MarkSeen(ctx, "k1", 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour)
	if seen("k0") || !seen("k1") || !seen("long") {
		t.Fatalf("after 1h: k0=%v k1=%v long=%v", seen("k0"), seen("k1"), seen("long"))
	}
	n, err := s.Prune(ctx)
	if err != nil || n != 49 {
		t.Fatalf("pruned %d, %v; want 49", n, err)
	}
	if l, _ := s.Len(); l != 2 {
		t.Fatalf("Len %d, want 2", l)
	}
	c.add(3 * time.Hour)
	if n, _ := s.Prune(ctx); n != 2 {
		t.Fatalf("pruned %d, want 2", n)
	}
}

func TestAutomaticPrune(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "seen.db"), boltstore.Options{Now: c.now, PruneInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 10 {
		if err := s.MarkSeen(t.Context(), fmt.Sprint(i), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	c.add(2 * time.Minute)
	if err := s.MarkSeen(t.Context(), "new", time.Hour); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Len(); l != 1 {
		t.Fatalf("Len %d after automatic prune, want 1", l)
	}
}

// TestDuplicateAcrossRestart: an event accepted before a restart is a
// duplicate after it, because the seen store is on disk.
func TestDuplicateAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	body, err := os.ReadFile(filepath.Join("..", "testdata", "detection-finding.json"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := listenertest.Envelope("restart-1", body)
	if err != nil {
		t.Fatal(err)
	}
	const key = listener.Secret("api-key-0123456789abcdef-restart")
	v, err := ocsf.NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	v.Validate(body) // compile the schema outside the request budget
	handoffs := 0
	for restart := range 2 {
		store, err := boltstore.Open(filepath.Join(dir, "seen.db"), boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		dead, _ := listener.NewDirDeadLetters(filepath.Join(dir, "dead"))
		h, err := listener.New(listener.Options{
			Sink: listener.SinkFunc(func(context.Context, *ocsf.Event, ocsf.Finding) error {
				handoffs++
				return nil
			}),
			Credentials: listener.Credentials{APIKeys: []listener.Secret{key}},
			DeadLetters: dead, Seen: store, Validator: v,
		})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, listenertest.NewRequest(env, listenertest.APIKey(key)))
		if rec.Code != 200 {
			t.Fatalf("run %d: %d %s", restart, rec.Code, rec.Body)
		}
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if handoffs != 1 {
		t.Fatalf("%d hand-offs across a restart, want 1", handoffs)
	}
}

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "boltstore")
	defer os.RemoveAll(dir)
	store, err := boltstore.Open(filepath.Join(dir, "seen.db"), boltstore.Options{})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	ctx := context.Background()
	_ = store.MarkSeen(ctx, "event:6a7e7f0c", 25*time.Hour)
	ok, _ := store.Seen(ctx, "event:6a7e7f0c")
	fmt.Println(ok)
	// Output: true
}
