package ticket_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/ticket"
)

const pdRoutingKey = "R0UT1NGKEY0123456789abcdefABCDEF"

func newPagerDuty(t *testing.T, fp *fakePagerDuty, mod func(*ticket.PagerDutyOptions)) *ticket.Remediator {
	t.Helper()
	opts := ticket.PagerDutyOptions{
		Options:    ticket.Options{MaxRetries: -1},
		RoutingKey: ticket.NewSecret(pdRoutingKey), BaseURL: fp.URL(), Acknowledge: true,
	}
	if mod != nil {
		mod(&opts)
	}
	r, err := ticket.NewPagerDuty(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPagerDutyLifecycle(t *testing.T) {
	fp := newFakePagerDuty(t, pdRoutingKey)
	r := newPagerDuty(t, fp, nil)
	f := guardDuty(t)
	key := r.Key(f)

	p := mustPlan(t, r, f)
	if len(fp.Calls()) != 0 {
		t.Fatal("Plan sent events")
	}
	if strings.Contains(string(p.Changes[0].Params), pdRoutingKey) {
		t.Fatal("the plan holds the routing key")
	}
	if n := applied(t, mustApply(t, r, p)); n != 1 {
		t.Fatalf("Apply made %d changes", n)
	}
	calls := fp.Calls()
	wantCalls(t, calls, "POST /v2/enqueue")
	golden(t, "pagerduty-trigger.json", calls[0].Body)
	wantHeader(t, calls[0], "Content-Type", "application/json", "Accept", "application/json")
	if n := applied(t, mustApply(t, r, p)); n != 0 || len(fp.Calls()) != 1 {
		t.Fatalf("second Apply made %d changes, sent %d events", n, len(fp.Calls()))
	}
	wantNotApplicable(t, r, f)

	// An analyst takes it: acknowledge (the trigger for the new generation
	// goes first, PagerDuty folds it into the open alert).
	t1 := time.UnixMilli(1770711277512).UTC()
	g2 := generation(t, f, t1.Add(time.Hour), 2, "looking")
	p2 := mustPlan(t, r, g2)
	if len(p2.Changes) != 2 || p2.Changes[0].ID != "trigger" || p2.Changes[1].ID != "acknowledge" {
		t.Fatalf("plan %s", p2)
	}
	fp.reset()
	mustApply(t, r, p2)
	calls = fp.Calls()
	if len(calls) != 2 || calls[1].Body != `{"routing_key":"`+pdRoutingKey+`","event_action":"acknowledge","dedup_key":"`+key+`"}` {
		t.Fatalf("calls %v", calls)
	}
	// The engine's own In Progress is not an acknowledgement.
	g3 := generation(t, f, t1.Add(2*time.Hour), 2, "[ocsfhub plan=p-1] In progress (ec2-isolate): isolate")
	if p3 := mustPlan(t, r, g3); len(p3.Changes) != 1 || p3.Changes[0].ID != "trigger" {
		t.Fatalf("plan %s", p3)
	}

	// Resolved.
	g4 := generation(t, f, t1.Add(3*time.Hour), 4, "")
	p4 := mustPlan(t, r, g4)
	fp.reset()
	mustApply(t, r, p4)
	calls = fp.Calls()
	if len(calls) != 1 || calls[0].Body != `{"routing_key":"`+pdRoutingKey+`","event_action":"resolve","dedup_key":"`+key+`"}` {
		t.Fatalf("calls %v", calls)
	}
	if n := applied(t, mustApply(t, r, p4)); n != 0 {
		t.Fatalf("second resolve made %d changes", n)
	}
	wantNotApplicable(t, r, g4)
	// A stale trigger plan applied after the resolve does not reopen.
	if n := applied(t, mustApply(t, r, p)); n != 0 {
		t.Fatalf("stale trigger made %d changes", n)
	}
	alerts := fp.Alerts()
	if len(alerts) != 1 || alerts[0].Open || !alerts[0].Acked || alerts[0].Events != 4 {
		t.Fatalf("alerts %+v", alerts)
	}
}

func TestPagerDutyErrors(t *testing.T) {
	f := guardDuty(t)
	fp := newFakePagerDuty(t, "another-key-000000000000000000000")
	r := newPagerDuty(t, fp, nil)
	_, err := r.Apply(t.Context(), mustPlan(t, r, f))
	te := wantClass(t, err, remediate.ClassPermanent, 400)
	if te.Code != "invalid event" || te.Message != "Event object is invalid: 'routing_key' is invalid" {
		t.Errorf("error %+v", te)
	}
	noSecret(t, fmtAll(err), pdRoutingKey)

	fp = newFakePagerDuty(t, pdRoutingKey)
	r = newPagerDuty(t, fp, nil)
	p := mustPlan(t, r, f)
	fp.inject("POST /v2/enqueue", fault{status: 429, body: `{"status":"throttle event","message":"Requests for this service are arriving too quickly.  Please retry later."}`})
	_, err = r.Apply(t.Context(), p)
	wantClass(t, err, remediate.ClassTransient, 429)
	fp.inject("POST /v2/enqueue", fault{status: 502, body: "Bad Gateway"})
	_, err = r.Apply(t.Context(), p)
	wantClass(t, err, remediate.ClassTransient, 502)
	mustApply(t, r, p)
	if a := fp.Alerts(); len(a) != 1 {
		t.Fatalf("alerts %+v", a)
	}
	if _, err := ticket.NewPagerDuty(ticket.PagerDutyOptions{}); err == nil {
		t.Fatal("no routing key accepted")
	}
}
