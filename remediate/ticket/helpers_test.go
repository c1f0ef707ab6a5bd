package ticket_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/ticket"
)

var update = flag.Bool("update", false, "rewrite the golden request bodies in testdata/")

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if w := string(bytes.TrimSuffix(want, []byte("\n"))); w != got {
		t.Errorf("request body differs from %s:\ngot:  %s\nwant: %s", path, got, w)
	}
}

// wantCalls checks the method and path (with query) of requests.
func wantCalls(t *testing.T, got []call, want ...string) {
	t.Helper()
	var g []string
	for _, c := range got {
		g = append(g, c.String())
	}
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(want, "\n  "))
	}
}

// wantHeader checks request headers.
func wantHeader(t *testing.T, c call, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if got := c.Header.Get(kv[i]); got != kv[i+1] {
			t.Errorf("%s: header %s = %q, want %q", c, kv[i], got, kv[i+1])
		}
	}
}

// wantClass checks an error's classification and that it carries a
// *ticket.Error with the status.
func wantClass(t *testing.T, err error, class remediate.ErrorClass, status int) *ticket.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want a %s error", class)
	}
	if got := remediate.Classify(err); got != class {
		t.Errorf("Classify(%v) = %s, want %s", err, got, class)
	}
	var te *ticket.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v carries no *ticket.Error", err)
	}
	if te.StatusCode != status {
		t.Errorf("StatusCode = %d, want %d", te.StatusCode, status)
	}
	return te
}

// noSecret fails when s contains a secret.
func noSecret(t *testing.T, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("secret %q leaked in %q", sec[:min(4, len(sec))]+"…", s)
		}
	}
}

func applied(t *testing.T, res *remediate.Result) int {
	t.Helper()
	if res == nil {
		t.Fatal("nil result")
	}
	return res.Applied()
}

// memSettings is a remediate.SettingsStore shared by remediators, as a
// durable store would be.
type memSettings struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memSettings) GetSetting(ctx context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[name], nil
}

func (s *memSettings) PutSetting(ctx context.Context, name string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[name] = value
	return nil
}

// fmtAll renders err with every fmt verb that could reveal internals.
func fmtAll(err error) string {
	return fmt.Sprintf("%v %+v %#v %s %q", err, err, err, err, err)
}

// newHangingServer returns the URL of a server that answers nothing until
// block is closed.
func newHangingServer(t *testing.T, block chan struct{}) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
