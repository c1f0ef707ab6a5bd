package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/listener/filesink"
	"github.com/ocsfhub/ocsfhub/listener/listenertest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs the command in the background and returns its base URL.
func start(t *testing.T, args []string, env map[string]string) (base string, stdout, stderr *lockedBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &lockedBuffer{}, &lockedBuffer{}
	addrc := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-warmup", warmDir(t)}, args...), func(k string) string { return env[k] },
			stdout, stderr, func(a net.Addr) { addrc <- a })
	}()
	select {
	case a := <-addrc:
		base = "http://" + a.String()
	case err := <-errc:
		cancel()
		t.Fatalf("run: %v\n%s", err, stderr)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("not ready")
	}
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			stopErr = <-errc
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	return base, stdout, stderr, stop
}

// warmDir holds the samples the tests post, so that only their schemas
// are compiled at start.
func warmDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.json"), fixture(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.json"), mustFinding(t), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func fixture(t *testing.T) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "findings", "guardduty-ec2-unauthorized-access.json")
	if _, err := os.Stat(p); err != nil {
		p = filepath.Join("..", "..", "listener", "testdata", "detection-finding.json")
	}
	body, err := listenertest.ReadFixture(p)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func post(t *testing.T, url string, body []byte, auth listenertest.Auth) (int, map[string]any) {
	t.Helper()
	req, err := listenertest.NewClientRequest(t.Context(), url, body, auth)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func TestServeAcceptPersistShutdown(t *testing.T) {
	data := t.TempDir()
	const key = "an-api-key-from-the-environment-0123"
	base, stdout, stderr, stop := start(t, []string{"-data", data}, map[string]string{"OCSFHUB_API_KEY": key})
	if !strings.Contains(stdout.String(), "curl -sS -X POST "+base+"/findings") || !strings.Contains(stdout.String(), "from the environment") {
		t.Fatalf("banner:\n%s", stdout)
	}
	body := fixture(t)
	if code, m := post(t, base+"/findings", body, listenertest.APIKey(key)); code != 200 || m["status"] != "accepted" {
		t.Fatalf("post: %d %v\n%s", code, m, stderr)
	}
	if code, m := post(t, base+"/findings", body, listenertest.APIKey(key)); code != 200 || m["status"] != "duplicate" {
		t.Fatalf("redelivery: %d %v", code, m)
	}
	if code, _ := post(t, base+"/findings", body, listenertest.APIKey("not-the-key-0123456789")); code != 401 {
		t.Fatalf("wrong key: %d", code)
	}
	if code, m := post(t, base+"/findings", []byte(`{"id":"x","detail":{}}`), listenertest.APIKey(key)); code != 422 || m["dead_letter"] == nil {
		t.Fatalf("invalid: %d %v", code, m)
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	logs := stderr.String()
	if !strings.Contains(logs, "finding stored") || !strings.Contains(logs, "stopped") {
		t.Fatalf("logs:\n%s", logs)
	}
	if strings.Contains(logs, key) {
		t.Fatal("the API key appears in the logs")
	}
	f, err := os.Open(filepath.Join(data, "accepted.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := filesink.ReadAll(f)
	if err != nil || len(recs) != 1 || recs[0].EventID == "" {
		t.Fatalf("accepted.jsonl: %+v %v", recs, err)
	}
	dls, _ := filepath.Glob(filepath.Join(data, "dead-letters", "*.dead"))
	if len(dls) != 1 {
		t.Fatalf("dead letters %v", dls)
	}

	// A restart remembers the accepted event (seen.db): still a duplicate.
	base, _, _, stop = start(t, []string{"-data", data}, map[string]string{"OCSFHUB_API_KEY": key})
	if code, m := post(t, base+"/findings", body, listenertest.APIKey(key)); code != 200 || m["status"] != "duplicate" {
		t.Fatalf("after restart: %d %v", code, m)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// -replay runs the dead letter again (still invalid: kept).
	var out lockedBuffer
	if err := run(t.Context(), []string{"-data", data, "-replay"}, func(k string) string {
		return map[string]string{"OCSFHUB_API_KEY": key}[k]
	}, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 accepted, 0 duplicates, 1 still refused") {
		t.Fatalf("replay: %s", out.String())
	}
}

func TestGeneratedKeyIsKept(t *testing.T) {
	data := t.TempDir()
	keyRe := regexp.MustCompile(`API key \(header x-secret-key, ([^)]*)\): (\S+)`)
	var keys []string
	for i := range 2 {
		base, stdout, _, stop := start(t, []string{"-data", data}, nil)
		m := keyRe.FindStringSubmatch(stdout.String())
		if m == nil {
			t.Fatalf("no key in banner:\n%s", stdout)
		}
		if i == 0 && !strings.HasPrefix(m[1], "generated") || i == 1 && !strings.HasPrefix(m[1], "kept in") {
			t.Fatalf("run %d: origin %q", i, m[1])
		}
		keys = append(keys, m[2])
		if code, _ := post(t, base+"/findings", fixture(t), listenertest.APIKey(listener.Secret(m[2]))); code != 200 {
			t.Fatalf("run %d: %d", i, code)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
	if keys[0] != keys[1] || len(keys[0]) < 40 {
		t.Fatalf("keys %q", keys)
	}
	st, err := os.Stat(filepath.Join(data, "api-key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("api-key file: %v %v", st, err)
	}
}

func TestOAuthAndBasic(t *testing.T) {
	data := t.TempDir()
	env := map[string]string{
		"OCSFHUB_API_KEY":             "api-key-0123456789abcdef0123",
		"OCSFHUB_BASIC_PASSWORD":      "basic-password-0123456789",
		"OCSFHUB_OAUTH_CLIENT_SECRET": "client-secret-0123456789abc",
	}
	base, stdout, _, _ := start(t, []string{"-data", data, "-basic-user", "eventbridge", "-oauth-client-id", "eb-client"}, env)
	if !strings.Contains(stdout.String(), "OAuth token endpoint: "+base+"/oauth/token") {
		t.Fatalf("banner:\n%s", stdout)
	}
	tok, err := listenertest.ClientCredentials(t.Context(), http.DefaultClient, base+"/oauth/token", "eb-client", "client-secret-0123456789abc")
	if err != nil {
		t.Fatal(err)
	}
	body := fixture(t)
	if code, _ := post(t, base+"/findings", body, listenertest.Bearer(tok)); code != 200 {
		t.Fatalf("bearer: %d", code)
	}
	other, _ := listenertest.Envelope("", mustFinding(t))
	if code, _ := post(t, base+"/findings", other, listenertest.Basic("eventbridge", "basic-password-0123456789")); code != 200 {
		t.Fatalf("basic: %d", code)
	}
	resp, err := http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"eb-client"}, "client_secret": {"wrong-0123456789abcdef"}})
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("wrong client secret: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestPrintConfigAndBadFlags(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-print-config", "-addr", ":9999"}, func(string) string { return "" }, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	var cfg config
	if err := json.Unmarshal(out.Bytes(), &cfg); err != nil || cfg.Addr != ":9999" || cfg.HandoffTimeout != duration(3500*time.Millisecond) {
		t.Fatalf("%+v %v", cfg, err)
	}
	if err := run(t.Context(), []string{"-tls-cert", "x.pem"}, func(string) string { return "" }, io.Discard, io.Discard, nil); err == nil {
		t.Fatal("-tls-cert without -tls-key accepted")
	}
	bad := filepath.Join(t.TempDir(), "c.json")
	_ = os.WriteFile(bad, []byte(`{"adr":"x"}`), 0o600)
	if err := run(t.Context(), []string{"-config", bad}, func(string) string { return "" }, io.Discard, io.Discard, nil); err == nil {
		t.Fatal("unknown config field accepted")
	}
}

func mustFinding(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "listener", "testdata", "detection-finding.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	const key = "tls-api-key-0123456789abcdef"
	base, stdout, _, _ := start(t, []string{"-data", filepath.Join(dir, "data"), "-tls-cert", certFile, "-tls-key", keyFile},
		map[string]string{"OCSFHUB_API_KEY": key})
	if !strings.Contains(stdout.String(), "ocsfhub listener on https://") {
		t.Fatalf("banner:\n%s", stdout)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	url := strings.Replace(base, "http://", "https://", 1) + "/findings"
	req, err := listenertest.NewClientRequest(t.Context(), url, fixture(t), listenertest.APIKey(key))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("status %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
}

// selfSigned returns a certificate for 127.0.0.1 and its key, in PEM.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
