package ticket_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/ticket"
)

const webhookSecret = "whsec-5ad7f0e4c3b2a1"

func TestWebhookLifecycle(t *testing.T) {
	fr := newFakeReceiver(t, 202)
	now := time.Unix(1770712000, 0)
	secret := ticket.NewSecret(webhookSecret)
	r, err := ticket.NewWebhook(ticket.WebhookOptions{
		Options: ticket.Options{MaxRetries: -1}, URL: fr.srv.URL + "/hooks/security?tenant=acme",
		SigningSecret: secret, BearerToken: ticket.NewSecret("receiver-token-123"), Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	f := guardDuty(t)
	key := r.Key(f)
	p := mustPlan(t, r, f)
	mustApply(t, r, p)
	if n := applied(t, mustApply(t, r, p)); n != 0 {
		t.Fatalf("second Apply made %d changes", n)
	}
	wantNotApplicable(t, r, f)
	calls := fr.Calls()
	wantCalls(t, calls, "POST /hooks/security?tenant=acme")
	c := calls[0]
	golden(t, "webhook-opened.json", c.Body)
	wantHeader(t, c,
		"Content-Type", "application/json",
		"Idempotency-Key", key+".opened.g1770711277512",
		"X-Ocsfhub-Event", "finding.opened",
		"X-Ocsfhub-Timestamp", "1770712000",
		"Authorization", "Bearer receiver-token-123")
	if err := ticket.VerifySignature(secret, c.Header.Get(ticket.HeaderTimestamp), c.Header.Get(ticket.HeaderSignature), []byte(c.Body), now, 0); err != nil {
		t.Fatalf("VerifySignature: %v", err)
	}
	if err := ticket.VerifySignature(secret, c.Header.Get(ticket.HeaderTimestamp), c.Header.Get(ticket.HeaderSignature), []byte(c.Body+" "), now, 0); !errors.Is(err, ticket.ErrBadSignature) {
		t.Fatalf("tampered body: %v", err)
	}
	if err := ticket.VerifySignature(secret, c.Header.Get(ticket.HeaderTimestamp), c.Header.Get(ticket.HeaderSignature), []byte(c.Body), now.Add(time.Hour), 0); !errors.Is(err, ticket.ErrStaleTimestamp) {
		t.Fatalf("replay: %v", err)
	}

	t1 := time.UnixMilli(1770711277512).UTC()
	g2 := generation(t, f, t1.Add(time.Hour), 1, "")
	mustApply(t, r, mustPlan(t, r, g2))
	g3 := generation(t, f, t1.Add(2*time.Hour), 4, "")
	p3 := mustPlan(t, r, g3)
	mustApply(t, r, p3)
	if n := applied(t, mustApply(t, r, p3)); n != 0 {
		t.Fatalf("second resolve made %d changes", n)
	}
	wantNotApplicable(t, r, g3)
	calls = fr.Calls()
	var types []string
	for _, c := range calls {
		var ev ticket.WebhookEvent
		if err := json.Unmarshal([]byte(c.Body), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Key != key || c.Header.Get(ticket.HeaderIdempotencyKey) != ev.ID {
			t.Errorf("event %+v", ev)
		}
		types = append(types, ev.Type)
	}
	if len(types) != 3 || types[0] != ticket.EventOpened || types[1] != ticket.EventUpdated || types[2] != ticket.EventResolved {
		t.Fatalf("events %v", types)
	}
}

func TestWebhookErrors(t *testing.T) {
	fr := newFakeReceiver(t, 200)
	r, err := ticket.NewWebhook(ticket.WebhookOptions{Options: ticket.Options{MaxRetries: -1}, URL: fr.srv.URL + "/in/T0KEN-abcdefghijkl"})
	if err != nil {
		t.Fatal(err)
	}
	p := mustPlan(t, r, guardDuty(t))
	fr.inject("POST /in/", fault{status: 503, body: "rejected at /in/T0KEN-abcdefghijkl"})
	_, err = r.Apply(t.Context(), p)
	te := wantClass(t, err, remediate.ClassTransient, 503)
	if te.Message != "rejected at [REDACTED]" {
		t.Errorf("message %q", te.Message)
	}
	noSecret(t, fmtAll(err), "T0KEN-abcdefghijkl")
	fr.inject("POST /in/", fault{status: 410, body: "gone"})
	_, err = r.Apply(t.Context(), p)
	wantClass(t, err, remediate.ClassPermanent, 410)
	mustApply(t, r, p)
	if n := len(fr.Calls()); n != 3 {
		t.Fatalf("%d calls", n)
	}
}

func TestVerifySignature(t *testing.T) {
	s := ticket.NewSecret(webhookSecret)
	now := time.Unix(1770712000, 0)
	body := []byte(`{"id":"x"}`)
	// Computed outside Go: HMAC-SHA256(secret, "1770712000.{\"id\":\"x\"}").
	const sig = "v1=1b23ae64593e40f836516583e17f8f8c06d603370ea63f7901ec40074b947db0"
	if err := ticket.VerifySignature(s, "1770712000", sig, body, now, 0); err != nil {
		t.Fatalf("known signature: %v", err)
	}
	// Several signatures while secrets rotate: any one may match.
	if err := ticket.VerifySignature(s, "1770712000", "v1=00, "+sig, body, now.Add(4*time.Minute), 0); err != nil {
		t.Fatalf("rotated signatures: %v", err)
	}
	for name, c := range map[string]struct {
		ts, sig string
		want    error
	}{
		"missing":       {"", "", ticket.ErrNoSignature},
		"bad timestamp": {"yesterday", "v1=00", ticket.ErrStaleTimestamp},
		"future":        {"1770713000", "v1=00", ticket.ErrStaleTimestamp},
		"wrong":         {"1770712000", "v1=00", ticket.ErrBadSignature},
		"other scheme":  {"1770712000", "v0=00", ticket.ErrBadSignature},
	} {
		if err := ticket.VerifySignature(s, c.ts, c.sig, body, now, 0); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	if err := ticket.VerifySignature(ticket.Secret{}, "1770712000", sig, body, now, 0); err == nil {
		t.Error("an empty secret verified")
	}
}
