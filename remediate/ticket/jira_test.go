package ticket_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/ticket"
)

const (
	jiraEmail = "secops@example.com"
	jiraToken = "ATATT3xFfGF0-jira-token-7Qm2"
)

var jiraBasic = "Basic " + base64.StdEncoding.EncodeToString([]byte(jiraEmail+":"+jiraToken))

func newJira(t *testing.T, fj *fakeJira, mod func(*ticket.JiraOptions)) *ticket.Remediator {
	t.Helper()
	opts := ticket.JiraOptions{
		Options: ticket.Options{
			MaxRetries: -1,
			FindingURL: func(ref remediate.FindingRef) string {
				return "https://console.aws.amazon.com/securityhub/v2/home?region=" + ref.Region + "#/findings"
			},
		},
		BaseURL: fj.URL(), Email: jiraEmail, APIToken: ticket.NewSecret(jiraToken),
		Project: "SEC", Labels: []string{"security-hub"},
		Priorities: map[ocsf.SeverityID]string{ocsf.SeverityIDLow: "Low", ocsf.SeverityIDCritical: "Highest"},
	}
	if mod != nil {
		mod(&opts)
	}
	r, err := ticket.NewJira(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustPlan(t *testing.T, r remediate.Remediator, f ocsf.Finding) *remediate.Plan {
	t.Helper()
	p, err := r.Plan(t.Context(), f)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("invalid plan: %v", err)
	}
	return p
}

func mustApply(t *testing.T, r remediate.Remediator, p *remediate.Plan) *remediate.Result {
	t.Helper()
	res, err := r.Apply(t.Context(), p)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

func wantNotApplicable(t *testing.T, r remediate.Remediator, f ocsf.Finding) {
	t.Helper()
	p, err := r.Plan(t.Context(), f)
	if !errors.Is(err, remediate.ErrNotApplicable) {
		t.Fatalf("Plan: got %v, %v; want ErrNotApplicable", p, err)
	}
}

func TestJiraLifecycle(t *testing.T) {
	fj := newFakeJira(t, jiraBasic)
	r := newJira(t, fj, nil)
	f := guardDuty(t)
	key := r.Key(f)
	if !strings.HasPrefix(key, "ocsfhub-") || len(key) != len("ocsfhub-")+32 {
		t.Fatalf("key %q", key)
	}
	searchBody := `{"fields":["status","description"],"jql":"labels = \"` + key + `\" AND statusCategory != Done ORDER BY created DESC","maxResults":1}`

	// 1. A new finding: search, then create.
	p := mustPlan(t, r, f)
	calls := fj.Calls()
	wantCalls(t, calls, "POST /rest/api/3/search/jql")
	if calls[0].Body != searchBody {
		t.Errorf("search body:\n got %s\nwant %s", calls[0].Body, searchBody)
	}
	wantHeader(t, calls[0], "Authorization", jiraBasic, "Accept", "application/json", "Content-Type", "application/json", "User-Agent", "ocsfhub-ticket")
	if len(p.Changes) != 1 || p.Changes[0].Action != "jira:CreateIssue" || p.Destructive {
		t.Fatalf("plan: %s", p)
	}
	if strings.Contains(string(p.Data)+string(p.Changes[0].Params), jiraToken) {
		t.Fatal("plan holds the token")
	}
	fj.reset()
	res := mustApply(t, r, p)
	if applied(t, res) != 1 || res.Summary != "ticket: created Jira issue SEC-1" {
		t.Fatalf("result %+v", res)
	}
	calls = fj.Calls()
	wantCalls(t, calls, "POST /rest/api/3/search/jql", "POST /rest/api/3/issue")
	golden(t, "jira-create.json", calls[1].Body)
	wantHeader(t, calls[1], "Authorization", jiraBasic, "Content-Type", "application/json")

	// 2. Applying the same plan again creates nothing.
	fj.reset()
	if n := applied(t, mustApply(t, r, p)); n != 0 {
		t.Fatalf("second Apply made %d changes", n)
	}
	wantCalls(t, fj.Calls(), "GET /rest/api/3/issue/SEC-1?fields=status,description")
	// The same generation again: nothing to do.
	wantNotApplicable(t, r, f)

	// 3. A new generation: one comment on the same issue.
	t1 := time.UnixMilli(1770711277512).UTC()
	g2 := generation(t, f, t1.Add(time.Hour), 1, "")
	fj.reset()
	p2 := mustPlan(t, r, g2)
	if len(p2.Changes) != 1 || p2.Changes[0].Action != "jira:AddComment" || p2.Changes[0].Resource != "SEC-1" {
		t.Fatalf("plan: %s", p2)
	}
	wantCalls(t, fj.Calls(), "GET /rest/api/3/issue/SEC-1?fields=status,description",
		"GET /rest/api/3/issue/SEC-1/comment?maxResults=100&orderBy=-created")
	fj.reset()
	if n := applied(t, mustApply(t, r, p2)); n != 1 {
		t.Fatalf("comment Apply made %d changes", n)
	}
	calls = fj.writes()
	wantCalls(t, calls, "POST /rest/api/3/issue/SEC-1/comment")
	golden(t, "jira-comment.json", calls[0].Body)
	if n := applied(t, mustApply(t, r, p2)); n != 0 {
		t.Fatalf("second comment Apply made %d changes", n)
	}
	wantNotApplicable(t, r, g2)
	if is := fj.Issues(); len(is) != 1 || len(is[0].Comments) != 1 {
		t.Fatalf("issues: %d, comments: %d; want 1 issue with 1 comment", len(is), len(is[0].Comments))
	}

	// 4. Resolved by an analyst: closing comment, then the Done transition.
	g3 := generation(t, f, t1.Add(2*time.Hour), 4, "closed after review")
	fj.reset()
	p3 := mustPlan(t, r, g3)
	if len(p3.Changes) != 2 || p3.Changes[0].Action != "jira:AddComment" || p3.Changes[1].Action != "jira:TransitionIssue" {
		t.Fatalf("plan: %s", p3)
	}
	fj.reset()
	if n := applied(t, mustApply(t, r, p3)); n != 2 {
		t.Fatalf("resolve Apply made %d changes", n)
	}
	calls = fj.writes()
	wantCalls(t, calls, "POST /rest/api/3/issue/SEC-1/comment", "POST /rest/api/3/issue/SEC-1/transitions")
	golden(t, "jira-resolve-comment.json", calls[0].Body)
	if calls[1].Body != `{"transition":{"id":"31"}}` {
		t.Errorf("transition body %s", calls[1].Body)
	}
	if is := fj.Issues(); !is[0].Done {
		t.Fatal("issue not done")
	}
	if n := applied(t, mustApply(t, r, p3)); n != 0 {
		t.Fatalf("second resolve Apply made %d changes", n)
	}
	wantNotApplicable(t, r, g3)

	// 5. The finding comes back after the issue was closed: a new issue.
	g4 := generation(t, f, t1.Add(3*time.Hour), 1, "")
	p4 := mustPlan(t, r, g4)
	if p4.Changes[0].Action != "jira:CreateIssue" {
		t.Fatalf("plan after closure: %s", p4)
	}
	mustApply(t, r, p4)
	if is := fj.Issues(); len(is) != 2 || is[1].Key != "SEC-2" || is[1].Done {
		t.Fatalf("issues after recurrence: %+v", is)
	}
}

// A closing status resolves the ticket, whoever wrote it: the engine never
// writes a closing status after a ticket plan (those plans say
// EffectNotify), so no comment needs to be parsed to tell them apart. Plans
// that open or update a ticket notify; plans that resolve one follow a
// decision already made and ask for no write-back.
func TestJiraClosingStatusResolves(t *testing.T) {
	fj := newFakeJira(t, jiraBasic)
	r := newJira(t, fj, nil)
	f := guardDuty(t)
	p := mustPlan(t, r, f)
	if p.Effect != remediate.EffectNotify {
		t.Errorf("open plan effect %q, want notify", p.Effect)
	}
	mustApply(t, r, p)
	t1 := time.UnixMilli(1770711277512).UTC()

	for _, c := range []string{
		"[ocsfhub plan=p-1] Resolved (jira): ticket: created Jira issue SEC-1", // the previous engine's text
		"[ocsfhub plan=p-3] Resolved (ec2-isolate): isolated i-0a1b2c3d4e5f67890",
		"someone fixed it",
		"",
	} {
		p := mustPlan(t, r, generation(t, f, t1.Add(time.Hour), 4, c))
		if len(p.Changes) != 2 || p.Changes[0].Action != "jira:AddComment" || p.Changes[1].Action != "jira:TransitionIssue" {
			t.Errorf("comment %q: plan %s; want a closing comment and the transition", c, p)
		}
		if p.Effect != remediate.EffectNone {
			t.Errorf("comment %q: resolve plan effect %q, want none", c, p.Effect)
		}
	}
	// Open statuses only record the generation.
	p = mustPlan(t, r, generation(t, f, t1.Add(time.Hour), 2, "[ocsfhub plan=p-1] Notified (jira): ticket: created Jira issue SEC-1"))
	if len(p.Changes) != 1 || p.Changes[0].Action != "jira:AddComment" || p.Effect != remediate.EffectNotify {
		t.Errorf("In Progress: plan %s, effect %q", p, p.Effect)
	}
	// ActionOpen never resolves; ActionResolve always does.
	ro := newJira(t, fj, func(o *ticket.JiraOptions) { o.Action = ticket.ActionOpen })
	if ro.Name() != "jira-open" {
		t.Errorf("name %q", ro.Name())
	}
	p = mustPlan(t, ro, generation(t, f, t1.Add(time.Hour), 4, "fixed"))
	if p.Changes[0].Action != "jira:AddComment" || len(p.Changes) != 1 {
		t.Errorf("ActionOpen plan %s", p)
	}
	rr := newJira(t, fj, func(o *ticket.JiraOptions) { o.Action = ticket.ActionResolve })
	if rr.Name() != "jira-resolve" {
		t.Errorf("name %q", rr.Name())
	}
	p = mustPlan(t, rr, f)
	if len(p.Changes) != 2 || p.Changes[1].Action != "jira:TransitionIssue" {
		t.Errorf("ActionResolve plan %s", p)
	}
}

// Search is eventually consistent: the state remembers the issue just made.
func TestJiraSearchLag(t *testing.T) {
	fj := newFakeJira(t, jiraBasic)
	fj.HideNew = true
	state := &memSettings{}
	r := newJira(t, fj, func(o *ticket.JiraOptions) { o.State = state })
	f := guardDuty(t)
	p := mustPlan(t, r, f)
	mustApply(t, r, p)
	if n := applied(t, mustApply(t, r, p)); n != 0 {
		t.Fatalf("second Apply made %d changes while search lags", n)
	}
	// Another process sharing the state sees the issue too.
	r2 := newJira(t, fj, func(o *ticket.JiraOptions) { o.State = state })
	wantNotApplicable(t, r2, f)
	if n := len(fj.Issues()); n != 1 {
		t.Fatalf("%d issues, want 1", n)
	}
	// Once search sees the issue, a remediator without the state finds it.
	fj.reveal()
	r3 := newJira(t, fj, nil)
	wantNotApplicable(t, r3, f)
}

func TestJiraResolveOnDemand(t *testing.T) {
	fj := newFakeJira(t, jiraBasic)
	r := newJira(t, fj, nil)
	f := guardDuty(t)
	ref := remediate.RefOf(f)
	res, err := r.Resolve(t.Context(), ref, "nothing yet")
	if err != nil || len(res.Outcomes) != 0 {
		t.Fatalf("Resolve without an issue: %+v, %v", res, err)
	}
	mustApply(t, r, mustPlan(t, r, f))
	res, err = r.Resolve(t.Context(), ref, "isolated by ec2-isolate")
	if err != nil || res.Applied() != 2 {
		t.Fatalf("Resolve: %+v, %v", res, err)
	}
	is := fj.Issues()[0]
	if !is.Done || !strings.Contains(string(is.Comments[0]), "Resolved: isolated by ec2-isolate") {
		t.Fatalf("issue %+v", is)
	}
	res, err = r.Resolve(t.Context(), ref, "again")
	if err != nil || res.Applied() != 0 {
		t.Fatalf("second Resolve: %+v, %v", res, err)
	}
}

func TestJiraErrors(t *testing.T) {
	f := guardDuty(t)
	cases := []struct {
		name   string
		fault  fault
		class  remediate.ErrorClass
		status int
		msg    string
	}{
		{"unavailable", fault{status: 503, body: `<html>busy</html>`}, remediate.ClassTransient, 503, "<html>busy</html>"},
		{"throttled", fault{status: 429, body: `{"errorMessages":["Rate limit exceeded."]}`, retryAfter: "120"}, remediate.ClassTransient, 429, "Rate limit exceeded."},
		{"bad request", fault{status: 400, body: `{"errorMessages":[],"errors":{"priority":"Priority name 'X' is not valid","summary":"too long"}}`}, remediate.ClassPermanent, 400, "priority: Priority name 'X' is not valid; summary: too long"},
		{"forbidden", fault{status: 403, body: `{"errorMessages":["token ` + jiraToken + ` may not create issues"]}`}, remediate.ClassPermanent, 403, "token [REDACTED] may not create issues"},
		{"not found", fault{status: 404, body: `{"errorMessages":["No project could be found with key 'SEC'."]}`}, remediate.ClassPermanent, 404, "No project could be found with key 'SEC'."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fj := newFakeJira(t, jiraBasic)
			r := newJira(t, fj, nil)
			p := mustPlan(t, r, f)
			fj.inject("POST /rest/api/3/issue", c.fault)
			_, err := r.Apply(t.Context(), p)
			te := wantClass(t, err, c.class, c.status)
			if te.Message != c.msg || te.System != "jira" || te.Op != "create issue" {
				t.Errorf("error %+v; want message %q", te, c.msg)
			}
			if c.fault.retryAfter != "" && te.RetryAfter != 120*time.Second {
				t.Errorf("RetryAfter = %s", te.RetryAfter)
			}
			noSecret(t, err.Error(), jiraToken, strings.TrimPrefix(jiraBasic, "Basic "))
			// The failed create left nothing behind; applying again works.
			if n := applied(t, mustApply(t, r, p)); n != 1 || len(fj.Issues()) != 1 {
				t.Fatalf("retry made %d changes, %d issues", n, len(fj.Issues()))
			}
		})
	}
	t.Run("wrong token", func(t *testing.T) {
		fj := newFakeJira(t, "Basic nope")
		r := newJira(t, fj, nil)
		_, err := r.Plan(t.Context(), f)
		wantClass(t, err, remediate.ClassPermanent, 401)
		noSecret(t, err.Error(), jiraToken, strings.TrimPrefix(jiraBasic, "Basic "))
		noSecret(t, fmtAll(err), jiraToken, strings.TrimPrefix(jiraBasic, "Basic "))
	})
	t.Run("no done transition", func(t *testing.T) {
		fj := newFakeJira(t, jiraBasic)
		fj.NoDoneTransition = true
		r := newJira(t, fj, nil)
		mustApply(t, r, mustPlan(t, r, f))
		_, err := r.Plan(t.Context(), generation(t, f, time.Now(), 4, "fixed"))
		if remediate.Classify(err) != remediate.ClassPermanent || !strings.Contains(err.Error(), `no transition to a status in the "done" category`) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("server gone", func(t *testing.T) {
		fj := newFakeJira(t, jiraBasic)
		r := newJira(t, fj, nil)
		fj.srv.Close()
		_, err := r.Plan(t.Context(), f)
		wantClass(t, err, remediate.ClassTransient, 0)
	})
	t.Run("timeout", func(t *testing.T) {
		block := make(chan struct{})
		srv := newHangingServer(t, block)
		r, err := ticket.NewJira(ticket.JiraOptions{
			Options: ticket.Options{HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}},
			BaseURL: srv, Email: jiraEmail, APIToken: ticket.NewSecret(jiraToken), Project: "SEC",
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Plan(t.Context(), f)
		close(block)
		wantClass(t, err, remediate.ClassTransient, 0)
	})
	t.Run("cancelled", func(t *testing.T) {
		fj := newFakeJira(t, jiraBasic)
		r := newJira(t, fj, nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := r.Plan(ctx, f); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
		if len(fj.Calls()) != 0 {
			t.Fatal("a cancelled Plan sent requests")
		}
	})
}

func TestJiraConfig(t *testing.T) {
	ok := ticket.JiraOptions{BaseURL: "https://example.atlassian.net", Email: jiraEmail, APIToken: ticket.NewSecret(jiraToken), Project: "SEC"}
	for name, mod := range map[string]func(*ticket.JiraOptions){
		"no url":        func(o *ticket.JiraOptions) { o.BaseURL = "" },
		"relative url":  func(o *ticket.JiraOptions) { o.BaseURL = "example.atlassian.net" },
		"url with user": func(o *ticket.JiraOptions) { o.BaseURL = "https://u:" + jiraToken + "@example.atlassian.net" },
		"no project":    func(o *ticket.JiraOptions) { o.Project = "" },
		"no token":      func(o *ticket.JiraOptions) { o.APIToken = ticket.Secret{} },
		"no email":      func(o *ticket.JiraOptions) { o.Email = "" },
		"two tokens":    func(o *ticket.JiraOptions) { o.BearerToken = ticket.NewSecret("x") },
		"label space":   func(o *ticket.JiraOptions) { o.Labels = []string{"a b"} },
		"field clash":   func(o *ticket.JiraOptions) { o.Fields = map[string]any{"summary": "x"} },
		"bad prefix":    func(o *ticket.JiraOptions) { o.KeyPrefix = "a b" },
		"bad action":    func(o *ticket.JiraOptions) { o.Action = 7 },
	} {
		o := ok
		mod(&o)
		_, err := ticket.NewJira(o)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		noSecret(t, err.Error(), jiraToken)
		if !errors.Is(err, ticket.ErrConfig) {
			t.Errorf("%s: %v does not wrap ErrConfig", name, err)
		}
	}
	if _, err := ticket.NewJira(ok); err != nil {
		t.Fatal(err)
	}
	// Bearer auth for OAuth apps.
	fj := newFakeJira(t, "Bearer oauth-access-token-123")
	r, err := ticket.NewJira(ticket.JiraOptions{BaseURL: fj.URL() + "/", BearerToken: ticket.NewSecret("oauth-access-token-123"), Project: "SEC"})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, r, mustPlan(t, r, guardDuty(t)))
	noSecret(t, fmt.Sprintf("%v %+v %#v", r, r, r), "oauth-access-token-123")
	if r.Permissions() != nil {
		t.Error("Permissions is not nil")
	}
}

// Logs at debug level name requests but never carry credentials, bodies or
// secret URLs.
func TestLogsCarryNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fj := newFakeJira(t, jiraBasic)
	r := newJira(t, fj, func(o *ticket.JiraOptions) { o.Logger = logger })
	f := guardDuty(t)
	mustApply(t, r, mustPlan(t, r, f))
	fs := newFakeSlack(t, slackToken, slackChannel)
	s, err := ticket.NewSlack(ticket.SlackOptions{Options: ticket.Options{Logger: logger}, WebhookURL: ticket.NewSecret(fs.srv.URL + slackHookPath)})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, mustPlan(t, s, f))
	logs := buf.String()
	if !strings.Contains(logs, `"op":"create issue"`) || !strings.Contains(logs, `"issue":"SEC-1"`) || !strings.Contains(logs, `"op":"post webhook"`) {
		t.Fatalf("logs miss requests:\n%s", logs)
	}
	noSecret(t, logs, jiraToken, strings.TrimPrefix(jiraBasic, "Basic "), slackHookPath, "SSH brute force")
}

// BenchmarkJiraPlanComment measures planning a new generation of a
// finding that has an issue: a get, a comment listing and the rendering.
func BenchmarkJiraPlanComment(b *testing.B) {
	fj := newFakeJira(b, jiraBasic)
	r, err := ticket.NewJira(ticket.JiraOptions{BaseURL: fj.URL(), Email: jiraEmail, APIToken: ticket.NewSecret(jiraToken), Project: "SEC"})
	if err != nil {
		b.Fatal(err)
	}
	f := guardDuty(b)
	ctx := context.Background()
	p, err := r.Plan(ctx, f)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.Apply(ctx, p); err != nil {
		b.Fatal(err)
	}
	g2 := generation(b, f, time.UnixMilli(1770711277512).Add(time.Hour), 1, "")
	for b.Loop() {
		if _, err := r.Plan(ctx, g2); err != nil {
			b.Fatal(err)
		}
	}
}
