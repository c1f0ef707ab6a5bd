package listener

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Token errors. Every error returned by [TokenIssuer.Verify] wraps
// ErrInvalidToken and, where the reason is known, one of the more specific
// sentinels below. None of them carries the token or a key.
var (
	ErrInvalidToken       = errors.New("listener: invalid bearer token")
	ErrTokenMalformed     = errors.New("listener: token is not a compact HS256 JWT")
	ErrTokenSignature     = errors.New("listener: token signature does not verify")
	ErrTokenExpired       = errors.New("listener: token has expired")
	ErrTokenNotYetValid   = errors.New("listener: token is not valid yet")
	ErrTokenAudience      = errors.New("listener: token audience does not match")
	ErrTokenIssuer        = errors.New("listener: token issuer does not match")
	ErrTokenUnknownClient = errors.New("listener: token subject is not a configured client")
)

// Defaults of [TokenOptions].
const (
	DefaultTokenIssuer   = "ocsfhub"
	DefaultTokenAudience = "ocsfhub-listener"
	DefaultTokenTTL      = 15 * time.Minute
	DefaultTokenLeeway   = 30 * time.Second
	// MaxTokenTTL is the longest lifetime [NewTokenIssuer] accepts.
	MaxTokenTTL = 24 * time.Hour
	// MinSigningKeyLength is the minimum length, in bytes, of a [SigningKey]
	// secret (the HMAC-SHA256 block-size guidance of RFC 7518 §3.2).
	MinSigningKeyLength = 32
	// maxTokenLength bounds the work done on a presented token.
	maxTokenLength = 4096
)

// SigningKey is one HMAC-SHA256 key for access tokens. ID is written into the
// token's "kid" header so the verifier picks the right key during rotation.
type SigningKey struct {
	ID     string
	Secret Secret
}

// OAuthClient is one OAuth 2.0 client allowed to obtain tokens with the client
// credentials grant: the client id and secret configured in the EventBridge
// connection.
type OAuthClient struct {
	ID     string
	Secret Secret
}

// TokenOptions configures a [TokenIssuer]. The zero value of every field
// except Keys means its default; Keys must hold at least one key.
type TokenOptions struct {
	// Keys are the HMAC-SHA256 signing keys. Keys[0] signs new tokens; every
	// key verifies. Rotate by prepending a new key, waiting one TTL, then
	// removing the old one. IDs must be unique and non-empty.
	Keys []SigningKey
	// Clients may obtain tokens from the token endpoint ([TokenIssuer.ServeHTTP]).
	// When Clients is non-empty, [TokenIssuer.Verify] also refuses tokens whose
	// subject is no longer a configured client, so removing a client revokes
	// its tokens at once. A verify-only issuer (for example a replica that
	// does not serve the endpoint) may leave it empty.
	Clients []OAuthClient
	// Issuer is the "iss" claim written and required. Default [DefaultTokenIssuer].
	Issuer string
	// Audience is the "aud" claim written and required. Default [DefaultTokenAudience].
	Audience string
	// TTL is the lifetime of issued tokens (expires_in). Default
	// [DefaultTokenTTL]; at most [MaxTokenTTL].
	TTL time.Duration
	// Leeway tolerates clock differences between replicas when checking
	// "exp" and "nbf". Default [DefaultTokenLeeway]; a negative value means none.
	Leeway time.Duration
	// Now returns the current time; default time.Now. For tests.
	Now func() time.Time
	// Logger receives one record per token request (client id and outcome,
	// never a secret). Default: discard.
	Logger *slog.Logger
}

// Claims are the verified contents of an access token.
type Claims struct {
	Issuer    string    // iss
	Subject   string    // sub: the OAuth client id
	Audience  string    // aud
	IssuedAt  time.Time // iat
	NotBefore time.Time // nbf
	Expiry    time.Time // exp
	ID        string    // jti: random, unique per token
	KeyID     string    // kid of the header: which signing key verified it
}

// TokenIssuer issues and verifies the short-lived access tokens of the OAuth
// client-credentials flow. It is the token endpoint (ServeHTTP, RFC 6749
// §4.4) that an EventBridge connection of type OAUTH_CLIENT_CREDENTIALS
// calls, and the verifier the [Handler] uses for "Authorization: Bearer".
//
// Tokens are compact JWTs (RFC 7519) signed with HMAC-SHA256 ("alg":"HS256",
// "typ":"JWT", "kid":<key id>) carrying iss, sub, aud, iat, nbf, exp and jti.
// Verify accepts nothing else: no other algorithm, no unsigned tokens, no
// unknown key id. A TokenIssuer is safe for concurrent use.
type TokenIssuer struct {
	keys     []hmacKey
	clients  map[string]digest
	dummy    digest
	issuer   string
	audience string
	ttl      time.Duration
	leeway   time.Duration
	now      func() time.Time
	log      *slog.Logger
}

type hmacKey struct {
	id  string
	key []byte
}

// NewTokenIssuer validates opts and returns a TokenIssuer.
func NewTokenIssuer(opts TokenOptions) (*TokenIssuer, error) {
	t := &TokenIssuer{
		issuer:   opts.Issuer,
		audience: opts.Audience,
		ttl:      opts.TTL,
		leeway:   opts.Leeway,
		now:      opts.Now,
		log:      opts.Logger,
		clients:  make(map[string]digest, len(opts.Clients)),
	}
	if t.issuer == "" {
		t.issuer = DefaultTokenIssuer
	}
	if t.audience == "" {
		t.audience = DefaultTokenAudience
	}
	switch {
	case t.ttl == 0:
		t.ttl = DefaultTokenTTL
	case t.ttl < time.Second || t.ttl > MaxTokenTTL:
		return nil, fmt.Errorf("%w: TokenOptions.TTL %v is outside [1s, %v]", ErrInvalidOptions, t.ttl, MaxTokenTTL)
	}
	switch {
	case t.leeway == 0:
		t.leeway = DefaultTokenLeeway
	case t.leeway < 0:
		t.leeway = 0
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if len(opts.Keys) == 0 {
		return nil, fmt.Errorf("%w: TokenOptions.Keys is empty", ErrNoCredentials)
	}
	seen := map[string]bool{}
	for i, k := range opts.Keys {
		if k.ID == "" || seen[k.ID] {
			return nil, fmt.Errorf("%w: TokenOptions.Keys[%d] has an empty or duplicate ID", ErrInvalidOptions, i)
		}
		if len(k.Secret) < MinSigningKeyLength {
			return nil, fmt.Errorf("%w: TokenOptions.Keys[%d] (%q) is shorter than %d bytes", ErrWeakSecret, i, k.ID, MinSigningKeyLength)
		}
		seen[k.ID] = true
		t.keys = append(t.keys, hmacKey{id: k.ID, key: []byte(k.Secret)})
	}
	for i, c := range opts.Clients {
		if c.ID == "" {
			return nil, fmt.Errorf("%w: TokenOptions.Clients[%d] has an empty ID", ErrInvalidOptions, i)
		}
		if _, dup := t.clients[c.ID]; dup {
			return nil, fmt.Errorf("%w: TokenOptions.Clients[%d]: duplicate client ID %q", ErrInvalidOptions, i, c.ID)
		}
		if len(c.Secret) < MinSecretLength {
			return nil, fmt.Errorf("%w: secret of OAuth client %q is shorter than %d bytes", ErrWeakSecret, c.ID, MinSecretLength)
		}
		t.clients[c.ID] = digestOf(string(c.Secret))
	}
	if _, err := rand.Read(t.dummy[:]); err != nil {
		return nil, fmt.Errorf("listener: random: %w", err)
	}
	return t, nil
}

// Audience returns the audience the issuer writes and requires.
func (t *TokenIssuer) Audience() string { return t.audience }

// TTL returns the lifetime of the tokens the issuer issues.
func (t *TokenIssuer) TTL() time.Duration { return t.ttl }

type jwtHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ,omitempty"`
	Kid string `json:"kid"`
}

type jwtClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Iat int64  `json:"iat"`
	Nbf int64  `json:"nbf"`
	Exp int64  `json:"exp"`
	Jti string `json:"jti"`
}

var b64 = base64.RawURLEncoding

// Issue signs a new access token for subject (an OAuth client id) with the
// first signing key, and returns it with its expiry. The token endpoint calls
// it after authenticating the client; tests may call it directly.
func (t *TokenIssuer) Issue(subject string) (token string, expiry time.Time, err error) {
	now := t.now().Truncate(time.Second)
	expiry = now.Add(t.ttl)
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("listener: random: %w", err)
	}
	k := t.keys[0]
	h, err := json.Marshal(jwtHeader{Alg: "HS256", Typ: "JWT", Kid: k.id})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("listener: encode token header: %w", err)
	}
	c, err := json.Marshal(jwtClaims{
		Iss: t.issuer, Sub: subject, Aud: t.audience,
		Iat: now.Unix(), Nbf: now.Unix(), Exp: expiry.Unix(),
		Jti: b64.EncodeToString(jti[:]),
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("listener: encode token claims: %w", err)
	}
	buf := make([]byte, 0, b64.EncodedLen(len(h))+b64.EncodedLen(len(c))+b64.EncodedLen(sha256.Size)+2)
	buf = b64.AppendEncode(buf, h)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, c)
	mac := hmac.New(sha256.New, k.key)
	mac.Write(buf)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, mac.Sum(nil))
	return string(buf), expiry, nil
}

func tokenErr(specific error, detail string) error {
	if detail == "" {
		return fmt.Errorf("%w: %w", ErrInvalidToken, specific)
	}
	return fmt.Errorf("%w: %w: %s", ErrInvalidToken, specific, detail)
}

// Verify checks a compact token: its form, the HS256 signature under the key
// named by "kid", issuer, audience, expiry and not-before (with the
// configured leeway) and, when the issuer has clients, that the subject is
// still one of them. The error wraps [ErrInvalidToken] and a specific sentinel.
func (t *TokenIssuer) Verify(token string) (*Claims, error) {
	if len(token) == 0 || len(token) > maxTokenLength {
		return nil, tokenErr(ErrTokenMalformed, "bad length")
	}
	dot1 := strings.IndexByte(token, '.')
	if dot1 < 0 {
		return nil, tokenErr(ErrTokenMalformed, "no segments")
	}
	rest := token[dot1+1:]
	dot2 := strings.IndexByte(rest, '.')
	if dot2 < 0 || strings.IndexByte(rest[dot2+1:], '.') >= 0 {
		return nil, tokenErr(ErrTokenMalformed, "want three segments")
	}
	signingInput := token[:dot1+1+dot2]
	hdrB, err := b64.DecodeString(token[:dot1])
	if err != nil {
		return nil, tokenErr(ErrTokenMalformed, "header encoding")
	}
	var hdr jwtHeader
	if err := json.Unmarshal(hdrB, &hdr); err != nil {
		return nil, tokenErr(ErrTokenMalformed, "header JSON")
	}
	if hdr.Alg != "HS256" || (hdr.Typ != "" && hdr.Typ != "JWT") {
		return nil, tokenErr(ErrTokenMalformed, "unsupported alg or typ")
	}
	sig, err := b64.DecodeString(rest[dot2+1:])
	if err != nil || len(sig) != sha256.Size {
		return nil, tokenErr(ErrTokenMalformed, "signature encoding")
	}
	var key []byte
	for _, k := range t.keys {
		if k.id == hdr.Kid {
			key = k.key
			break
		}
	}
	if key == nil {
		return nil, tokenErr(ErrTokenSignature, "unknown key id")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signingInput))
	if !hmac.Equal(mac.Sum(nil), sig) {
		return nil, tokenErr(ErrTokenSignature, "")
	}
	claimsB, err := b64.DecodeString(rest[:dot2])
	if err != nil {
		return nil, tokenErr(ErrTokenMalformed, "claims encoding")
	}
	var c jwtClaims
	if err := json.Unmarshal(claimsB, &c); err != nil {
		return nil, tokenErr(ErrTokenMalformed, "claims JSON")
	}
	if c.Iss != t.issuer {
		return nil, tokenErr(ErrTokenIssuer, "")
	}
	if c.Aud != t.audience {
		return nil, tokenErr(ErrTokenAudience, "")
	}
	if c.Exp == 0 {
		return nil, tokenErr(ErrTokenMalformed, "no exp")
	}
	now := t.now()
	exp := time.Unix(c.Exp, 0)
	if !now.Before(exp.Add(t.leeway)) {
		return nil, tokenErr(ErrTokenExpired, "")
	}
	nbf := time.Unix(c.Nbf, 0)
	if now.Add(t.leeway).Before(nbf) {
		return nil, tokenErr(ErrTokenNotYetValid, "")
	}
	if len(t.clients) > 0 {
		if _, ok := t.clients[c.Sub]; !ok {
			return nil, tokenErr(ErrTokenUnknownClient, "")
		}
	}
	return &Claims{
		Issuer: c.Iss, Subject: c.Sub, Audience: c.Aud,
		IssuedAt: time.Unix(c.Iat, 0), NotBefore: nbf, Expiry: exp,
		ID: c.Jti, KeyID: hdr.Kid,
	}, nil
}

// authenticateClient checks a client id and secret in constant time with
// respect to the secret; an unknown id costs the same as a wrong secret.
func (t *TokenIssuer) authenticateClient(id, secret string) bool {
	want, ok := t.clients[id]
	if !ok {
		want = t.dummy
	}
	return matchAny(digestOf(secret), []digest{want}) && ok
}
