package listener

import (
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
)

// DefaultAPIKeyHeader is the header an EventBridge API_KEY connection sets
// when [Credentials.APIKeyHeader] is empty: the name used by the autobotAI
// Security Hub integration's CloudFormation.
const DefaultAPIKeyHeader = "x-secret-key"

// AuthMethod names how a request authenticated (or tried to).
type AuthMethod string

// The authentication methods, matching EventBridge's connection types.
const (
	AuthNone   AuthMethod = ""        // no credential presented
	AuthAPIKey AuthMethod = "api_key" // API_KEY: a secret in a header
	AuthBasic  AuthMethod = "basic"   // BASIC: Authorization: Basic
	AuthBearer AuthMethod = "bearer"  // OAUTH_CLIENT_CREDENTIALS: Authorization: Bearer
)

// BasicUser is one user name and password accepted with "Authorization: Basic".
type BasicUser struct {
	Username string
	Password Secret
}

// Credentials lists what a request may authenticate with. Any configured
// method may be used; several values per method allow rotation without
// downtime: add the new value, update the EventBridge connection, then
// remove the old value.
type Credentials struct {
	// APIKeyHeader is the header carrying the API key. Default
	// [DefaultAPIKeyHeader]. EventBridge strips some standard headers
	// (Proxy-Authorization, Date, ...), so pick a custom name.
	APIKeyHeader string
	// APIKeys are the accepted API key values (each at least [MinSecretLength] bytes).
	APIKeys []Secret
	// Basic are the accepted Basic users (passwords at least [MinSecretLength] bytes).
	Basic []BasicUser
	// OAuth verifies "Authorization: Bearer" tokens it issued (see [TokenIssuer]).
	OAuth *TokenIssuer
}

// AuthError is the error of a failed [Authenticator.Authenticate]. It
// never contains the presented credential.
type AuthError struct {
	// Method is the method that was tried, or AuthNone when no credential
	// of a configured method was presented.
	Method AuthMethod
	// Err wraps ErrUnauthenticated, and for bearer tokens also ErrInvalidToken
	// and its specific reason.
	Err error
}

// Error describes the failure without the credential.
func (e *AuthError) Error() string {
	if e.Method == AuthNone {
		return "listener: no credentials"
	}
	return fmt.Sprintf("listener: %s authentication failed: %v", e.Method, e.Err)
}

// Unwrap returns the cause.
func (e *AuthError) Unwrap() error { return e.Err }

// Authenticator checks request headers against [Credentials]. It is pure
// (no I/O, no body access) and safe for concurrent use.
type Authenticator struct {
	header  string // canonical MIME header key
	apiKeys []digest
	basic   []digest
	oauth   *TokenIssuer
}

// NewAuthenticator validates c and returns an Authenticator. It fails
// closed: with no method configured it returns an error wrapping
// [ErrNoCredentials]; an empty or short secret wraps [ErrWeakSecret].
func NewAuthenticator(c Credentials) (*Authenticator, error) {
	a := &Authenticator{header: c.APIKeyHeader, oauth: c.OAuth}
	if a.header == "" {
		a.header = DefaultAPIKeyHeader
	}
	if !validHeaderName(a.header) {
		return nil, fmt.Errorf("%w: APIKeyHeader %q is not a valid header name", ErrInvalidOptions, a.header)
	}
	a.header = textproto.CanonicalMIMEHeaderKey(a.header)
	for i, k := range c.APIKeys {
		if len(k) < MinSecretLength {
			return nil, fmt.Errorf("%w: APIKeys[%d] is shorter than %d bytes", ErrWeakSecret, i, MinSecretLength)
		}
		a.apiKeys = append(a.apiKeys, digestOf(string(k)))
	}
	for i, u := range c.Basic {
		if u.Username == "" || strings.ContainsRune(u.Username, ':') {
			return nil, fmt.Errorf("%w: Basic[%d] has an empty user name or one containing ':'", ErrInvalidOptions, i)
		}
		if len(u.Password) < MinSecretLength {
			return nil, fmt.Errorf("%w: password of Basic user %q is shorter than %d bytes", ErrWeakSecret, u.Username, MinSecretLength)
		}
		a.basic = append(a.basic, basicDigest(u.Username, string(u.Password)))
	}
	if len(a.apiKeys) == 0 && len(a.basic) == 0 && a.oauth == nil {
		return nil, fmt.Errorf("%w: configure APIKeys, Basic or OAuth", ErrNoCredentials)
	}
	return a, nil
}

func basicDigest(user, pass string) digest {
	// The NUL separator cannot occur in a header value, so user/pass pairs
	// cannot collide by moving characters across the boundary.
	return digestOf(user + "\x00" + pass)
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// OAuthEnabled reports whether bearer tokens are accepted.
func (a *Authenticator) OAuthEnabled() bool { return a.oauth != nil }

// StaticEnabled reports whether an API key or Basic user is configured.
func (a *Authenticator) StaticEnabled() bool { return len(a.apiKeys) > 0 || len(a.basic) > 0 }

// Authenticate checks the credentials in h and returns the method that
// succeeded, or an *AuthError. Every configured method present in h is
// tried; one success is enough. Header values are compared through their
// SHA-256 digests in constant time. A header repeated with several values
// is refused as ambiguous.
func (a *Authenticator) Authenticate(h http.Header) (AuthMethod, error) {
	tried := AuthNone
	var cause error = ErrUnauthenticated
	if len(a.apiKeys) > 0 {
		if vs := h[a.header]; len(vs) > 0 {
			tried = AuthAPIKey
			if len(vs) == 1 && matchAny(digestOf(vs[0]), a.apiKeys) {
				return AuthAPIKey, nil
			}
		}
	}
	authz := h["Authorization"]
	if len(authz) > 1 {
		if tried == AuthNone {
			tried = AuthBasic
			if a.oauth != nil {
				tried = AuthBearer
			}
		}
		return AuthNone, &AuthError{Method: tried, Err: fmt.Errorf("%w: repeated Authorization header", ErrUnauthenticated)}
	}
	if len(authz) == 1 {
		v := authz[0]
		scheme, cred, _ := strings.Cut(strings.TrimLeft(v, " "), " ")
		switch {
		case strings.EqualFold(scheme, "basic") && len(a.basic) > 0:
			if tried == AuthNone {
				tried = AuthBasic
			}
			if u, p, ok := parseBasic(v); ok && matchAny(basicDigest(u, p), a.basic) {
				return AuthBasic, nil
			}
		case strings.EqualFold(scheme, "bearer") && a.oauth != nil:
			tried = AuthBearer // a bearer failure decides the status (401 for a refresh)
			_, err := a.oauth.Verify(strings.TrimSpace(cred))
			if err == nil {
				return AuthBearer, nil
			}
			cause = fmt.Errorf("%w: %w", ErrUnauthenticated, err)
		}
	}
	return AuthNone, &AuthError{Method: tried, Err: cause}
}
