package remediate_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/remediate"
	rt "github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

const apiToken = "s3cret-token"

func call(t *testing.T, srv *httptest.Server, method, path, token, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestHandler(t *testing.T) {
	fake := &rt.Fake{ID: "mark"}
	e := newEnv(t, remediate.Options{Rules: []remediate.Rule{rule("needs-approval", "", fake, remediate.ModeApproval)}})
	gd, sg := fixture(t, fxGuardDuty), fixture(t, fxSGOpen)
	e.accept(gd, sg)
	e.drain()

	if _, err := remediate.NewHandler(e.eng, remediate.HandlerOptions{}); !errors.Is(err, remediate.ErrEmptyToken) {
		t.Fatalf("NewHandler without token: %v", err)
	}
	h, err := remediate.NewHandler(e.eng, remediate.HandlerOptions{Token: apiToken})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// Authentication.
	for _, tok := range []string{"", "wrong", apiToken + "x"} {
		if code, body := call(t, srv, "GET", "/admin/approvals", tok, ""); code != http.StatusUnauthorized || strings.Contains(string(body), apiToken) {
			t.Fatalf("token %q: %d %s", tok, code, body)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/admin/approvals", nil)
	req.Header.Set("Authorization", "Basic "+apiToken)
	if resp, err := srv.Client().Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("basic scheme accepted: %v %v", resp, err)
	}

	// List and get.
	code, body := call(t, srv, "GET", "/admin/approvals", apiToken, "")
	var list struct {
		Approvals []struct {
			remediate.Approval
			PlanText string `json:"plan_text"`
		} `json:"approvals"`
	}
	if code != 200 || json.Unmarshal(body, &list) != nil || len(list.Approvals) != 2 {
		t.Fatalf("list: %d %s", code, body)
	}
	first := list.Approvals[0]
	if !strings.Contains(first.PlanText, "fake:Mark") || first.FindingJSON != nil {
		t.Fatalf("list item: %+v", first)
	}
	code, body = call(t, srv, "GET", "/admin/approvals/"+first.ID, apiToken, "")
	var one remediate.Approval
	if code != 200 || json.Unmarshal(body, &one) != nil || one.ID != first.ID || len(one.FindingJSON) == 0 {
		t.Fatalf("get: %d %s", code, body)
	}
	if code, _ := call(t, srv, "GET", "/admin/approvals/k-nope", apiToken, ""); code != http.StatusNotFound {
		t.Fatalf("get unknown: %d", code)
	}

	// Approve one, deny the other.
	if code, body := call(t, srv, "POST", "/admin/approvals/"+first.ID+"/approve", apiToken, `{"actor":"alice","note":"ok"}`); code != http.StatusAccepted {
		t.Fatalf("approve: %d %s", code, body)
	}
	if code, body := call(t, srv, "POST", "/admin/approvals/"+first.ID+"/approve", apiToken, ""); code != http.StatusConflict || !strings.Contains(string(body), "not_pending") {
		t.Fatalf("approve twice: %d %s", code, body)
	}
	second := list.Approvals[1]
	if code, body := call(t, srv, "POST", "/admin/approvals/"+second.ID+"/deny", apiToken, `{"actor":"bob","reason":"false positive"}`); code != 200 {
		t.Fatalf("deny: %d %s", code, body)
	}
	if code, _ := call(t, srv, "POST", "/admin/approvals/"+second.ID+"/deny", apiToken, `{"bogus":1}`); code != http.StatusBadRequest {
		t.Fatalf("deny with unknown field: %d", code)
	}
	e.drain()
	if len(fake.Made()) != 1 {
		t.Fatalf("made %v after one approval", fake.Made())
	}
	code, body = call(t, srv, "GET", "/admin/approvals?state=all", apiToken, "")
	if code != 200 || !strings.Contains(string(body), `"state": "done"`) || !strings.Contains(string(body), `"state": "denied"`) {
		t.Fatalf("list all: %d %s", code, body)
	}
	if code, _ := call(t, srv, "GET", "/admin/approvals?state=weird", apiToken, ""); code != http.StatusBadRequest {
		t.Fatalf("bad state: %d", code)
	}

	// Journal as JSON lines, by finding.
	code, body = call(t, srv, "GET", "/admin/journal?finding="+first.Finding.ID(), apiToken, "")
	if code != 200 {
		t.Fatalf("journal: %d %s", code, body)
	}
	var decisions []remediate.Decision
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		var r remediate.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("journal line %q: %v", sc.Text(), err)
		}
		if r.FindingID != first.Finding.ID() {
			t.Fatalf("journal line for another finding: %s", sc.Text())
		}
		decisions = append(decisions, r.Decision)
	}
	want := "matched pending approved applying applied"
	var got []string
	for _, d := range decisions {
		got = append(got, string(d))
	}
	if strings.Join(got, " ") != want {
		t.Fatalf("journal decisions %v, want %s", got, want)
	}
	if code, _ := call(t, srv, "GET", "/admin/journal?since=yesterday", apiToken, ""); code != http.StatusBadRequest {
		t.Fatalf("bad since: %d", code)
	}

	// Kill switch.
	if code, body := call(t, srv, "POST", "/admin/kill-switch", apiToken, `{"engaged":true,"reason":"incident","actor":"oncall"}`); code != 200 || !strings.Contains(string(body), `"engaged": true`) {
		t.Fatalf("kill: %d %s", code, body)
	}
	if ks, _ := e.eng.KillSwitch(t.Context()); !ks.Engaged || ks.Actor != "oncall" {
		t.Fatalf("kill switch %+v", ks)
	}
	if code, _ := call(t, srv, "POST", "/admin/kill-switch", apiToken, `{}`); code != http.StatusBadRequest {
		t.Fatalf("kill without engaged: %d", code)
	}
	if code, body := call(t, srv, "POST", "/admin/kill-switch", apiToken, `{"engaged":false}`); code != 200 || !strings.Contains(string(body), `"engaged": false`) {
		t.Fatalf("resume: %d %s", code, body)
	}

	// Dead letters, stats, permissions.
	if code, body := call(t, srv, "GET", "/admin/dead-letters", apiToken, ""); code != 200 || !strings.Contains(string(body), `"dead_letters": []`) {
		t.Fatalf("dead letters: %d %s", code, body)
	}
	if code, _ := call(t, srv, "POST", "/admin/dead-letters/m-nope/replay", apiToken, ""); code != http.StatusNotFound {
		t.Fatalf("replay unknown: %d", code)
	}
	if code, body := call(t, srv, "GET", "/admin/stats", apiToken, ""); code != 200 || !strings.Contains(string(body), `"pending": 2`) {
		t.Fatalf("stats: %d %s", code, body)
	}
	if code, body := call(t, srv, "GET", "/admin/permissions", apiToken, ""); code != 200 || !strings.Contains(string(body), `"permissions": []`) {
		t.Fatalf("permissions: %d %s", code, body)
	}
	big := `{"actor":"` + strings.Repeat("a", 70<<10) + `"}`
	if code, _ := call(t, srv, "POST", "/admin/approvals/x/deny", apiToken, big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d", code)
	}
}

// FuzzHandler: whatever the request, the API never panics, answers 401
// without the token, and never fails with a 5xx with it.
func FuzzHandler(f *testing.F) {
	fake := &rt.Fake{ID: "mark"}
	e := newEnv(f, remediate.Options{Rules: []remediate.Rule{rule("r", "", fake, remediate.ModeApproval)}})
	e.accept(fixture(f, fxGuardDuty))
	e.drain()
	pending, err := e.eng.Approvals(context.Background())
	if err != nil || len(pending) != 1 {
		f.Fatalf("setup: %v %d", err, len(pending))
	}
	h, err := remediate.NewHandler(e.eng, remediate.HandlerOptions{Token: apiToken})
	if err != nil {
		f.Fatal(err)
	}
	id := pending[0].ID
	f.Add("GET", "/approvals", "Bearer "+apiToken, "")
	f.Add("POST", "/approvals/"+id+"/deny", "Bearer "+apiToken, `{"actor":"x"}`)
	f.Add("POST", "/approvals/"+id+"/approve", "bearer "+apiToken, `{"note":1}`)
	f.Add("GET", "/journal?limit=-1&after=x&decision=applied", "Bearer "+apiToken, "")
	f.Add("POST", "/kill-switch", "Bearer "+apiToken, `{"engaged":false}`)
	f.Add("POST", "/dead-letters/../x/replay", "Bearer "+apiToken, "")
	f.Add("GET", "/approvals", "Bearer wrong", "")
	f.Add("DELETE", "/stats", "", "{")
	f.Fuzz(func(t *testing.T, method, path, auth, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#%") || strings.ContainsAny(method, " \r\n\t/()<>@,;:\\\"[]?={}") || method == "" {
			return
		}
		if strings.Contains(body, `"engaged":true`) || strings.Contains(body, `"engaged": true`) {
			return // engaging the switch is a valid outcome but would make later inputs uninteresting
		}
		req, err := http.NewRequest(method, "http://x"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		authorized := strings.HasPrefix(strings.ToLower(auth), "bearer ") && strings.TrimSpace(auth[7:]) == apiToken
		if !authorized && rec.Code != http.StatusUnauthorized {
			t.Fatalf("%s %s with %q: %d without the token", method, path, auth, rec.Code)
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
	})
}
