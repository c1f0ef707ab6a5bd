package remediate_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/eventbridge"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

// repoRoot walks up from the package directory to the directory with go.mod.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// fixture decodes a finding from the repository's testdata/findings.
func fixture(tb testing.TB, name string) ocsf.Finding {
	tb.Helper()
	return remediatetest.FindingFile(tb, filepath.Join(repoRoot(tb), "testdata", "findings", name))
}

const (
	fxGuardDuty   = "guardduty-ec2-unauthorized-access.json"
	fxOwnUpdate   = "security-hub-own-update.json"
	fxSGOpen      = "cspm-ec2-security-group-open.json"
	fxS3Public    = "cspm-s3-public-access.json"
	fxLambdaCVE   = "inspector-lambda-cve.json"
	fxCredentials = "guardduty-iam-credential-exfiltration.json"
)

// withUID returns a copy of f with another finding identity.
func withUID(tb testing.TB, f ocsf.Finding, uid string) ocsf.Finding {
	tb.Helper()
	return remediatetest.Mutate(tb, f, func(m map[string]any) {
		remediatetest.Set(m, "metadata.uid", uid)
		remediatetest.Set(m, "finding_info.uid", "finding/"+uid)
	})
}

// withModified returns a copy of f with a newer finding_info.modified_time.
func withModified(tb testing.TB, f ocsf.Finding, t time.Time) ocsf.Finding {
	tb.Helper()
	return remediatetest.Mutate(tb, f, func(m map[string]any) {
		remediatetest.Set(m, "finding_info.modified_time", t.UnixMilli())
		remediatetest.Set(m, "finding_info.modified_time_dt", t.UTC().Format("2006-01-02T15:04:05.000Z"))
	})
}

type env struct {
	tb    testing.TB
	path  string
	store *boltstore.Store
	eng   *remediate.Engine
	opts  remediate.Options
}

// newEnv opens a store in a temporary file and an engine with fast retries.
func newEnv(tb testing.TB, opts remediate.Options) *env {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "remediate.db")
	e := &env{tb: tb, path: path}
	e.open(opts)
	return e
}

func (e *env) open(opts remediate.Options) {
	e.tb.Helper()
	st, err := boltstore.Open(e.path, &boltstore.Options{NoSync: true})
	if err != nil {
		e.tb.Fatal(err)
	}
	e.tb.Cleanup(func() { _ = st.Close() })
	if opts.BackoffBase == 0 {
		opts.BackoffBase = time.Millisecond
	}
	if opts.BackoffMax == 0 {
		opts.BackoffMax = 5 * time.Millisecond
	}
	eng, err := remediate.New(st, opts)
	if err != nil {
		e.tb.Fatal(err)
	}
	e.store, e.eng, e.opts = st, eng, opts
}

// reopen closes the store and opens it again with a new engine (a restart).
func (e *env) reopen() {
	e.tb.Helper()
	if err := e.store.Close(); err != nil {
		e.tb.Fatal(err)
	}
	e.open(e.opts)
}

func (e *env) accept(fs ...ocsf.Finding) {
	e.tb.Helper()
	for _, f := range fs {
		if err := e.eng.Accept(context.Background(), nil, f); err != nil {
			e.tb.Fatalf("Accept: %v", err)
		}
	}
}

// drain processes messages until the queue has nothing ready or delayed.
func (e *env) drain() {
	e.tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		st, err := e.store.QueueStats(context.Background())
		if err != nil {
			e.tb.Fatal(err)
		}
		if st.Ready+st.Delayed+st.InFlight == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = e.eng.ProcessNext(ctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			e.tb.Fatalf("ProcessNext: %v", err)
		}
	}
	e.tb.Fatal("queue did not drain")
}

// journal returns the records of a finding.
func (e *env) journal(f ocsf.Finding) []remediate.Record {
	e.tb.Helper()
	recs, err := e.eng.Journal(context.Background(), remediate.Query{FindingID: remediate.RefOf(f).ID()})
	if err != nil {
		e.tb.Fatal(err)
	}
	return recs
}

// decisions returns the decisions recorded for a finding, in order.
func (e *env) decisions(f ocsf.Finding) []remediate.Decision {
	var out []remediate.Decision
	for _, r := range e.journal(f) {
		out = append(out, r.Decision)
	}
	return out
}

func (e *env) count(f ocsf.Finding, d remediate.Decision) int {
	n := 0
	for _, x := range e.decisions(f) {
		if x == d {
			n++
		}
	}
	return n
}

func hasDecision(recs []remediate.Record, d remediate.Decision) bool {
	return slices.ContainsFunc(recs, func(r remediate.Record) bool { return r.Decision == d })
}

// matchPattern matches doc against an EventBridge pattern.
func matchPattern(tb testing.TB, pattern string, doc []byte) bool {
	tb.Helper()
	p, err := eventbridge.ParsePattern([]byte(pattern))
	if err != nil {
		tb.Fatal(err)
	}
	m, err := eventbridge.Compile(p)
	if err != nil {
		tb.Fatal(err)
	}
	ok, err := m.Match(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return ok
}

func rule(name, pattern string, r remediate.Remediator, m remediate.Mode) remediate.Rule {
	return remediate.Rule{Name: name, Pattern: pattern, Remediator: r, Mode: m}
}
