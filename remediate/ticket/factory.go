package ticket

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// FactoryOptions configure the factories of [Factories] and [NewFactory]
// with what a rule file cannot say.
type FactoryOptions struct {
	// Options are where every remediator built from a rule file starts:
	// State (pass the engine's store to keep the finding-to-ticket map
	// across restarts), HTTPClient, FindingURL, CommentMarker, Logger. The
	// name is always the registry name; the file's parameters override
	// Action, ResolveStatuses, KeyPrefix, MaxRetries, MaxRetryWait,
	// MaxResponseBytes and UserAgent.
	Options Options
	// LookupEnv reads the environment variables the parameters name
	// (default [os.LookupEnv]).
	LookupEnv func(name string) (string, bool)
}

// systems are the ticketing systems [Factories] has entries for.
var systems = []string{"jira", "servicenow", "pagerduty", "slack", "webhook"}

// Factories returns [remediate.Registry] entries named "jira",
// "servicenow", "pagerduty", "slack" and "webhook", which build the
// remediators of this package from the remediators section of a rule file
// ([remediate.LoadRules]). Add them to a program's registry:
//
//	reg := ticket.Factories(ticket.FactoryOptions{Options: ticket.Options{State: store}})
//	reg["ec2-isolate"] = ... // the program's other remediators
//	rs, err := remediate.LoadRulesFile("rules.yaml", reg)
//
// Secrets never go in the file. Each credential is named by a parameter
// ending in "_env" that gives the name of an environment variable
// (upper-case letters, digits and "_"), read when the file is loaded; a
// literal credential parameter ("api_token", "password", "routing_key",
// "bot_token", "webhook_url", "signing_secret", "bearer_token", "token",
// "secret") is an error. Unknown parameters are errors too.
//
// Parameters every system takes (all optional):
//
//	action: sync | open | resolve      # default sync (see Action)
//	resolve_statuses: [3, 4, 5]        # status_id values that resolve
//	key_prefix: ocsfhub-               # deduplication key prefix
//	max_retries: 2                     # 429 retries within a call (0: none)
//	max_retry_wait: 10s                # longest Retry-After waited
//	max_response_bytes: 1048576
//	user_agent: ocsfhub-ticket
//
// Per system:
//
//	jira:        base_url, project (required); email + api_token_env, or
//	             bearer_token_env; issue_type, labels, done_transition,
//	             priorities {<severity>: <priority name>}, fields {...}
//	servicenow:  base_url (required); username + password_env, or
//	             bearer_token_env; table, correlation_display,
//	             fields {<field>: <value>}, resolved_state, inactive_states,
//	             close_code, journal_check,
//	             impact_urgency {<severity>: {impact: "1", urgency: "1"}}
//	pagerduty:   routing_key_env (required); base_url, acknowledge, client,
//	             client_url, severity {<severity>: critical|error|warning|info}
//	slack:       bot_token_env + channel, or webhook_url_env; api_url,
//	             history_limit, notify_updates
//	webhook:     url or url_env (required; url_env when the URL embeds a
//	             token); signing_secret_env, bearer_token_env
//
// Severities are OCSF captions ("High", "critical") or numbers ("4");
// severities a map leaves out keep the system's default.
func Factories(opts FactoryOptions) remediate.Registry {
	reg := make(remediate.Registry, len(systems))
	for _, sys := range systems {
		reg[sys] = factory(sys, sys, opts)
	}
	return reg
}

// NewFactory returns the factory of one system (see [Factories]) for
// remediators named name, to configure several remediators of one system,
// for example a Jira project per team:
//
//	reg["jira-payments"], err = ticket.NewFactory("jira", "jira-payments", opts)
//
// It fails for an unknown system or an empty name.
func NewFactory(system, name string, opts FactoryOptions) (remediate.Factory, error) {
	if !slices.Contains(systems, system) {
		return nil, fmt.Errorf("%w: unknown ticketing system %q (known: %s)", ErrConfig, system, strings.Join(systems, ", "))
	}
	if name == "" {
		return nil, fmt.Errorf("%w: %s: empty remediator name", ErrConfig, system)
	}
	return factory(system, name, opts), nil
}

func factory(system, name string, opts FactoryOptions) remediate.Factory {
	return func(params json.RawMessage) (remediate.Remediator, error) {
		fb := &fileBuilder{sys: system, lookup: opts.LookupEnv}
		if fb.lookup == nil {
			fb.lookup = os.LookupEnv
		}
		r, err := fb.build(name, opts.Options, params)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
}

// literalSecrets are parameter names that would hold a credential in the
// file itself.
var literalSecrets = []string{"api_token", "password", "routing_key", "bot_token", "webhook_url", "signing_secret", "bearer_token", "token", "secret"}

// commonParams are the parameters every system takes.
type commonParams struct {
	Action           string  `json:"action"`
	ResolveStatuses  []int32 `json:"resolve_statuses"`
	KeyPrefix        string  `json:"key_prefix"`
	MaxRetries       *int    `json:"max_retries"`
	MaxRetryWait     string  `json:"max_retry_wait"`
	MaxResponseBytes int64   `json:"max_response_bytes"`
	UserAgent        string  `json:"user_agent"`
}

type jiraParams struct {
	commonParams
	BaseURL        string            `json:"base_url"`
	Email          string            `json:"email"`
	APITokenEnv    string            `json:"api_token_env"`
	BearerTokenEnv string            `json:"bearer_token_env"`
	Project        string            `json:"project"`
	IssueType      string            `json:"issue_type"`
	Labels         []string          `json:"labels"`
	Priorities     map[string]string `json:"priorities"`
	Fields         map[string]any    `json:"fields"`
	DoneTransition string            `json:"done_transition"`
}

type impactUrgency struct {
	Impact  string `json:"impact"`
	Urgency string `json:"urgency"`
}

type serviceNowParams struct {
	commonParams
	BaseURL            string                   `json:"base_url"`
	Username           string                   `json:"username"`
	PasswordEnv        string                   `json:"password_env"`
	BearerTokenEnv     string                   `json:"bearer_token_env"`
	Table              string                   `json:"table"`
	CorrelationDisplay string                   `json:"correlation_display"`
	Fields             map[string]string        `json:"fields"`
	ImpactUrgency      map[string]impactUrgency `json:"impact_urgency"`
	ResolvedState      string                   `json:"resolved_state"`
	InactiveStates     []string                 `json:"inactive_states"`
	CloseCode          string                   `json:"close_code"`
	JournalCheck       bool                     `json:"journal_check"`
}

type pagerDutyParams struct {
	commonParams
	RoutingKeyEnv string            `json:"routing_key_env"`
	BaseURL       string            `json:"base_url"`
	Severity      map[string]string `json:"severity"`
	Acknowledge   bool              `json:"acknowledge"`
	Client        string            `json:"client"`
	ClientURL     string            `json:"client_url"`
}

type slackParams struct {
	commonParams
	BotTokenEnv   string `json:"bot_token_env"`
	Channel       string `json:"channel"`
	APIURL        string `json:"api_url"`
	HistoryLimit  int    `json:"history_limit"`
	WebhookURLEnv string `json:"webhook_url_env"`
	NotifyUpdates bool   `json:"notify_updates"`
}

type webhookParams struct {
	commonParams
	URL              string `json:"url"`
	URLEnv           string `json:"url_env"`
	SigningSecretEnv string `json:"signing_secret_env"`
	BearerTokenEnv   string `json:"bearer_token_env"`
}

// fileBuilder builds one remediator from rule-file parameters.
type fileBuilder struct {
	sys    string
	lookup func(string) (string, bool)
}

func (fb *fileBuilder) errf(format string, args ...any) error {
	return configErr(fb.sys, format, args...)
}

// decode checks params for literal secrets, then decodes them strictly
// into v.
func (fb *fileBuilder) decode(params json.RawMessage, v any) error {
	if len(bytes.TrimSpace(params)) == 0 || bytes.Equal(bytes.TrimSpace(params), []byte("null")) {
		return nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(params, &keys); err != nil {
		return fb.errf("parameters must be a mapping")
	}
	for _, k := range literalSecrets {
		if _, ok := keys[k]; ok {
			return fb.errf("%s: credentials are not read from rule files; set %s_env to the name of an environment variable holding it", k, k)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// encoding/json names the field, never the value.
		return fb.errf("parameters: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// secret reads the environment variable that the parameter param names.
// An empty name gives an empty secret.
func (fb *fileBuilder) secret(param, name string) (Secret, error) {
	if name == "" {
		return Secret{}, nil
	}
	if !envName(name) {
		// Not quoted: it may be the credential itself, pasted by mistake.
		return Secret{}, fb.errf("%s must name an environment variable (A-Z, 0-9 and _, at most 128 characters)", param)
	}
	v, ok := fb.lookup(name)
	if !ok || v == "" {
		return Secret{}, fb.errf("%s: environment variable %s is not set", param, name)
	}
	return NewSecret(v), nil
}

// envName reports whether s is a conventional environment variable name.
func envName(s string) bool {
	if s == "" || len(s) > 128 || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		default:
			return false
		}
	}
	return true
}

// options applies the common parameters to base.
func (fb *fileBuilder) options(name string, base Options, p commonParams) (Options, error) {
	o := base
	o.Name = name
	switch p.Action {
	case "":
	case "sync":
		o.Action = ActionSync
	case "open":
		o.Action = ActionOpen
	case "resolve":
		o.Action = ActionResolve
	default:
		return o, fb.errf("action %q: want sync, open or resolve", p.Action)
	}
	if p.ResolveStatuses != nil {
		o.ResolveStatuses = slices.Clone(p.ResolveStatuses)
	}
	if p.KeyPrefix != "" {
		o.KeyPrefix = p.KeyPrefix
	}
	if p.MaxRetries != nil {
		o.MaxRetries = *p.MaxRetries
		if o.MaxRetries == 0 {
			o.MaxRetries = -1 // 0 in a file means none, not the default
		}
	}
	if p.MaxRetryWait != "" {
		d, err := time.ParseDuration(p.MaxRetryWait)
		if err != nil || d <= 0 {
			return o, fb.errf("max_retry_wait %q: want a positive duration such as 10s", p.MaxRetryWait)
		}
		o.MaxRetryWait = d
	}
	if p.MaxResponseBytes < 0 {
		return o, fb.errf("max_response_bytes must not be negative")
	}
	if p.MaxResponseBytes > 0 {
		o.MaxResponseBytes = p.MaxResponseBytes
	}
	if p.UserAgent != "" {
		o.UserAgent = p.UserAgent
	}
	return o, nil
}

// severity parses a severity caption or number.
func (fb *fileBuilder) severity(param, s string) (ocsf.SeverityID, error) {
	if id, ok := ocsf.ParseSeverityID(s); ok {
		return id, nil
	}
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		if id := ocsf.SeverityID(n); id.Known() {
			return id, nil
		}
	}
	return 0, fb.errf("%s: %q is not a severity (Informational, Low, Medium, High, Critical, Fatal, Unknown, Other, or its number)", param, s)
}

func (fb *fileBuilder) build(name string, base Options, params json.RawMessage) (*Remediator, error) {
	switch fb.sys {
	case "jira":
		return fb.jira(name, base, params)
	case "servicenow":
		return fb.serviceNow(name, base, params)
	case "pagerduty":
		return fb.pagerDuty(name, base, params)
	case "slack":
		return fb.slack(name, base, params)
	default:
		return fb.webhook(name, base, params)
	}
}

func (fb *fileBuilder) jira(name string, base Options, params json.RawMessage) (*Remediator, error) {
	var p jiraParams
	if err := fb.decode(params, &p); err != nil {
		return nil, err
	}
	o, err := fb.options(name, base, p.commonParams)
	if err != nil {
		return nil, err
	}
	if p.BaseURL == "" || p.Project == "" {
		return nil, fb.errf("base_url and project are required")
	}
	if (p.APITokenEnv == "") == (p.BearerTokenEnv == "") {
		return nil, fb.errf("set api_token_env (with email) or bearer_token_env")
	}
	if p.APITokenEnv != "" && p.Email == "" {
		return nil, fb.errf("email is required with api_token_env")
	}
	opts := JiraOptions{Options: o, BaseURL: p.BaseURL, Email: p.Email, Project: p.Project, IssueType: p.IssueType,
		Labels: p.Labels, Fields: p.Fields, DoneTransition: p.DoneTransition}
	if opts.APIToken, err = fb.secret("api_token_env", p.APITokenEnv); err != nil {
		return nil, err
	}
	if opts.BearerToken, err = fb.secret("bearer_token_env", p.BearerTokenEnv); err != nil {
		return nil, err
	}
	if len(p.Priorities) > 0 {
		opts.Priorities = make(map[ocsf.SeverityID]string, len(p.Priorities))
		for k, v := range p.Priorities {
			id, err := fb.severity("priorities", k)
			if err != nil {
				return nil, err
			}
			opts.Priorities[id] = v
		}
	}
	return NewJira(opts)
}

func (fb *fileBuilder) serviceNow(name string, base Options, params json.RawMessage) (*Remediator, error) {
	var p serviceNowParams
	if err := fb.decode(params, &p); err != nil {
		return nil, err
	}
	o, err := fb.options(name, base, p.commonParams)
	if err != nil {
		return nil, err
	}
	if p.BaseURL == "" {
		return nil, fb.errf("base_url is required")
	}
	if (p.PasswordEnv == "") == (p.BearerTokenEnv == "") {
		return nil, fb.errf("set password_env (with username) or bearer_token_env")
	}
	if p.PasswordEnv != "" && p.Username == "" {
		return nil, fb.errf("username is required with password_env")
	}
	opts := ServiceNowOptions{Options: o, BaseURL: p.BaseURL, Username: p.Username, Table: p.Table,
		CorrelationDisplay: p.CorrelationDisplay, Fields: p.Fields, ResolvedState: p.ResolvedState,
		InactiveStates: p.InactiveStates, CloseCode: p.CloseCode, JournalCheck: p.JournalCheck}
	if opts.Password, err = fb.secret("password_env", p.PasswordEnv); err != nil {
		return nil, err
	}
	if opts.BearerToken, err = fb.secret("bearer_token_env", p.BearerTokenEnv); err != nil {
		return nil, err
	}
	if len(p.ImpactUrgency) > 0 {
		m := make(map[ocsf.SeverityID]impactUrgency, len(p.ImpactUrgency))
		for k, v := range p.ImpactUrgency {
			id, err := fb.severity("impact_urgency", k)
			if err != nil {
				return nil, err
			}
			if !validID(v.Impact) || !validID(v.Urgency) {
				return nil, fb.errf("impact_urgency.%s: impact and urgency are required values such as \"1\"", k)
			}
			m[id] = v
		}
		opts.ImpactUrgency = func(s ocsf.SeverityID) (string, string) {
			if v, ok := m[s]; ok {
				return v.Impact, v.Urgency
			}
			return defaultImpactUrgency(s)
		}
	}
	return NewServiceNow(opts)
}

// pagerDutySeverities are the severities the Events API v2 accepts.
var pagerDutySeverities = []string{"critical", "error", "warning", "info"}

func (fb *fileBuilder) pagerDuty(name string, base Options, params json.RawMessage) (*Remediator, error) {
	var p pagerDutyParams
	if err := fb.decode(params, &p); err != nil {
		return nil, err
	}
	o, err := fb.options(name, base, p.commonParams)
	if err != nil {
		return nil, err
	}
	if p.RoutingKeyEnv == "" {
		return nil, fb.errf("routing_key_env is required")
	}
	opts := PagerDutyOptions{Options: o, BaseURL: p.BaseURL, Acknowledge: p.Acknowledge, Client: p.Client, ClientURL: p.ClientURL}
	if opts.RoutingKey, err = fb.secret("routing_key_env", p.RoutingKeyEnv); err != nil {
		return nil, err
	}
	if len(p.Severity) > 0 {
		m := make(map[ocsf.SeverityID]string, len(p.Severity))
		for k, v := range p.Severity {
			id, err := fb.severity("severity", k)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(pagerDutySeverities, v) {
				return nil, fb.errf("severity.%s: %q is not a PagerDuty severity (%s)", k, v, strings.Join(pagerDutySeverities, ", "))
			}
			m[id] = v
		}
		opts.Severity = func(s ocsf.SeverityID) string {
			if v, ok := m[s]; ok {
				return v
			}
			return defaultPagerDutySeverity(s)
		}
	}
	return NewPagerDuty(opts)
}

func (fb *fileBuilder) slack(name string, base Options, params json.RawMessage) (*Remediator, error) {
	var p slackParams
	if err := fb.decode(params, &p); err != nil {
		return nil, err
	}
	o, err := fb.options(name, base, p.commonParams)
	if err != nil {
		return nil, err
	}
	switch {
	case p.BotTokenEnv != "" && p.WebhookURLEnv != "":
		return nil, fb.errf("set bot_token_env or webhook_url_env, not both")
	case p.BotTokenEnv != "" && p.Channel == "":
		return nil, fb.errf("channel is required with bot_token_env")
	case p.BotTokenEnv == "" && p.WebhookURLEnv == "":
		return nil, fb.errf("set bot_token_env (with channel) or webhook_url_env")
	}
	opts := SlackOptions{Options: o, Channel: p.Channel, APIURL: p.APIURL, HistoryLimit: p.HistoryLimit, NotifyUpdates: p.NotifyUpdates}
	if opts.BotToken, err = fb.secret("bot_token_env", p.BotTokenEnv); err != nil {
		return nil, err
	}
	if opts.WebhookURL, err = fb.secret("webhook_url_env", p.WebhookURLEnv); err != nil {
		return nil, err
	}
	return NewSlack(opts)
}

func (fb *fileBuilder) webhook(name string, base Options, params json.RawMessage) (*Remediator, error) {
	var p webhookParams
	if err := fb.decode(params, &p); err != nil {
		return nil, err
	}
	o, err := fb.options(name, base, p.commonParams)
	if err != nil {
		return nil, err
	}
	if (p.URL == "") == (p.URLEnv == "") {
		return nil, fb.errf("set url or url_env (for a URL that embeds a token)")
	}
	opts := WebhookOptions{Options: o, URL: p.URL}
	if p.URLEnv != "" {
		u, err := fb.secret("url_env", p.URLEnv)
		if err != nil {
			return nil, err
		}
		opts.URL = u.Reveal()
	}
	if opts.SigningSecret, err = fb.secret("signing_secret_env", p.SigningSecretEnv); err != nil {
		return nil, err
	}
	if opts.BearerToken, err = fb.secret("bearer_token_env", p.BearerTokenEnv); err != nil {
		return nil, err
	}
	return NewWebhook(opts)
}
