package listenertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/listener/listenertest"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

func readFinding(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "detection-finding.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEnvelopeDecodes(t *testing.T) {
	t.Parallel()
	f := readFinding(t)
	env, err := listenertest.Envelope("", f, f)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ocsf.DecodeEvent(env)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.ID) != 36 || ev.Source != "aws.securityhub" || ev.DetailType != "Findings Imported V2" ||
		ev.Account != "111122223333" || ev.Region != "us-east-1" || len(ev.Detail.Findings) != 2 || len(ev.Resources) != 2 ||
		ev.Time.UnixMilli() != 1767225600000 {
		t.Fatalf("%+v", ev)
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, f)
	if !bytes.Equal(ev.Detail.Findings[0], compact.Bytes()) {
		t.Fatal("finding not embedded (compacted) as given")
	}
	if _, err := listenertest.Envelope("x"); err == nil {
		t.Fatal("no findings accepted")
	}
	if _, err := listenertest.Envelope("x", []byte("{")); err == nil {
		t.Fatal("invalid JSON accepted")
	}
}

func TestReadFixture(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bare := filepath.Join(dir, "bare.json")
	if err := os.WriteFile(bare, readFinding(t), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := listenertest.ReadFixture(bare)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := listenertest.ReadFixture(bare)
	if !bytes.Equal(a, b) {
		t.Fatal("wrapping a bare finding is not deterministic")
	}
	envPath := filepath.Join(dir, "env.json")
	if err := os.WriteFile(envPath, a, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := listenertest.ReadFixture(envPath)
	if err != nil || !bytes.Equal(c, a) {
		t.Fatal("an envelope fixture must come back unchanged")
	}
	if _, err := listenertest.ReadFixture(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("missing file")
	}
}

func TestRequestsCarryCredentials(t *testing.T) {
	t.Parallel()
	iss, err := listener.NewTokenIssuer(listener.TokenOptions{
		Keys:    []listener.SigningKey{{ID: "k", Secret: "0123456789abcdef0123456789abcdef"}},
		Clients: []listener.OAuthClient{{ID: "eb", Secret: "client-secret-0123456789"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := listener.NewAuthenticator(listener.Credentials{
		APIKeyHeader: "x-api-key",
		APIKeys:      []listener.Secret{"api-key-0123456789abcdef"},
		Basic:        []listener.BasicUser{{Username: "u", Password: "password-0123456789"}},
		OAuth:        iss,
	})
	if err != nil {
		t.Fatal(err)
	}
	bearer, err := listenertest.OAuth(iss, "eb")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(iss)
	defer srv.Close()
	tok, err := listenertest.ClientCredentials(t.Context(), srv.Client(), srv.URL, "eb", "client-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		auth listenertest.Auth
		want listener.AuthMethod
	}{
		"api key": {listenertest.APIKeyHeader("x-api-key", "api-key-0123456789abcdef"), listener.AuthAPIKey},
		"basic":   {listenertest.Basic("u", "password-0123456789"), listener.AuthBasic},
		"oauth":   {bearer, listener.AuthBearer},
		"fetched": {listenertest.Bearer(tok), listener.AuthBearer},
		"none":    {nil, listener.AuthNone},
	} {
		r := listenertest.NewRequest([]byte("{}"), listenertest.Chain(tc.auth, listenertest.IdempotencyKey("k")))
		got, _ := a.Authenticate(r.Header)
		if got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
		if r.Header.Get("Idempotency-Key") != "k" || r.Header.Get("User-Agent") != "Amazon/EventBridge/ApiDestinations" ||
			r.Header.Get("Content-Type") != "application/json; charset=utf-8" || r.Method != http.MethodPost {
			t.Errorf("%s: headers %v", name, r.Header)
		}
		cr, err := listenertest.NewClientRequest(context.Background(), "http://127.0.0.1/findings", []byte("{}"), tc.auth)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := a.Authenticate(cr.Header); got != tc.want {
			t.Errorf("%s client request: %q", name, got)
		}
	}
	if _, err := listenertest.ClientCredentials(t.Context(), srv.Client(), srv.URL, "eb", "wrong-secret-0123456789"); err == nil {
		t.Fatal("wrong secret got a token")
	}
}

func ExampleNewRequest() {
	key := listener.Secret("0123456789abcdef0123456789abcdef")
	dir, _ := os.MkdirTemp("", "listenertest")
	defer os.RemoveAll(dir)
	dead, _ := listener.NewDirDeadLetters(dir)
	finding, _ := os.ReadFile(filepath.Join("..", "testdata", "detection-finding.json"))
	v, _ := ocsf.NewValidator(nil)
	v.Validate(finding) // compile the schema before the first request
	h, _ := listener.New(listener.Options{
		Sink:        listener.SinkFunc(func(context.Context, *ocsf.Event, ocsf.Finding) error { return nil }),
		Credentials: listener.Credentials{APIKeys: []listener.Secret{key}},
		DeadLetters: dead,
		Validator:   v,
	})
	body, _ := listenertest.Envelope("6a7e7f0c-2d8b-4c55-9a51-0f4e3c1b2a90", finding)

	for _, auth := range []listenertest.Auth{listenertest.APIKey(key), listenertest.APIKey("a-wrong-key-0123456789")} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, listenertest.NewRequest(body, auth))
		var a struct{ Status string }
		_ = json.Unmarshal(rec.Body.Bytes(), &a)
		fmt.Println(rec.Code, a.Status)
	}
	// Output:
	// 200 accepted
	// 401 unauthenticated
}

func ExampleDetail() {
	body, _ := listenertest.Detail([]byte(`{"class_uid":2004}`))
	fmt.Println(string(body))
	// Output: {"findings":[{"class_uid":2004}]}
}

func ExampleEnvelope() {
	body, _ := listenertest.Envelope("6a7e7f0c-2d8b-4c55-9a51-0f4e3c1b2a90",
		[]byte(`{"class_uid":2004,"cloud":{"account":{"uid":"111122223333"},"region":"eu-west-1"},"metadata":{"uid":"abc"}}`))
	ev, _ := ocsf.DecodeEvent(body)
	fmt.Println(ev.ID, ev.Source, ev.DetailType, ev.Account, ev.Region, ev.Resources)
	// Output: 6a7e7f0c-2d8b-4c55-9a51-0f4e3c1b2a90 aws.securityhub Findings Imported V2 111122223333 eu-west-1 [abc]
}

func ExampleReadFixture() {
	body, err := listenertest.ReadFixture(filepath.Join("..", "..", "testdata", "findings", "guardduty-ec2-unauthorized-access.json"))
	if err != nil {
		fmt.Println("fixture not available")
		return
	}
	ev, _ := ocsf.DecodeEvent(body)
	fmt.Println(ev.DetailType, len(ev.Detail.Findings))
	// Output: Findings Imported V2 1
}
