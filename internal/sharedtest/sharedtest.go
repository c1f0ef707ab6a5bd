// Package sharedtest locates the read-only reference data (OCSF schemas, real
// Security Hub samples, EventBridge test vectors) that sits beside the
// repository as ../shared in development and CI, and is absent from a user's
// clone.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the absolute path of the shared directory and whether it exists.
// It walks up from the working directory to the directory holding go.mod and
// looks for ../shared beside it. The OCSFHUB_SHARED environment variable
// overrides the search.
func Root() (string, bool) {
	if d := os.Getenv("OCSFHUB_SHARED"); d != "" {
		st, err := os.Stat(d)
		return d, err == nil && st.IsDir()
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			shared := filepath.Join(dir, "..", "shared")
			st, err := os.Stat(shared)
			return shared, err == nil && st.IsDir()
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Dir returns the path of elem inside the shared directory, or skips the test
// with a clear message when the shared directory (or elem) is absent.
func Dir(tb testing.TB, elem ...string) string {
	tb.Helper()
	root, ok := Root()
	if !ok {
		tb.Skip("reference data ../shared is not present (a user's clone has none); skipping")
	}
	p := filepath.Join(append([]string{root}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("reference data %s is not present: %v; skipping", p, err)
	}
	return p
}
