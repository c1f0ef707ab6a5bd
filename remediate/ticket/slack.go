package ticket

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ocsfhub/ocsfhub/remediate"
)

// SlackOptions configure [NewSlack]. Set BotToken and Channel (the Web API:
// one message per finding, edited in place) or WebhookURL (an incoming
// webhook: post only).
type SlackOptions struct {
	Options
	// BotToken is a bot token ("xoxb-…") with the chat:write scope, and
	// channels:history (or groups:history) to find messages after a restart
	// without durable state.
	BotToken Secret
	// Channel is the channel ID ("C0123456789") messages go to.
	Channel string
	// APIURL is the Web API base (default "https://slack.com/api").
	APIURL string
	// HistoryLimit is how many recent channel messages are searched for the
	// finding's message when the state does not know it (default 100; at
	// most 1000; negative: never search). Slack rate-limits
	// conversations.history heavily for apps outside the Marketplace; a
	// durable [Options.State] avoids the search.
	HistoryLimit int

	// WebhookURL is an incoming webhook URL
	// ("https://hooks.slack.com/services/…"). The URL is the credential.
	WebhookURL Secret
	// NotifyUpdates, with WebhookURL, posts a message for every new
	// generation of an open finding; by default only the first sighting and
	// the resolution are posted, since a webhook message cannot be edited.
	NotifyUpdates bool
}

// NewSlack returns a remediator that notifies a Slack channel about
// findings.
//
// With a bot token it keeps one message per finding: chat.postMessage
// posts it with message metadata (event type "ocsfhub_finding", payload
// key, generation and state), and chat.update edits that same message for
// each new generation and on resolution, so the channel holds one line per
// finding, never a duplicate. The message's ts is kept in the state; when the
// state does not know it, the channel history is searched for the metadata.
//
// Incoming webhooks cannot edit what they posted (they return only "ok"),
// so with WebhookURL the remediator posts when a finding is first seen and
// when it is resolved, and remembers what it posted in the state; set
// NotifyUpdates to also post each new generation.
func NewSlack(opts SlackOptions) (*Remediator, error) {
	const sys = "slack"
	o, err := opts.Options.withDefaults(sys)
	if err != nil {
		return nil, err
	}
	s := &slack{notifyUpdates: opts.NotifyUpdates}
	switch {
	case !opts.BotToken.IsZero() && !opts.WebhookURL.IsZero():
		return nil, configErr(sys, "set BotToken or WebhookURL, not both")
	case !opts.BotToken.IsZero():
		if !validID(opts.Channel) {
			return nil, configErr(sys, "Channel must be a channel ID with BotToken")
		}
		if opts.APIURL == "" {
			opts.APIURL = "https://slack.com/api"
		}
		base, err := parseBaseURL(sys, "APIURL", opts.APIURL)
		if err != nil {
			return nil, err
		}
		s.api, s.token, s.channel = base.String(), opts.BotToken, opts.Channel
		s.history = opts.HistoryLimit
		switch {
		case s.history == 0:
			s.history = 100
		case s.history > 1000:
			s.history = 1000
		}
		s.c = newHTTPClient(sys, o, opts.BotToken.Reveal())
	case !opts.WebhookURL.IsZero():
		u, err := parseEndpoint(sys, "WebhookURL", opts.WebhookURL.Reveal())
		if err != nil {
			return nil, err
		}
		s.webhookURL = opts.WebhookURL
		secrets := []string{opts.WebhookURL.Reveal()}
		if len(u.Path) >= 12 {
			secrets = append(secrets, u.Path)
		}
		s.c = newHTTPClient(sys, o, secrets...)
		s.c.hideURL = true
	default:
		return nil, configErr(sys, "BotToken (with Channel) or WebhookURL is required")
	}
	return newRemediator(o, s), nil
}

type slack struct {
	c *httpClient
	// Web API
	api     string
	token   Secret
	channel string
	history int
	// incoming webhook
	webhookURL    Secret
	notifyUpdates bool
}

func (s *slack) system() string { return "slack" }

const slackEventType = "ocsfhub_finding"

// slackMessage is a chat.postMessage / chat.update body (and, without
// channel, ts and metadata, an incoming webhook body).
type slackMessage struct {
	Channel     string         `json:"channel,omitempty"`
	TS          string         `json:"ts,omitempty"`
	Text        string         `json:"text"`
	Blocks      []slackBlock   `json:"blocks"`
	Metadata    *slackMetadata `json:"metadata,omitempty"`
	UnfurlLinks *bool          `json:"unfurl_links,omitempty"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackMetadata struct {
	EventType    string       `json:"event_type"`
	EventPayload slackPayload `json:"event_payload"`
}

type slackPayload struct {
	Key   string `json:"key"`
	Gen   string `json:"gen"`
	State string `json:"state"`
}

// mrkdwn escapes text for Slack's mrkdwn.
func mrkdwn(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackRender renders a finding: headline is "" (a new finding), "Updated"
// or "Resolved".
func slackRender(v *view, headline string) (string, []slackBlock) {
	title := v.title()
	text := title
	if headline != "" {
		text = headline + ": " + title
	}
	var b strings.Builder
	if headline != "" {
		b.WriteString("*" + headline + ":* ")
	}
	b.WriteString("*" + mrkdwn(title) + "*")
	var blk *block
	switch headline {
	case "Resolved":
		blk = v.resolveBlock()
	default:
		blk = v.descriptionBlock()
	}
	for _, p := range blk.Parts {
		switch {
		case p.Fields != nil:
			for _, f := range p.Fields {
				b.WriteString("\n*" + mrkdwn(f[0]) + ":* " + mrkdwn(f[1]))
			}
		case p.Items != nil:
			b.WriteString("\n*" + mrkdwn(p.Title) + ":*")
			for _, it := range p.Items {
				b.WriteString("\n• " + mrkdwn(it))
			}
		default:
			b.WriteString("\n" + mrkdwn(oneLine(p.Text, 1000)))
		}
	}
	if v.URL != "" && !strings.ContainsAny(v.URL, "<>|") {
		b.WriteString("\n<" + v.URL + "|Open the finding>")
	}
	blocks := []slackBlock{
		{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(b.String(), 3000)}},
		{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: mrkdwn("ref: " + blk.Marker)}}},
	}
	return truncate(text, 3000), blocks
}

func (s *slack) message(v *view, state, headline string) slackMessage {
	text, blocks := slackRender(v, headline)
	m := slackMessage{Text: text, Blocks: blocks}
	if s.api != "" {
		no := false
		m.Channel = s.channel
		m.UnfurlLinks = &no
		m.Metadata = &slackMetadata{EventType: slackEventType, EventPayload: slackPayload{Key: v.Key, Gen: v.Gen, State: state}}
	}
	return m
}

// slackRef is the finding's message as last known.
type slackRef struct {
	TS      string
	Channel string
	Gen     string
	State   string
}

// find returns the finding's message from the state, else from the channel
// history; nil when there is none.
func (s *slack) find(ctx context.Context, r *Remediator, key string) (*slackRef, error) {
	e, ok, err := r.loadEntry(ctx, key)
	if err != nil {
		return nil, err
	}
	if ok && e.Ticket != "" {
		ref := &slackRef{TS: e.Ticket, Channel: e.Channel, State: e.State}
		if n := len(e.Gens); n > 0 {
			ref.Gen = e.Gens[n-1]
		}
		return ref, nil
	}
	if s.history <= 0 {
		return nil, nil
	}
	cursor := ""
	for seen := 0; seen < s.history; {
		limit := min(200, s.history-seen)
		q := url.Values{"channel": {s.channel}, "limit": {strconv.Itoa(limit)}, "include_all_metadata": {"true"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		body, err := s.callAPI(ctx, "search history", http.MethodGet, "conversations.history", q, nil)
		if err != nil {
			return nil, err
		}
		page, err := parseSlackHistory(body)
		if err != nil {
			return nil, badResponse("slack", "search history", err.Error())
		}
		for _, m := range page.Messages {
			md := m.Metadata
			if md != nil && md.EventType == slackEventType && md.EventPayload.Key == key && validID(m.TS) {
				return &slackRef{TS: m.TS, Channel: s.channel, Gen: md.EventPayload.Gen, State: md.EventPayload.State}, nil
			}
		}
		seen += max(len(page.Messages), 1)
		cursor = page.ResponseMetadata.NextCursor
		if !page.HasMore || cursor == "" {
			break
		}
	}
	return nil, nil
}

type slackHistory struct {
	Messages []struct {
		TS       string         `json:"ts"`
		Metadata *slackMetadata `json:"metadata"`
	} `json:"messages"`
	HasMore          bool `json:"has_more"`
	ResponseMetadata struct {
		NextCursor string `json:"next_cursor"`
	} `json:"response_metadata"`
}

func parseSlackHistory(b []byte) (*slackHistory, error) {
	var h slackHistory
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, errors.New("history is not JSON")
	}
	return &h, nil
}

// callAPI calls a Web API method and returns the body of an {"ok": true}
// answer; {"ok": false} is an *Error with Slack's error code.
func (s *slack) callAPI(ctx context.Context, op, method, apiMethod string, q url.Values, body []byte) ([]byte, error) {
	u := s.api + "/" + apiMethod
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+s.token.Reveal())
	if body != nil {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := s.c.do(ctx, request{op: op, method: method, url: u, header: h, body: body})
	if err != nil {
		return nil, err
	}
	var ok struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(resp.body, &ok); err != nil {
		return nil, badResponse("slack", op, "not JSON")
	}
	if !ok.OK {
		code := excerpt(s.c.scrub(ok.Error))
		if code == "" {
			code = "unknown_error"
		}
		return nil, s.c.apiError(op, resp.status, code, "", slackErrorClass(ok.Error))
	}
	return resp.body, nil
}

// slackErrorClass classifies a Web API error code.
func slackErrorClass(code string) remediate.ErrorClass {
	switch code {
	case "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
		"request_timeout", "team_added_to_org":
		return remediate.ClassTransient
	}
	return remediate.ClassPermanent
}

func (s *slack) plan(ctx context.Context, r *Remediator, v *view, in intent) (*planned, error) {
	if s.api == "" {
		return s.planWebhook(ctx, r, v, in)
	}
	m, err := s.find(ctx, r, v.Key)
	if err != nil {
		return nil, err
	}
	pl := &planned{data: planData{System: "slack", Key: v.Key, Gen: v.Gen, Intent: in, Channel: s.channel}}
	if in == intentResolve {
		if m == nil || m.State == "resolved" {
			return nil, r.notApplicable("no open Slack message for finding %s", v.Key)
		}
		pl.data.Ticket, pl.data.Channel = m.TS, m.Channel
		msg := s.message(v, "resolved", "Resolved")
		msg.Channel, msg.TS = m.Channel, m.TS
		c, err := change("update", "slack:UpdateMessage", m.Channel+"/"+m.TS, "mark the message of finding "+v.Key+" resolved", msg)
		if err != nil {
			return nil, err
		}
		pl.changes, pl.summary = []remediate.Change{c}, "mark the Slack message "+m.TS+" resolved"
		return pl, nil
	}
	if m == nil || m.State == "resolved" {
		c, err := change("post", "slack:PostMessage", s.channel, "post a message about finding "+v.Key+" to "+s.channel,
			s.message(v, "open", ""))
		if err != nil {
			return nil, err
		}
		pl.changes, pl.summary = []remediate.Change{c}, "post a Slack message to "+s.channel
		return pl, nil
	}
	if m.Gen == v.Gen {
		return nil, r.notApplicable("the Slack message of finding %s already shows generation %s", v.Key, v.Gen)
	}
	pl.data.Ticket, pl.data.Channel = m.TS, m.Channel
	msg := s.message(v, "open", "Updated")
	msg.Channel, msg.TS = m.Channel, m.TS
	c, err := change("update", "slack:UpdateMessage", m.Channel+"/"+m.TS, "update the message of finding "+v.Key, msg)
	if err != nil {
		return nil, err
	}
	pl.changes, pl.summary = []remediate.Change{c}, "update the Slack message "+m.TS
	return pl, nil
}

func (s *slack) apply(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	if c.Action == "slack:PostWebhook" {
		return s.applyWebhook(ctx, r, d, c)
	}
	if s.api == "" {
		return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: slack: plan was made for the Web API, the remediator uses a webhook"))
	}
	var msg slackMessage
	if err := json.Unmarshal(c.Params, &msg); err != nil || msg.Metadata == nil || msg.Metadata.EventPayload.Key != d.Key {
		return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: slack: change " + c.ID + " carries no message for the plan's key"))
	}
	want := msg.Metadata.EventPayload
	m, err := s.find(ctx, r, d.Key)
	if err != nil {
		return remediate.Outcome{}, err
	}
	if m != nil && m.Gen == want.Gen && m.State == want.State {
		d.Ticket, d.Channel = m.TS, m.Channel
		return remediate.Outcome{Status: remediate.OutcomeAlreadyDone, Detail: "Slack message " + m.TS + " is up to date"}, nil
	}
	switch c.Action {
	case "slack:PostMessage":
		if m != nil && m.State != "resolved" {
			// Someone (another process) posted meanwhile: do not duplicate.
			d.Ticket, d.Channel = m.TS, m.Channel
			return remediate.Outcome{Status: remediate.OutcomeSkipped, Detail: "Slack message " + m.TS + " was posted meanwhile"}, nil
		}
		body, err := s.callAPI(ctx, "post message", http.MethodPost, "chat.postMessage", nil, c.Params)
		if err != nil {
			return remediate.Outcome{}, err
		}
		var posted struct {
			Channel string `json:"channel"`
			TS      string `json:"ts"`
		}
		if json.Unmarshal(body, &posted) != nil || !validID(posted.TS) || !validID(posted.Channel) {
			return remediate.Outcome{}, badResponse("slack", "post message", "no ts")
		}
		d.Ticket, d.Channel = posted.TS, posted.Channel
		if err := r.saveEntry(ctx, d.Key, entry{Ticket: posted.TS, Channel: posted.Channel, State: want.State, Gens: []string{want.Gen}}); err != nil {
			return remediate.Outcome{}, err
		}
		r.log.Info("ticket: Slack message posted", "remediator", r.name, "ts", posted.TS, "key", d.Key)
		return remediate.Outcome{Status: remediate.OutcomeApplied, Detail: "posted Slack message " + posted.TS}, nil
	case "slack:UpdateMessage":
		if !validID(msg.TS) || !validID(msg.Channel) {
			return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: slack: change " + c.ID + " names no message"))
		}
		if _, err := s.callAPI(ctx, "update message", http.MethodPost, "chat.update", nil, c.Params); err != nil {
			var te *Error
			if errors.As(err, &te) && te.Code == "message_not_found" {
				// Deleted in Slack: forget it, so the next generation posts anew.
				_ = r.saveEntry(ctx, d.Key, entry{})
			}
			return remediate.Outcome{}, err
		}
		e := entry{Ticket: msg.TS, Channel: msg.Channel, State: want.State}
		if old, ok, err := r.loadEntry(ctx, d.Key); err == nil && ok && old.Ticket == msg.TS {
			e.Gens = old.Gens
		}
		e.Gens = slices.DeleteFunc(e.Gens, func(g string) bool { return g == want.Gen })
		e.addGen(want.Gen)
		if err := r.saveEntry(ctx, d.Key, e); err != nil {
			return remediate.Outcome{}, err
		}
		return remediate.Outcome{Status: remediate.OutcomeApplied, Detail: "updated Slack message " + msg.TS}, nil
	}
	return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: slack: unknown change action " + c.Action))
}

// planWebhook plans an incoming-webhook post: the first sighting, the
// resolution, and (with NotifyUpdates) each new generation.
func (s *slack) planWebhook(ctx context.Context, r *Remediator, v *view, in intent) (*planned, error) {
	e, _, err := r.loadEntry(ctx, v.Key)
	if err != nil {
		return nil, err
	}
	var kind, headline string
	switch {
	case in == intentResolve && e.State != "open":
		return nil, r.notApplicable("no open Slack notification for finding %s", v.Key)
	case in == intentResolve:
		kind, headline = "resolved", "Resolved"
	case e.State != "open":
		kind = "opened"
	case s.notifyUpdates && !e.hasSent("opened/"+v.Gen) && !e.hasSent("updated/"+v.Gen):
		kind, headline = "updated", "Updated"
	default:
		return nil, r.notApplicable("finding %s was already posted to Slack", v.Key)
	}
	text, blocks := slackRender(v, headline)
	c, err := change(kind, "slack:PostWebhook", "incoming-webhook", "post "+kind+" for finding "+v.Key,
		slackMessage{Text: text, Blocks: blocks})
	if err != nil {
		return nil, err
	}
	return &planned{summary: "post " + kind + " to the Slack webhook", changes: []remediate.Change{c},
		data: planData{System: "slack", Key: v.Key, Gen: v.Gen, Intent: in}}, nil
}

func (s *slack) applyWebhook(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	if s.webhookURL.IsZero() {
		return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: slack: plan was made for a webhook, the remediator uses the Web API"))
	}
	kind := c.ID
	switch kind {
	case "opened", "updated", "resolved":
	default:
		return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: slack: unknown webhook change " + c.ID))
	}
	if !json.Valid(c.Params) {
		return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: slack: change " + c.ID + " carries no message"))
	}
	sent := kind + "/" + d.Gen
	e, _, err := r.loadEntry(ctx, d.Key)
	if err != nil {
		return remediate.Outcome{}, err
	}
	if e.hasSent(sent) && (kind != "resolved" || e.State == "resolved") {
		return remediate.Outcome{Status: remediate.OutcomeAlreadyDone, Detail: "Slack " + kind + " notification already posted"}, nil
	}
	if _, err := s.c.do(ctx, request{op: "post webhook", method: http.MethodPost, url: s.webhookURL.Reveal(), body: c.Params}); err != nil {
		return remediate.Outcome{}, err
	}
	e.addSent(sent)
	e.State = "open"
	if kind == "resolved" {
		e.State = "resolved"
	}
	if err := r.saveEntry(ctx, d.Key, e); err != nil {
		return remediate.Outcome{}, err
	}
	return remediate.Outcome{Status: remediate.OutcomeApplied, Detail: "posted Slack " + kind + " notification"}, nil
}
