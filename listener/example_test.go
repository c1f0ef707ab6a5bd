package listener_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/listener/listenertest"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

// validatorFor returns a validator with the schemas of samples compiled.
func validatorFor(samples ...[]byte) *ocsf.Validator {
	v, err := ocsf.NewValidator(nil)
	if err != nil {
		panic(err)
	}
	for _, s := range samples {
		v.Validate(s)
	}
	return v
}

// A minimal valid finding for the examples.
func exampleFinding() []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "detection-finding.json"))
	if err != nil {
		panic(err)
	}
	return b
}

func ExampleNew() {
	dir, _ := os.MkdirTemp("", "listener")
	defer os.RemoveAll(dir)
	dead, err := listener.NewDirDeadLetters(filepath.Join(dir, "dead-letters"))
	if err != nil {
		log.Fatal(err)
	}
	// Compiling a schema takes a moment the first time a (version, class,
	// profiles) combination is seen: do it before serving, not within a
	// request's 3.5 s budget.
	v, err := ocsf.NewValidator(nil)
	if err != nil {
		log.Fatal(err)
	}
	v.Validate(exampleFinding())

	key := listener.Secret("0123456789abcdef0123456789abcdef")
	h, err := listener.New(listener.Options{
		Sink: listener.SinkFunc(func(ctx context.Context, ev *ocsf.Event, f ocsf.Finding) error {
			fmt.Println("stored", ev.ID, f.ClassUID(), f.Summary().Title)
			return nil // only once it is durable
		}),
		Credentials: listener.Credentials{APIKeys: []listener.Secret{key}},
		DeadLetters: dead,
		Validator:   v,
	})
	if err != nil {
		log.Fatal(err)
	}
	body, _ := listenertest.Envelope("6a7e7f0c-2d8b-4c55-9a51-0f4e3c1b2a90", exampleFinding())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, listenertest.NewRequest(body, listenertest.APIKey(key)))
	fmt.Print(rec.Code, " ", rec.Body)
	// Output:
	// stored 6a7e7f0c-2d8b-4c55-9a51-0f4e3c1b2a90 Detection Finding Unprotected port on EC2 instance i-0abc1234def567890 is being probed.
	// 200 {"status":"accepted","event_id":"6a7e7f0c-2d8b-4c55-9a51-0f4e3c1b2a90","findings":1}
}

// Mounting the listener and the OAuth token endpoint on one server, with
// the recommended timeouts and the graceful shutdown sequence.
func Example_server() {
	run := func(ctx context.Context, sink interface {
		listener.Sink
		Close() error
	}) error {
		issuer, err := listener.NewTokenIssuer(listener.TokenOptions{
			Keys:    []listener.SigningKey{{ID: "2026-01", Secret: listener.Secret(os.Getenv("TOKEN_SIGNING_KEY"))}},
			Clients: []listener.OAuthClient{{ID: "eventbridge", Secret: listener.Secret(os.Getenv("OAUTH_CLIENT_SECRET"))}},
		})
		if err != nil {
			return err
		}
		dead, err := listener.NewDirDeadLetters("/var/lib/ocsfhub/dead-letters")
		if err != nil {
			return err
		}
		h, err := listener.New(listener.Options{
			Sink:        sink,
			Credentials: listener.Credentials{OAuth: issuer},
			DeadLetters: dead,
		})
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("POST /findings", h)
		mux.Handle("POST /oauth/token", issuer)
		srv := &http.Server{Addr: ":8443", Handler: mux,
			ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute}
		errc := make(chan error, 1)
		go func() { errc <- srv.ListenAndServeTLS("cert.pem", "key.pem") }()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), h.HandoffTimeout()+2*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close()
		}
		_ = h.Drain(sctx)
		return sink.Close()
	}
	_ = run
}

func ExampleTokenIssuer_ServeHTTP() {
	issuer, err := listener.NewTokenIssuer(listener.TokenOptions{
		Keys:    []listener.SigningKey{{ID: "k1", Secret: "a-signing-key-of-at-least-32-bytes!"}},
		Clients: []listener.OAuthClient{{ID: "eventbridge", Secret: "client-secret-0123456789"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	// What an EventBridge OAUTH_CLIENT_CREDENTIALS connection sends.
	form := url.Values{"grant_type": {"client_credentials"}}
	req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("eventbridge", "client-secret-0123456789")
	rec := httptest.NewRecorder()
	issuer.ServeHTTP(rec, req)

	var resp struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &resp)
	claims, err := issuer.Verify(resp.AccessToken)
	fmt.Println(rec.Code, resp.TokenType, resp.ExpiresIn, claims.Subject, claims.Audience, err)
	// Output: 200 Bearer 900 eventbridge ocsfhub-listener <nil>
}

func ExampleTokenIssuer_Verify() {
	issuer, _ := listener.NewTokenIssuer(listener.TokenOptions{
		Keys: []listener.SigningKey{{ID: "k1", Secret: "a-signing-key-of-at-least-32-bytes!"}},
	})
	token, _, _ := issuer.Issue("eventbridge")
	c, err := issuer.Verify(token)
	fmt.Println(c.Subject, c.KeyID, c.Expiry.Sub(c.IssuedAt), err)
	_, err = issuer.Verify(token[:len(token)-2] + "xx")
	fmt.Println(err)
	// Output:
	// eventbridge k1 15m0s <nil>
	// listener: invalid bearer token: listener: token signature does not verify
}

func ExampleHandler_Replay() {
	dir, _ := os.MkdirTemp("", "listener")
	defer os.RemoveAll(dir)
	dead, _ := listener.NewDirDeadLetters(dir)
	known := map[string]bool{}
	key := listener.Secret("0123456789abcdef0123456789abcdef")
	h, _ := listener.New(listener.Options{
		Sink: listener.SinkFunc(func(ctx context.Context, ev *ocsf.Event, f ocsf.Finding) error {
			if !known[f.Summary().ProductName] {
				return fmt.Errorf("no route for %s: %w", f.Summary().ProductName, listener.ErrRejected)
			}
			return nil
		}),
		Credentials: listener.Credentials{APIKeys: []listener.Secret{key}},
		DeadLetters: dead,
		Validator:   validatorFor(exampleFinding()),
	})
	body, _ := listenertest.Envelope("", exampleFinding())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, listenertest.NewRequest(body, listenertest.APIKey(key)))
	fmt.Println(rec.Code)

	known["GuardDuty"] = true // the fix
	rep, err := h.Replay(context.Background())
	fmt.Println(rep.Accepted, len(rep.Refused), err)
	// Output:
	// 422
	// 1 0 <nil>
}

func ExampleStats() {
	stats := &listener.Stats{}
	stats.Observe(listener.Observation{Outcome: listener.OutcomeAccepted, Status: 200, Latency: 3 * time.Millisecond})
	stats.Observe(listener.Observation{Outcome: listener.OutcomeDuplicate, Status: 200, Latency: time.Millisecond})
	s := stats.Snapshot()
	fmt.Println(s.Count, s.Outcomes[listener.OutcomeAccepted], s.Mean)
	// Output: 2 1 2ms
}

func ExampleNewMemorySeenStore() {
	seen := listener.NewMemorySeenStore(listener.MemorySeenOptions{MaxEntries: 10_000})
	ctx := context.Background()
	_ = seen.MarkSeen(ctx, "event:6a7e7f0c", time.Hour)
	a, _ := seen.Seen(ctx, "event:6a7e7f0c")
	b, _ := seen.Seen(ctx, "event:other")
	fmt.Println(a, b)
	// Output: true false
}

func ExampleNewDirDeadLetters() {
	dir, _ := os.MkdirTemp("", "dead")
	defer os.RemoveAll(dir)
	store, _ := listener.NewDirDeadLetters(dir)
	ctx := context.Background()
	id, _ := store.Put(ctx, &listener.DeadLetter{
		Received: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Status: 400,
		Outcome: listener.OutcomeMalformed, Reason: "malformed JSON", Body: []byte(`{"broken`),
	})
	dl, _ := store.Get(ctx, id)
	fmt.Println(id[:26], dl.Reason, string(dl.Body))
	// Output: 20260102T030405.000000000Z malformed JSON {"broken
}
