package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
	rt "github.com/ocsfhub/ocsfhub/remediate/remediatetest"
	ticketing "github.com/ocsfhub/ocsfhub/remediate/ticket"
)

func openTestStore(t *testing.T) *boltstore.Store {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "remediate.db"), &boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func fixturesDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "findings")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

func fixture(t *testing.T, name string) (ocsf.Finding, []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return rt.Finding(t, b), b
}

// The demo remediators follow the Remediator contract.
func TestTicketConformance(t *testing.T) {
	sg, _ := fixture(t, "cspm-ec2-security-group-open.json")
	resolved := rt.Mutate(t, sg, func(m map[string]any) { m["status_id"] = 4; m["status"] = "Resolved" })
	rt.Run(t, func(t *testing.T) remediate.Remediator {
		r, err := newFileTickets(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}, rt.Case{Name: "open", Finding: sg, NotApplicable: []ocsf.Finding{resolved}})
}

func TestNotifyConformance(t *testing.T) {
	gd, _ := fixture(t, "guardduty-ec2-unauthorized-access.json")
	rt.Run(t, func(t *testing.T) remediate.Remediator {
		r, err := newOutbox(filepath.Join(t.TempDir(), "out.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}, rt.Case{Name: "guardduty", Finding: gd})
}

// A ticket follows its finding: created, commented on a new generation,
// resolved when the finding closes.
func TestTicketLifecycle(t *testing.T) {
	ctx := t.Context()
	r, err := newFileTickets(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sg, _ := fixture(t, "cspm-ec2-security-group-open.json")
	apply := func(f ocsf.Finding) []string {
		t.Helper()
		p, err := r.Plan(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Apply(ctx, p); err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, c := range p.Changes {
			actions = append(actions, c.Action)
		}
		return actions
	}
	if got := apply(sg); strings.Join(got, ",") != "ticket:Create" {
		t.Fatalf("first: %v", got)
	}
	newer := rt.Mutate(t, sg, func(m map[string]any) { rt.Set(m, "finding_info.modified_time", 1900000000000) })
	if got := apply(newer); strings.Join(got, ",") != "ticket:Comment" {
		t.Fatalf("newer generation: %v", got)
	}
	closed := rt.Mutate(t, newer, func(m map[string]any) { m["status_id"] = 4 })
	if got := apply(closed); strings.Join(got, ",") != "ticket:Resolve" {
		t.Fatalf("closed: %v", got)
	}
	tk, err := r.load(ticketID(remediate.RefOf(sg).ID()))
	if err != nil || tk.Status != "resolved" || len(tk.Generations) != 2 {
		t.Fatalf("ticket %+v %v", tk, err)
	}
}

func startPipeline(t *testing.T) (*pipeline, *httptest.Server, string) {
	t.Helper()
	data := t.TempDir()
	t.Setenv("OCSFHUB_API_KEY", "")
	t.Setenv("OCSFHUB_ADMIN_TOKEN", "")
	t.Setenv("OCSFHUB_KILL", "")
	p, err := newPipeline(t.Context(), config{DataDir: data, Workers: 2}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	srv := httptest.NewServer(p.handler)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.engine.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return p, srv, data
}

func do(t *testing.T, srv *httptest.Server, method, path string, hdr map[string]string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// The newcomer flow: post a fixture, see the plan that would have been
// applied (dry run, nothing written); approve a pending plan over HTTP and
// see it carried out.
func TestPipelineEndToEnd(t *testing.T) {
	p, srv, data := startPipeline(t)
	key := map[string]string{"Content-Type": "application/json", listener.DefaultAPIKeyHeader: p.apiKey}
	admin := map[string]string{"Authorization": "Bearer " + p.adminToken}

	// Credentials were generated into the data directory, private.
	for _, f := range []string{"api-key", "admin-token"} {
		st, err := os.Stat(filepath.Join(data, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, st, err)
		}
	}
	if code, _ := do(t, srv, "POST", "/findings", map[string]string{"Content-Type": "application/json"}, []byte(`{}`)); code != http.StatusUnauthorized {
		t.Fatalf("unauthenticated post: %d", code)
	}

	sg, sgBody := fixture(t, "cspm-ec2-security-group-open.json")
	gd, gdBody := fixture(t, "guardduty-iam-credential-exfiltration.json")
	for _, b := range [][]byte{sgBody, gdBody} {
		if code, body := do(t, srv, "POST", "/findings", key, b); code != http.StatusOK {
			t.Fatalf("post: %d %s", code, body)
		}
	}
	if err := p.engine.WaitIdle(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	// The dry-run plan is in the journal (HTTP export) and nothing was written.
	code, body := do(t, srv, "GET", "/admin/journal?finding="+remediate.RefOf(sg).ID(), admin, nil)
	if code != 200 {
		t.Fatalf("journal: %d %s", code, body)
	}
	var dry *remediate.Record
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var r remediate.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Decision == remediate.DecisionDryRun {
			dry = &r
		}
	}
	if dry == nil || dry.Plan == nil || dry.Plan.Changes[0].Action != "ticket:Create" {
		t.Fatalf("no dry-run ticket plan in the journal:\n%s", body)
	}
	if entries, _ := os.ReadDir(filepath.Join(data, "tickets")); len(entries) != 0 {
		t.Fatalf("dry run wrote tickets: %v", entries)
	}
	// The GuardDuty finding waits for approval; approve it over HTTP.
	code, body = do(t, srv, "GET", "/admin/approvals", admin, nil)
	var list struct {
		Approvals []remediate.Approval `json:"approvals"`
	}
	if code != 200 || json.Unmarshal(body, &list) != nil || len(list.Approvals) != 1 || list.Approvals[0].Finding.ID() != remediate.RefOf(gd).ID() {
		t.Fatalf("approvals: %d %s", code, body)
	}
	if code, body := do(t, srv, "POST", "/admin/approvals/"+list.Approvals[0].ID+"/approve", admin, []byte(`{"actor":"test"}`)); code != http.StatusAccepted {
		t.Fatalf("approve: %d %s", code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := p.engine.Approval(t.Context(), list.Approvals[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.State == remediate.ApprovalDone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("approval not carried out: %+v", a)
		}
		time.Sleep(10 * time.Millisecond)
	}
	out, err := os.ReadFile(filepath.Join(data, "notifications.jsonl"))
	if err != nil || bytes.Count(out, []byte("\n")) != 1 || !bytes.Contains(out, []byte("bastion-ssm-role")) {
		t.Fatalf("notification: %q %v", out, err)
	}
}

func TestDemo(t *testing.T) {
	t.Setenv("OCSFHUB_API_KEY", "")
	t.Setenv("OCSFHUB_ADMIN_TOKEN", "")
	var out bytes.Buffer
	cfg := config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Fixtures: fixturesDir(t), Workers: 2, Demo: true}
	if err := run(t.Context(), cfg, &out, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{"POST cspm-ec2-security-group-open.json -> 200 OK", "dry-run", "ticket:Create", "plan(s) wait for approval", "/admin/approvals/k-"} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Bearer ") && !strings.Contains(s, "Bearer $(cat ") {
		t.Errorf("demo output may print a secret:\n%s", s)
	}
}

func TestPrintEventPattern(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), config{PrintEvent: true}, &out, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	want := `{"detail":{"findings":{"$or":[{"severity_id":[{"numeric":[">=",4]}]},{"class_uid":[2004],"metadata":{"product":{"name":["GuardDuty"]}},"status_id":[1]}]}},"detail-type":["Findings Imported V2"],"source":["aws.securityhub"]}`
	if strings.TrimSpace(out.String()) != want {
		t.Fatalf("event pattern:\n got %s\nwant %s", out.String(), want)
	}
}

func TestSampleRulesLoad(t *testing.T) {
	b, err := os.ReadFile("rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := remediate.LoadRules("rules.yaml", b, registry(t.TempDir(), nil, slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Rules {
		if r.Mode == remediate.ModeAutomatic {
			t.Errorf("sample rule %q is automatic; the sample must not act by default", r.Name)
		}
	}
}

// The commented Jira example of rules.yaml works once uncommented (delete
// the "#" in column 1): the remediator comes from remediate/ticket, its
// token from the environment variable the file names.
func TestSampleRulesJiraExample(t *testing.T) {
	b, err := os.ReadFile("rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "#  ") {
			l = l[1:]
			n++
		}
		lines = append(lines, l)
	}
	if n < 8 {
		t.Fatalf("rules.yaml has %d commented example lines; the Jira example is missing", n)
	}
	uncommented := []byte(strings.Join(lines, "\n"))
	const tokenEnv = "JIRA_API_TOKEN"
	t.Setenv(tokenEnv, "")
	_, err = remediate.LoadRules("rules.yaml", uncommented, registry(t.TempDir(), nil, slog.New(slog.DiscardHandler)))
	if err == nil || !strings.Contains(err.Error(), tokenEnv+" is not set") || !strings.Contains(err.Error(), "remediators.jira") {
		t.Fatalf("without the token: %v", err)
	}
	t.Setenv(tokenEnv, "ATATT3x-example-token")
	rs, err := remediate.LoadRules("rules.yaml", uncommented, registry(t.TempDir(), nil, slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	var jira *remediate.Rule
	for i := range rs.Rules {
		if rs.Rules[i].Name == "jira-critical" {
			jira = &rs.Rules[i]
		}
	}
	if jira == nil || jira.Remediator.Name() != "jira" || jira.Mode != remediate.ModeApproval {
		t.Fatalf("jira rule %+v", jira)
	}
	if _, ok := jira.Remediator.(*ticketing.Remediator); !ok {
		t.Fatalf("jira remediator is %T", jira.Remediator)
	}
	if strings.Contains(string(b), "ATATT3x") {
		t.Fatal("rules.yaml holds a token")
	}
}

// The demo remediators say what their plans do, so the engine never writes
// a ticket or a notification back as Resolved.
func TestDemoPlansNotify(t *testing.T) {
	ctx := t.Context()
	sg, _ := fixture(t, "cspm-ec2-security-group-open.json")
	tk, err := newFileTickets(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := tk.Plan(ctx, sg)
	if err != nil || p.Effect != remediate.EffectNotify {
		t.Fatalf("open ticket plan: effect %q, %v", p.Effect, err)
	}
	if _, err := tk.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	closed := rt.Mutate(t, sg, func(m map[string]any) { m["status_id"] = 4 })
	if p, err = tk.Plan(ctx, closed); err != nil || p.Effect != remediate.EffectNone {
		t.Fatalf("resolve ticket plan: effect %q, %v", p.Effect, err)
	}
	ob, err := newOutbox(filepath.Join(t.TempDir(), "out.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err = ob.Plan(ctx, sg); err != nil || p.Effect != remediate.EffectNotify {
		t.Fatalf("notify plan: effect %q, %v", p.Effect, err)
	}
	// Through the engine with a status writer: In Progress once, never
	// Resolved.
	sw := &rt.StatusRecorder{}
	st := openTestStore(t)
	eng, err := remediate.New(st, remediate.Options{StatusWriter: sw, Rules: []remediate.Rule{
		{Name: "t", Remediator: tk, Mode: remediate.ModeAutomatic},
		{Name: "n", Remediator: ob, Mode: remediate.ModeAutomatic},
	}})
	if err != nil {
		t.Fatal(err)
	}
	gd, _ := fixture(t, "guardduty-ec2-unauthorized-access.json")
	if err := eng.Accept(ctx, nil, gd); err != nil {
		t.Fatal(err)
	}
	if err := eng.ProcessNext(ctx); err != nil {
		t.Fatal(err)
	}
	ups := sw.Updates()
	if len(ups) != 2 {
		t.Fatalf("write-backs %+v", ups)
	}
	for _, u := range ups {
		if u.StatusID != remediate.StatusInProgress || u.Remediated() {
			t.Errorf("write-back %+v", u)
		}
	}
}
