package cloudformation

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Defaults applied to a zero [Config].
const (
	// DefaultHeaderName is the API-key header the autobotAI listener expects.
	DefaultHeaderName = "x-secret-key"
	// DefaultRateLimit is the invocation rate limit per second (EventBridge's
	// own default; excess events are delayed, not dropped).
	DefaultRateLimit = 300
	// DefaultMaxRetryAttempts is EventBridge's maximum, 185 attempts.
	DefaultMaxRetryAttempts = 185
	// DefaultMaxEventAge is EventBridge's maximum, 24 hours.
	DefaultMaxEventAge = 24 * time.Hour
	// DefaultIdempotencyHeader carries the event id ($.id) to the receiver.
	DefaultIdempotencyHeader = "Idempotency-Key"
	// DefaultDeadLetterRetention is SQS's maximum retention, 14 days.
	DefaultDeadLetterRetention = 14 * 24 * time.Hour
	// DefaultTokenMethod is the HTTP method of the OAuth token request.
	DefaultTokenMethod = "POST"
)

// AuthType selects how the connection authenticates to the receiver.
type AuthType int

const (
	// AuthAPIKey sends a static secret in a header (the zero value; the
	// autobotAI guide's "Secret Key in Headers").
	AuthAPIKey AuthType = iota
	// AuthBasic sends Authorization: Basic base64(user:password).
	AuthBasic
	// AuthOAuthClientCredentials exchanges a client ID and secret for a bearer
	// token at a token endpoint, and refreshes it.
	AuthOAuthClientCredentials
)

// String returns the CloudFormation AuthorizationType value.
func (a AuthType) String() string {
	switch a {
	case AuthAPIKey:
		return "API_KEY"
	case AuthBasic:
		return "BASIC"
	case AuthOAuthClientCredentials:
		return "OAUTH_CLIENT_CREDENTIALS"
	}
	return fmt.Sprintf("AuthType(%d)", int(a))
}

// ParseAuthType accepts the CloudFormation names (API_KEY, BASIC,
// OAUTH_CLIENT_CREDENTIALS) and the short forms api-key, basic and oauth.
func ParseAuthType(s string) (AuthType, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "_", "-")) {
	case "api-key", "apikey":
		return AuthAPIKey, nil
	case "basic":
		return AuthBasic, nil
	case "oauth", "oauth-client-credentials":
		return AuthOAuthClientCredentials, nil
	}
	return 0, fmt.Errorf("cloudformation: unknown auth type %q (want api-key, basic or oauth)", s)
}

// SecretSource says where the connection's credential (API key value, Basic
// password or OAuth client secret) comes from at deploy time. Exactly one of
// Parameter and SecretsManagerID must be set; the zero value is invalid
// ([ErrMissingSecret]). The credential itself is never part of a Config.
type SecretSource struct {
	// Parameter asks for the value at deploy time through a NoEcho parameter
	// with no default.
	Parameter bool
	// SecretsManagerID is the name or ARN of a Secrets Manager secret,
	// referenced with {{resolve:secretsmanager:...}}.
	SecretsManagerID string
	// JSONKey selects a key of a JSON SecretString; empty uses the whole string.
	JSONKey string
}

// SecretParameter returns a source that asks for the credential through a
// NoEcho template parameter.
func SecretParameter() SecretSource { return SecretSource{Parameter: true} }

// SecretsManager returns a source that resolves the credential from a
// Secrets Manager secret (name or ARN), optionally one key of its JSON value.
func SecretsManager(secretID, jsonKey string) SecretSource {
	return SecretSource{SecretsManagerID: secretID, JSONKey: jsonKey}
}

// Auth configures the connection.
type Auth struct {
	Type AuthType

	// HeaderName is the API-key header (AuthAPIKey); default [DefaultHeaderName].
	// It becomes the default of a template parameter.
	HeaderName string

	// Username is the Basic user name (AuthBasic); empty makes it a parameter.
	Username string

	// TokenEndpoint is the https:// URL of the OAuth token endpoint.
	TokenEndpoint string
	// TokenMethod is GET, POST or PUT; default POST.
	TokenMethod string
	// ClientID is the OAuth client ID; empty makes it a parameter.
	ClientID string
	// Scopes are sent space-separated as the "scope" parameter of the token
	// request, next to grant_type=client_credentials.
	Scopes []string
	// TokenParamsInQuery sends grant_type, scope and TokenParameters as
	// query-string parameters of the token request instead of body parameters.
	TokenParamsInQuery bool
	// TokenParameters are extra non-secret token-request parameters, such as
	// an "audience".
	TokenParameters map[string]string

	// Secret is where the API key value, password or client secret comes from.
	Secret SecretSource
}

// HomeRegion configures the delegated-administrator mode: one stack, in the
// Security Hub administrator account's home (aggregation) Region, receives
// the findings of every member account and every linked Region. See the
// package documentation.
type HomeRegion struct {
	// Region is the aggregation Region, e.g. "eu-west-1". Required.
	Region string
	// AdministratorAccountID, when set, is the 12-digit delegated
	// administrator account; the rule is then enabled only in that account.
	AdministratorAccountID string
}

// RetryPolicy bounds EventBridge's retries for one event.
type RetryPolicy struct {
	// MaximumRetryAttempts is 0..185; nil means [DefaultMaxRetryAttempts].
	MaximumRetryAttempts *int
	// MaximumEventAge is 60s..24h in whole seconds; zero means [DefaultMaxEventAge].
	MaximumEventAge time.Duration
}

// Names are the physical names of the resources and the logical names of the
// template parameters. An empty resource name lets CloudFormation generate
// a unique one (recommended: no clashes, no replacement conflicts, and no
// CAPABILITY_NAMED_IAM); empty parameter names get defaults.
//
// IAM role names are global to an account: two stacks with the same Role
// name, even in different Regions, collide.
type Names struct {
	Connection      string // 1-64 of [.-_A-Za-z0-9]
	APIDestination  string // 1-64 of [.-_A-Za-z0-9]
	Rule            string // 1-64 of [.-_A-Za-z0-9]
	Role            string // 1-64 of [\w+=,.@-]; setting it needs CAPABILITY_NAMED_IAM
	RolePolicy      string // inline policy name; default "InvokeApiDestination"
	DeadLetterQueue string // 1-80 of [A-Za-z0-9_-]

	EndpointParameter   string // default "EndpointUrl" (used when Config.Endpoint is empty)
	HeaderNameParameter string // default "ApiKeyHeaderName"
	SecretParameter     string // default "ApiKeyValue", "BasicPassword" or "OAuthClientSecret"
	UsernameParameter   string // default "BasicUsername"
	ClientIDParameter   string // default "OAuthClientId"
}

// AutobotAINames returns the names of the autobotAI "Security Hub (OCSF)"
// guide: its connection, API destination, role, policy and rule names, and
// its parameter names APIEndPoint, APIKeyName and APIKeyValue. The guide's
// separate managed policy becomes an inline policy of the same name. The
// role name is fixed, so deploy the preset once per account (use
// [HomeRegion]) or clear Names.Role.
func AutobotAINames() Names {
	return Names{
		Connection:          "autobotAI-security-hub-listener-connection",
		APIDestination:      "autobotAI-security-hub-listener-webhook",
		Rule:                "autobotAI-Security-Hub-Findings",
		Role:                "autobotAI_EventBridge_Invoke_Api_Destination",
		RolePolicy:          "autobotAI_EventBridge_Invoke_Api_Destination_Policy",
		EndpointParameter:   "APIEndPoint",
		HeaderNameParameter: "APIKeyName",
		SecretParameter:     "APIKeyValue",
	}
}

// AutobotAIStackName is the stack name the autobotAI guide uses.
const AutobotAIStackName = "autobotAI-Security-Hub-EventBridge"

// Config describes the receiving stack: a connection, an API destination, a
// rule with the event pattern, an invocation role and a dead-letter queue.
// The zero value plus a [SecretSource] is a valid API-key stack for all
// Security Hub (OCSF) findings of the account and Region it is deployed in.
type Config struct {
	// Endpoint is the receiver's https:// URL. Empty makes it a template
	// parameter (constrained to https://).
	Endpoint string

	Auth Auth

	// Pattern is the event pattern, e.g. the eventbridge package's builder
	// output or a json.RawMessage. Nil means every Security Hub (OCSF)
	// finding: {"source":["aws.securityhub"],"detail-type":["Findings Imported V2"]}.
	Pattern json.Marshaler

	// OwnAccountOnly adds "account": [the stack's account] to the pattern,
	// as the autobotAI guide's rule does. Not allowed with HomeRegion.
	OwnAccountOnly bool

	// HomeRegion enables delegated-administrator home-region mode.
	HomeRegion *HomeRegion

	Retry RetryPolicy

	// RateLimitPerSecond is the API destination's invocation rate limit;
	// zero means [DefaultRateLimit].
	RateLimitPerSecond int

	// IdempotencyHeader names the target header that carries the event id
	// ("$.id"); empty means [DefaultIdempotencyHeader].
	IdempotencyHeader string
	// NoIdempotencyHeader leaves the idempotency header out.
	NoIdempotencyHeader bool
	// Headers are extra target headers: static values, or JSON paths into
	// the event such as "$.detail.findings[0].metadata.uid".
	Headers map[string]string

	Names Names

	// Tags go on the resource types that take tags: the rule, the role and
	// the queue (connections, API destinations and queue policies take none).
	Tags map[string]string

	// Description overrides the template description.
	Description string

	// DeadLetterRetention is how long the dead-letter queue keeps messages,
	// 60s..14 days; zero means [DefaultDeadLetterRetention].
	DeadLetterRetention time.Duration
}

// Options are the rendering options.
type Options struct {
	// Logger receives warnings (for example a pattern above 2,048 characters,
	// which needs a quota increase). It discards by default.
	Logger *slog.Logger
}

func applyOptions(opts []func(*Options)) Options {
	o := Options{}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
