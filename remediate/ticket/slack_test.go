package ticket_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/ticket"
)

const (
	slackToken   = "xoxb-1111111111-2222222222-AbCdEfGhIjKlMnOpQrStUvWx"
	slackChannel = "C0123456789"
)

func newSlackBot(t *testing.T, fs *fakeSlack, mod func(*ticket.SlackOptions)) *ticket.Remediator {
	t.Helper()
	opts := ticket.SlackOptions{
		Options:  ticket.Options{MaxRetries: -1},
		BotToken: ticket.NewSecret(slackToken), Channel: slackChannel, APIURL: fs.srv.URL + "/api",
	}
	if mod != nil {
		mod(&opts)
	}
	r, err := ticket.NewSlack(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSlackBotLifecycle(t *testing.T) {
	fs := newFakeSlack(t, slackToken, slackChannel)
	state := &memSettings{}
	r := newSlackBot(t, fs, func(o *ticket.SlackOptions) { o.State = state })
	f := guardDuty(t)
	key := r.Key(f)

	// Unknown to the state: the history is searched (empty channel).
	p := mustPlan(t, r, f)
	wantCalls(t, fs.Calls(), "GET /api/conversations.history?channel="+slackChannel+"&include_all_metadata=true&limit=100")
	wantHeader(t, fs.Calls()[0], "Authorization", "Bearer "+slackToken)
	fs.reset()
	mustApply(t, r, p)
	calls := fs.writes()
	wantCalls(t, calls, "POST /api/chat.postMessage")
	golden(t, "slack-post.json", calls[0].Body)
	wantHeader(t, calls[0], "Content-Type", "application/json; charset=utf-8", "Authorization", "Bearer "+slackToken)
	if n := applied(t, mustApply(t, r, p)); n != 0 {
		t.Fatalf("second Apply made %d changes", n)
	}
	wantNotApplicable(t, r, f)

	// A new generation edits the same message.
	t1 := time.UnixMilli(1770711277512).UTC()
	g2 := generation(t, f, t1.Add(time.Hour), 1, "")
	p2 := mustPlan(t, r, g2)
	fs.reset()
	mustApply(t, r, p2)
	calls = fs.writes()
	wantCalls(t, calls, "POST /api/chat.update")
	var upd struct {
		Channel, TS, Text string
		Metadata          struct {
			EventType    string            `json:"event_type"`
			EventPayload map[string]string `json:"event_payload"`
		}
	}
	if err := json.Unmarshal([]byte(calls[0].Body), &upd); err != nil {
		t.Fatal(err)
	}
	if upd.Channel != slackChannel || upd.TS != "1700000000.000001" || !strings.HasPrefix(upd.Text, "Updated: [LOW] GuardDuty") ||
		upd.Metadata.EventType != "ocsfhub_finding" || upd.Metadata.EventPayload["key"] != key ||
		upd.Metadata.EventPayload["gen"] != "g1770714877512" || upd.Metadata.EventPayload["state"] != "open" {
		t.Errorf("update body %s", calls[0].Body)
	}
	if n := applied(t, mustApply(t, r, p2)); n != 0 {
		t.Fatalf("second update made %d changes", n)
	}

	// A restart without the state finds the message in the history.
	r2 := newSlackBot(t, fs, nil)
	wantNotApplicable(t, r2, g2)

	// Resolved: the same message says so.
	g3 := generation(t, f, t1.Add(2*time.Hour), 4, "")
	p3 := mustPlan(t, r2, g3)
	fs.reset()
	mustApply(t, r2, p3)
	calls = fs.writes()
	wantCalls(t, calls, "POST /api/chat.update")
	golden(t, "slack-resolve.json", calls[0].Body)
	wantNotApplicable(t, r2, g3)
	msgs := fs.Messages()
	if len(msgs) != 1 || msgs[0].Edits != 2 {
		t.Fatalf("messages %+v", msgs)
	}
}

func TestSlackBotErrors(t *testing.T) {
	f := guardDuty(t)
	fs := newFakeSlack(t, slackToken, "C999")
	r := newSlackBot(t, fs, func(o *ticket.SlackOptions) { o.HistoryLimit = -1 })
	p := mustPlan(t, r, f)
	if len(fs.Calls()) != 0 {
		t.Fatal("HistoryLimit -1 searched the history")
	}
	_, err := r.Apply(t.Context(), p)
	te := wantClass(t, err, remediate.ClassPermanent, 200)
	if te.Code != "channel_not_found" {
		t.Errorf("code %q", te.Code)
	}
	fs = newFakeSlack(t, slackToken, slackChannel)
	r = newSlackBot(t, fs, nil)
	p = mustPlan(t, r, f)
	fs.inject("POST /api/chat.postMessage", fault{status: 429, retryAfter: "30"})
	_, err = r.Apply(t.Context(), p)
	te = wantClass(t, err, remediate.ClassTransient, 429)
	if te.RetryAfter != 30*time.Second {
		t.Errorf("RetryAfter %s", te.RetryAfter)
	}
	fs.inject("POST /api/chat.postMessage", fault{status: 200, body: `{"ok":false,"error":"internal_error"}`})
	_, err = r.Apply(t.Context(), p)
	wantClass(t, err, remediate.ClassTransient, 200)
	mustApply(t, r, p)

	bad := newFakeSlack(t, "xoxb-other", slackChannel)
	r = newSlackBot(t, bad, nil)
	_, err = r.Plan(t.Context(), f)
	wantClass(t, err, remediate.ClassPermanent, 200)
	noSecret(t, fmtAll(err), slackToken)
}

func TestSlackIncomingWebhook(t *testing.T) {
	fs := newFakeSlack(t, slackToken, slackChannel)
	hook := fs.srv.URL + slackHookPath
	r, err := ticket.NewSlack(ticket.SlackOptions{WebhookURL: ticket.NewSecret(hook)})
	if err != nil {
		t.Fatal(err)
	}
	f := guardDuty(t)
	p := mustPlan(t, r, f)
	mustApply(t, r, p)
	if n := applied(t, mustApply(t, r, p)); n != 0 {
		t.Fatalf("second Apply made %d changes", n)
	}
	posts := fs.WebhookPosts()
	if len(posts) != 1 {
		t.Fatalf("%d posts", len(posts))
	}
	golden(t, "slack-webhook.json", posts[0])
	// Webhook messages cannot be edited: a new generation posts nothing.
	t1 := time.UnixMilli(1770711277512).UTC()
	wantNotApplicable(t, r, generation(t, f, t1.Add(time.Hour), 1, ""))
	// Resolution posts once.
	g3 := generation(t, f, t1.Add(2*time.Hour), 4, "")
	mustApply(t, r, mustPlan(t, r, g3))
	wantNotApplicable(t, r, g3)
	if posts = fs.WebhookPosts(); len(posts) != 2 || !strings.Contains(posts[1], `"text":"Resolved: [LOW] GuardDuty`) {
		t.Fatalf("posts %v", posts)
	}

	// With NotifyUpdates, each new generation is posted.
	ru, err := ticket.NewSlack(ticket.SlackOptions{WebhookURL: ticket.NewSecret(hook), NotifyUpdates: true})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, ru, mustPlan(t, ru, f))
	g2 := generation(t, f, t1.Add(time.Hour), 1, "")
	mustApply(t, ru, mustPlan(t, ru, g2))
	wantNotApplicable(t, ru, g2)
	if posts = fs.WebhookPosts(); len(posts) != 4 || !strings.Contains(posts[3], `"text":"Updated: `) {
		t.Fatalf("posts %v", posts)
	}

	// The webhook URL is the secret: never in errors.
	fs.inject("POST "+slackHookPath, fault{status: 404, body: "no_service"})
	r3, _ := ticket.NewSlack(ticket.SlackOptions{WebhookURL: ticket.NewSecret(hook), Options: ticket.Options{Name: "slack-3"}})
	_, err = r3.Apply(t.Context(), mustPlan(t, r3, f))
	te := wantClass(t, err, remediate.ClassPermanent, 404)
	if te.Message != "no_service" {
		t.Errorf("message %q", te.Message)
	}
	noSecret(t, fmtAll(err), slackHookPath, "XXXXXXXXXXXXXXXXXXXXXXXX")
	fs.srv.Close()
	_, err = r3.Apply(t.Context(), mustPlan(t, r3, f))
	wantClass(t, err, remediate.ClassTransient, 0)
	noSecret(t, fmtAll(err), slackHookPath, "XXXXXXXXXXXXXXXXXXXXXXXX")

	for name, o := range map[string]ticket.SlackOptions{
		"none":       {},
		"both":       {WebhookURL: ticket.NewSecret(hook), BotToken: ticket.NewSecret(slackToken), Channel: slackChannel},
		"no channel": {BotToken: ticket.NewSecret(slackToken)},
		"bad url":    {WebhookURL: ticket.NewSecret("hooks.slack.com/services/x")},
	} {
		_, err := ticket.NewSlack(o)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		noSecret(t, err.Error(), slackToken, "hooks.slack.com/services/x")
	}
}
