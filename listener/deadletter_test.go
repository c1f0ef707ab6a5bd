package listener_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
)

func TestDirDeadLetters(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "dead")
	store, err := listener.NewDirDeadLetters(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A body that is not valid UTF-8 nor JSON, with newlines: kept byte for byte.
	body := []byte("{\"broken\n\xff\xfe\n")
	in := &listener.DeadLetter{
		Received: time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC), Status: 400, Outcome: listener.OutcomeMalformed,
		Reason: "malformed JSON", Problems: []string{"/x: bad"}, EventID: "e1", IdempotencyKey: "k1",
		ContentType: "application/json", Body: body,
	}
	id, err := store.Put(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "20260203T040506.000000007Z-") || in.ID != id {
		t.Fatalf("id %q", id)
	}
	second, err := store.Put(ctx, &listener.DeadLetter{Received: in.Received.Add(time.Second), Body: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := store.List(ctx)
	if err != nil || len(ids) != 2 || ids[0] != id || ids[1] != second {
		t.Fatalf("List %v %v", ids, err)
	}
	got, err := store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Body, body) || got.Reason != in.Reason || got.Status != 400 || got.Outcome != listener.OutcomeMalformed ||
		got.EventID != "e1" || got.IdempotencyKey != "k1" || !got.Received.Equal(in.Received) || len(got.Problems) != 1 {
		t.Fatalf("round trip: %+v", got)
	}
	// The file is line one metadata, then the raw body.
	raw, err := os.ReadFile(filepath.Join(dir, id+".dead"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(raw, body) || !bytes.Contains(raw[:bytes.IndexByte(raw, '\n')], []byte(`"reason":"malformed JSON"`)) {
		t.Fatalf("file layout: %q", raw)
	}
	// Updating a letter in place keeps its id.
	got.Replays = 2
	if id2, err := store.Put(ctx, got); err != nil || id2 != id {
		t.Fatalf("update: %q %v", id2, err)
	}
	if again, _ := store.Get(ctx, id); again.Replays != 2 {
		t.Fatalf("update lost: %+v", again)
	}
	if err := store.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{id, "../etc/passwd", ".tmp-1", ""} {
		if _, err := store.Get(ctx, bad); !errors.Is(err, listener.ErrDeadLetterNotFound) {
			t.Errorf("Get(%q): %v", bad, err)
		}
		if err := store.Delete(ctx, bad); !errors.Is(err, listener.ErrDeadLetterNotFound) {
			t.Errorf("Delete(%q): %v", bad, err)
		}
	}
	// Leftover temporary files (a crash mid-write) are not listed.
	if err := os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ids, _ := store.List(ctx); len(ids) != 1 || ids[0] != second {
		t.Fatalf("List after delete %v", ids)
	}
	// A truncated file is an error, not a silently shorter body.
	if err := os.WriteFile(filepath.Join(dir, second+".dead"), []byte(`{"format":"ocsfhub-dead-letter/1","body_bytes":10}`+"\n{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, second); err == nil {
		t.Fatal("truncated letter read without error")
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v %v", st.Mode(), err)
	}
}
