package aws_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

var allBlocked = fakeaws.PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}

// blockedBucket seeds the bucket with a prior configuration (nil: none),
// blocks it through the engine and returns the rollback reading that
// engine's journal.
func blockedBucket(t *testing.T, srv *fakeaws.Server, prior *fakeaws.PublicAccessBlock) *remaws.RollbackBucketPublicAccess {
	t.Helper()
	seedBucket(t, srv, prior)
	block, err := remaws.NewBlockBucketPublicAccess(static(srv, member), remaws.PublicAccessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	store := journalOf(t, block, remediate.ModeAutomatic, fixture(t, "cspm-s3-public-access.json"))
	if b, _ := srv.S3(member).Bucket(bucket); b.PublicAccessBlock == nil || *b.PublicAccessBlock != allBlocked {
		t.Fatalf("the block did not happen: %+v", b.PublicAccessBlock)
	}
	rb, err := remaws.NewRollbackBucketPublicAccess(static(srv, member), store, remaws.PublicAccessRollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	return rb
}

func TestRollbackBucketPublicAccessRestoresPrior(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	rb := blockedBucket(t, srv, &fakeaws.PublicAccessBlock{BlockPublicAcls: true})
	f := suppressed(t, fixture(t, "cspm-s3-public-access.json"))
	p := plan(t, rb, f)
	if got := changeIDs(p); len(got) != 1 || got[0] != "restore/"+bucket || p.Changes[0].Action != "s3:PutBucketPublicAccessBlock" {
		t.Fatalf("plan = %s", p)
	}
	var pr struct {
		Prior *remaws.PublicAccessBlock `json:"prior"`
	}
	if err := json.Unmarshal(p.Changes[0].Params, &pr); err != nil || pr.Prior == nil || *pr.Prior != (remaws.PublicAccessBlock{BlockPublicAcls: true}) {
		t.Fatalf("params = %s (%v)", p.Changes[0].Params, err)
	}
	if len(srv.Requests()) != 1 { // one read of the live configuration
		t.Errorf("Plan made %v", srv.Actions())
	}
	res, err := rb.Apply(t.Context(), roundTrip(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 1 {
		t.Errorf("outcomes %+v", res.Outcomes)
	}
	b, _ := srv.S3(member).Bucket(bucket)
	if b.PublicAccessBlock == nil || *b.PublicAccessBlock != (fakeaws.PublicAccessBlock{BlockPublicAcls: true}) {
		t.Errorf("bucket configuration = %+v, want only BlockPublicAcls", b.PublicAccessBlock)
	}
	puts := srv.Calls(fakeaws.ServiceS3, "PutPublicAccessBlock")
	if len(puts) != 1 || puts[0].Param("Bucket") != bucket ||
		!strings.Contains(string(puts[0].Body), "<BlockPublicAcls>true</BlockPublicAcls>") ||
		!strings.Contains(string(puts[0].Body), "<BlockPublicPolicy>false</BlockPublicPolicy>") {
		t.Errorf("puts = %d, body %s", len(puts), puts[0].Body)
	}
	checkDeclared(t, srv, rb.Permissions())
	// Idempotent and converged.
	srv.ResetRequests()
	if res, err := rb.Apply(t.Context(), roundTrip(t, p)); err != nil || res.Applied() != 0 || len(mutating(srv)) != 0 {
		t.Errorf("second Apply: %+v %v %v", res, err, mutating(srv))
	}
	if _, err := rb.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("Plan after the rollback: %v", err)
	}
}

// A bucket that had no configuration gets none again: the block is
// deleted, not set to all-off.
func TestRollbackBucketPublicAccessDeletesWhenNoneBefore(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	rb := blockedBucket(t, srv, nil)
	p := plan(t, rb, fixture(t, "cspm-s3-public-access.json"))
	if !strings.HasPrefix(p.Changes[0].Description, "delete the Block Public Access configuration") {
		t.Errorf("description %q", p.Changes[0].Description)
	}
	if _, err := rb.Apply(t.Context(), roundTrip(t, p)); err != nil {
		t.Fatal(err)
	}
	if b, _ := srv.S3(member).Bucket(bucket); b.PublicAccessBlock != nil {
		t.Errorf("bucket configuration = %+v, want none", b.PublicAccessBlock)
	}
	if got := mutating(srv); len(got) != 1 || got[0] != "s3:DeletePublicAccessBlock" {
		t.Errorf("changes = %v", got)
	}
	checkDeclared(t, srv, rb.Permissions())
}

// Apply re-checks: a configuration restored by hand meanwhile is already
// done.
func TestRollbackBucketPublicAccessRechecksAtApply(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	rb := blockedBucket(t, srv, &fakeaws.PublicAccessBlock{IgnorePublicAcls: true})
	p := roundTrip(t, plan(t, rb, fixture(t, "cspm-s3-public-access.json")))
	// Someone restores it by hand first.
	if _, err := s3.NewFromConfig(srv.AWSConfig(member, region)).PutPublicAccessBlock(t.Context(), &s3.PutPublicAccessBlockInput{
		Bucket: ptr(bucket), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{IgnorePublicAcls: ptr(true)}}); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	res, err := rb.Apply(t.Context(), p)
	if err != nil || statuses(res)["restore/"+bucket] != remediate.OutcomeAlreadyDone || len(mutating(srv)) != 0 {
		t.Errorf("after a manual restore: %+v %v %v", res, err, mutating(srv))
	}
}

// Without an applied block plan for the finding there is nothing to undo:
// a fresh journal, a dry-run plan, another finding.
func TestRollbackBucketPublicAccessNeedsAppliedPlan(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBucket(t, srv, nil)
	f := fixture(t, "cspm-s3-public-access.json")
	block, _ := remaws.NewBlockBucketPublicAccess(static(srv, member), remaws.PublicAccessOptions{})
	for name, store := range map[string]remaws.PlanJournal{
		"empty journal": openStore(t),
		"dry run":       journalOf(t, block, remediate.ModeDryRun, f),
	} {
		rb, err := remaws.NewRollbackBucketPublicAccess(static(srv, member), store, remaws.PublicAccessRollbackOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rb.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
			t.Errorf("%s: Plan = %v, want ErrNotApplicable", name, err)
		}
	}
	rb := blockedBucket(t, newServer(t, fakeaws.Options{}), nil)
	other := remediatetest.Mutate(t, f, func(m map[string]any) { remediatetest.Set(m, "metadata.uid", "another-finding") })
	if _, err := rb.Plan(t.Context(), other); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("another finding: %v", err)
	}
	if _, err := remaws.NewRollbackBucketPublicAccess(static(srv, member), nil, remaws.PublicAccessRollbackOptions{}); !errors.Is(err, remaws.ErrConfig) {
		t.Errorf("no journal: %v", err)
	}
}

func TestRollbackAccountPublicAccessOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		name  string
		prior *fakeaws.PublicAccessBlock
		call  string
	}{
		{"restore", &fakeaws.PublicAccessBlock{BlockPublicPolicy: true}, "s3control:PutPublicAccessBlock"},
		{"delete", nil, "s3control:DeletePublicAccessBlock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, fakeaws.Options{})
			rb := blockedAccount(t, srv, tc.prior)
			f := suppressed(t, fixture(t, "cspm-s3-account-public-access.json"))
			p := plan(t, rb, f)
			if got := changeIDs(p); len(got) != 1 || got[0] != "restore-account/"+member || p.Changes[0].Action != "s3:PutAccountPublicAccessBlock" {
				t.Fatalf("plan = %s", p)
			}
			srv.ResetRequests()
			if _, err := rb.Apply(t.Context(), roundTrip(t, p)); err != nil {
				t.Fatal(err)
			}
			got, ok := srv.S3(member).AccountPublicAccessBlock()
			if tc.prior == nil && ok || tc.prior != nil && (!ok || got != *tc.prior) {
				t.Errorf("account configuration = %+v (%v), want %+v", got, ok, tc.prior)
			}
			if m := mutating(srv); len(m) != 1 || m[0] != tc.call {
				t.Errorf("changes = %v, want %s", m, tc.call)
			}
			if calls := srv.Requests(); calls[len(calls)-1].Param("AccountId") != member {
				t.Errorf("read back for account %q", calls[len(calls)-1].Param("AccountId"))
			}
			checkDeclared(t, srv, rb.Permissions())
			if _, err := rb.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
				t.Errorf("Plan after: %v", err)
			}
		})
	}
}

// blockedAccount sets the account's prior configuration (nil: none),
// blocks it through the engine and returns the rollback reading that
// engine's journal.
func blockedAccount(t *testing.T, srv *fakeaws.Server, prior *fakeaws.PublicAccessBlock) *remaws.RollbackAccountPublicAccess {
	t.Helper()
	if prior != nil {
		srv.S3(member).SetAccountPublicAccessBlock(*prior)
	}
	block, err := remaws.NewBlockAccountPublicAccess(static(srv, member), remaws.PublicAccessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	store := journalOf(t, block, remediate.ModeAutomatic, fixture(t, "cspm-s3-account-public-access.json"))
	rb, err := remaws.NewRollbackAccountPublicAccess(static(srv, member), store, remaws.PublicAccessRollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	return rb
}

func TestS3RollbackConformance(t *testing.T) {
	remediatetest.Run(t, func(t *testing.T) remediate.Remediator {
		return blockedBucket(t, newServer(t, fakeaws.Options{}), &fakeaws.PublicAccessBlock{RestrictPublicBuckets: true})
	}, remediatetest.Case{Name: "bucket", Finding: suppressed(t, fixture(t, "cspm-s3-public-access.json")),
		NotApplicable: []ocsf.Finding{fixture(t, "cspm-s3-account-public-access.json"), fixture(t, "cspm-ec2-security-group-open.json")}})
	remediatetest.Run(t, func(t *testing.T) remediate.Remediator {
		return blockedAccount(t, newServer(t, fakeaws.Options{}), nil)
	}, remediatetest.Case{Name: "account", Finding: suppressed(t, fixture(t, "cspm-s3-account-public-access.json")),
		NotApplicable: []ocsf.Finding{fixture(t, "cspm-s3-public-access.json")}})
}

// The rule file path: block while the finding is New, restore once a
// person suppresses it, both through the registry with the engine's store
// as the journal.
func TestEngineRollsBackBlockOnSuppression(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBucket(t, srv, &fakeaws.PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true})
	store := openStore(t)
	rs, err := remediate.LoadRules("rules.yaml", []byte(`
version: 1
rules:
  - name: block
    remediator: s3-block-public-access
    mode: automatic
    pattern: {status_id: [1]}
  - name: unblock-suppressed
    remediator: s3-block-public-access-rollback
    mode: automatic
    pattern: {status_id: [3]}
`), remaws.Registry(static(srv, member), nil, func(o *remaws.RegistryOptions) { o.Journal = store }))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := remediate.New(store, remediate.Options{Rules: rs.Rules})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture(t, "cspm-s3-public-access.json")
	for i, x := range []ocsf.Finding{f, suppressed(t, f)} {
		if err := eng.Accept(t.Context(), nil, x); err != nil {
			t.Fatal(err)
		}
		if err := eng.ProcessNext(t.Context()); err != nil {
			t.Fatal(err)
		}
		b, _ := srv.S3(member).Bucket(bucket)
		want := allBlocked
		if i == 1 {
			want = fakeaws.PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true}
		}
		if b.PublicAccessBlock == nil || *b.PublicAccessBlock != want {
			recs, _ := store.Query(t.Context(), remediate.Query{})
			t.Fatalf("step %d: configuration %+v, want %+v\njournal: %+v", i, b.PublicAccessBlock, want, recs)
		}
	}
	checkDeclared(t, srv, eng.Permissions())
	// Without the journal the rollback cannot be configured.
	_, err = remediate.LoadRules("r.yaml", []byte("rules:\n  - {name: a, remediator: s3-block-public-access-rollback}\n"), remaws.Registry(static(srv, member), nil))
	if !errors.Is(err, remaws.ErrConfig) {
		t.Errorf("rollback without a journal: %v", err)
	}
}
