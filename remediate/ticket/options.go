package ticket

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
)

// Action says what a ticket remediator does with the findings routed to it.
type Action int

// Actions.
const (
	// ActionSync (the zero value) keeps one ticket per finding in step with
	// the finding: it opens a ticket for an active finding, adds a comment
	// for each new generation of it, and resolves the ticket when the finding
	// arrives with a closing status (see [Options.ResolveStatuses]).
	ActionSync Action = iota
	// ActionOpen opens and updates tickets but never resolves them.
	ActionOpen
	// ActionResolve only resolves: the ticket of every finding routed to the
	// remediator is resolved, whatever the finding's status. Use it in a rule
	// that matches findings known to be fixed (for example compliance
	// findings that now pass). Its default name has the suffix "-resolve".
	ActionResolve
)

// String returns "sync", "open" or "resolve".
func (a Action) String() string {
	switch a {
	case ActionSync:
		return "sync"
	case ActionOpen:
		return "open"
	case ActionResolve:
		return "resolve"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Options are the settings every ticket remediator shares. The zero value is
// usable; each system's options embed it.
type Options struct {
	// Name is the remediator's name (default: the system, "jira",
	// "servicenow", "pagerduty", "slack" or "webhook", with the suffix
	// "-open" or "-resolve" for those actions). It is part of the engine's
	// idempotency keys and of the state keys, so keep it stable.
	Name string
	// Action is what the remediator does (default [ActionSync]).
	Action Action
	// ResolveStatuses are the finding status_id values that resolve the
	// ticket under [ActionSync] (default 3 Suppressed, 4 Resolved and
	// 5 Archived). The engine never writes a closing status after a ticket
	// plan (see the package documentation), so every closing status counts.
	ResolveStatuses []int32
	// CommentMarker is the engine's write-back marker
	// ([remediate.Options.CommentMarker], default "ocsfhub"); with
	// [PagerDutyOptions.Acknowledge] it tells the In Progress the engine
	// wrote after notifying from one a person set.
	CommentMarker string
	// KeyPrefix starts every deduplication key (default "ocsfhub-"). Give
	// two deployments sharing a ticketing system different prefixes.
	KeyPrefix string
	// State keeps the finding-to-ticket map (ticket ids, the generations
	// already recorded, the events already sent). Searches in Jira and
	// ServiceNow are the source of truth, but they are eventually
	// consistent; PagerDuty, webhooks and Slack incoming webhooks have
	// nothing to search, so the state is all there is. Pass the engine's
	// store (any [remediate.SettingsStore]) to keep it across restarts.
	// Default: an in-memory map of at most 10 000 findings.
	State remediate.SettingsStore
	// HTTPClient sends the requests (default: a client with a 30 s timeout
	// that does not follow redirects, so credentials are never sent to
	// another URL).
	HTTPClient *http.Client
	// MaxResponseBytes bounds how much of a response is read (default
	// 1 MiB); a larger response is an error.
	MaxResponseBytes int64
	// MaxRetries is how many times a request answered 429 Too Many Requests
	// is sent again within one call, after the Retry-After delay (default 2;
	// negative: never). Other errors are left to the engine's retries.
	MaxRetries int
	// MaxRetryWait caps the Retry-After delay waited within a call (default
	// 10 s); a longer delay is returned as a transient [*Error] with
	// RetryAfter set.
	MaxRetryWait time.Duration
	// UserAgent is sent with every request (default "ocsfhub-ticket").
	UserAgent string
	// FindingURL, if set, returns a link to the finding (for example the
	// Security Hub console) to put in tickets and messages.
	FindingURL func(remediate.FindingRef) string
	// Logger receives debug logs of requests (method, host and path, status,
	// duration; never headers, bodies or query strings) and info logs of
	// tickets opened and resolved (default: discarded).
	Logger *slog.Logger
}

// Defaults.
const (
	defaultMaxResponse  = 1 << 20
	defaultMaxRetries   = 2
	defaultMaxRetryWait = 10 * time.Second
	defaultTimeout      = 30 * time.Second
	defaultMarker       = "ocsfhub"
	defaultKeyPrefix    = "ocsfhub-"
	defaultUserAgent    = "ocsfhub-ticket"
)

// resolved copies o with defaults filled in; system names the system for the
// default name.
func (o Options) withDefaults(system string) (Options, error) {
	if o.Action < ActionSync || o.Action > ActionResolve {
		return o, configErr(system, "invalid action %d", int(o.Action))
	}
	if o.Name == "" {
		o.Name = system
		if o.Action != ActionSync {
			o.Name += "-" + o.Action.String()
		}
	}
	if o.ResolveStatuses == nil {
		o.ResolveStatuses = []int32{int32(remediate.StatusSuppressed), int32(remediate.StatusResolved), 5}
	} else {
		o.ResolveStatuses = slices.Clone(o.ResolveStatuses)
	}
	if o.CommentMarker == "" {
		o.CommentMarker = defaultMarker
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = defaultKeyPrefix
	}
	if !validKeyPrefix(o.KeyPrefix) {
		return o, configErr(system, "key prefix %q: use letters, digits, '-' and '_' only", o.KeyPrefix)
	}
	if o.State == nil {
		o.State = newMemoryState(10000)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{
			Timeout: defaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = defaultMaxResponse
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = defaultMaxRetries
	} else if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = defaultMaxRetryWait
	}
	if o.UserAgent == "" {
		o.UserAgent = defaultUserAgent
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

func validKeyPrefix(p string) bool {
	if len(p) > 40 {
		return false
	}
	for _, c := range p {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// ErrConfig is wrapped by every configuration error of the constructors.
var ErrConfig = errors.New("ticket: invalid configuration")

func configErr(system, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrConfig, system, fmt.Sprintf(format, args...))
}

// parseBaseURL checks that s is an absolute http(s) URL without query,
// fragment or user info, and returns it without a trailing slash.
func parseBaseURL(system, field, s string) (*url.URL, error) {
	u, err := parseEndpoint(system, field, s)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" {
		return nil, configErr(system, "%s must not carry a query", field)
	}
	for len(u.Path) > 0 && u.Path[len(u.Path)-1] == '/' {
		u.Path = u.Path[:len(u.Path)-1]
	}
	u.RawPath = ""
	return u, nil
}

// parseEndpoint checks that s is an absolute http(s) URL without fragment or
// user info. Errors never quote s (it may be a secret).
func parseEndpoint(system, field, s string) (*url.URL, error) {
	if s == "" {
		return nil, configErr(system, "%s is required", field)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, configErr(system, "%s is not a URL", field)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, configErr(system, "%s must be an absolute http(s) URL", field)
	}
	if u.User != nil || u.Fragment != "" {
		return nil, configErr(system, "%s must not carry user info or a fragment", field)
	}
	return u, nil
}
