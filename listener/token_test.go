package listener_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
)

const (
	testClientID     = "eventbridge-connection"
	testClientSecret = listener.Secret("client-secret-0123456789:+%&=") // characters that need form-encoding
	testKeyA         = listener.Secret("signing-key-A-0123456789abcdefghijklmnopqrstuvwxyz")
	testKeyB         = listener.Secret("signing-key-B-0123456789abcdefghijklmnopqrstuvwxyz")
)

// fakeClock is a settable clock for token expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newIssuer(t testing.TB, mod func(*listener.TokenOptions)) *listener.TokenIssuer {
	t.Helper()
	opts := listener.TokenOptions{
		Keys:    []listener.SigningKey{{ID: "a", Secret: testKeyA}},
		Clients: []listener.OAuthClient{{ID: testClientID, Secret: testClientSecret}},
	}
	if mod != nil {
		mod(&opts)
	}
	iss, err := listener.NewTokenIssuer(opts)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func basicHeader(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Error       string `json:"error"`
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t, nil)
	formBasic := url.Values{"grant_type": {"client_credentials"}}.Encode()
	formBody := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {string(testClientSecret)}}.Encode()
	jsonBody := `{"grant_type":"client_credentials","client_id":"` + testClientID + `","client_secret":"` + string(testClientSecret) + `","audience":"x"}`
	// RFC 6749 §2.3.1: id and secret are form-encoded, then Basic-encoded.
	encodedBasic := basicHeader(url.QueryEscape(testClientID), url.QueryEscape(string(testClientSecret)))
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name       string
		method     string
		target     string
		ctype      string
		authz      string
		body       string
		wantStatus int
		wantError  string
	}{
		{"basic header form body", "POST", "/token", form, encodedBasic, formBasic, 200, ""},
		{"basic header raw secret", "POST", "/token", form, basicHeader(testClientID, string(testClientSecret)), formBasic, 200, ""},
		{"credentials in form body", "POST", "/token", form + "; charset=utf-8", "", formBody, 200, ""},
		{"credentials in JSON body", "POST", "/token", "application/json", "", jsonBody, 200, ""},
		{"grant_type in query, no body", "POST", "/token?grant_type=client_credentials", "", encodedBasic, "", 200, ""},
		{"wrong secret basic", "POST", "/token", form, basicHeader(testClientID, "nope-nope-nope-nope"), formBasic, 401, "invalid_client"},
		{"wrong secret body", "POST", "/token", form, "", strings.Replace(formBody, "client-secret", "client-sekret", 1), 401, "invalid_client"},
		{"unknown client", "POST", "/token", form, basicHeader("someone", string(testClientSecret)), formBasic, 401, "invalid_client"},
		{"no credentials", "POST", "/token", form, "", formBasic, 401, "invalid_client"},
		{"bearer instead of basic", "POST", "/token", form, "Bearer abc", formBasic, 401, "invalid_client"},
		{"two auth methods", "POST", "/token", form, encodedBasic, formBody, 400, "invalid_request"},
		{"client_id mismatch", "POST", "/token", form, encodedBasic, formBasic + "&client_id=other", 400, "invalid_request"},
		{"unsupported grant", "POST", "/token", form, encodedBasic, "grant_type=password", 400, "unsupported_grant_type"},
		{"missing grant is client_credentials", "POST", "/token", form, encodedBasic, "scope=x", 200, ""},
		{"no body at all", "POST", "/token", "", encodedBasic, "", 200, ""},
		{"repeated grant", "POST", "/token", form, encodedBasic, formBasic + "&grant_type=client_credentials", 400, "invalid_request"},
		{"secret in query", "POST", "/token?client_secret=x", form, "", formBody, 400, "invalid_request"},
		{"text body", "POST", "/token", "text/plain", encodedBasic, formBasic, 400, "invalid_request"},
		{"bad JSON", "POST", "/token", "application/json", encodedBasic, `{"grant_type":`, 400, "invalid_request"},
		{"JSON non-string", "POST", "/token", "application/json", "", `{"grant_type":1}`, 400, "invalid_request"},
		{"GET", "GET", "/token?grant_type=client_credentials", "", encodedBasic, "", 405, "invalid_request"},
		{"too large", "POST", "/token", form, encodedBasic, formBasic + "&pad=" + strings.Repeat("x", 70<<10), 413, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			if tt.authz != "" {
				req.Header.Set("Authorization", tt.authz)
			}
			rec := httptest.NewRecorder()
			iss.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control %q", got)
			}
			if strings.Contains(rec.Body.String(), string(testClientSecret)) {
				t.Errorf("response echoes the client secret: %s", rec.Body)
			}
			var resp tokenResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("response is not JSON: %v: %s", err, rec.Body)
			}
			if resp.Error != tt.wantError {
				t.Errorf("error %q, want %q", resp.Error, tt.wantError)
			}
			switch tt.wantStatus {
			case 200:
				if resp.TokenType != "Bearer" || resp.ExpiresIn != int64(listener.DefaultTokenTTL/time.Second) {
					t.Errorf("token_type %q expires_in %d", resp.TokenType, resp.ExpiresIn)
				}
				c, err := iss.Verify(resp.AccessToken)
				if err != nil {
					t.Fatalf("issued token does not verify: %v", err)
				}
				if c.Subject != testClientID || c.Audience != listener.DefaultTokenAudience || c.KeyID != "a" {
					t.Errorf("claims %+v", c)
				}
			case 401:
				if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Basic ") {
					t.Errorf("401 without a Basic challenge: %q", rec.Header().Get("WWW-Authenticate"))
				}
			case 405:
				if rec.Header().Get("Allow") != "POST" {
					t.Errorf("Allow %q", rec.Header().Get("Allow"))
				}
			}
		})
	}
}

// sign builds a compact HS256 token from arbitrary header and claims, to
// forge tokens the issuer must refuse.
func sign(key listener.Secret, header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestTokenVerify(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	iss := newIssuer(t, func(o *listener.TokenOptions) { o.Now = clock.Now })
	good, exp, err := iss.Issue(testClientID)
	if err != nil {
		t.Fatal(err)
	}
	if want := clock.Now().Add(listener.DefaultTokenTTL); !exp.Equal(want) {
		t.Fatalf("expiry %v, want %v", exp, want)
	}
	now := clock.Now().Unix()
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"iss": listener.DefaultTokenIssuer, "sub": testClientID, "aud": listener.DefaultTokenAudience,
			"iat": now, "nbf": now, "exp": now + 600, "jti": "x"}
		if mod != nil {
			mod(c)
		}
		return c
	}
	hdr := map[string]any{"alg": "HS256", "typ": "JWT", "kid": "a"}
	parts := strings.Split(good, ".")
	tamperedClaims, _ := json.Marshal(claims(func(c map[string]any) { c["sub"] = "attacker" }))
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"crafted valid", sign(testKeyA, hdr, claims(nil)), nil},
		{"issued", good, nil},
		{"empty", "", listener.ErrTokenMalformed},
		{"two segments", parts[0] + "." + parts[1], listener.ErrTokenMalformed},
		{"four segments", good + ".x", listener.ErrTokenMalformed},
		{"bad base64", "!!." + parts[1] + "." + parts[2], listener.ErrTokenMalformed},
		{"flipped signature", parts[0] + "." + parts[1] + "." + flip(parts[2]), listener.ErrTokenSignature},
		{"tampered claims", parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedClaims) + "." + parts[2], listener.ErrTokenSignature},
		{"other key same kid", sign(testKeyB, hdr, claims(nil)), listener.ErrTokenSignature},
		{"unknown kid", sign(testKeyA, map[string]any{"alg": "HS256", "kid": "zz"}, claims(nil)), listener.ErrTokenSignature},
		{"alg none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"a"}`)) + "." + parts[1] + ".", listener.ErrTokenMalformed},
		{"alg HS512", sign(testKeyA, map[string]any{"alg": "HS512", "kid": "a"}, claims(nil)), listener.ErrTokenMalformed},
		{"wrong audience", sign(testKeyA, hdr, claims(func(c map[string]any) { c["aud"] = "someone-else" })), listener.ErrTokenAudience},
		{"audience array", sign(testKeyA, hdr, claims(func(c map[string]any) { c["aud"] = []string{listener.DefaultTokenAudience} })), listener.ErrTokenMalformed},
		{"wrong issuer", sign(testKeyA, hdr, claims(func(c map[string]any) { c["iss"] = "evil" })), listener.ErrTokenIssuer},
		{"expired", sign(testKeyA, hdr, claims(func(c map[string]any) { c["exp"] = now - 31 })), listener.ErrTokenExpired},
		{"expired within leeway", sign(testKeyA, hdr, claims(func(c map[string]any) { c["exp"] = now - 29 })), nil},
		{"no exp", sign(testKeyA, hdr, claims(func(c map[string]any) { delete(c, "exp") })), listener.ErrTokenMalformed},
		{"not yet valid", sign(testKeyA, hdr, claims(func(c map[string]any) { c["nbf"] = now + 31 })), listener.ErrTokenNotYetValid},
		{"unknown subject", sign(testKeyA, hdr, claims(func(c map[string]any) { c["sub"] = "removed-client" })), listener.ErrTokenUnknownClient},
		{"huge", strings.Repeat("a", 5000), listener.ErrTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := iss.Verify(tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, listener.ErrInvalidToken) {
				t.Fatalf("Verify error %v, want %v wrapped in ErrInvalidToken", err, tt.want)
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Errorf("error text contains the token")
			}
		})
	}
	t.Run("expiry by the clock", func(t *testing.T) {
		local := &fakeClock{t: clock.Now()}
		iss := newIssuer(t, func(o *listener.TokenOptions) { o.Now = local.Now; o.TTL = time.Minute; o.Leeway = -1 })
		tok, _, err := iss.Issue(testClientID)
		if err != nil {
			t.Fatal(err)
		}
		local.Add(59 * time.Second)
		if _, err := iss.Verify(tok); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
		local.Add(time.Second)
		if _, err := iss.Verify(tok); !errors.Is(err, listener.ErrTokenExpired) {
			t.Fatalf("at expiry: %v, want ErrTokenExpired", err)
		}
	})
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func TestTokenKeyRotation(t *testing.T) {
	t.Parallel()
	old := newIssuer(t, nil)
	oldTok, _, err := old.Issue(testClientID)
	if err != nil {
		t.Fatal(err)
	}
	// Step 1: prepend the new key. New tokens use it; old tokens still verify.
	both := newIssuer(t, func(o *listener.TokenOptions) {
		o.Keys = []listener.SigningKey{{ID: "b", Secret: testKeyB}, {ID: "a", Secret: testKeyA}}
	})
	newTok, _, err := both.Issue(testClientID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{oldTok, newTok} {
		if _, err := both.Verify(tok); err != nil {
			t.Fatalf("during rotation: %v", err)
		}
	}
	if c, _ := both.Verify(newTok); c.KeyID != "b" {
		t.Fatalf("new token signed with %q, want b", c.KeyID)
	}
	// Step 2: drop the old key; its tokens stop verifying.
	onlyNew := newIssuer(t, func(o *listener.TokenOptions) { o.Keys = []listener.SigningKey{{ID: "b", Secret: testKeyB}} })
	if _, err := onlyNew.Verify(newTok); err != nil {
		t.Fatal(err)
	}
	if _, err := onlyNew.Verify(oldTok); !errors.Is(err, listener.ErrTokenSignature) {
		t.Fatalf("old-key token after rotation: %v, want ErrTokenSignature", err)
	}
}

func TestNewTokenIssuerOptions(t *testing.T) {
	t.Parallel()
	key := []listener.SigningKey{{ID: "a", Secret: testKeyA}}
	tests := []struct {
		name string
		opts listener.TokenOptions
		want error
	}{
		{"no keys", listener.TokenOptions{}, listener.ErrNoCredentials},
		{"short key", listener.TokenOptions{Keys: []listener.SigningKey{{ID: "a", Secret: "short"}}}, listener.ErrWeakSecret},
		{"empty kid", listener.TokenOptions{Keys: []listener.SigningKey{{Secret: testKeyA}}}, listener.ErrInvalidOptions},
		{"duplicate kid", listener.TokenOptions{Keys: append(key, key...)}, listener.ErrInvalidOptions},
		{"short client secret", listener.TokenOptions{Keys: key, Clients: []listener.OAuthClient{{ID: "c", Secret: "x"}}}, listener.ErrWeakSecret},
		{"empty client id", listener.TokenOptions{Keys: key, Clients: []listener.OAuthClient{{Secret: testClientSecret}}}, listener.ErrInvalidOptions},
		{"ttl too long", listener.TokenOptions{Keys: key, TTL: 48 * time.Hour}, listener.ErrInvalidOptions},
		{"ok verify-only", listener.TokenOptions{Keys: key}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := listener.NewTokenIssuer(tt.opts)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), string(testKeyA)) {
				t.Fatal("error reveals a key")
			}
		})
	}
}

func TestTokenEndpointLogsNoSecret(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	iss := newIssuer(t, func(o *listener.TokenOptions) { o.Logger = newTextLogger(&logs) })
	for _, authz := range []string{basicHeader(testClientID, string(testClientSecret)), basicHeader(testClientID, "wrong-wrong-wrong-wrong")} {
		req := httptest.NewRequest("POST", "/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", authz)
		rec := httptest.NewRecorder()
		iss.ServeHTTP(rec, req)
		var resp tokenResponse
		_ = json.Unmarshal(rec.Body.Bytes(), &resp)
		if resp.AccessToken != "" && strings.Contains(logs.String(), resp.AccessToken) {
			t.Fatal("log contains the access token")
		}
	}
	out := logs.String()
	if !strings.Contains(out, "oauth token issued") || !strings.Contains(out, "invalid_client") {
		t.Fatalf("expected both records, got:\n%s", out)
	}
	for _, s := range []string{string(testClientSecret), "wrong-wrong-wrong-wrong"} {
		if strings.Contains(out, s) {
			t.Fatalf("log contains a secret:\n%s", out)
		}
	}
}
