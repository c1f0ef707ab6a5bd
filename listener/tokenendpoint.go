package listener

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxTokenRequestBytes bounds a token request body. EventBridge caps the
// parameters it adds at 64 KB.
const maxTokenRequestBytes = 64 << 10

// tokenError is an RFC 6749 §5.2 error response.
type tokenError struct {
	status int
	code   string // error
	desc   string // error_description
}

// ServeHTTP is the OAuth 2.0 token endpoint for the client credentials grant
// (RFC 6749 §4.4), the AuthorizationEndpoint of an EventBridge connection of
// type OAUTH_CLIENT_CREDENTIALS (HttpMethod POST).
//
// The request is a POST with either an application/x-www-form-urlencoded or an
// application/json body holding grant_type=client_credentials. The client
// authenticates with "Authorization: Basic" (id and secret form-encoded, RFC
// 6749 §2.3.1) or with client_id and client_secret body parameters, not both.
// grant_type and scope may also come from the query string (EventBridge lets a
// connection add query parameters), client_secret never. A request without
// grant_type is served as client_credentials, the only grant this endpoint
// knows (a deliberate leniency: EventBridge does not document its token
// request, and AWS's examples add grant_type as an OAuth body parameter, which
// remains the recommended configuration). Other parameters (audience, scope,
// ...) are ignored. Answers:
//
//	200 {"access_token":"…","token_type":"Bearer","expires_in":900}
//	400 invalid_request          malformed request, repeated parameter, two client auth methods
//	400 unsupported_grant_type   grant_type other than client_credentials
//	401 invalid_client           unknown client or wrong secret (with WWW-Authenticate: Basic)
//	405                          not POST (Allow: POST)
//	413 invalid_request          body over 64 KiB
//
// Every answer carries Cache-Control: no-store. The response never echoes a
// credential.
func (t *TokenIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		t.writeTokenError(w, &tokenError{http.StatusMethodNotAllowed, "invalid_request", "the token endpoint accepts POST only"})
		return
	}
	params, terr := t.readTokenRequest(w, r)
	if terr != nil {
		t.writeTokenError(w, terr)
		return
	}
	clientID, secret, terr := clientCredentials(r, params)
	if terr != nil {
		t.writeTokenError(w, terr)
		return
	}
	if !t.authenticateClient(clientID, secret) {
		t.log.LogAttrs(r.Context(), slog.LevelWarn, "oauth token request refused",
			slog.String("outcome", "invalid_client"), slog.String("remote_addr", r.RemoteAddr))
		t.writeTokenError(w, &tokenError{http.StatusUnauthorized, "invalid_client", "client authentication failed"})
		return
	}
	switch gt := params.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		// RFC 6749 requires grant_type, but EventBridge's token request is
		// undocumented and a connection configured without the
		// grant_type body parameter would be deauthorized for good; the
		// client has authenticated and this is the only grant served.
	default:
		t.writeTokenError(w, &tokenError{http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported"})
		return
	}
	token, _, err := t.Issue(clientID)
	if err != nil {
		t.log.LogAttrs(r.Context(), slog.LevelError, "oauth token not issued", slog.String("error", err.Error()))
		t.writeTokenError(w, &tokenError{http.StatusInternalServerError, "server_error", "token could not be issued"})
		return
	}
	t.log.LogAttrs(r.Context(), slog.LevelInfo, "oauth token issued",
		slog.String("client_id", clientID), slog.Duration("expires_in", t.ttl))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}{token, "Bearer", int64(t.ttl.Seconds())})
}

func (t *TokenIssuer) writeTokenError(w http.ResponseWriter, e *tokenError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if e.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="`+t.issuer+`", charset="UTF-8"`)
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{e.code, e.desc})
}

// readTokenRequest reads the bounded body as form or JSON parameters and
// merges grant_type and scope from the query string when the body lacks them.
func (t *TokenIssuer) readTokenRequest(w http.ResponseWriter, r *http.Request) (url.Values, *tokenError) {
	bad := func(desc string) *tokenError { return &tokenError{http.StatusBadRequest, "invalid_request", desc} }
	if r.ContentLength > maxTokenRequestBytes {
		return nil, &tokenError{http.StatusRequestEntityTooLarge, "invalid_request", "request body too large"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTokenRequestBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &tokenError{http.StatusRequestEntityTooLarge, "invalid_request", "request body too large"}
		}
		return nil, bad("request body could not be read")
	}
	params := url.Values{}
	ct := r.Header.Get("Content-Type")
	mt := ""
	if ct != "" {
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, bad("malformed Content-Type")
		}
	}
	switch {
	case len(body) == 0 && mt == "":
		// No body: everything comes from the Basic header and the query.
	case mt == "application/x-www-form-urlencoded":
		if params, err = url.ParseQuery(string(body)); err != nil {
			return nil, bad("malformed form body")
		}
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, bad("malformed JSON body")
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				params.Set(k, v)
			case nil:
			default:
				if k == "grant_type" || k == "client_id" || k == "client_secret" || k == "scope" {
					return nil, bad("parameter " + strconv.Quote(k) + " must be a string")
				}
			}
		}
	default:
		return nil, bad("body must be application/x-www-form-urlencoded or application/json")
	}
	for _, k := range []string{"grant_type", "client_id", "client_secret", "scope"} {
		if len(params[k]) > 1 {
			return nil, bad("parameter " + k + " repeated")
		}
	}
	q := r.URL.Query()
	if q.Has("client_secret") {
		return nil, bad("client_secret must not be sent in the URL")
	}
	for _, k := range []string{"grant_type", "scope"} {
		if len(q[k]) > 1 {
			return nil, bad("parameter " + k + " repeated")
		}
		if !params.Has(k) && q.Has(k) {
			params.Set(k, q.Get(k))
		}
	}
	return params, nil
}

// clientCredentials extracts the client id and secret from exactly one of
// the Basic header and the body parameters.
func clientCredentials(r *http.Request, params url.Values) (id, secret string, terr *tokenError) {
	authz := r.Header.Get("Authorization")
	inBody := params.Has("client_secret")
	if authz == "" {
		if !inBody || params.Get("client_id") == "" {
			return "", "", &tokenError{http.StatusUnauthorized, "invalid_client", "client authentication required"}
		}
		return params.Get("client_id"), params.Get("client_secret"), nil
	}
	if inBody {
		return "", "", &tokenError{http.StatusBadRequest, "invalid_request", "use one client authentication method"}
	}
	u, p, ok := parseBasic(authz)
	if !ok {
		return "", "", &tokenError{http.StatusUnauthorized, "invalid_client", "unsupported client authentication"}
	}
	// RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
	if dec, err := url.QueryUnescape(u); err == nil {
		u = dec
	}
	if dec, err := url.QueryUnescape(p); err == nil {
		p = dec
	}
	if cid := params.Get("client_id"); cid != "" && cid != u {
		return "", "", &tokenError{http.StatusBadRequest, "invalid_request", "client_id does not match the Authorization header"}
	}
	return u, p, nil
}

// parseBasic decodes "Basic base64(user:pass)" (scheme case-insensitive).
func parseBasic(authz string) (user, pass string, ok bool) {
	const prefix = "basic "
	if len(authz) < len(prefix) || !strings.EqualFold(authz[:len(prefix)], prefix) {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(authz[len(prefix):]))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	return user, pass, ok
}
