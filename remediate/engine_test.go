package remediate_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	rt "github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

func TestRouting(t *testing.T) {
	detections := &rt.Fake{ID: "detections"}
	critical := &rt.Fake{ID: "critical"}
	buckets := &rt.Fake{ID: "buckets"}
	everything := &rt.Fake{ID: "everything"}
	e := newEnv(t, remediate.Options{Rules: []remediate.Rule{
		rule("gd-detections", `{"class_uid":[2004],"metadata":{"product":{"name":["GuardDuty"]}}}`, detections, remediate.ModeAutomatic),
		rule("critical", `{"severity_id":[{"numeric":[">=",5]}]}`, critical, remediate.ModeAutomatic),
		rule("s3", `{"resources":{"type":["AWS::S3::Bucket"]}}`, buckets, remediate.ModeAutomatic),
		// Same remediator again: a finding matching both rules is acted on once.
		rule("s3-again", `{"class_uid":[2003]}`, buckets, remediate.ModeAutomatic),
		rule("eu-anything", `{"cloud":{"region":["eu-west-1"]}}`, everything, remediate.ModeDryRun),
	}})
	gd, sg, s3, lambda, iam := fixture(t, fxGuardDuty), fixture(t, fxSGOpen), fixture(t, fxS3Public), fixture(t, fxLambdaCVE), fixture(t, fxCredentials)
	e.accept(gd, sg, s3, lambda, iam)
	e.drain()

	wantMarks := map[*rt.Fake][]string{
		detections: {remediate.RefOf(gd).ID() + "#0", remediate.RefOf(iam).ID() + "#0"},
		critical:   {remediate.RefOf(sg).ID() + "#0"},
		buckets:    {remediate.RefOf(sg).ID() + "#0", remediate.RefOf(s3).ID() + "#0"},
		everything: nil, // dry-run: planned, not applied
	}
	for f, want := range wantMarks {
		got := f.Made()
		slices.Sort(got)
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s applied (-want +got):\n%s", f.Name(), diff)
		}
	}
	if n := everything.PlanCalls(); n != 1 {
		t.Errorf("dry-run rule planned %d times, want 1 (only the eu-west-1 finding)", n)
	}
	recs := e.journal(sg)
	var rules []string
	for _, r := range recs {
		if r.Decision == remediate.DecisionMatched {
			rules = append(rules, r.Rule)
		}
	}
	if diff := cmp.Diff([]string{"critical", "s3-again"}, rules); diff != "" {
		t.Errorf("matched rules for the SG finding (-want +got):\n%s", diff)
	}
	// A finding no rule matches is journaled as such.
	other := withUID(t, fixture(t, "inspector-ec2-cve.json"), "nomatch")
	e.accept(other)
	e.drain()
	if got := e.decisions(other); !slices.Equal(got, []remediate.Decision{remediate.DecisionNoMatch}) {
		t.Errorf("unmatched finding: decisions %v", got)
	}
}

func TestEventPattern(t *testing.T) {
	got, err := remediate.EventPattern(`{"severity_id":[4,5]}`, `{"class_uid":[2004]}`)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"detail":{"findings":{"$or":[{"severity_id":[4,5]},{"class_uid":[2004]}]}},"detail-type":["Findings Imported V2"],"source":["aws.securityhub"]}`
	if string(got) != want {
		t.Errorf("EventPattern:\n got %s\nwant %s", got, want)
	}
	all, err := remediate.EventPattern("")
	if err != nil {
		t.Fatal(err)
	}
	if string(all) != `{"detail-type":["Findings Imported V2"],"source":["aws.securityhub"]}` {
		t.Errorf("EventPattern(\"\") = %s", all)
	}
	if _, err := remediate.EventPattern(`{"severity_id":4}`); err == nil {
		t.Error("EventPattern accepted a pattern whose leaf is not a list")
	}
}

// The rendered AWS pattern selects the same findings as the rule, when the
// finding arrives inside its EventBridge envelope.
func TestEventPatternMatchesSameFindings(t *testing.T) {
	rulePattern := `{"class_uid":[2004],"severity_id":[{"numeric":[">=",4]}]}`
	evPattern, err := remediate.EventPattern(rulePattern)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{fxGuardDuty, fxCredentials, fxSGOpen, "exposure-ec2-open-to-internet.json"} {
		data, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "findings", name))
		if err != nil {
			t.Fatal(err)
		}
		f := fixture(t, name)
		s := f.Summary()
		wantRule := s.ClassUID == ocsf.ClassDetectionFinding && s.SeverityID >= 4
		gotEvent := matchPattern(t, string(evPattern), data)
		raw, _ := f.MarshalJSON()
		gotRule := matchPattern(t, rulePattern, raw)
		if gotRule != wantRule || gotEvent != wantRule {
			t.Errorf("%s: rule matched %v, event pattern matched %v, want %v", name, gotRule, gotEvent, wantRule)
		}
	}
}

func TestModes(t *testing.T) {
	for _, tc := range []struct {
		mode        remediate.Mode
		wantApplied int
		wantLast    remediate.Decision
		wantStatus  []remediate.StatusID
		wantPending int
	}{
		{remediate.ModeDryRun, 0, remediate.DecisionDryRun, nil, 0},
		{remediate.ModeApproval, 0, remediate.DecisionPending, nil, 1},
		{remediate.ModeAutomatic, 1, remediate.DecisionStatus, []remediate.StatusID{remediate.StatusInProgress, remediate.StatusResolved}, 0},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			fake := &rt.Fake{ID: "mark"}
			sw := &rt.StatusRecorder{}
			e := newEnv(t, remediate.Options{StatusWriter: sw, Rules: []remediate.Rule{rule("r", "", fake, tc.mode)}})
			gd := fixture(t, fxGuardDuty)
			e.accept(gd)
			e.drain()
			if got := len(fake.Made()); got != tc.wantApplied {
				t.Errorf("applied %d changes, want %d", got, tc.wantApplied)
			}
			recs := e.journal(gd)
			if last := recs[len(recs)-1].Decision; last != tc.wantLast {
				t.Errorf("last decision %s, want %s (all: %v)", last, tc.wantLast, e.decisions(gd))
			}
			var statuses []remediate.StatusID
			for _, u := range sw.Updates() {
				statuses = append(statuses, u.StatusID)
				if !strings.HasPrefix(u.Comment, "[ocsfhub plan=p-") || len(u.Comment) > remediate.MaxCommentLen {
					t.Errorf("comment %q lacks the plan marker or is too long", u.Comment)
				}
				if u.Finding.Key() != gd.Summary().Key() {
					t.Errorf("write-back key %+v, want %+v", u.Finding.Key(), gd.Summary().Key())
				}
			}
			if diff := cmp.Diff(tc.wantStatus, statuses); diff != "" {
				t.Errorf("write-back statuses (-want +got):\n%s", diff)
			}
			pending, err := e.eng.Approvals(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(pending) != tc.wantPending {
				t.Errorf("%d pending approvals, want %d", len(pending), tc.wantPending)
			}
			// Every mode records the plan it made.
			var planned *remediate.Plan
			for _, r := range recs {
				if r.Plan != nil {
					planned = r.Plan
				}
			}
			if planned == nil || len(planned.Changes) != 1 || planned.Remediator != "mark" || planned.Finding.ID() != remediate.RefOf(gd).ID() {
				t.Errorf("journal plan = %+v", planned)
			}
		})
	}
}

// Switching a rule from dry-run to automatic acts on a finding generation
// that was only planned before.
func TestDryRunThenAutomatic(t *testing.T) {
	fake := &rt.Fake{ID: "mark"}
	e := newEnv(t, remediate.Options{Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeDryRun)}})
	gd := fixture(t, fxGuardDuty)
	e.accept(gd, gd)
	e.drain()
	if len(fake.Made()) != 0 || e.count(gd, remediate.DecisionDuplicate) != 1 {
		t.Fatalf("dry-run: made %v, decisions %v", fake.Made(), e.decisions(gd))
	}
	e.opts.Rules[0].Mode = remediate.ModeAutomatic
	e.reopen()
	e.accept(gd)
	e.drain()
	if len(fake.Made()) != 1 {
		t.Fatalf("after switching to automatic: made %v, decisions %v", fake.Made(), e.decisions(gd))
	}
}

func TestExclusions(t *testing.T) {
	gd := fixture(t, fxGuardDuty) // account 111122223333, us-east-1, instance i-0a1b2c3d4e5f67890
	inst := gd.Summary().Resources[0].UID
	tagErr := errors.New("tags unavailable")
	for _, tc := range []struct {
		name        string
		global      remediate.Exclusions
		rule        remediate.Exclusions
		tags        *rt.TagMap
		destructive bool
		wantApplied bool
		wantReason  string
	}{
		{name: "account", global: remediate.Exclusions{Accounts: []string{"111122223333"}}, wantReason: "account 111122223333 is excluded"},
		{name: "region", rule: remediate.Exclusions{Regions: []string{"us-east-1"}}, wantReason: "region us-east-1 is excluded"},
		{name: "other account", rule: remediate.Exclusions{Accounts: []string{"999999999999"}}, wantApplied: true},
		{name: "tag key", rule: remediate.Exclusions{Tags: []remediate.TagMatch{{Key: "DoNotRemediate"}}},
			tags: &rt.TagMap{ByResource: map[string]map[string]string{inst: {"DoNotRemediate": "yes"}}}, wantReason: "has excluded tag DoNotRemediate"},
		{name: "tag value", rule: remediate.Exclusions{Tags: []remediate.TagMatch{{Key: "env", Values: []string{"prod"}}}},
			tags: &rt.TagMap{ByResource: map[string]map[string]string{inst: {"env": "prod"}}}, wantReason: "has excluded tag env=prod"},
		{name: "tag other value", rule: remediate.Exclusions{Tags: []remediate.TagMatch{{Key: "env", Values: []string{"prod"}}}},
			tags: &rt.TagMap{ByResource: map[string]map[string]string{inst: {"env": "dev"}}}, wantApplied: true},
		{name: "tags unreadable destructive fails closed", rule: remediate.Exclusions{Tags: []remediate.TagMatch{{Key: "x"}}},
			tags: &rt.TagMap{Err: remediate.Permanent(tagErr)}, destructive: true, wantReason: "destructive plan fails closed"},
		{name: "no tag reader destructive fails closed", rule: remediate.Exclusions{Tags: []remediate.TagMatch{{Key: "x"}}},
			destructive: true, wantReason: "destructive plan fails closed"},
		{name: "tags unreadable non-destructive proceeds", rule: remediate.Exclusions{Tags: []remediate.TagMatch{{Key: "x"}}},
			tags: &rt.TagMap{Err: remediate.Permanent(tagErr)}, wantApplied: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &rt.Fake{ID: "mark", Destructive: tc.destructive}
			opts := remediate.Options{Exclude: tc.global, Rules: []remediate.Rule{
				{Name: "r", Remediator: fake, Mode: remediate.ModeAutomatic, Exclude: tc.rule},
			}}
			if tc.tags != nil {
				opts.TagReader = tc.tags
			}
			e := newEnv(t, opts)
			e.accept(gd)
			e.drain()
			if got := len(fake.Made()) == 1; got != tc.wantApplied {
				t.Fatalf("applied = %v, want %v; decisions %v", got, tc.wantApplied, e.decisions(gd))
			}
			if tc.wantReason != "" {
				recs := e.journal(gd)
				last := recs[len(recs)-1]
				if last.Decision != remediate.DecisionExcluded || !strings.Contains(last.Reason, tc.wantReason) {
					t.Fatalf("last record %s %q, want excluded containing %q", last.Decision, last.Reason, tc.wantReason)
				}
			}
		})
	}
}

// A transient tag error is retried rather than failing closed at once.
func TestTagReadRetried(t *testing.T) {
	gd := fixture(t, fxGuardDuty)
	fake := &rt.Fake{ID: "mark", Destructive: true}
	tags := &rt.TagMap{Err: &rt.APIError{Code: "ThrottlingException"}}
	e := newEnv(t, remediate.Options{TagReader: tags, MaxAttempts: 3, Rules: []remediate.Rule{
		{Name: "r", Remediator: fake, Mode: remediate.ModeAutomatic, Exclude: remediate.Exclusions{Tags: []remediate.TagMatch{{Key: "x"}}}},
	}})
	e.accept(gd)
	e.drain()
	if got := tags.Reads(); got != 3 {
		t.Errorf("tags read %d times, want 3 (MaxAttempts)", got)
	}
	if e.count(gd, remediate.DecisionRetry) != 2 || e.count(gd, remediate.DecisionExcluded) != 1 || len(fake.Made()) != 0 {
		t.Errorf("decisions %v, made %v", e.decisions(gd), fake.Made())
	}
}

func TestLimits(t *testing.T) {
	fake := &rt.Fake{ID: "mark"}
	other := &rt.Fake{ID: "other"}
	now := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	clock := &now
	e := newEnv(t, remediate.Options{
		Now: func() time.Time { return *clock },
		Limits: remediate.Limits{
			Overall:       remediate.Limit{Max: 3, Window: time.Hour},
			PerRemediator: map[string]remediate.Limit{"mark": {Max: 2, Window: time.Hour}},
		},
		Rules: []remediate.Rule{
			rule("mark-detections", `{"class_uid":[2004]}`, fake, remediate.ModeAutomatic),
			rule("other-compliance", `{"class_uid":[2003]}`, other, remediate.ModeAutomatic),
		},
	})
	gd := fixture(t, fxGuardDuty)
	var gds []ocsf.Finding
	for i := range 3 {
		gds = append(gds, withUID(t, gd, "gd-"+string(rune('a'+i))))
	}
	sg := fixture(t, fxSGOpen)
	cspms := []ocsf.Finding{sg, withUID(t, sg, "sg-b")}
	e.accept(gds...)
	e.drain()
	e.accept(cspms...)
	e.drain()
	// mark: 2 of 3 (per-remediator limit); other: 1 of 2 (overall limit 3).
	if len(fake.Made()) != 2 || len(other.Made()) != 1 {
		t.Fatalf("made mark=%v other=%v", fake.Made(), other.Made())
	}
	pending, err := e.eng.Approvals(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 {
		t.Fatalf("%d pending approvals, want 2 (the limited plans)", len(pending))
	}
	for _, a := range pending {
		if !strings.Contains(a.Reason, "blast-radius limit") {
			t.Errorf("approval reason %q", a.Reason)
		}
	}
	// Approving within the window is refused again (stays pending).
	if err := e.eng.Approve(t.Context(), pending[0].ID, "alice", ""); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if a, _ := e.eng.Approval(t.Context(), pending[0].ID); a.State != remediate.ApprovalPending {
		t.Fatalf("approval over the limit: state %s, want pending", a.State)
	}
	// After the window, approving applies it; the limiter also survives a restart.
	e.reopen()
	later := now.Add(2 * time.Hour)
	clock = &later
	if err := e.eng.Approve(t.Context(), pending[0].ID, "alice", ""); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if a, _ := e.eng.Approval(t.Context(), pending[0].ID); a.State != remediate.ApprovalDone {
		t.Fatalf("approval after the window: state %s (%s), want done", a.State, a.Outcome)
	}
	if len(fake.Made())+len(other.Made()) != 4 {
		t.Fatalf("made mark=%v other=%v", fake.Made(), other.Made())
	}
}

// The limiter counts applies recorded before a restart.
func TestLimitsSurviveRestart(t *testing.T) {
	fake := &rt.Fake{ID: "mark"}
	opts := remediate.Options{
		Limits: remediate.Limits{Overall: remediate.Limit{Max: 2, Window: time.Hour}},
		Rules:  []remediate.Rule{rule("r", "", fake, remediate.ModeAutomatic)},
	}
	e := newEnv(t, opts)
	gd := fixture(t, fxGuardDuty)
	e.accept(withUID(t, gd, "a"), withUID(t, gd, "b"))
	e.drain()
	e.reopen()
	e.accept(withUID(t, gd, "c"))
	e.drain()
	if len(fake.Made()) != 2 {
		t.Fatalf("made %v, want 2 (limit counted across the restart)", fake.Made())
	}
	if e.count(withUID(t, gd, "c"), remediate.DecisionLimited) != 1 {
		t.Fatalf("decisions %v", e.decisions(withUID(t, gd, "c")))
	}
}

func TestRetries(t *testing.T) {
	throttled := &rt.APIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	fake := &rt.Fake{
		ID:        "mark",
		PlanErrs:  []error{throttled},
		ApplyErrs: []error{remediate.Transient(errors.New("connection reset")), context.DeadlineExceeded},
	}
	sw := &rt.StatusRecorder{}
	e := newEnv(t, remediate.Options{StatusWriter: sw, Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeAutomatic)}})
	gd := fixture(t, fxGuardDuty)
	e.accept(gd)
	e.drain()
	if len(fake.Made()) != 1 || fake.PlanCalls() != 2 || fake.ApplyCalls() != 3 {
		t.Fatalf("made %v, plan calls %d, apply calls %d", fake.Made(), fake.PlanCalls(), fake.ApplyCalls())
	}
	if n := e.count(gd, remediate.DecisionRetry); n != 3 {
		t.Errorf("%d retry records, want 3: %v", n, e.decisions(gd))
	}
	if n := e.count(gd, remediate.DecisionApplied); n != 1 {
		t.Errorf("%d applied records, want 1", n)
	}
	// In Progress once (not per attempt), then Resolved.
	var statuses []remediate.StatusID
	for _, u := range sw.Updates() {
		statuses = append(statuses, u.StatusID)
	}
	if diff := cmp.Diff([]remediate.StatusID{remediate.StatusInProgress, remediate.StatusResolved}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

// A failure half-way through Apply is finished by the retry, with each
// change made once.
func TestPartialApplyFinished(t *testing.T) {
	fake := &rt.Fake{ID: "mark", Changes: 3, FailAfter: 2}
	e := newEnv(t, remediate.Options{Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeAutomatic)}})
	gd := fixture(t, fxGuardDuty)
	e.accept(gd)
	e.drain()
	if got := fake.Made(); len(got) != 3 {
		t.Fatalf("made %v, want 3 changes once each", got)
	}
	var res *remediate.Result
	for _, r := range e.journal(gd) {
		if r.Decision == remediate.DecisionApplied {
			res = r.Result
		}
	}
	if res == nil || res.Applied() != 1 || len(res.Outcomes) != 3 {
		t.Fatalf("result %+v, want 1 applied + 2 already done", res)
	}
}

func TestDeadLetter(t *testing.T) {
	denied := &rt.APIError{Code: "AccessDenied", Message: "not authorized to perform ec2:ModifyNetworkInterfaceAttribute"}
	fake := &rt.Fake{ID: "mark", ApplyErrs: []error{denied}}
	sw := &rt.StatusRecorder{}
	e := newEnv(t, remediate.Options{StatusWriter: sw, Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeAutomatic)}})
	gd := fixture(t, fxGuardDuty)
	e.accept(gd)
	e.drain()
	if fake.ApplyCalls() != 1 {
		t.Fatalf("a permanent error was retried: %d apply calls", fake.ApplyCalls())
	}
	dl, err := e.eng.DeadLetters(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(dl) != 1 || !strings.Contains(dl[0].Reason, "AccessDenied") || !strings.Contains(dl[0].Reason, "permanent") {
		t.Fatalf("dead letters %+v", dl)
	}
	ups := sw.Updates()
	if len(ups) != 2 || ups[1].StatusID != remediate.StatusNew || !strings.Contains(ups[1].Comment, "AccessDenied") {
		t.Fatalf("write-back %+v, want In Progress then New with the error", ups)
	}
	if !hasDecision(e.journal(gd), remediate.DecisionDeadLettered) || !hasDecision(e.journal(gd), remediate.DecisionFailed) {
		t.Fatalf("decisions %v", e.decisions(gd))
	}
	// A redelivery of the same finding does not try again...
	e.accept(gd)
	e.drain()
	if fake.ApplyCalls() != 1 {
		t.Fatalf("redelivery retried a failed task")
	}
	// ...but replaying the dead letter (after fixing permissions) does.
	if err := e.eng.Replay(t.Context(), dl[0].Message.ID, "ops"); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if len(fake.Made()) != 1 {
		t.Fatalf("replay did not apply: %v", e.decisions(gd))
	}
	if dl, _ := e.eng.DeadLetters(t.Context()); len(dl) != 0 {
		t.Fatalf("dead letters after replay: %+v", dl)
	}
	if err := e.eng.Replay(t.Context(), "nope", "ops"); !errors.Is(err, remediate.ErrNotFound) {
		t.Fatalf("Replay(unknown) = %v", err)
	}
}

func TestAttemptsExhausted(t *testing.T) {
	boom := errors.New("mystery") // unknown class: retried, then dead-lettered
	fake := &rt.Fake{ID: "mark", PlanErrs: []error{boom, boom, boom, boom}}
	e := newEnv(t, remediate.Options{MaxAttempts: 3, Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeAutomatic)}})
	gd := fixture(t, fxGuardDuty)
	e.accept(gd)
	e.drain()
	if fake.PlanCalls() != 3 {
		t.Fatalf("plan calls %d, want 3", fake.PlanCalls())
	}
	dl, _ := e.eng.DeadLetters(t.Context())
	if len(dl) != 1 || !strings.Contains(dl[0].Reason, "after 3 attempt") {
		t.Fatalf("dead letters %+v", dl)
	}
}

func TestPanicIsPermanent(t *testing.T) {
	r := remediate.NewRemediator("boom", func(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
		panic("nil map")
	}, nil)
	e := newEnv(t, remediate.Options{Rules: []remediate.Rule{rule("r", "", r, remediate.ModeAutomatic)}})
	e.accept(fixture(t, fxGuardDuty))
	e.drain()
	dl, _ := e.eng.DeadLetters(t.Context())
	if len(dl) != 1 || !strings.Contains(dl[0].Reason, "panicked") {
		t.Fatalf("dead letters %+v", dl)
	}
}

func TestIdempotency(t *testing.T) {
	fake := &rt.Fake{ID: "mark"}
	e := newEnv(t, remediate.Options{Workers: 4, Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeAutomatic)}})
	gd := fixture(t, fxGuardDuty)
	// Redeliveries and duplicates, processed concurrently.
	for range 5 {
		e.accept(gd)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- e.eng.Run(ctx) }()
	if err := e.eng.WaitIdle(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if fake.PlanCalls() != 1 || fake.ApplyCalls() != 1 {
		t.Fatalf("plan calls %d, apply calls %d; want 1 each", fake.PlanCalls(), fake.ApplyCalls())
	}
	if n := e.count(gd, remediate.DecisionDuplicate); n != 4 {
		t.Fatalf("%d duplicates, want 4: %v", n, e.decisions(gd))
	}
	// A new generation of the finding (newer modified time) is a new key:
	// planned again; the live state says there is nothing left to do.
	newer := withModified(t, gd, gd.Summary().ModifiedTime.Add(time.Hour))
	if remediate.IdempotencyKey(remediate.RefOf(newer), "mark") == remediate.IdempotencyKey(remediate.RefOf(gd), "mark") {
		t.Fatal("a newer generation has the same idempotency key")
	}
	e.accept(newer)
	e.drain()
	if fake.PlanCalls() != 2 || fake.ApplyCalls() != 1 || e.count(gd, remediate.DecisionNotApplicable) != 1 {
		t.Fatalf("newer generation: plan calls %d, apply calls %d, decisions %v", fake.PlanCalls(), fake.ApplyCalls(), e.decisions(gd))
	}
}

// Security Hub re-emits a finding after our BatchUpdateFindingsV2. The
// re-import must not start another remediation, however its modified time
// was changed.
func TestOwnUpdateLoop(t *testing.T) {
	for _, tc := range []struct {
		name string
		// bump is how Security Hub changes finding_info.modified_time.
		bump time.Duration
	}{
		{"modified time unchanged (documented)", 0},
		{"modified time set to the update time", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &rt.Fake{ID: "mark"}
			var e *env
			var reimports []ocsf.Finding
			sw := &rt.StatusRecorder{}
			sw.OnWrite = func(ctx context.Context, u remediate.StatusUpdate) {
				// What Security Hub does: same finding, new status and comment.
				src := reimports[0]
				g := rt.Mutate(t, src, func(m map[string]any) {
					m["comment"] = u.Comment
					m["status_id"] = int(u.StatusID)
					m["status"] = u.StatusID.String()
				})
				if tc.bump > 0 {
					g = withModified(t, g, time.Now().Add(tc.bump))
				}
				if err := e.eng.Accept(ctx, nil, g); err != nil {
					t.Error(err)
				}
			}
			e = newEnv(t, remediate.Options{StatusWriter: sw, Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeAutomatic),
				rule("any-status", "", &rt.Fake{ID: "notify"}, remediate.ModeAutomatic)}})
			gd := fixture(t, fxGuardDuty)
			reimports = append(reimports, gd)
			e.accept(gd)
			e.drain()
			if fake.ApplyCalls() != 1 || fake.PlanCalls() != 1 {
				t.Fatalf("plan calls %d, apply calls %d", fake.PlanCalls(), fake.ApplyCalls())
			}
			// Two remediators × (In Progress, Resolved) = 4 re-imports, all ours.
			if n := e.count(gd, remediate.DecisionOwnUpdate); n != 4 {
				t.Fatalf("%d own-update records, want 4: %v", n, e.decisions(gd))
			}
			if len(sw.Updates()) != 4 {
				t.Fatalf("%d write-backs, want 4 (no loop)", len(sw.Updates()))
			}
		})
	}
}

// A finding whose comment names one of our plans but whose status is not
// what we wrote (a person reopened it) is not an own update.
func TestOwnUpdateNeedsMatchingStatus(t *testing.T) {
	fake := &rt.Fake{ID: "mark"}
	sw := &rt.StatusRecorder{}
	e := newEnv(t, remediate.Options{StatusWriter: sw, Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeAutomatic)}})
	gd := fixture(t, fxGuardDuty)
	e.accept(gd)
	e.drain()
	last := sw.Updates()[1]
	reopened := rt.Mutate(t, gd, func(m map[string]any) {
		m["comment"] = last.Comment
		m["status_id"] = 1 // New: someone reset it
	})
	reopened = withModified(t, reopened, time.Now().Add(time.Hour))
	e.accept(reopened)
	e.drain()
	if n := e.count(gd, remediate.DecisionOwnUpdate); n != 0 {
		t.Fatalf("reopened finding treated as own update: %v", e.decisions(gd))
	}
	if fake.PlanCalls() != 2 {
		t.Fatalf("reopened finding not planned again: %d plan calls", fake.PlanCalls())
	}
}

// The repository's fixture of a re-imported finding
// (security-hub-own-update.json: the GuardDuty fixture with status In
// Progress, a comment, the same modified time). A re-import is our own only
// when its comment is in the engine's format and the journal holds that
// write-back; anything else is a workflow update by someone else, which
// must reach the rules (it is no longer dropped as a duplicate).
func TestOwnUpdateFixture(t *testing.T) {
	gd, upd := fixture(t, fxGuardDuty), fixture(t, fxOwnUpdate)
	if remediate.RefOf(gd).ID() != remediate.RefOf(upd).ID() {
		t.Fatal("fixtures are not the same finding")
	}
	raw, err := upd.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var ann struct {
		Comment  string `json:"comment"`
		StatusID int32  `json:"status_id"`
	}
	if err := json.Unmarshal(raw, &ann); err != nil || ann.Comment == "" {
		t.Fatalf("fixture has no comment: %v", err)
	}
	planID, ours := strings.CutPrefix(ann.Comment, "[ocsfhub plan=")
	if ours {
		planID, _, ours = strings.Cut(planID, "]")
	}

	fake := &rt.Fake{ID: "mark"}
	e := newEnv(t, remediate.Options{Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeAutomatic)}})
	e.accept(gd)
	e.drain()
	if !ours {
		// The fixture's comment is not what the engine writes, so nothing
		// ties it to one of our plans: it is routed as a person's update.
		t.Logf("fixture comment %q is not in the engine's format %q; treated as someone else's update", ann.Comment, "[ocsfhub plan=<id>] <text>")
		e.accept(upd)
		e.drain()
		if fake.PlanCalls() != 2 || e.count(gd, remediate.DecisionOwnUpdate) != 0 || e.count(gd, remediate.DecisionDuplicate) != 0 {
			t.Fatalf("plan calls %d, decisions %v", fake.PlanCalls(), e.decisions(gd))
		}
		return
	}
	// The fixture is in the engine's format: with the matching write-back in
	// the journal it is recognised as ours, and not planned again.
	u := remediate.StatusUpdate{Finding: remediate.RefOf(gd), StatusID: remediate.StatusID(ann.StatusID), Comment: ann.Comment, PlanID: planID}
	if err := e.store.Append(t.Context(), remediate.Record{ID: planID + "/status/seeded", Time: time.Now().UTC(),
		Decision: remediate.DecisionStatus, PlanID: planID, Finding: u.Finding, FindingID: u.Finding.ID(), Status: &u}); err != nil {
		t.Fatal(err)
	}
	e.accept(upd)
	e.drain()
	if fake.PlanCalls() != 1 || e.count(gd, remediate.DecisionOwnUpdate) != 1 {
		t.Fatalf("plan calls %d, decisions %v", fake.PlanCalls(), e.decisions(gd))
	}
}

func TestApprovalGoAPI(t *testing.T) {
	fake := &rt.Fake{ID: "mark", Destructive: true}
	sw := &rt.StatusRecorder{}
	e := newEnv(t, remediate.Options{StatusWriter: sw, Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeApproval)}})
	ctx := t.Context()
	gd, sg, s3 := fixture(t, fxGuardDuty), fixture(t, fxSGOpen), fixture(t, fxS3Public)
	e.accept(gd, sg, s3)
	e.drain()
	pending, err := e.eng.Approvals(ctx)
	if err != nil || len(pending) != 3 {
		t.Fatalf("pending %d, %v", len(pending), err)
	}
	if fake.ApplyCalls() != 0 || len(sw.Updates()) != 0 {
		t.Fatal("approval mode applied or wrote back before approval")
	}
	byFinding := map[string]remediate.Approval{}
	for _, a := range pending {
		byFinding[a.Finding.ID()] = a
		if a.Plan == nil || len(a.Plan.Changes) != 1 || !strings.Contains(a.Plan.String(), "fake:Mark") {
			t.Fatalf("approval plan %+v", a.Plan)
		}
	}
	// Approve: planned again against live state, then applied.
	a := byFinding[remediate.RefOf(gd).ID()]
	if err := e.eng.Approve(ctx, a.ID, "alice", "looks right"); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Approve(ctx, a.ID, "bob", ""); !errors.Is(err, remediate.ErrNotPending) {
		t.Fatalf("second approval: %v", err)
	}
	e.drain()
	if fake.PlanCalls() != 4 || len(fake.Made()) != 1 {
		t.Fatalf("plan calls %d (want 3 + 1 re-plan), made %v", fake.PlanCalls(), fake.Made())
	}
	got, _ := e.eng.Approval(ctx, a.ID)
	if got.State != remediate.ApprovalDone || got.Actor != "alice" || got.Outcome != "applied" {
		t.Fatalf("approval after apply: %+v", got)
	}
	// Deny.
	d := byFinding[remediate.RefOf(sg).ID()]
	if err := e.eng.Deny(ctx, d.ID, "bob", "false positive"); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Approve(ctx, d.ID, "alice", ""); !errors.Is(err, remediate.ErrNotPending) {
		t.Fatalf("approve after deny: %v", err)
	}
	e.accept(sg) // redelivery: still denied, not asked again
	e.drain()
	if rest, _ := e.eng.Approvals(ctx); len(rest) != 1 {
		t.Fatalf("pending after deny and redelivery: %d", len(rest))
	}
	// Live state changed before approval: the re-plan has a change the
	// approved plan lacks, so it goes back to pending with the new plan.
	x := byFinding[remediate.RefOf(s3).ID()]
	fake.Extra = func(f ocsf.Finding) []remediate.Change {
		return []remediate.Change{{ID: "extra", Action: "fake:Extra", Resource: "new-thing", Description: "appeared since"}}
	}
	if err := e.eng.Approve(ctx, x.ID, "alice", ""); err != nil {
		t.Fatal(err)
	}
	e.drain()
	got, _ = e.eng.Approval(ctx, x.ID)
	if got.State != remediate.ApprovalPending || !strings.Contains(got.Reason, "live state changed") || len(got.Plan.Changes) != 2 {
		t.Fatalf("changed plan: %+v", got)
	}
	if e.count(s3, remediate.DecisionPlanChanged) != 1 || len(fake.Made()) != 1 {
		t.Fatalf("decisions %v, made %v", e.decisions(s3), fake.Made())
	}
	// Approving the new plan applies it.
	fake.Extra = nil
	if err := e.eng.Approve(ctx, x.ID, "alice", "ok"); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if got, _ = e.eng.Approval(ctx, x.ID); got.State != remediate.ApprovalDone {
		t.Fatalf("after second approval: %+v", got)
	}
	if err := e.eng.Approve(ctx, "k-unknown", "alice", ""); !errors.Is(err, remediate.ErrNotFound) {
		t.Fatalf("approve unknown: %v", err)
	}
	// The journal tells the story of the approved finding.
	want := []remediate.Decision{remediate.DecisionMatched, remediate.DecisionPending, remediate.DecisionApproved,
		remediate.DecisionApplying, remediate.DecisionStatus, remediate.DecisionApplied, remediate.DecisionStatus}
	if diff := cmp.Diff(want, e.decisions(gd)); diff != "" {
		t.Errorf("journal of the approved finding (-want +got):\n%s", diff)
	}
}

func TestApprovalExpires(t *testing.T) {
	now := time.Now()
	clock := &now
	fake := &rt.Fake{ID: "mark"}
	e := newEnv(t, remediate.Options{ApprovalTTL: time.Hour, Now: func() time.Time { return *clock },
		Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeApproval)}})
	gd := fixture(t, fxGuardDuty)
	e.accept(gd)
	e.drain()
	p, _ := e.eng.Approvals(t.Context())
	later := now.Add(2 * time.Hour)
	clock = &later
	if err := e.eng.Approve(t.Context(), p[0].ID, "alice", ""); !errors.Is(err, remediate.ErrNotPending) {
		t.Fatalf("approve expired: %v", err)
	}
	if e.count(gd, remediate.DecisionExpired) != 1 {
		t.Fatalf("decisions %v", e.decisions(gd))
	}
}

func TestKillSwitch(t *testing.T) {
	fake := &rt.Fake{ID: "mark"}
	approve := &rt.Fake{ID: "approve"}
	killFile := filepath.Join(t.TempDir(), "KILL")
	e := newEnv(t, remediate.Options{KillFile: killFile, Rules: []remediate.Rule{
		rule("r", `{"class_uid":[2004]}`, fake, remediate.ModeAutomatic),
		rule("a", `{"class_uid":[2003]}`, approve, remediate.ModeApproval),
	}})
	ctx := t.Context()
	sg := fixture(t, fxSGOpen)
	e.accept(sg)
	e.drain()
	pending, _ := e.eng.Approvals(ctx)

	if err := e.eng.Kill(ctx, "oncall", "bad rollout"); err != nil {
		t.Fatal(err)
	}
	gd := fixture(t, fxGuardDuty)
	e.accept(gd)
	e.drain()
	if len(fake.Made()) != 0 || e.count(gd, remediate.DecisionKilled) != 1 {
		t.Fatalf("killed: made %v, decisions %v", fake.Made(), e.decisions(gd))
	}
	if err := e.eng.Approve(ctx, pending[0].ID, "alice", ""); !errors.Is(err, remediate.ErrKilled) {
		t.Fatalf("approve while killed: %v", err)
	}
	// The switch survives a restart.
	e.reopen()
	ks, err := e.eng.KillSwitch(ctx)
	if err != nil || !ks.Engaged || ks.Reason != "bad rollout" || ks.Actor != "oncall" {
		t.Fatalf("after restart: %+v, %v", ks, err)
	}
	if err := e.eng.Resume(ctx, "oncall"); err != nil {
		t.Fatal(err)
	}
	// The kill file engages it too.
	if err := os.WriteFile(killFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	gd2 := withUID(t, gd, "second")
	e.accept(gd2)
	e.drain()
	if len(fake.Made()) != 0 || e.count(gd2, remediate.DecisionKilled) != 1 {
		t.Fatalf("kill file: made %v, decisions %v", fake.Made(), e.decisions(gd2))
	}
	if err := os.Remove(killFile); err != nil {
		t.Fatal(err)
	}
	gd3 := withUID(t, gd, "third")
	e.accept(gd3)
	e.drain()
	if len(fake.Made()) != 1 {
		t.Fatalf("after release: made %v, decisions %v", fake.Made(), e.decisions(gd3))
	}
	recs, _ := e.eng.Journal(ctx, remediate.Query{Decisions: []remediate.Decision{remediate.DecisionKillSwitch}})
	if len(recs) != 2 {
		t.Fatalf("kill switch records: %d", len(recs))
	}
}

// A message that keeps crashing the process is dead-lettered.
func TestPoisonMessage(t *testing.T) {
	fake := &rt.Fake{ID: "mark"}
	e := newEnv(t, remediate.Options{MaxOrphaned: 2, Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeAutomatic)}})
	e.accept(fixture(t, fxGuardDuty))
	for range 2 {
		// Receive and "crash" (reopen without settling).
		if _, err := e.store.Receive(t.Context(), time.Minute); err != nil {
			t.Fatal(err)
		}
		e.reopen()
	}
	e.drain()
	dl, _ := e.eng.DeadLetters(t.Context())
	if len(dl) != 1 || !strings.Contains(dl[0].Reason, "poison") || fake.PlanCalls() != 0 {
		t.Fatalf("dead letters %+v, plan calls %d", dl, fake.PlanCalls())
	}
}

func TestJournalExport(t *testing.T) {
	fake := &rt.Fake{ID: "mark"}
	e := newEnv(t, remediate.Options{Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeDryRun)}})
	gd, sg := fixture(t, fxGuardDuty), fixture(t, fxSGOpen)
	e.accept(gd, sg)
	e.drain()
	var b strings.Builder
	if err := e.eng.ExportJournal(t.Context(), &b, remediate.Query{FindingID: remediate.RefOf(gd).ID()}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("export: %d lines:\n%s", len(lines), b.String())
	}
	var r remediate.Record
	if err := json.Unmarshal([]byte(lines[1]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Decision != remediate.DecisionDryRun || r.Plan == nil || r.FindingID != remediate.RefOf(gd).ID() {
		t.Fatalf("exported record %+v", r)
	}
	b.Reset()
	if err := e.eng.ExportJournal(t.Context(), &b, remediate.Query{Limit: 3}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "\n"); n != 3 {
		t.Fatalf("limit 3 exported %d lines", n)
	}
}

func TestNewValidates(t *testing.T) {
	fake := &rt.Fake{ID: "mark"}
	other := &rt.Fake{ID: "mark"}
	for name, rules := range map[string][]remediate.Rule{
		"no name":        {{Remediator: fake}},
		"duplicate":      {{Name: "a", Remediator: fake}, {Name: "a", Remediator: fake}},
		"no remediator":  {{Name: "a"}},
		"bad pattern":    {{Name: "a", Remediator: fake, Pattern: `{"x":1}`}},
		"name clash":     {{Name: "a", Remediator: fake}, {Name: "b", Remediator: other}},
		"invalid mode":   {{Name: "a", Remediator: fake, Mode: 7}},
		"broken pattern": {{Name: "a", Remediator: fake, Pattern: "{"}},
	} {
		if _, err := remediate.New(newEnv(t, remediate.Options{}).store, remediate.Options{Rules: rules}); err == nil {
			t.Errorf("%s: New accepted %+v", name, rules)
		}
	}
}

func TestPermissions(t *testing.T) {
	a := &rt.Fake{ID: "a", Perms: []string{"ec2:DescribeInstances", "ec2:ModifyNetworkInterfaceAttribute"}}
	b := &rt.Fake{ID: "b", Perms: []string{"ec2:DescribeInstances", "iam:UpdateAccessKey"}}
	e := newEnv(t, remediate.Options{StatusWriter: &rt.StatusRecorder{}, Rules: []remediate.Rule{rule("a", "", a, 0), rule("b", "", b, 0)}})
	want := []string{"ec2:DescribeInstances", "ec2:ModifyNetworkInterfaceAttribute", "iam:UpdateAccessKey", "securityhub:BatchUpdateFindings"}
	if diff := cmp.Diff(want, e.eng.Permissions()); diff != "" {
		t.Errorf("Permissions (-want +got):\n%s", diff)
	}
}
