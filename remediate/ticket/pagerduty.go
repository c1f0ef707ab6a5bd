package ticket

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// PagerDutyOptions configure [NewPagerDuty].
type PagerDutyOptions struct {
	Options
	// RoutingKey is the integration key of an Events API v2 integration.
	// Required. It is sent in the request body and never put in plans.
	RoutingKey Secret
	// BaseURL is the Events API (default "https://events.pagerduty.com";
	// "https://events.eu.pagerduty.com" for EU accounts).
	BaseURL string
	// Severity maps a finding severity to a PagerDuty severity. Default:
	// Critical and Fatal "critical", High "error", Medium "warning", Low and
	// Informational "info", others "warning".
	Severity func(ocsf.SeverityID) string
	// Acknowledge sends an acknowledge event when a finding arrives with
	// status In Progress set by someone other than the engine.
	Acknowledge bool
	// Client and ClientURL name the sender in PagerDuty (default "ocsfhub").
	Client    string
	ClientURL string
}

// NewPagerDuty returns a remediator that keeps one PagerDuty alert per
// finding with the Events API v2 (POST /v2/enqueue): it triggers with
// dedup_key = the deduplication key (PagerDuty folds later triggers with the
// same key into the open alert), optionally acknowledges, and resolves.
//
// The Events API cannot be queried, so what was sent is kept in the state
// ([Options.State]): one trigger per finding generation, one resolve per
// resolution. Without durable state, a restart may send a generation's
// trigger again; PagerDuty deduplicates it while the alert is open, but a
// trigger repeated after the alert was resolved opens a new alert.
func NewPagerDuty(opts PagerDutyOptions) (*Remediator, error) {
	const sys = "pagerduty"
	o, err := opts.Options.withDefaults(sys)
	if err != nil {
		return nil, err
	}
	if opts.RoutingKey.IsZero() {
		return nil, configErr(sys, "RoutingKey is required")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "https://events.pagerduty.com"
	}
	base, err := parseBaseURL(sys, "BaseURL", opts.BaseURL)
	if err != nil {
		return nil, err
	}
	p := &pagerDuty{url: base.String() + "/v2/enqueue", routingKey: opts.RoutingKey, severity: opts.Severity,
		ack: opts.Acknowledge, client: opts.Client, clientURL: opts.ClientURL}
	if p.severity == nil {
		p.severity = defaultPagerDutySeverity
	}
	if p.client == "" {
		p.client = "ocsfhub"
	}
	p.c = newHTTPClient(sys, o, opts.RoutingKey.Reveal())
	p.c.errorText = pagerDutyErrorText
	return newRemediator(o, p), nil
}

func defaultPagerDutySeverity(s ocsf.SeverityID) string {
	switch s {
	case ocsf.SeverityIDCritical, ocsf.SeverityIDFatal:
		return "critical"
	case ocsf.SeverityIDHigh:
		return "error"
	case ocsf.SeverityIDLow, ocsf.SeverityIDInformational:
		return "info"
	}
	return "warning"
}

type pagerDuty struct {
	c          *httpClient
	url        string
	routingKey Secret
	severity   func(ocsf.SeverityID) string
	ack        bool
	client     string
	clientURL  string
}

func (p *pagerDuty) system() string { return "pagerduty" }

// pdEvent is an Events API v2 event. RoutingKey is empty in plans and set
// only on the wire.
type pdEvent struct {
	RoutingKey  string     `json:"routing_key,omitempty"`
	EventAction string     `json:"event_action"`
	DedupKey    string     `json:"dedup_key"`
	Payload     *pdPayload `json:"payload,omitempty"`
	Links       []pdLink   `json:"links,omitempty"`
	Client      string     `json:"client,omitempty"`
	ClientURL   string     `json:"client_url,omitempty"`
}

type pdPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

type pdLink struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

func (p *pagerDuty) trigger(v *view) pdEvent {
	pl := &pdPayload{Summary: oneLine(v.title(), 1024), Severity: p.severity(ocsf.SeverityID(v.Ref.SeverityID))}
	switch {
	case len(v.Resources) > 0 && v.Resources[0].UID != "":
		pl.Source = v.Resources[0].UID
		pl.Component = v.Resources[0].Type
	case v.Ref.AccountUID != "":
		pl.Source = strings.Trim(v.Ref.AccountUID+"/"+v.Ref.Region, "/")
	default:
		pl.Source = v.Ref.ProductName
	}
	if pl.Source == "" {
		pl.Source = "ocsfhub"
	}
	pl.Source = oneLine(pl.Source, 255)
	if !v.Ref.ModifiedTime.IsZero() {
		pl.Timestamp = v.Ref.ModifiedTime.UTC().Format(time.RFC3339Nano)
	}
	pl.Group = v.Ref.AccountUID
	if len(v.Types) > 0 {
		pl.Class = oneLine(v.Types[len(v.Types)-1], 255)
	}
	details := map[string]any{"finding_key": v.Key, "generation": v.Gen}
	add := func(k, val string) {
		if val != "" {
			details[k] = truncate(val, maxDesc)
		}
	}
	add("finding_id", v.Ref.MetadataUID)
	add("finding_uid", v.Ref.FindingUID)
	add("product", v.Ref.ProductName)
	add("account", v.Ref.AccountUID)
	add("region", v.Ref.Region)
	add("severity", v.Severity)
	add("status", v.Status)
	add("description", v.Desc)
	add("comment", v.Comment)
	if res := v.resourceItems(); len(res) > 0 {
		details["resources"] = res
	}
	pl.CustomDetails = details
	ev := pdEvent{EventAction: "trigger", DedupKey: v.Key, Payload: pl, Client: p.client, ClientURL: p.clientURL}
	if v.URL != "" {
		ev.Links = []pdLink{{Href: v.URL, Text: "Security Hub finding"}}
	}
	return ev
}

func (p *pagerDuty) plan(ctx context.Context, r *Remediator, v *view, in intent) (*planned, error) {
	e, _, err := r.loadEntry(ctx, v.Key)
	if err != nil {
		return nil, err
	}
	pl := &planned{data: planData{System: "pagerduty", Key: v.Key, Gen: v.Gen, Intent: in}}
	if in == intentResolve {
		if e.State == "resolved" {
			return nil, r.notApplicable("the PagerDuty alert of finding %s is already resolved", v.Key)
		}
		c, err := change("resolve", "pagerduty:Resolve", "dedup_key/"+v.Key, "resolve the alert with dedup_key "+v.Key,
			pdEvent{EventAction: "resolve", DedupKey: v.Key})
		if err != nil {
			return nil, err
		}
		pl.changes = []remediate.Change{c}
		pl.summary = "resolve the PagerDuty alert " + v.Key
		return pl, nil
	}
	if !e.hasSent("trigger/" + v.Gen) {
		c, err := change("trigger", "pagerduty:Trigger", "dedup_key/"+v.Key,
			"trigger an alert with dedup_key "+v.Key+": "+oneLine(v.title(), 200), p.trigger(v))
		if err != nil {
			return nil, err
		}
		pl.changes = append(pl.changes, c)
	}
	if p.ack && v.StatusID == int32(remediate.StatusInProgress) && !r.engineWritten(v.Comment) && !e.hasSent("acknowledge/"+v.Gen) {
		c, err := change("acknowledge", "pagerduty:Acknowledge", "dedup_key/"+v.Key, "acknowledge the alert with dedup_key "+v.Key,
			pdEvent{EventAction: "acknowledge", DedupKey: v.Key})
		if err != nil {
			return nil, err
		}
		pl.changes = append(pl.changes, c)
	}
	if len(pl.changes) == 0 {
		return nil, r.notApplicable("PagerDuty already has generation %s of finding %s", v.Gen, v.Key)
	}
	pl.summary = "send " + pl.changes[0].ID + " for the PagerDuty alert " + v.Key
	if len(pl.changes) > 1 {
		pl.summary = "send trigger and acknowledge for the PagerDuty alert " + v.Key
	}
	return pl, nil
}

func (p *pagerDuty) apply(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	var ev pdEvent
	if err := json.Unmarshal(c.Params, &ev); err != nil || ev.DedupKey != d.Key {
		return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: pagerduty: change " + c.ID + " carries no event for the plan's key"))
	}
	var sent string
	switch ev.EventAction {
	case "trigger", "acknowledge":
		sent = ev.EventAction + "/" + d.Gen
	case "resolve":
		sent = "resolve/" + d.Gen
	default:
		return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: pagerduty: unknown event action " + ev.EventAction))
	}
	e, _, err := r.loadEntry(ctx, d.Key)
	if err != nil {
		return remediate.Outcome{}, err
	}
	if e.hasSent(sent) && (ev.EventAction != "resolve" || e.State == "resolved") {
		return remediate.Outcome{Status: remediate.OutcomeAlreadyDone, Detail: "PagerDuty " + ev.EventAction + " already sent for " + d.Key}, nil
	}
	ev.RoutingKey = p.routingKey.Reveal()
	body, err := marshal(ev)
	if err != nil {
		return remediate.Outcome{}, err
	}
	h := http.Header{}
	h.Set("Accept", "application/json")
	resp, err := p.c.do(ctx, request{op: ev.EventAction + " event", method: http.MethodPost, url: p.url, header: h, body: body})
	if err != nil {
		return remediate.Outcome{}, err
	}
	var ok struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(resp.body, &ok) == nil && ok.Status != "" && ok.Status != "success" {
		return remediate.Outcome{}, p.c.apiError(ev.EventAction+" event", resp.status, ok.Status, "event not accepted", remediate.ClassPermanent)
	}
	e.addSent(sent)
	switch ev.EventAction {
	case "trigger":
		e.State = "open"
	case "acknowledge":
		e.State = "acknowledged"
	case "resolve":
		e.State = "resolved"
	}
	if err := r.saveEntry(ctx, d.Key, e); err != nil {
		return remediate.Outcome{}, err
	}
	r.log.Info("ticket: PagerDuty event sent", "remediator", r.name, "action", ev.EventAction, "key", d.Key)
	return remediate.Outcome{Status: remediate.OutcomeApplied, Detail: "sent PagerDuty " + ev.EventAction + " for " + d.Key}, nil
}

// pagerDutyErrorText reads the Events API's error body:
// {"status": "invalid event", "message": "…", "errors": ["…"]}.
func pagerDutyErrorText(body []byte) (string, string) {
	var e struct {
		Status  string   `json:"status"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || (e.Status == "" && e.Message == "" && len(e.Errors) == 0) {
		return genericErrorText(body)
	}
	msg := e.Message
	if len(e.Errors) > 0 {
		if msg != "" {
			msg += ": "
		}
		msg += strings.Join(e.Errors, "; ")
	}
	return excerpt(e.Status), excerpt(msg)
}
