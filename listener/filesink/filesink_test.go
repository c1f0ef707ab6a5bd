package filesink_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/listener/filesink"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

func finding(t testing.TB, uid string) ocsf.Finding {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "detection-finding.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["finding_info"].(map[string]any)["uid"] = uid
	b, _ = json.Marshal(m)
	f, err := ocsf.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestConcurrentAcceptIsDurableAndWhole(t *testing.T) {
	t.Parallel()
	for _, noSync := range []bool{false, true} {
		t.Run(fmt.Sprint("nosync=", noSync), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "accepted.jsonl")
			s, err := filesink.Open(path, filesink.Options{NoSync: noSync, MaxBatch: 7})
			if err != nil {
				t.Fatal(err)
			}
			const n = 200
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ev := &ocsf.Event{ID: fmt.Sprintf("ev-%d", i), Account: "111122223333", DetailType: "Findings Imported V2"}
					errs <- s.Accept(t.Context(), ev, finding(t, fmt.Sprintf("uid-%d", i)))
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Accept(t.Context(), &ocsf.Event{}, finding(t, "late")); !errors.Is(err, filesink.ErrClosed) {
				t.Fatalf("after Close: %v", err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := filesink.ReadAll(bytes.NewReader(b))
			if err != nil || len(recs) != n {
				t.Fatalf("%d records, %v", len(recs), err)
			}
			seen := map[string]bool{}
			for _, r := range recs {
				if r.EventID[3:] != r.FindingUID[4:] || r.ClassUID != ocsf.ClassDetectionFinding || r.Account != "111122223333" {
					t.Fatalf("record %+v", r)
				}
				f, err := ocsf.Decode(r.Finding)
				if err != nil || f.Summary().UID != r.FindingUID {
					t.Fatalf("finding does not decode back: %v", err)
				}
				seen[r.FindingUID] = true
			}
			if len(seen) != n {
				t.Fatalf("%d distinct findings", len(seen))
			}
			st, _ := os.Stat(path)
			if st.Mode().Perm() != 0o600 {
				t.Errorf("mode %v", st.Mode())
			}
		})
	}
}

func TestReopenAppends(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a.jsonl")
	for i := range 2 {
		s, err := filesink.Open(path, filesink.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Accept(t.Context(), &ocsf.Event{ID: fmt.Sprint(i)}, finding(t, "u")); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := os.Open(path)
	defer f.Close()
	// A torn final line (crash mid-write without sync) is ignored by ReadAll.
	b, _ := os.ReadFile(path)
	recs, err := filesink.ReadAll(bytes.NewReader(append(b, []byte(`{"received":"2026-`)...)))
	if err != nil || len(recs) != 2 || recs[0].EventID != "0" || recs[1].EventID != "1" {
		t.Fatalf("%+v %v", recs, err)
	}
}

func TestAcceptHonoursContext(t *testing.T) {
	t.Parallel()
	s, err := filesink.Open(filepath.Join(t.TempDir(), "a.jsonl"), filesink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	// Either the line made it (nil) or the caller is told it is not
	// confirmed; never a hang.
	done := make(chan error)
	go func() { done <- s.Accept(ctx, &ocsf.Event{}, finding(t, "u")) }()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept ignored a cancelled context")
	}
}

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "filesink")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "accepted.jsonl")
	sink, err := filesink.Open(path, filesink.Options{})
	if err != nil {
		panic(err)
	}
	f, _ := ocsf.Decode([]byte(`{"class_uid":2004,"finding_info":{"uid":"f-1"},"metadata":{"version":"1.6.0"}}`))
	if err := sink.Accept(context.Background(), &ocsf.Event{ID: "e-1"}, f); err != nil {
		panic(err)
	}
	_ = sink.Close()
	b, _ := os.ReadFile(path)
	recs, _ := filesink.ReadAll(bytes.NewReader(b))
	fmt.Println(len(recs), recs[0].EventID, recs[0].FindingUID, recs[0].ClassUID)
	// Output: 1 e-1 f-1 Detection Finding
}

// An event's single finding is written from the bytes received, on one line.
func TestRawFindingOnOneLine(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "detection-finding.json")) // pretty-printed
	if err != nil {
		t.Fatal(err)
	}
	f, err := ocsf.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.jsonl")
	s, err := filesink.Open(path, filesink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev := &ocsf.Event{ID: "e"}
	ev.Detail.Findings = []json.RawMessage{raw}
	if err := s.Accept(t.Context(), ev, f); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	b, _ := os.ReadFile(path)
	if bytes.Count(b, []byte("\n")) != 1 {
		t.Fatalf("not one line: %q", b)
	}
	recs, err := filesink.ReadAll(bytes.NewReader(b))
	if err != nil || len(recs) != 1 {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, raw)
	if !bytes.Equal(recs[0].Finding, compact.Bytes()) {
		t.Fatal("finding is not the received bytes, compacted")
	}
}
