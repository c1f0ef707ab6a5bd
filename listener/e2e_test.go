package listener_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/listener/listenertest"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

// server mounts the listener and its token endpoint on one mux, as a
// deployment would.
type server struct {
	*httptest.Server
	e     *env
	clock *fakeClock
}

func newServer(t *testing.T) *server { return newServerWith(t, nil, nil) }

func newServerWith(t *testing.T, mod func(*listener.Options), tokMod func(*listener.TokenOptions)) *server {
	t.Helper()
	clock := &fakeClock{t: time.Now()}
	iss := newIssuer(t, func(o *listener.TokenOptions) {
		o.Now = clock.Now
		o.TTL = 5 * time.Minute
		if tokMod != nil {
			tokMod(o)
		}
	})
	e := newEnv(t, func(o *listener.Options) {
		o.Credentials.OAuth = iss
		if mod != nil {
			mod(o)
		}
	})
	e.issuer = iss
	mux := http.NewServeMux()
	mux.Handle("POST /findings", e.h)
	mux.Handle("/oauth/token", iss)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &server{Server: srv, e: e, clock: clock}
}

func (s *server) post(t *testing.T, body []byte, auth listenertest.Auth) (*http.Response, answer) {
	t.Helper()
	req, err := listenertest.NewClientRequest(t.Context(), s.URL+"/findings", body, auth)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
	return resp, a
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	body := envelope(t, "", fixture(t))
	resp, a := s.post(t, body, listenertest.APIKey(testAPIKey))
	if resp.StatusCode != 200 || a.Status != listener.OutcomeAccepted || a.Findings != 1 || a.EventID == "" {
		t.Fatalf("%d %+v", resp.StatusCode, a)
	}
	resp, a = s.post(t, body, listenertest.Basic(testBasicUser, testBasicPass))
	if resp.StatusCode != 200 || a.Status != listener.OutcomeDuplicate {
		t.Fatalf("redelivery: %d %+v", resp.StatusCode, a)
	}
	resp, _ = s.post(t, body, nil)
	if resp.StatusCode != 401 || len(resp.Header.Values("WWW-Authenticate")) == 0 {
		t.Fatalf("anonymous: %d", resp.StatusCode)
	}
	// Wrong method through the mux pattern "POST /findings".
	r, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL+"/findings", nil)
	if resp, err := s.Client().Do(r); err != nil || resp.StatusCode != 405 {
		t.Fatalf("GET: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if got := s.e.sink.accepted; len(got) != 1 || got[0].findingUID == "" || got[0].class != 2004 {
		t.Fatalf("sink %+v", got)
	}
}

func TestEndToEndSharedSamples(t *testing.T) {
	t.Parallel()
	dir := sharedtest.Dir(t, "securityhub-samples")
	s := newServer(t)
	for _, name := range []string{"cruxstack-detection-1.json", "cruxstack-detection-2.json", "cruxstack-compliance-1.json"} {
		t.Run(name, func(t *testing.T) {
			body, err := listenertest.ReadFixture(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			resp, a := s.post(t, body, listenertest.APIKey(testAPIKey))
			if resp.StatusCode != 200 || a.Status != listener.OutcomeAccepted {
				t.Fatalf("%d %+v", resp.StatusCode, a)
			}
		})
	}
}

func TestEndToEndFixtures(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "findings", "*.json"))
	if len(files) == 0 {
		t.Skip("no fixtures in testdata/findings yet")
	}
	s := newServer(t)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := listenertest.ReadFixture(f)
			if err != nil {
				t.Fatal(err)
			}
			resp, a := s.post(t, body, listenertest.APIKey(testAPIKey))
			if resp.StatusCode != 200 {
				// An invalid fixture must be refused as invalid, never lost.
				if resp.StatusCode != 422 || a.DeadLetter == "" {
					t.Fatalf("%d %+v", resp.StatusCode, a)
				}
				t.Logf("fixture refused as invalid: %v", a.Problems)
			}
		})
	}
}

func TestOAuthEndToEnd(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx := t.Context()
	body := func() []byte { return envelope(t, "", fixture(t)) }

	// 1. Token with the client credentials in a Basic header (form body).
	tokBasic, err := listenertest.ClientCredentials(ctx, s.Client(), s.URL+"/oauth/token", testClientID, testClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	// 2. Token with the client credentials in the form body.
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {string(testClientSecret)}}
	resp, err := s.Client().PostForm(s.URL+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tr tokenResponse
	_ = json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if resp.StatusCode != 200 || tr.AccessToken == "" || tr.ExpiresIn != 300 {
		t.Fatalf("body credentials: %d %+v", resp.StatusCode, tr)
	}
	tokBody := tr.AccessToken
	// 3. Both tokens are accepted as bearers.
	for _, tok := range []string{tokBasic, tokBody} {
		if resp, a := s.post(t, body(), listenertest.Bearer(tok)); resp.StatusCode != 200 || a.Status != listener.OutcomeAccepted {
			t.Fatalf("bearer: %d %+v", resp.StatusCode, a)
		}
	}
	// 4. A wrong client secret gets no token.
	if _, err := listenertest.ClientCredentials(ctx, s.Client(), s.URL+"/oauth/token", testClientID, "not-the-secret-at-all"); err == nil {
		t.Fatal("token issued for a wrong secret")
	}
	// 5. Forged (other key), wrong audience and garbage tokens are refused with 401.
	forger := newIssuer(t, func(o *listener.TokenOptions) { o.Keys = []listener.SigningKey{{ID: "a", Secret: testKeyB}} })
	forged, _, _ := forger.Issue(testClientID)
	otherAud := newIssuer(t, func(o *listener.TokenOptions) { o.Audience = "another-listener" })
	wrongAud, _, _ := otherAud.Issue(testClientID)
	for name, tok := range map[string]string{"forged": forged, "wrong audience": wrongAud, "garbage": "abc", "api key as bearer": string(testAPIKey)} {
		resp, a := s.post(t, body(), listenertest.Bearer(tok))
		if resp.StatusCode != 401 || a.Status != listener.OutcomeUnauthenticated ||
			!strings.Contains(strings.Join(resp.Header.Values("WWW-Authenticate"), ","), `error="invalid_token"`) {
			t.Fatalf("%s token: %d %+v %q", name, resp.StatusCode, a, resp.Header.Values("WWW-Authenticate"))
		}
	}
	// 6. Expiry: past TTL + leeway the token is refused with 401, which
	// makes EventBridge fetch a new token and retry; the new one works.
	s.clock.Add(5*time.Minute + listener.DefaultTokenLeeway)
	if resp, _ := s.post(t, body(), listenertest.Bearer(tokBasic)); resp.StatusCode != 401 {
		t.Fatalf("expired token: %d", resp.StatusCode)
	}
	fresh, err := listenertest.ClientCredentials(ctx, s.Client(), s.URL+"/oauth/token", testClientID, testClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := s.post(t, body(), listenertest.Bearer(fresh)); resp.StatusCode != 200 {
		t.Fatalf("refreshed token: %d", resp.StatusCode)
	}
	if n := s.e.sink.count(); n != 3 {
		t.Fatalf("sink %d, want 3", n)
	}
}

// TestGracefulShutdown runs the documented sequence against a real server:
// Shutdown waits for the in-flight request, whose Sink write completes.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{})
	e := newEnv(t, nil)
	e.sink.fail = func(n int64, _ *ocsf.Event, _ ocsf.Finding) error {
		if n == 1 {
			close(entered)
			<-release
		}
		return nil
	}
	srv := httptest.NewUnstartedServer(e.h)
	srv.Start()
	client := srv.Client()
	result := make(chan int)
	go func() {
		req, _ := listenertest.NewClientRequest(context.Background(), srv.URL, envelope(t, "", fixture(t)), listenertest.APIKey(testAPIKey))
		resp, err := client.Do(req)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	<-entered
	shutdownDone := make(chan error)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.h.HandoffTimeout()+2*time.Second)
		defer cancel()
		shutdownDone <- srv.Config.Shutdown(ctx)
	}()
	time.Sleep(20 * time.Millisecond)
	close(release)
	if code := <-result; code != 200 {
		t.Fatalf("in-flight request got %d", code)
	}
	if err := <-shutdownDone; err != nil {
		t.Fatal(err)
	}
	if err := e.h.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.sink.count() != 1 {
		t.Fatalf("sink %d", e.sink.count())
	}
}
