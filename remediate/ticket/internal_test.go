package ticket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

func TestDedupKey(t *testing.T) {
	// Vectors computed outside Go (sha256 over "ocsf-finding\0m\0<uid>" or
	// "ocsf-finding\0i\0<account>\0<finding>\0<product>", first 16 bytes).
	k := ocsf.FindingKey{MetadataUID: "5b1047abee40b6bb4623a89e5571e5fae6b92a8c07f3aa5c52944a4294feb904",
		CloudAccountUID: "111122223333", FindingInfoUID: "f-1", ProductUID: "arn:aws:securityhub:us-east-1::productv2/aws/guardduty"}
	if got := DedupKey("ocsfhub-", k); got != "ocsfhub-43f3427776790993156db854d6ad6c81" {
		t.Errorf("metadata key %s", got)
	}
	k.MetadataUID = ""
	if got := DedupKey("sec-", k); got != "sec-bc3b1bd4240ce353fad64e7ad0a557fb" {
		t.Errorf("identifier key %s", got)
	}
	k.ProductUID = ""
	if got := DedupKey("sec-", k); got != "" {
		t.Errorf("incomplete key %s", got)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	const v = "s3cr3t-value-42"
	s := NewSecret(v)
	type cfg struct {
		Token Secret
		Inner struct{ S Secret }
		Ptr   *Secret
	}
	c := cfg{Token: s, Ptr: &s}
	c.Inner.S = s
	var out []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%T"} {
		out = append(out, fmt.Sprintf(f, s), fmt.Sprintf(f, c), fmt.Sprintf(f, &c))
	}
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(j))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "secret", s, "cfg", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "secret", s, "cfg", c)
	out = append(out, buf.String())
	for _, o := range out {
		if strings.Contains(o, v) || strings.Contains(o, fmt.Sprintf("%x", v)) {
			t.Errorf("secret printed: %s", o)
		}
	}
	if s.Reveal() != v || s.String() != "[REDACTED]" || (Secret{}).String() != "" || !(Secret{}).IsZero() {
		t.Error("Reveal/String/IsZero")
	}
	t.Setenv("TICKET_TEST_SECRET", v)
	if e, err := SecretFromEnv("TICKET_TEST_SECRET"); err != nil || e.Reveal() != v {
		t.Errorf("SecretFromEnv: %v", err)
	}
	if _, err := SecretFromEnv("TICKET_TEST_UNSET_VARIABLE"); err == nil {
		t.Error("unset variable accepted")
	}
}

// testClient is a client bound to a test server; its sleeps are recorded,
// not slept.
type testClient struct {
	*httpClient
	base  string
	slept []time.Duration
}

func newTestClient(t *testing.T, h http.HandlerFunc, mod func(*Options)) *testClient {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var o Options
	if mod != nil {
		mod(&o)
	}
	o, err := o.withDefaults("test")
	if err != nil {
		t.Fatal(err)
	}
	tc := &testClient{httpClient: newHTTPClient("test", o, "topsecret-token"), base: srv.URL}
	tc.sleep = func(ctx context.Context, d time.Duration) error {
		tc.slept = append(tc.slept, d)
		return ctx.Err()
	}
	return tc
}

func (tc *testClient) get(ctx context.Context, path string) (*response, error) {
	return tc.do(ctx, request{op: "op", method: http.MethodGet, url: tc.base + path})
}

func TestClientRetriesThrottling(t *testing.T) {
	var n atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(429)
		case 2:
			w.WriteHeader(429) // no Retry-After: 2 s backoff on the second retry
		default:
			_, _ = io.WriteString(w, `{"ok":true}`)
		}
	}, nil)
	resp, err := c.get(t.Context(), "/x")
	if err != nil || string(resp.body) != `{"ok":true}` {
		t.Fatalf("got %v, %v", resp, err)
	}
	if len(c.slept) != 2 || c.slept[0] != 3*time.Second || c.slept[1] != 2*time.Second {
		t.Fatalf("slept %v", c.slept)
	}

	// A Retry-After beyond MaxRetryWait is returned at once.
	n.Store(0)
	c2 := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
	}, nil)
	_, err = c2.get(t.Context(), "/x")
	var te *Error
	if !errors.As(err, &te) || te.RetryAfter != time.Hour || remediate.Classify(err) != remediate.ClassTransient || len(c2.slept) != 0 {
		t.Fatalf("got %v (slept %v)", err, c2.slept)
	}
	// MaxRetries < 0: no retry.
	c3 := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(429)
	}, func(o *Options) { o.MaxRetries = -1 })
	if _, err = c3.get(t.Context(), "/x"); err == nil || len(c3.slept) != 0 {
		t.Fatalf("got %v (slept %v)", err, c3.slept)
	}
}

func TestClientBoundsAndRedirects(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write(bytes.Repeat([]byte("a"), 2048))
		case "/redirect":
			http.Redirect(w, r, "https://elsewhere.example/steal", http.StatusFound)
		case "/long":
			w.WriteHeader(400)
			_, _ = io.WriteString(w, strings.Repeat("x", maxMessage-5)+"topsecret-token")
		case "/echo":
			w.WriteHeader(400)
			_, _ = io.WriteString(w, "bad token topsecret-token\x00\x01 \n\n end")
		}
	}, func(o *Options) { o.MaxResponseBytes = 1024 })
	_, err := c.get(t.Context(), "/big")
	if err == nil || !strings.Contains(err.Error(), "response larger than 1024 bytes") || remediate.Classify(err) != remediate.ClassPermanent {
		t.Fatalf("big: %v", err)
	}
	_, err = c.get(t.Context(), "/redirect")
	var te *Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusFound || remediate.Classify(err) != remediate.ClassPermanent {
		t.Fatalf("redirect: %v", err)
	}
	_, err = c.get(t.Context(), "/echo")
	if !errors.As(err, &te) || te.Message != "bad token [REDACTED] end" {
		t.Fatalf("echo: %#v", err)
	}
	// A secret at the excerpt's bound leaves no prefix behind.
	_, err = c.get(t.Context(), "/long")
	if !errors.As(err, &te) || strings.Contains(te.Message, "topsec") {
		t.Fatalf("long: %q", te.Message)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.get(ctx, "/echo"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 2, 10, 8, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Tue, 10 Feb 2026 08:01:00 GMT": time.Minute,
		"Tue, 10 Feb 2026 07:00:00 GMT": 0,
		"99999999":                      24 * time.Hour,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestTextHelpers(t *testing.T) {
	if got := oneLine("  a\tb\n\nc\x00d  ", 100); got != "a b c d" {
		t.Errorf("oneLine %q", got)
	}
	if got := truncate("héllo wörld", 8); got != "héll…" {
		t.Errorf("truncate %q", got)
	}
	if got := excerpt(strings.Repeat("é", 400)); len(got) > maxMessage+len("…") {
		t.Errorf("excerpt length %d", len(got))
	}
	if got := mrkdwn("<@here> & <b>"); got != "&lt;@here&gt; &amp; &lt;b&gt;" {
		t.Errorf("mrkdwn %q", got)
	}
}
