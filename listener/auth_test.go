package listener_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/listener"
)

const (
	testAPIKey    = listener.Secret("api-key-current-0123456789abcdef")
	testAPIKeyOld = listener.Secret("api-key-previous-0123456789abcde")
	testBasicUser = "eventbridge"
	testBasicPass = listener.Secret("basic-password-0123456789abcdef")
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t, nil)
	token, _, err := iss.Issue(testClientID)
	if err != nil {
		t.Fatal(err)
	}
	otherIss := newIssuer(t, func(o *listener.TokenOptions) { o.Keys = []listener.SigningKey{{ID: "a", Secret: testKeyB}} })
	forged, _, _ := otherIss.Issue(testClientID)
	all, err := listener.NewAuthenticator(listener.Credentials{
		APIKeys: []listener.Secret{testAPIKey, testAPIKeyOld},
		Basic:   []listener.BasicUser{{Username: testBasicUser, Password: testBasicPass}},
		OAuth:   iss,
	})
	if err != nil {
		t.Fatal(err)
	}
	keyOnly, err := listener.NewAuthenticator(listener.Credentials{APIKeyHeader: "X-Api-Key", APIKeys: []listener.Secret{testAPIKey}})
	if err != nil {
		t.Fatal(err)
	}
	h := func(kv ...string) http.Header {
		hd := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			hd.Add(kv[i], kv[i+1])
		}
		return hd
	}
	tests := []struct {
		name       string
		a          *listener.Authenticator
		hdr        http.Header
		wantMethod listener.AuthMethod
		wantTried  listener.AuthMethod
		wantErr    error
	}{
		{"api key", all, h("x-secret-key", string(testAPIKey)), listener.AuthAPIKey, "", nil},
		{"api key previous (rotation)", all, h("X-Secret-Key", string(testAPIKeyOld)), listener.AuthAPIKey, "", nil},
		{"api key wrong", all, h("x-secret-key", "api-key-current-0123456789abcdeX"), "", listener.AuthAPIKey, listener.ErrUnauthenticated},
		{"api key prefix", all, h("x-secret-key", string(testAPIKey)[:10]), "", listener.AuthAPIKey, listener.ErrUnauthenticated},
		{"api key repeated", all, h("x-secret-key", string(testAPIKey), "x-secret-key", string(testAPIKey)), "", listener.AuthAPIKey, listener.ErrUnauthenticated},
		{"api key custom header", keyOnly, h("x-api-key", string(testAPIKey)), listener.AuthAPIKey, "", nil},
		{"api key default header on custom", keyOnly, h("x-secret-key", string(testAPIKey)), "", listener.AuthNone, listener.ErrUnauthenticated},
		{"basic", all, h("Authorization", basicHeader(testBasicUser, string(testBasicPass))), listener.AuthBasic, "", nil},
		{"basic lower-case scheme", all, h("Authorization", "basic "+basicHeader(testBasicUser, string(testBasicPass))[6:]), listener.AuthBasic, "", nil},
		{"basic wrong password", all, h("Authorization", basicHeader(testBasicUser, "x"+string(testBasicPass))), "", listener.AuthBasic, listener.ErrUnauthenticated},
		{"basic wrong user", all, h("Authorization", basicHeader("admin", string(testBasicPass))), "", listener.AuthBasic, listener.ErrUnauthenticated},
		{"basic garbage", all, h("Authorization", "Basic !!!"), "", listener.AuthBasic, listener.ErrUnauthenticated},
		{"basic on key-only", keyOnly, h("Authorization", basicHeader(testBasicUser, string(testBasicPass))), "", listener.AuthNone, listener.ErrUnauthenticated},
		{"bearer", all, h("Authorization", "Bearer "+token), listener.AuthBearer, "", nil},
		{"bearer forged", all, h("Authorization", "Bearer "+forged), "", listener.AuthBearer, listener.ErrTokenSignature},
		{"bearer garbage", all, h("Authorization", "Bearer x.y.z"), "", listener.AuthBearer, listener.ErrInvalidToken},
		{"bearer wins the status over a wrong api key", all, h("x-secret-key", "nope", "Authorization", "Bearer x"), "", listener.AuthBearer, listener.ErrInvalidToken},
		{"wrong key but valid bearer", all, h("x-secret-key", "nope", "Authorization", "Bearer "+token), listener.AuthBearer, "", nil},
		{"repeated authorization", all, h("Authorization", "Bearer "+token, "Authorization", "Bearer "+token), "", listener.AuthBearer, listener.ErrUnauthenticated},
		{"nothing", all, h(), "", listener.AuthNone, listener.ErrUnauthenticated},
		{"unknown scheme", all, h("Authorization", "Digest x"), "", listener.AuthNone, listener.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := tt.a.Authenticate(tt.hdr)
			if m != tt.wantMethod {
				t.Errorf("method %q, want %q", m, tt.wantMethod)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("err %v", err)
				}
				return
			}
			var ae *listener.AuthError
			if !errors.As(err, &ae) || !errors.Is(err, tt.wantErr) || !errors.Is(err, listener.ErrUnauthenticated) {
				t.Fatalf("err %v, want *AuthError wrapping %v", err, tt.wantErr)
			}
			if ae.Method != tt.wantTried {
				t.Errorf("tried %q, want %q", ae.Method, tt.wantTried)
			}
			for _, s := range []listener.Secret{testAPIKey, testAPIKeyOld, testBasicPass} {
				if strings.Contains(err.Error(), string(s)) {
					t.Errorf("error reveals a secret: %v", err)
				}
			}
		})
	}
}

func TestNewAuthenticatorFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    listener.Credentials
		want error
	}{
		{"nothing", listener.Credentials{}, listener.ErrNoCredentials},
		{"empty key", listener.Credentials{APIKeys: []listener.Secret{""}}, listener.ErrWeakSecret},
		{"short key", listener.Credentials{APIKeys: []listener.Secret{"short"}}, listener.ErrWeakSecret},
		{"short password", listener.Credentials{Basic: []listener.BasicUser{{Username: "u", Password: "p"}}}, listener.ErrWeakSecret},
		{"user with colon", listener.Credentials{Basic: []listener.BasicUser{{Username: "a:b", Password: testBasicPass}}}, listener.ErrInvalidOptions},
		{"bad header name", listener.Credentials{APIKeyHeader: "x key", APIKeys: []listener.Secret{testAPIKey}}, listener.ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := listener.NewAuthenticator(tt.c)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzAuthenticate(f *testing.F) {
	iss := newIssuer(f, nil)
	token, _, _ := iss.Issue(testClientID)
	a, err := listener.NewAuthenticator(listener.Credentials{
		APIKeys: []listener.Secret{testAPIKey},
		Basic:   []listener.BasicUser{{Username: testBasicUser, Password: testBasicPass}},
		OAuth:   iss,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("x-secret-key", string(testAPIKey)[:31]+"X")
	f.Add("Authorization", basicHeader(testBasicUser, string(testBasicPass)+"x"))
	f.Add("Authorization", "Bearer "+token[:len(token)-2]+"AA")
	f.Add("Authorization", "Bearer "+token+".")
	f.Add("Authorization", "Basic Og==")
	f.Add("X-Secret-Key", "")
	f.Fuzz(func(t *testing.T, name, value string) {
		hd := http.Header{}
		hd.Set(name, value)
		m, err := a.Authenticate(hd)
		if (err == nil) == (m == listener.AuthNone) {
			t.Fatalf("method %q with error %v", m, err)
		}
		canon := http.CanonicalHeaderKey(name)
		scheme, cred, _ := strings.Cut(strings.TrimLeft(value, " "), " ")
		switch m {
		case listener.AuthNone:
		case listener.AuthAPIKey:
			if canon != "X-Secret-Key" || value != string(testAPIKey) {
				t.Fatalf("api key accepted: %q=%q", name, value)
			}
		case listener.AuthBasic:
			raw, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
			if canon != "Authorization" || !strings.EqualFold(scheme, "basic") || derr != nil ||
				string(raw) != testBasicUser+":"+string(testBasicPass) {
				t.Fatalf("basic accepted: %q=%q", name, value)
			}
		case listener.AuthBearer:
			if _, verr := iss.Verify(strings.TrimSpace(cred)); canon != "Authorization" || verr != nil {
				t.Fatalf("bearer accepted: %q=%q", name, value)
			}
		}
	})
}

func ExampleAuthenticator_Authenticate() {
	a, err := listener.NewAuthenticator(listener.Credentials{
		APIKeys: []listener.Secret{"new-key-0123456789abcdef", "old-key-0123456789abcdef"},
	})
	if err != nil {
		panic(err)
	}
	for _, key := range []string{"old-key-0123456789abcdef", "guess"} {
		h := http.Header{}
		h.Set("x-secret-key", key)
		m, err := a.Authenticate(h)
		fmt.Printf("%q %v\n", m, err)
	}
	// Output:
	// "api_key" <nil>
	// "" listener: api_key authentication failed: listener: unauthenticated
}
