package ticket_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/ticket"
)

const (
	snUser     = "svc-ocsfhub"
	snPassword = "sn-Pa55w0rd-9f8e7d"
)

var snBasic = "Basic " + base64.StdEncoding.EncodeToString([]byte(snUser+":"+snPassword))

func newServiceNow(t *testing.T, fs *fakeServiceNow, mod func(*ticket.ServiceNowOptions)) *ticket.Remediator {
	t.Helper()
	opts := ticket.ServiceNowOptions{
		Options:  ticket.Options{MaxRetries: -1},
		BaseURL:  fs.URL(),
		Username: snUser, Password: ticket.NewSecret(snPassword),
		Fields: map[string]string{"category": "security", "assignment_group": "d625dccec0a8016700a222a0f7900d06"},
	}
	if mod != nil {
		mod(&opts)
	}
	r, err := ticket.NewServiceNow(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestServiceNowLifecycle(t *testing.T) {
	fs := newFakeServiceNow(t, snBasic)
	r := newServiceNow(t, fs, nil)
	f := guardDuty(t)
	key := r.Key(f)
	query := "GET /api/now/table/incident?sysparm_fields=sys_id,number,state,description&sysparm_limit=1&sysparm_query=correlation_id=" +
		key + "^stateNOT IN6,7,8^ORDERBYDESCsys_created_on"

	p := mustPlan(t, r, f)
	wantCalls(t, fs.Calls(), query)
	wantHeader(t, fs.Calls()[0], "Authorization", snBasic, "Accept", "application/json")
	if len(p.Changes) != 1 || p.Changes[0].Action != "servicenow:CreateRecord" {
		t.Fatalf("plan %s", p)
	}
	fs.reset()
	res := mustApply(t, r, p)
	if res.Applied() != 1 || res.Summary != "ticket: created ServiceNow record INC0000001" {
		t.Fatalf("result %+v", res)
	}
	calls := fs.Calls()
	wantCalls(t, calls, query, "POST /api/now/table/incident?sysparm_fields=sys_id,number,state,description")
	golden(t, "servicenow-create.json", calls[1].Body)
	wantHeader(t, calls[1], "Content-Type", "application/json", "Authorization", snBasic)

	fs.reset()
	if n := applied(t, mustApply(t, r, p)); n != 0 {
		t.Fatalf("second Apply made %d changes", n)
	}
	wantCalls(t, fs.Calls(), "GET /api/now/table/incident/00000000000000000000000000000001?sysparm_fields=sys_id,number,state,description")
	wantNotApplicable(t, r, f)

	// A new generation: one work note.
	t1 := time.UnixMilli(1770711277512).UTC()
	g2 := generation(t, f, t1.Add(time.Hour), 2, "investigating")
	p2 := mustPlan(t, r, g2)
	if len(p2.Changes) != 1 || p2.Changes[0].Action != "servicenow:AddWorkNote" {
		t.Fatalf("plan %s", p2)
	}
	fs.reset()
	mustApply(t, r, p2)
	calls = fs.writes()
	wantCalls(t, calls, "PATCH /api/now/table/incident/00000000000000000000000000000001?sysparm_fields=sys_id,number,state,description")
	want := `{"work_notes":"The finding was updated (last modified 2026-02-10T09:14:37Z).\n\nSeverity: Low\nStatus: In Progress\n\nSecurity Hub comment: investigating\n\nref: [` + key + ` g1770714877512]"}`
	if calls[0].Body != want {
		t.Errorf("work note body:\n got %s\nwant %s", calls[0].Body, want)
	}
	if n := applied(t, mustApply(t, r, p2)); n != 0 {
		t.Fatalf("second work note Apply made %d changes", n)
	}
	wantNotApplicable(t, r, g2)

	// Resolved.
	g3 := generation(t, f, t1.Add(2*time.Hour), 4, "fixed")
	p3 := mustPlan(t, r, g3)
	fs.reset()
	mustApply(t, r, p3)
	calls = fs.writes()
	wantCalls(t, calls, "PATCH /api/now/table/incident/00000000000000000000000000000001?sysparm_fields=sys_id,number,state,description")
	want = `{"close_code":"Solution provided","close_notes":"The finding is now Resolved; resolving.\n\nSecurity Hub comment: fixed\n\nref: [` + key + ` resolved g1770718477512]","state":"6"}`
	if calls[0].Body != want {
		t.Errorf("resolve body:\n got %s\nwant %s", calls[0].Body, want)
	}
	if n := applied(t, mustApply(t, r, p3)); n != 0 {
		t.Fatalf("second resolve Apply made %d changes", n)
	}
	wantNotApplicable(t, r, g3)
	recs := fs.Records()
	if len(recs) != 1 || recs[0].State != "6" || len(recs[0].WorkNotes) != 1 || recs[0].Fields["close_code"] != "Solution provided" {
		t.Fatalf("records %+v", recs)
	}
}

// Without state, the journal check keeps work notes from repeating.
func TestServiceNowJournalCheck(t *testing.T) {
	fs := newFakeServiceNow(t, snBasic)
	f := guardDuty(t)
	r := newServiceNow(t, fs, func(o *ticket.ServiceNowOptions) { o.JournalCheck = true })
	mustApply(t, r, mustPlan(t, r, f))
	g2 := generation(t, f, time.UnixMilli(1770711277512).Add(time.Hour), 1, "")
	mustApply(t, r, mustPlan(t, r, g2))
	// A restarted process with an empty state.
	r2 := newServiceNow(t, fs, func(o *ticket.ServiceNowOptions) { o.JournalCheck = true })
	fs.reset()
	wantNotApplicable(t, r2, g2)
	calls := fs.Calls()
	if len(calls) != 2 || !strings.HasPrefix(calls[1].Path, "/api/now/table/sys_journal_field?sysparm_fields=sys_id&sysparm_limit=1&sysparm_query=element_id=00000000000000000000000000000001^element=work_notes^valueLIKE[") {
		t.Fatalf("calls %v", calls)
	}
	if n := len(fs.Records()[0].WorkNotes); n != 1 {
		t.Fatalf("%d work notes", n)
	}
}

func TestServiceNowErrors(t *testing.T) {
	f := guardDuty(t)
	t.Run("unauthorized", func(t *testing.T) {
		fs := newFakeServiceNow(t, "Basic other")
		r := newServiceNow(t, fs, nil)
		_, err := r.Plan(t.Context(), f)
		te := wantClass(t, err, remediate.ClassPermanent, 401)
		if te.Message != "User Not Authenticated: Required to provide Auth information" {
			t.Errorf("message %q", te.Message)
		}
		noSecret(t, fmtAll(err), snPassword, strings.TrimPrefix(snBasic, "Basic "))
	})
	t.Run("server error then success", func(t *testing.T) {
		fs := newFakeServiceNow(t, snBasic)
		r := newServiceNow(t, fs, nil)
		p := mustPlan(t, r, f)
		fs.inject("POST /api/now/table/incident", fault{status: 500, body: `{"error":{"message":"Transaction cancelled","detail":"maximum execution time exceeded"},"status":"failure"}`})
		_, err := r.Apply(t.Context(), p)
		wantClass(t, err, remediate.ClassTransient, 500)
		mustApply(t, r, p)
		if n := len(fs.Records()); n != 1 {
			t.Fatalf("%d records", n)
		}
	})
	t.Run("record deleted", func(t *testing.T) {
		fs := newFakeServiceNow(t, snBasic)
		r := newServiceNow(t, fs, nil)
		mustApply(t, r, mustPlan(t, r, f))
		p := mustPlan(t, r, generation(t, f, time.Now(), 1, ""))
		fs.mu.Lock()
		fs.records = nil
		fs.mu.Unlock()
		_, err := r.Apply(t.Context(), p)
		wantClass(t, err, remediate.ClassPermanent, 404)
	})
}

func TestServiceNowConfig(t *testing.T) {
	ok := ticket.ServiceNowOptions{BaseURL: "https://example.service-now.com", Username: snUser, Password: ticket.NewSecret(snPassword)}
	for name, mod := range map[string]func(*ticket.ServiceNowOptions){
		"no url":      func(o *ticket.ServiceNowOptions) { o.BaseURL = "" },
		"no password": func(o *ticket.ServiceNowOptions) { o.Password = ticket.Secret{} },
		"no user":     func(o *ticket.ServiceNowOptions) { o.Username = "" },
		"both":        func(o *ticket.ServiceNowOptions) { o.BearerToken = ticket.NewSecret("t") },
		"bad table":   func(o *ticket.ServiceNowOptions) { o.Table = "incident/../x" },
		"clash":       func(o *ticket.ServiceNowOptions) { o.Fields = map[string]string{"correlation_id": "x"} },
	} {
		o := ok
		mod(&o)
		if _, err := ticket.NewServiceNow(o); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			noSecret(t, err.Error(), snPassword)
		}
	}
	fs := newFakeServiceNow(t, "Bearer sn-oauth-token")
	r, err := ticket.NewServiceNow(ticket.ServiceNowOptions{BaseURL: fs.URL(), BearerToken: ticket.NewSecret("sn-oauth-token")})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, r, mustPlan(t, r, guardDuty(t)))
	if fs.Records()[0].Fields["impact"] != "3" || fs.Records()[0].Fields["urgency"] != "2" {
		t.Errorf("impact/urgency of a Low finding: %v", fs.Records()[0].Fields)
	}
}
