package listener_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/listener/listenertest"
)

// TestNoSecretInLogs drives every path that touches a credential (success
// and failure of each method, the token endpoint, near-miss keys) with a
// debug-level JSON logger, and checks that no secret, token or encoding of
// one appears in the logs, the answers, or the dead letters.
func TestNoSecretInLogs(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newServerWith(t, func(o *listener.Options) { o.Logger = logger }, func(o *listener.TokenOptions) { o.Logger = logger })
	e := s.e

	var answers strings.Builder
	token, err := listenertest.ClientCredentials(t.Context(), s.Client(), s.URL+"/oauth/token", testClientID, testClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	// A wrong secret that shares a long prefix with the real one.
	nearSecret := listener.Secret(string(testClientSecret[:len(testClientSecret)-1]) + "X")
	if _, err := listenertest.ClientCredentials(t.Context(), s.Client(), s.URL+"/oauth/token", testClientID, nearSecret); err == nil {
		t.Fatal("near secret got a token")
	}
	resp, err := s.Client().PostForm(s.URL+"/oauth/token", url.Values{"grant_type": {"password"}, "client_id": {testClientID}, "client_secret": {string(testClientSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	answers.Write(b)

	nearKey := listener.Secret(string(testAPIKey[:len(testAPIKey)-1]) + "X")
	nearPass := listener.Secret(string(testBasicPass[:len(testBasicPass)-1]) + "X")
	good := envelope(t, "", fixture(t))
	auths := []listenertest.Auth{
		listenertest.APIKey(testAPIKey),
		listenertest.APIKey(testAPIKeyOld),
		listenertest.APIKey(nearKey),
		listenertest.Basic(testBasicUser, testBasicPass),
		listenertest.Basic(testBasicUser, nearPass),
		listenertest.Bearer(token),
		listenertest.Bearer(token + "x"),
		listenertest.Chain(listenertest.APIKey(nearKey), listenertest.Bearer(token[:len(token)-3])),
	}
	for _, a := range auths {
		for _, body := range [][]byte{good, []byte(`{"broken`), envelope(t, "", invalidFinding(t))} {
			resp, ans := s.post(t, body, a)
			j, _ := json.Marshal(ans)
			answers.Write(j)
			for k, v := range resp.Header {
				answers.WriteString(k + ": " + strings.Join(v, ",") + "\n")
			}
		}
	}
	var dead strings.Builder
	for _, dl := range e.deadLetters(t) {
		j, _ := json.Marshal(dl)
		dead.Write(j)
		dead.Write(dl.Body)
	}

	out := logs.String()
	for _, want := range []string{`"outcome":"accepted"`, `"outcome":"unauthenticated"`, `"outcome":"invalid"`, "oauth token issued", "invalid_client"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	secrets := map[string]string{
		"api key": string(testAPIKey), "previous api key": string(testAPIKeyOld), "near api key": string(nearKey),
		"basic password": string(testBasicPass), "near password": string(nearPass),
		"basic header":  base64.StdEncoding.EncodeToString([]byte(testBasicUser + ":" + string(testBasicPass))),
		"client secret": string(testClientSecret), "near client secret": string(nearSecret),
		"form-encoded client secret": url.QueryEscape(string(testClientSecret)),
		"access token":               token, "token signature": token[strings.LastIndexByte(token, '.')+1:],
		"signing key": string(testKeyA),
	}
	for name, secret := range secrets {
		for where, text := range map[string]string{"logs": out, "answers": answers.String(), "dead letters": dead.String()} {
			if strings.Contains(text, secret) {
				t.Errorf("%s appears in the %s", name, where)
			}
		}
	}
}
