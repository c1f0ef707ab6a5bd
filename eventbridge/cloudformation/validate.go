package cloudformation

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Logical IDs of the generated resources and condition.
const (
	idConnection  = "Connection"
	idDestination = "ApiDestination"
	idRole        = "InvokeApiDestinationRole"
	idQueue       = "DeadLetterQueue"
	idQueuePolicy = "DeadLetterQueuePolicy"
	idRule        = "FindingsRule"
	idInHome      = "InHomeRegion"
)

var (
	// InvocationEndpoint / AuthorizationEndpoint pattern of the registry schema.
	endpointPattern = regexp.MustCompile(`^((%[0-9A-Fa-f]{2}|[-()_.!~*';/?:@&=+$,A-Za-z0-9])+)([).!';/?:,])?$`)
	headerToken     = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")
	hasAlnum        = regexp.MustCompile(`[A-Za-z0-9]`)
	printableASCII  = regexp.MustCompile(`^[ \t]*[\x20-\x7E]+([ \t]+[\x20-\x7E]+)*[ \t]*$`)
	credentialValue = regexp.MustCompile(`^[ \t]*[^\x00-\x1F\x7F]+([ \t]+[^\x00-\x1F\x7F]+)*[ \t]*$`)
	scopeToken      = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)
	eventsName      = regexp.MustCompile(`^[.\-_A-Za-z0-9]{1,64}$`)
	iamRoleName     = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	iamPolicyName   = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	queueName       = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	secretName      = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	secretARN       = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]{1,512}$`)
	secretJSONKey   = regexp.MustCompile(`^[^:{}\x00-\x1F\x7F]{1,256}$`)
	tagText         = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	regionName      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	accountID       = regexp.MustCompile(`^[0-9]{12}$`)
)

// droppedHeaders are the headers EventBridge removes from connection and
// target header parameters, or does not let them override (lower case).
var droppedHeaders = []string{
	"a-im", "accept-charset", "accept-datetime", "accept-encoding", "cache-control",
	"connection", "content-encoding", "content-length", "content-md5", "date", "expect",
	"forwarded", "from", "host", "http2-settings", "if-match", "if-modified-since",
	"if-none-match", "if-range", "if-unmodified-since", "max-forwards", "origin",
	"pragma", "proxy-authorization", "range", "referer", "te", "trailer",
	"transfer-encoding", "user-agent", "upgrade", "via", "warning",
}

// resolved is a validated Config with every default applied.
type resolved struct {
	Config
	names      Names
	pattern    patternInfo
	attempts   int
	ageSeconds int
	rate       int
	retention  int
	idemHeader string // empty when disabled
	headerName string // API-key header (AuthAPIKey)
	warnings   []string
}

// Validate checks cfg and returns nil or a [*ConfigError] listing every
// problem, each wrapping a sentinel such as [ErrNotHTTPS] or [ErrOutOfRange].
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

func (c Config) resolve() (*resolved, error) {
	r := &resolved{Config: c}
	var probs []*FieldError
	add := func(field string, err error) { probs = append(probs, &FieldError{Field: field, Err: err}) }
	warn := func(format string, a ...any) { r.warnings = append(r.warnings, fmt.Sprintf(format, a...)) }

	// Endpoint.
	if c.Endpoint != "" {
		for _, err := range checkHTTPSURL(c.Endpoint, warn) {
			add("Endpoint", err)
		}
		if u, err := url.Parse(c.Endpoint); err == nil && strings.Contains(u.Path, "*") {
			add("Endpoint", fmt.Errorf("%w: a * in the path is a wildcard EventBridge fills from PathParameterValues", ErrInvalidURL))
		}
	}

	// Auth.
	a := c.Auth
	r.names = c.Names
	secretParam := "Secret"
	switch a.Type {
	case AuthAPIKey:
		r.headerName = a.HeaderName
		if r.headerName == "" {
			r.headerName = DefaultHeaderName
		}
		if err := checkHeaderName(r.headerName); err != nil {
			add("Auth.HeaderName", err)
		}
		secretParam = "ApiKeyValue"
	case AuthBasic:
		if a.Username != "" {
			if !credentialValue.MatchString(a.Username) || len(a.Username) > 512 || strings.Contains(a.Username, ":") {
				add("Auth.Username", fmt.Errorf("%w: 1-512 characters without control characters or ':'", ErrInvalidHeaderValue))
			}
		}
		secretParam = "BasicPassword"
	case AuthOAuthClientCredentials:
		if a.TokenEndpoint == "" {
			add("Auth.TokenEndpoint", fmt.Errorf("%w: the OAuth token endpoint", ErrRequired))
		} else {
			for _, err := range checkHTTPSURL(a.TokenEndpoint, warn) {
				add("Auth.TokenEndpoint", err)
			}
		}
		switch a.TokenMethod {
		case "", "GET", "POST", "PUT":
		default:
			add("Auth.TokenMethod", fmt.Errorf("%w: %q is not GET, POST or PUT", ErrInvalidHeaderValue, a.TokenMethod))
		}
		if a.ClientID != "" && (!credentialValue.MatchString(a.ClientID) || len(a.ClientID) > 512) {
			add("Auth.ClientID", fmt.Errorf("%w: 1-512 characters without control characters", ErrInvalidHeaderValue))
		}
		for i, s := range a.Scopes {
			if !scopeToken.MatchString(s) {
				add(fmt.Sprintf("Auth.Scopes[%d]", i), fmt.Errorf("%w: %q is not an OAuth scope token (RFC 6749 §3.3)", ErrInvalidHeaderValue, s))
			}
		}
		if n := len(strings.Join(a.Scopes, " ")); n > 512 {
			add("Auth.Scopes", fmt.Errorf("%w: %d characters joined, at most 512", ErrOutOfRange, n))
		}
		for _, k := range slices.Sorted(maps.Keys(a.TokenParameters)) {
			f := "Auth.TokenParameters[" + k + "]"
			switch {
			case k == "grant_type" || k == "scope":
				add(f, fmt.Errorf("%w: %q is set by the renderer (use Scopes)", ErrConflict, k))
			case !headerToken.MatchString(k) || len(k) > 512:
				add(f, fmt.Errorf("%w: the key is not an HTTP token", ErrInvalidHeaderName))
			case !printableASCII.MatchString(a.TokenParameters[k]) || len(a.TokenParameters[k]) > 512:
				add(f, fmt.Errorf("%w: 1-512 printable ASCII characters", ErrInvalidHeaderValue))
			}
		}
		if len(a.TokenParameters)+2 > 100 {
			add("Auth.TokenParameters", fmt.Errorf("%w: at most 98 entries", ErrOutOfRange))
		}
		secretParam = "OAuthClientSecret"
	default:
		add("Auth.Type", fmt.Errorf("%w: unknown auth type %d", ErrOutOfRange, int(a.Type)))
	}
	if a.Type != AuthAPIKey && a.HeaderName != "" {
		add("Auth.HeaderName", fmt.Errorf("%w: only used with API_KEY, not %s", ErrConflict, a.Type))
	}
	if a.Type != AuthBasic && a.Username != "" {
		add("Auth.Username", fmt.Errorf("%w: only used with BASIC, not %s", ErrConflict, a.Type))
	}
	if a.Type != AuthOAuthClientCredentials && (a.TokenEndpoint != "" || a.TokenMethod != "" || a.ClientID != "" ||
		len(a.Scopes) > 0 || a.TokenParamsInQuery || len(a.TokenParameters) > 0) {
		add("Auth", fmt.Errorf("%w: OAuth settings (TokenEndpoint, TokenMethod, ClientID, Scopes, TokenParameters) given for %s", ErrConflict, a.Type))
	}

	// Secret.
	s := a.Secret
	switch {
	case !s.Parameter && s.SecretsManagerID == "":
		add("Auth.Secret", ErrMissingSecret)
	case s.Parameter && s.SecretsManagerID != "":
		add("Auth.Secret", fmt.Errorf("%w: both Parameter and SecretsManagerID are set", ErrConflict))
	case s.SecretsManagerID != "":
		if !secretName.MatchString(s.SecretsManagerID) && !secretARN.MatchString(s.SecretsManagerID) {
			add("Auth.Secret.SecretsManagerID", fmt.Errorf("%w: want a secret name ([A-Za-z0-9/_+=.@-]) or a full secret ARN", ErrInvalidSecretRef))
		}
		if s.JSONKey != "" && !secretJSONKey.MatchString(s.JSONKey) {
			add("Auth.Secret.JSONKey", fmt.Errorf("%w: a JSON key of 1-256 characters without ':', '{', '}' or control characters", ErrInvalidSecretRef))
		}
	}
	if s.Parameter && s.JSONKey != "" {
		add("Auth.Secret.JSONKey", fmt.Errorf("%w: JSONKey needs SecretsManagerID", ErrConflict))
	}

	// Parameter names.
	n := &r.names
	setDefault(&n.EndpointParameter, "EndpointUrl")
	setDefault(&n.HeaderNameParameter, "ApiKeyHeaderName")
	setDefault(&n.SecretParameter, secretParam)
	setDefault(&n.UsernameParameter, "BasicUsername")
	setDefault(&n.ClientIDParameter, "OAuthClientId")
	setDefault(&n.RolePolicy, "InvokeApiDestination")
	reserved := []string{idConnection, idDestination, idRole, idQueue, idQueuePolicy, idRule, idInHome}
	seen := map[string]string{}
	for _, p := range []struct{ field, name string }{
		{"Names.EndpointParameter", n.EndpointParameter},
		{"Names.HeaderNameParameter", n.HeaderNameParameter},
		{"Names.SecretParameter", n.SecretParameter},
		{"Names.UsernameParameter", n.UsernameParameter},
		{"Names.ClientIDParameter", n.ClientIDParameter},
	} {
		switch {
		case !logicalID.MatchString(p.name):
			add(p.field, fmt.Errorf("%w: %q is not an alphanumeric logical name", ErrInvalidName, p.name))
		case slices.Contains(reserved, p.name):
			add(p.field, fmt.Errorf("%w: %q is a resource or condition of the template", ErrConflict, p.name))
		case seen[p.name] != "":
			add(p.field, fmt.Errorf("%w: %q is also %s", ErrConflict, p.name, seen[p.name]))
		}
		seen[p.name] = p.field
	}

	// Resource names.
	for _, x := range []struct {
		field, name string
		re          *regexp.Regexp
		rule        string
	}{
		{"Names.Connection", n.Connection, eventsName, "1-64 of [.-_A-Za-z0-9]"},
		{"Names.APIDestination", n.APIDestination, eventsName, "1-64 of [.-_A-Za-z0-9]"},
		{"Names.Rule", n.Rule, eventsName, "1-64 of [.-_A-Za-z0-9]"},
		{"Names.Role", n.Role, iamRoleName, `1-64 of [\w+=,.@-]`},
		{"Names.RolePolicy", n.RolePolicy, iamPolicyName, `1-128 of [\w+=,.@-]`},
		{"Names.DeadLetterQueue", n.DeadLetterQueue, queueName, "1-80 of [A-Za-z0-9_-]"},
	} {
		if x.name != "" && !x.re.MatchString(x.name) {
			add(x.field, fmt.Errorf("%w: %q (want %s)", ErrInvalidName, x.name, x.rule))
		}
	}

	// Home region.
	if h := c.HomeRegion; h != nil {
		if !regionName.MatchString(h.Region) {
			add("HomeRegion.Region", fmt.Errorf("%w: %q", ErrInvalidRegion, h.Region))
		}
		if h.AdministratorAccountID != "" && !accountID.MatchString(h.AdministratorAccountID) {
			add("HomeRegion.AdministratorAccountID", fmt.Errorf("%w: %q is not 12 digits", ErrInvalidAccount, h.AdministratorAccountID))
		}
		if c.OwnAccountOnly {
			add("OwnAccountOnly", fmt.Errorf("%w: in home-region mode the rule must accept every member account's findings", ErrConflict))
		}
	}

	// Pattern.
	pi, perrs := analyzePattern(c.Pattern, c.OwnAccountOnly, c.HomeRegion != nil, warn)
	r.pattern = pi
	for _, e := range perrs {
		probs = append(probs, e)
	}

	// Retry policy.
	r.attempts = DefaultMaxRetryAttempts
	if p := c.Retry.MaximumRetryAttempts; p != nil {
		r.attempts = *p
		if *p < 0 || *p > 185 {
			add("Retry.MaximumRetryAttempts", fmt.Errorf("%w: %d, want 0..185", ErrOutOfRange, *p))
		}
	}
	r.ageSeconds = int(DefaultMaxEventAge / time.Second)
	if d := c.Retry.MaximumEventAge; d != 0 {
		r.ageSeconds = int(d / time.Second)
		if d%time.Second != 0 || d < time.Minute || d > 24*time.Hour {
			add("Retry.MaximumEventAge", fmt.Errorf("%w: %v, want whole seconds from 1m0s to 24h0m0s", ErrOutOfRange, d))
		}
	}
	if a.Type == AuthOAuthClientCredentials && r.attempts == 0 {
		warn("OAuth with MaximumRetryAttempts 0: EventBridge refreshes an expired token only when it retries, so events may be lost after a token expires")
	}

	// Rate limit.
	r.rate = c.RateLimitPerSecond
	if r.rate == 0 {
		r.rate = DefaultRateLimit
	} else if r.rate < 0 {
		add("RateLimitPerSecond", fmt.Errorf("%w: %d, want at least 1", ErrOutOfRange, r.rate))
	}

	// Dead-letter retention.
	r.retention = int(DefaultDeadLetterRetention / time.Second)
	if d := c.DeadLetterRetention; d != 0 {
		r.retention = int(d / time.Second)
		if d%time.Second != 0 || d < time.Minute || d > DefaultDeadLetterRetention {
			add("DeadLetterRetention", fmt.Errorf("%w: %v, want whole seconds from 1m0s to 336h0m0s", ErrOutOfRange, d))
		}
	}

	// Target headers.
	if !c.NoIdempotencyHeader {
		r.idemHeader = c.IdempotencyHeader
		if r.idemHeader == "" {
			r.idemHeader = DefaultIdempotencyHeader
		}
		if err := checkHeaderName(r.idemHeader); err != nil {
			add("IdempotencyHeader", err)
		}
		if a.Type == AuthAPIKey && strings.EqualFold(r.idemHeader, r.headerName) {
			add("IdempotencyHeader", fmt.Errorf("%w: same as the API-key header %q", ErrConflict, r.headerName))
		}
	} else if c.IdempotencyHeader != "" {
		add("IdempotencyHeader", fmt.Errorf("%w: NoIdempotencyHeader is set", ErrConflict))
	}
	seenHeader := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(c.Headers)) {
		f := "Headers[" + k + "]"
		if prev, dup := seenHeader[strings.ToLower(k)]; dup {
			add(f, fmt.Errorf("%w: same header as %q (names are case-insensitive)", ErrConflict, prev))
		}
		seenHeader[strings.ToLower(k)] = k
		if err := checkHeaderName(k); err != nil {
			add(f, err)
			continue
		}
		if v := c.Headers[k]; !printableASCII.MatchString(v) || len(v) > 512 {
			add(f, fmt.Errorf("%w: 1-512 printable ASCII characters", ErrInvalidHeaderValue))
		}
		if (a.Type == AuthAPIKey && strings.EqualFold(k, r.headerName)) || strings.EqualFold(k, r.idemHeader) {
			add(f, fmt.Errorf("%w: the header is already set by the template", ErrConflict))
		}
		if a.Type != AuthAPIKey && strings.EqualFold(k, "Authorization") {
			add(f, fmt.Errorf("%w: the connection sets Authorization", ErrConflict))
		}
	}

	// Tags.
	if len(c.Tags) > 50 {
		add("Tags", fmt.Errorf("%w: %d tags, at most 50", ErrOutOfRange, len(c.Tags)))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Tags)) {
		v := c.Tags[k]
		f := "Tags[" + k + "]"
		switch {
		case k == "" || utf8.RuneCountInString(k) > 128 || !tagText.MatchString(k):
			add(f, fmt.Errorf("%w: key must be 1-128 letters, digits, spaces or _.:/=+-@", ErrInvalidTag))
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			add(f, fmt.Errorf("%w: the aws: prefix is reserved", ErrInvalidTag))
		case utf8.RuneCountInString(v) > 256 || !tagText.MatchString(v):
			add(f, fmt.Errorf("%w: value must be 0-256 letters, digits, spaces or _.:/=+-@", ErrInvalidTag))
		}
	}

	if len(c.Description) > 1024 {
		add("Description", fmt.Errorf("%w: %d bytes, at most 1024", ErrOutOfRange, len(c.Description)))
	}

	if len(probs) > 0 {
		return nil, &ConfigError{Problems: probs}
	}
	return r, nil
}

func setDefault(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// checkHTTPSURL validates an endpoint. Errors show the scheme and host only:
// URLs may carry tokens in their path or query.
func checkHTTPSURL(raw string, warn func(string, ...any)) []error {
	u, err := url.Parse(raw)
	if err != nil {
		return []error{fmt.Errorf("%w: does not parse as a URL", ErrInvalidURL)}
	}
	where := u.Scheme + "://" + u.Host
	var errs []error
	if u.Scheme != "https" {
		errs = append(errs, fmt.Errorf("%w: %q uses scheme %q; EventBridge API destinations and OAuth endpoints need https", ErrNotHTTPS, where, u.Scheme))
	}
	if u.Host == "" || u.Hostname() == "" {
		errs = append(errs, fmt.Errorf("%w: no host", ErrInvalidURL))
	}
	if u.User != nil {
		errs = append(errs, fmt.Errorf("%w: %s has credentials in the URL; use the connection's auth", ErrInvalidURL, where))
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		errs = append(errs, fmt.Errorf("%w: %s has a #fragment", ErrInvalidURL, where))
	}
	if len(raw) > 2048 {
		errs = append(errs, fmt.Errorf("%w: %d characters, at most 2048", ErrInvalidURL, len(raw)))
	} else if !endpointPattern.MatchString(raw) {
		errs = append(errs, fmt.Errorf("%w: %s... has characters EventBridge rejects (percent-encode them)", ErrInvalidURL, where))
	}
	if h := u.Hostname(); h != "" && len(errs) == 0 {
		if h == "localhost" || net.ParseIP(h) != nil {
			warn("endpoint host %s is not a public DNS name; EventBridge needs a public name with a publicly trusted certificate", h)
		}
	}
	return errs
}

// checkHeaderName checks an HTTP header name EventBridge will send.
func checkHeaderName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidHeaderName)
	case len(name) > 512 || !headerToken.MatchString(name) || !hasAlnum.MatchString(name):
		return fmt.Errorf("%w: %q is not an HTTP token (letters, digits and !#$%%&'*+-.^_`|~)", ErrInvalidHeaderName, name)
	case slices.Contains(droppedHeaders, strings.ToLower(name)):
		return fmt.Errorf("%w: EventBridge removes or controls the %s header", ErrInvalidHeaderName, name)
	case strings.HasPrefix(strings.ToLower(name), "x-amz"):
		return fmt.Errorf("%w: X-Amz* headers are reserved", ErrInvalidHeaderName)
	}
	return nil
}
