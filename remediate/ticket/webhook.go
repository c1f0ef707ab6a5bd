package ticket

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
)

// Webhook headers.
const (
	// HeaderSignature carries "v1=<hex HMAC-SHA256>" of
	// "<timestamp>.<body>" under the signing secret (several
	// comma-separated values while secrets rotate).
	HeaderSignature = "X-Ocsfhub-Signature"
	// HeaderTimestamp carries the Unix time (seconds) the request was signed.
	HeaderTimestamp = "X-Ocsfhub-Timestamp"
	// HeaderEvent carries the event type ("finding.opened").
	HeaderEvent = "X-Ocsfhub-Event"
	// HeaderIdempotencyKey carries [WebhookEvent.ID]: the same event sent
	// again has the same key.
	HeaderIdempotencyKey = "Idempotency-Key"
)

// Webhook event types.
const (
	// EventOpened is posted when a finding is first seen (or active again
	// after its resolution).
	EventOpened = "finding.opened"
	// EventUpdated is posted for each new generation of an open finding.
	EventUpdated = "finding.updated"
	// EventResolved is posted when the finding is resolved.
	EventResolved = "finding.resolved"
)

// WebhookEvent is the JSON body [NewWebhook] posts.
type WebhookEvent struct {
	// ID identifies the event: "<key>.<type>.<generation>". Receivers
	// deduplicate on it (it is also the Idempotency-Key header).
	ID string `json:"id"`
	// Type is EventOpened, EventUpdated or EventResolved.
	Type string `json:"type"`
	// Key is the finding's deduplication key ([DedupKey]).
	Key string `json:"key"`
	// Generation names the finding's generation ("g" and its modified time
	// in Unix milliseconds).
	Generation string `json:"generation"`
	// Finding identifies the finding.
	Finding remediate.FindingRef `json:"finding"`
	// Title is the one-line summary ("[HIGH] GuardDuty: … (account/region)").
	Title    string `json:"title"`
	Severity string `json:"severity,omitempty"`
	Status   string `json:"status,omitempty"`
	StatusID int32  `json:"status_id,omitempty"`
	// Resources are the finding's resources.
	Resources []remediate.Resource `json:"resources,omitempty"`
	// Comment is the finding's Security Hub comment.
	Comment string `json:"comment,omitempty"`
	// Note is the reason given to [Remediator.Resolve].
	Note string `json:"note,omitempty"`
	// URL links to the finding ([Options.FindingURL]).
	URL string `json:"url,omitempty"`
	// Text is a plain-text rendering, for receivers that only relay text.
	Text string `json:"text"`
}

// WebhookOptions configure [NewWebhook].
type WebhookOptions struct {
	Options
	// URL is the endpoint events are posted to. Required. Only its host is
	// logged, since such URLs often embed a token.
	URL string
	// SigningSecret, when set, signs every request (see HeaderSignature).
	SigningSecret Secret
	// BearerToken, when set, is sent as "Authorization: Bearer <token>".
	BearerToken Secret
	// Now is the clock for signature timestamps (default time.Now).
	Now func() time.Time
}

// NewWebhook returns a remediator that posts a JSON [WebhookEvent] when a
// finding first arrives (finding.opened), for each new generation of it
// (finding.updated) and when it is resolved (finding.resolved). Every
// request carries an Idempotency-Key and, with a signing secret, an
// HMAC-SHA256 signature that [VerifySignature] checks. Any 2xx answer is a
// delivery. What was sent is kept in the state ([Options.State]).
func NewWebhook(opts WebhookOptions) (*Remediator, error) {
	const sys = "webhook"
	o, err := opts.Options.withDefaults(sys)
	if err != nil {
		return nil, err
	}
	u, err := parseEndpoint(sys, "URL", opts.URL)
	if err != nil {
		return nil, err
	}
	w := &webhook{url: u.String(), signing: opts.SigningSecret, bearer: opts.BearerToken, now: opts.Now}
	if w.now == nil {
		w.now = time.Now
	}
	secrets := []string{opts.SigningSecret.Reveal(), opts.BearerToken.Reveal()}
	if len(u.Path) >= 12 {
		secrets = append(secrets, u.Path)
	}
	if u.RawQuery != "" {
		secrets = append(secrets, u.RawQuery)
	}
	w.c = newHTTPClient(sys, o, secrets...)
	w.c.hideURL = true
	return newRemediator(o, w), nil
}

type webhook struct {
	c       *httpClient
	url     string
	signing Secret
	bearer  Secret
	now     func() time.Time
}

func (w *webhook) system() string { return "webhook" }

func (w *webhook) event(v *view, typ string) WebhookEvent {
	ev := WebhookEvent{
		ID: v.Key + "." + strings.TrimPrefix(typ, "finding.") + "." + v.Gen, Type: typ, Key: v.Key, Generation: v.Gen,
		Finding: v.Ref, Title: v.title(), Severity: v.Severity, Status: v.Status, StatusID: v.StatusID,
		Resources: v.Resources, Comment: v.Comment, Note: v.Note, URL: v.URL,
	}
	var b *block
	switch typ {
	case EventOpened:
		b = v.descriptionBlock()
	case EventUpdated:
		b = v.updateBlock()
	default:
		b = v.resolveBlock()
	}
	ev.Text = v.title() + "\n\n" + b.text()
	return ev
}

func (w *webhook) plan(ctx context.Context, r *Remediator, v *view, in intent) (*planned, error) {
	e, _, err := r.loadEntry(ctx, v.Key)
	if err != nil {
		return nil, err
	}
	var typ string
	switch {
	case in == intentResolve && e.State == "resolved":
		return nil, r.notApplicable("finding %s was already posted as resolved", v.Key)
	case in == intentResolve:
		typ = EventResolved
	case e.State == "" || e.State == "resolved":
		typ = EventOpened
	case e.hasSent(EventOpened+"/"+v.Gen) || e.hasSent(EventUpdated+"/"+v.Gen):
		return nil, r.notApplicable("generation %s of finding %s was already posted", v.Gen, v.Key)
	default:
		typ = EventUpdated
	}
	ev := w.event(v, typ)
	c, err := change("post", "webhook:Post", "event/"+ev.ID, "post "+typ+" for finding "+v.Key, ev)
	if err != nil {
		return nil, err
	}
	return &planned{summary: "post " + typ + " to the webhook", changes: []remediate.Change{c},
		data: planData{System: "webhook", Key: v.Key, Gen: v.Gen, Intent: in}}, nil
}

func (w *webhook) apply(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	var ev WebhookEvent
	if err := json.Unmarshal(c.Params, &ev); err != nil || ev.Key != d.Key || ev.ID == "" {
		return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: webhook: change " + c.ID + " carries no event for the plan's key"))
	}
	sent := ev.Type + "/" + d.Gen
	e, _, err := r.loadEntry(ctx, d.Key)
	if err != nil {
		return remediate.Outcome{}, err
	}
	if e.hasSent(sent) && (ev.Type != EventResolved || e.State == "resolved") {
		return remediate.Outcome{Status: remediate.OutcomeAlreadyDone, Detail: ev.Type + " already posted for " + d.Key}, nil
	}
	h := http.Header{}
	h.Set(HeaderIdempotencyKey, ev.ID)
	h.Set(HeaderEvent, ev.Type)
	if !w.bearer.IsZero() {
		h.Set("Authorization", "Bearer "+w.bearer.Reveal())
	}
	if !w.signing.IsZero() {
		ts := strconv.FormatInt(w.now().Unix(), 10)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, "v1="+sign(w.signing, ts, c.Params))
	}
	if _, err := w.c.do(ctx, request{op: "post event", method: http.MethodPost, url: w.url, header: h, body: c.Params}); err != nil {
		return remediate.Outcome{}, err
	}
	e.addSent(sent)
	if ev.Type == EventResolved {
		e.State = "resolved"
	} else {
		e.State = "open"
	}
	if err := r.saveEntry(ctx, d.Key, e); err != nil {
		return remediate.Outcome{}, err
	}
	return remediate.Outcome{Status: remediate.OutcomeApplied, Detail: "posted " + ev.Type + " for " + d.Key}, nil
}

func sign(secret Secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret.Reveal()))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Errors of [VerifySignature].
var (
	// ErrNoSignature: the signature or timestamp header is missing.
	ErrNoSignature = errors.New("ticket: webhook: missing signature")
	// ErrBadSignature: no signature matches the body.
	ErrBadSignature = errors.New("ticket: webhook: signature does not match")
	// ErrStaleTimestamp: the timestamp is malformed or outside the
	// tolerance (a replay).
	ErrStaleTimestamp = errors.New("ticket: webhook: timestamp outside tolerance")
)

// VerifySignature checks a webhook request as a receiver: timestamp and
// signature are the values of HeaderTimestamp and HeaderSignature, body the
// raw request body. It accepts the request when one "v1=" signature matches
// (compared in constant time) and the timestamp is within tolerance of now
// (tolerance <= 0 means 5 minutes). Errors wrap ErrNoSignature,
// ErrBadSignature or ErrStaleTimestamp.
func VerifySignature(secret Secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if secret.IsZero() {
		return errors.New("ticket: webhook: empty signing secret")
	}
	if timestamp == "" || signature == "" {
		return ErrNoSignature
	}
	if tolerance <= 0 {
		tolerance = 5 * time.Minute
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || sec <= 0 {
		return ErrStaleTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStaleTimestamp
	}
	want, _ := hex.DecodeString(sign(secret, timestamp, body))
	for _, part := range strings.Split(signature, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(v)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}
