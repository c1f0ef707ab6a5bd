package aws_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

// The fixtures' story (testdata/README.md): member account 111122223333 in
// us-east-1, the delegated administrator 999988887777.
const (
	member   = "111122223333"
	admin    = "999988887777"
	region   = "us-east-1"
	instID   = "i-0a1b2c3d4e5f67890"
	vpcID    = "vpc-0123abcd4567ef890"
	openSGID = "sg-0f1e2d3c4b5a69788"
	bucket   = "acme-customer-exports-111122223333"
)

// repoRoot walks up to the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// fixture decodes a finding of the repository's testdata/findings.
func fixture(t testing.TB, name string) ocsf.Finding {
	t.Helper()
	return remediatetest.FindingFile(t, filepath.Join(repoRoot(t), "testdata", "findings", name))
}

// newServer starts a fake AWS closed at the end of the test.
func newServer(t testing.TB, opts fakeaws.Options) *fakeaws.Server {
	t.Helper()
	srv := fakeaws.New(opts)
	t.Cleanup(srv.Close)
	return srv
}

// plan plans f with r, filling what the engine fills, and fails on error.
func plan(t *testing.T, r remediate.Remediator, f ocsf.Finding) *remediate.Plan {
	t.Helper()
	p, err := r.Plan(t.Context(), f)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("invalid plan: %v\n%s", err, p)
	}
	p.ID = "p-test"
	p.Remediator = r.Name()
	p.Finding = remediate.RefOf(f)
	return p
}

// roundTrip returns the plan as the engine applies it: encoded to JSON
// (the journal) and decoded again.
func roundTrip(t *testing.T, p *remediate.Plan) *remediate.Plan {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q remediate.Plan
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	return &q
}

// changeIDs lists the plan's change ids.
func changeIDs(p *remediate.Plan) []string {
	var ids []string
	for _, c := range p.Changes {
		ids = append(ids, c.ID)
	}
	return ids
}

// statuses maps change id to outcome status.
func statuses(r *remediate.Result) map[string]remediate.OutcomeStatus {
	m := map[string]remediate.OutcomeStatus{}
	for _, o := range r.Outcomes {
		m[o.Change] = o.Status
	}
	return m
}

// apiCode returns the AWS error code in err.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// succeeded lists the successful calls' names, in order.
func succeeded(srv *fakeaws.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.Succeeded() {
			out = append(out, r.Name())
		}
	}
	return out
}

// mutating lists the successful calls that change state.
func mutating(srv *fakeaws.Server) []string {
	var out []string
	for _, n := range succeeded(srv) {
		_, op, _ := strings.Cut(n, ":")
		if strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List") || op == "AssumeRole" {
			continue
		}
		out = append(out, n)
	}
	return out
}

// checkDeclared fails when a call the server saw is not covered by the
// remediator's declared permissions (least privilege must be complete).
func checkDeclared(t *testing.T, srv *fakeaws.Server, declared []string, extra ...string) {
	t.Helper()
	for _, a := range srv.IAMActions() {
		if a == "sts:AssumeRole" || slices.Contains(extra, a) {
			continue
		}
		if !slices.Contains(declared, a) {
			t.Errorf("call %s is not in the declared permissions %v", a, declared)
		}
	}
}

// static returns a ConfigSource for the server's default caller of an
// account.
func static(srv *fakeaws.Server, account string) remaws.ConfigSource {
	return remaws.StaticConfig(srv.AWSConfig(account, region))
}

// openStore opens an engine store in the test's temporary directory.
func openStore(t *testing.T) *boltstore.Store {
	t.Helper()
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "r.db"), &boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// journalOf runs f through an engine whose one rule applies r with the
// given mode, and returns the engine's store: the journal a rollback
// reads. With ModeAutomatic it fails unless the plan was applied.
func journalOf(t *testing.T, r remediate.Remediator, mode remediate.Mode, f ocsf.Finding) *boltstore.Store {
	t.Helper()
	store := openStore(t)
	eng, err := remediate.New(store, remediate.Options{Rules: []remediate.Rule{{Name: "forward", Remediator: r, Mode: mode}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Accept(t.Context(), nil, f); err != nil {
		t.Fatal(err)
	}
	if err := eng.ProcessNext(t.Context()); err != nil {
		t.Fatal(err)
	}
	if mode == remediate.ModeAutomatic {
		recs, err := store.Query(t.Context(), remediate.Query{Decisions: []remediate.Decision{remediate.DecisionApplied}})
		if err != nil || len(recs) != 1 {
			all, _ := store.Query(t.Context(), remediate.Query{})
			t.Fatalf("the engine did not apply %s: %v\n%+v", r.Name(), err, all)
		}
	}
	return store
}

// suppressed returns f as Security Hub sends it after a person suppressed
// it: status Suppressed, a newer modified_time, the same metadata.uid.
func suppressed(t *testing.T, f ocsf.Finding) ocsf.Finding {
	t.Helper()
	later := remediate.RefOf(f).ModifiedTime.Add(time.Hour)
	return remediatetest.Mutate(t, f, func(m map[string]any) {
		remediatetest.Set(m, "status_id", 3)
		remediatetest.Set(m, "status", "Suppressed")
		remediatetest.Set(m, "finding_info.modified_time", later.UnixMilli())
		remediatetest.Set(m, "finding_info.modified_time_dt", later.Format(time.RFC3339Nano))
	})
}
