// Package listenertest builds authenticated EventBridge API-destination
// requests for tests of a [listener.Handler], or of any handler meant to
// receive what EventBridge sends: the envelope of a "Findings Imported V2"
// event around fixture findings, the headers EventBridge adds, and the
// credentials of each connection type (API key, Basic, OAuth bearer).
//
//	body, _ := listenertest.ReadFixture("testdata/findings/guardduty-ec2-unauthorized-access.json")
//	req := listenertest.NewRequest(body, listenertest.APIKey(key))
//	rec := httptest.NewRecorder()
//	handler.ServeHTTP(rec, req)
package listenertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
)

// Auth adds credentials to a request's headers, as an EventBridge connection
// does. A nil Auth adds nothing (an unauthenticated request).
type Auth func(h http.Header)

// APIKey authenticates with key in the default header
// ([listener.DefaultAPIKeyHeader]), like an API_KEY connection.
func APIKey(key listener.Secret) Auth { return APIKeyHeader(listener.DefaultAPIKeyHeader, key) }

// APIKeyHeader authenticates with key in the header name.
func APIKeyHeader(name string, key listener.Secret) Auth {
	return func(h http.Header) { h.Set(name, string(key)) }
}

// Basic authenticates with "Authorization: Basic", like a BASIC connection.
func Basic(user string, password listener.Secret) Auth {
	return func(h http.Header) {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+string(password))))
	}
}

// Bearer authenticates with "Authorization: Bearer token", like an
// OAUTH_CLIENT_CREDENTIALS connection once it holds a token.
func Bearer(token string) Auth {
	return func(h http.Header) { h.Set("Authorization", "Bearer "+token) }
}

// OAuth issues a token for clientID from iss directly (no HTTP round trip)
// and returns the matching [Bearer] Auth.
func OAuth(iss *listener.TokenIssuer, clientID string) (Auth, error) {
	tok, _, err := iss.Issue(clientID)
	if err != nil {
		return nil, err
	}
	return Bearer(tok), nil
}

// Chain applies several Auths in order (for example an API key plus an
// Idempotency-Key header written by [IdempotencyKey]).
func Chain(auths ...Auth) Auth {
	return func(h http.Header) {
		for _, a := range auths {
			if a != nil {
				a(h)
			}
		}
	}
}

// IdempotencyKey sets the Idempotency-Key header, as a rule target with
// HttpParameters.HeaderParameters {"Idempotency-Key": "$.id"} does.
func IdempotencyKey(key string) Auth {
	return func(h http.Header) { h.Set("Idempotency-Key", key) }
}

// setEventBridgeHeaders sets the headers EventBridge adds to every
// API-destination request.
func setEventBridgeHeaders(h http.Header) {
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", "Amazon/EventBridge/ApiDestinations")
	h.Set("Range", "bytes=0-1048575")
	h.Set("Accept-Encoding", "gzip,deflate")
}

// NewRequest returns a server-side POST request to "/" carrying body, with
// EventBridge's headers and auth applied, ready for handler.ServeHTTP with
// an httptest.ResponseRecorder.
func NewRequest(body []byte, auth Auth) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	setEventBridgeHeaders(r.Header)
	r.Close = true // EventBridge sends Connection: close
	if auth != nil {
		auth(r.Header)
	}
	return r
}

// NewClientRequest returns a client POST request to url (for example an
// httptest.Server's) carrying body, with EventBridge's headers and auth.
func NewClientRequest(ctx context.Context, url string, body []byte, auth Auth) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	setEventBridgeHeaders(r.Header)
	r.Close = true
	if auth != nil {
		auth(r.Header)
	}
	return r, nil
}

// Envelope wraps bare OCSF findings in an EventBridge "Findings Imported V2"
// event from source aws.securityhub. Account, region and time come from the
// first finding (cloud.account.uid, cloud.region, time) when present;
// findings are embedded compacted (encoding/json compacts raw values);
// resources holds each finding's metadata.uid. An empty id gets a random
// UUID-shaped one.
func Envelope(id string, findings ...[]byte) ([]byte, error) {
	if len(findings) == 0 {
		return nil, errors.New("listenertest: no findings")
	}
	if id == "" {
		id = randomID()
	}
	env := map[string]any{
		"version": "0", "id": id, "detail-type": listener.DetailTypeFindingsImportedV2,
		"source": listener.SecurityHubSource, "account": "123456789012", "region": "us-east-1",
		"time": "2026-01-01T00:00:00Z",
	}
	var resources []string
	raws := make([]json.RawMessage, len(findings))
	for i, f := range findings {
		if !json.Valid(f) {
			return nil, fmt.Errorf("listenertest: finding %d is not valid JSON", i)
		}
		raws[i] = json.RawMessage(f)
		var s struct {
			Time  *int64 `json:"time"`
			Cloud struct {
				Region  string `json:"region"`
				Account struct {
					UID string `json:"uid"`
				} `json:"account"`
			} `json:"cloud"`
			Metadata struct {
				UID string `json:"uid"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(f, &s) // best effort: a finding of another shape keeps the defaults
		if s.Metadata.UID != "" {
			resources = append(resources, s.Metadata.UID)
		}
		if i > 0 {
			continue
		}
		if s.Cloud.Account.UID != "" {
			env["account"] = s.Cloud.Account.UID
		}
		if s.Cloud.Region != "" {
			env["region"] = s.Cloud.Region
		}
		if s.Time != nil {
			env["time"] = time.UnixMilli(*s.Time).UTC().Format(time.RFC3339)
		}
	}
	if resources == nil {
		resources = []string{}
	}
	env["resources"] = resources
	env["detail"] = map[string]any{"findings": raws}
	return json.Marshal(env)
}

// Detail wraps bare findings as {"findings":[...]}: what a rule target with
// InputPath "$.detail" sends.
func Detail(findings ...[]byte) ([]byte, error) {
	raws := make([]json.RawMessage, len(findings))
	for i, f := range findings {
		if !json.Valid(f) {
			return nil, fmt.Errorf("listenertest: finding %d is not valid JSON", i)
		}
		raws[i] = f
	}
	return json.Marshal(map[string]any{"findings": raws})
}

// ReadFixture reads a fixture file and returns an EventBridge event body: a
// file that already is an envelope (it has a top-level "detail") is returned
// unchanged; a bare finding is wrapped with [Envelope] under an id derived
// from the file content, so the same fixture always gives the same event id.
func ReadFixture(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("listenertest: %s: %w", path, err)
	}
	if _, ok := top["detail"]; ok {
		return b, nil
	}
	return Envelope(contentID(b), b)
}

// contentID is a stable UUID-shaped id for b.
func contentID(b []byte) string {
	sum := sha256.Sum256(b)
	return uuidString([16]byte(sum[:16]))
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return uuidString(b)
}

func uuidString(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// ClientCredentials performs an OAuth client-credentials token request
// against tokenURL the way an EventBridge connection does (POST, form body
// with grant_type=client_credentials, client id and secret in a Basic
// header) and returns the access token.
func ClientCredentials(ctx context.Context, client *http.Client, tokenURL, clientID string, secret listener.Secret) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(string(secret)))
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", err
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		Error       string `json:"error"`
	}
	if err := json.Unmarshal(b, &tr); err != nil {
		return "", fmt.Errorf("listenertest: token response (status %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, "bearer") {
		return "", fmt.Errorf("listenertest: token request: status %d, error %q", resp.StatusCode, tr.Error)
	}
	return tr.AccessToken, nil
}
