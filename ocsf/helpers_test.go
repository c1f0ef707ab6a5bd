package ocsf_test

import (
	"bytes"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
)

// semanticDiff returns "" when a and b hold the same JSON value: same members
// (in any order), same strings, and numbers that are equal as numbers.
func semanticDiff(t testing.TB, a, b []byte) string {
	t.Helper()
	return cmp.Diff(decodeAny(t, a), decodeAny(t, b), cmp.Comparer(jsonNumbersEqual))
}

func decodeAny(t testing.TB, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	return v
}

// jsonNumbersEqual compares JSON numbers exactly when both are integers, and as
// float64 otherwise (a float field is written back in its shortest form).
func jsonNumbersEqual(x, y json.Number) bool {
	if a, err := strconv.ParseInt(string(x), 10, 64); err == nil {
		if b, err := strconv.ParseInt(string(y), 10, 64); err == nil {
			return a == b
		}
	}
	if a, ok := new(big.Float).SetString(string(x)); ok {
		if b, ok := new(big.Float).SetString(string(y)); ok {
			fa, _ := a.Float64()
			fb, _ := b.Float64()
			return fa == fb
		}
	}
	return x == y
}

// sharedSamplePaths returns the real Security Hub samples in ../shared (skipping
// the test when they are absent).
func sharedSamplePaths(t testing.TB) []string {
	t.Helper()
	dir := sharedtest.Dir(t, "securityhub-samples")
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Skipf("no samples in %s", dir)
	}
	return paths
}

// fixtureEnvelopePaths returns the project's golden envelopes in testdata/findings.
func fixtureEnvelopePaths(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "findings", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Skip("no fixtures in ../testdata/findings")
	}
	return paths
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sharedSample reads one sample by name.
func sharedSample(t testing.TB, name string) []byte {
	t.Helper()
	return mustRead(t, filepath.Join(sharedtest.Dir(t, "securityhub-samples"), name))
}
