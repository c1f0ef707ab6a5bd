package listener_test

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

// sharedValidator compiles schemas once for the whole test binary (each
// compilation takes a few hundred milliseconds).
// The schemas of every fixture are compiled up front, so that compilation
// (slow under -race on a busy machine) never eats a request's hand-off budget.
var sharedValidator = sync.OnceValues(func() (*ocsf.Validator, error) {
	v, err := ocsf.NewValidator(&ocsf.ValidatorOptions{})
	if err != nil {
		return nil, err
	}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "findings", "*.json"))
	files = append(files, filepath.Join("testdata", "detection-finding.json"))
	if root, ok := sharedtest.Root(); ok {
		shared, _ := filepath.Glob(filepath.Join(root, "securityhub-samples", "cruxstack-*.json"))
		files = append(files, shared...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if ev, err := ocsf.DecodeEvent(b); err == nil && len(ev.Detail.Findings) > 0 {
			for _, raw := range ev.Detail.Findings {
				v.Validate(raw)
			}
		} else {
			v.Validate(b)
		}
	}
	return v, nil
})

func validator(t testing.TB) *ocsf.Validator {
	t.Helper()
	v, err := sharedValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newTextLogger logs everything, debug included, as text to w.
func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
