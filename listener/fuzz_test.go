package listener_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/listener/listenertest"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

// memDeadLetters keeps dead letters in memory (the fuzzer writes many).
type memDeadLetters struct {
	mu sync.Mutex
	m  map[string]*listener.DeadLetter
	n  int
}

func (d *memDeadLetters) Put(_ context.Context, dl *listener.DeadLetter) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string]*listener.DeadLetter{}
	}
	if dl.ID == "" {
		d.n++
		dl.ID = strings.Repeat("0", 8) + string(rune('a'+d.n%26))
	}
	c := *dl
	d.m[dl.ID] = &c
	return dl.ID, nil
}

func (d *memDeadLetters) List(context.Context) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for id := range d.m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

func (d *memDeadLetters) Get(_ context.Context, id string) (*listener.DeadLetter, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if dl, ok := d.m[id]; ok {
		c := *dl
		return &c, nil
	}
	return nil, listener.ErrDeadLetterNotFound
}

func (d *memDeadLetters) Delete(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.m[id]; !ok {
		return listener.ErrDeadLetterNotFound
	}
	delete(d.m, id)
	return nil
}

// FuzzServeHTTP sends arbitrary credentials, media types and bodies. The
// handler must never panic, must always answer JSON with a status from the
// documented table, and must never answer 2xx unless the credential is one
// of the configured ones.
func FuzzServeHTTP(f *testing.F) {
	iss := newIssuer(f, nil)
	token, _, err := iss.Issue(testClientID)
	if err != nil {
		f.Fatal(err)
	}
	h, err := listener.New(listener.Options{
		Sink: listener.SinkFunc(func(context.Context, *ocsf.Event, ocsf.Finding) error { return nil }),
		Credentials: listener.Credentials{
			APIKeys: []listener.Secret{testAPIKey},
			Basic:   []listener.BasicUser{{Username: testBasicUser, Password: testBasicPass}},
			OAuth:   iss,
		},
		DeadLetters: &memDeadLetters{},
		Validator:   validator(f),
		Seen:        listener.NewMemorySeenStore(listener.MemorySeenOptions{MaxEntries: 1000}),
	})
	if err != nil {
		f.Fatal(err)
	}
	basic := basicHeader(testBasicUser, string(testBasicPass))

	// Seeds: every fixture, as envelope and as bare detail, with each kind
	// of credential, right and wrong.
	var bodies [][]byte
	good := fixture(f)
	bodies = append(bodies, envelope(f, "seed-1", good))
	if d, err := listenertest.Detail(good); err == nil {
		bodies = append(bodies, d)
	}
	fixtures, _ := filepath.Glob(filepath.Join("..", "testdata", "findings", "*.json"))
	if root, ok := sharedtest.Root(); ok {
		shared, _ := filepath.Glob(filepath.Join(root, "securityhub-samples", "*.json"))
		fixtures = append(fixtures, shared...)
	}
	for _, p := range fixtures {
		if env, err := listenertest.ReadFixture(p); err == nil {
			bodies = append(bodies, env)
		}
	}
	bodies = append(bodies, []byte(`{"detail":{"findings":[{}]},"id":"x","source":"aws.securityhub","detail-type":"Findings Imported V2"}`),
		[]byte(`{"findings":[1,"x",null]}`), []byte(`[[[[[[`), []byte(``), []byte(`{"\u0064etail":{"findings":[{"class_uid":2004}]}}`))
	creds := [][2]string{
		{"X-Secret-Key", string(testAPIKey)},
		{"X-Secret-Key", string(testAPIKey) + " "},
		{"Authorization", basic},
		{"Authorization", "Bearer " + token},
		{"Authorization", "Bearer " + token[:len(token)-1]},
		{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(testBasicUser+":"))},
		{"", ""},
	}
	for i, b := range bodies {
		c := creds[i%len(creds)]
		f.Add(c[0], c[1], "application/json; charset=utf-8", "", b)
		f.Add("X-Secret-Key", string(testAPIKey), "application/json", "k", b)
	}
	f.Add("X-Secret-Key", "wrong", "text/plain", "", good)

	f.Fuzz(func(t *testing.T, name, value, ctype, idem string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if name != "" && validHeader(name) && validValue(value) {
			req.Header.Set(name, value)
		}
		if validValue(ctype) {
			req.Header.Set("Content-Type", ctype)
		}
		if idem != "" && validValue(idem) {
			req.Header.Set("Idempotency-Key", idem)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		allowed := []int{200, 400, 401, 409, 413, 415, 422, 500, 503, 504}
		if !slices.Contains(allowed, rec.Code) {
			t.Fatalf("status %d not in the documented table", rec.Code)
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("answer is not JSON")
		}
		if rec.Code/100 == 2 && !credentialValid(iss, name, value) {
			t.Fatalf("2xx for %q=%q", name, value)
		}
		if rec.Code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
			t.Fatal("401 without a challenge")
		}
	})
}

// credentialValid is the fuzz oracle: an independent statement of which
// header values are real credentials.
func credentialValid(iss *listener.TokenIssuer, name, value string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "X-Secret-Key":
		return value == string(testAPIKey)
	case "Authorization":
		scheme, rest, ok := strings.Cut(strings.TrimLeft(value, " "), " ")
		if !ok {
			return false
		}
		rest = strings.TrimSpace(rest)
		switch strings.ToLower(scheme) {
		case "basic":
			raw, err := base64.StdEncoding.DecodeString(rest)
			return err == nil && string(raw) == testBasicUser+":"+string(testBasicPass)
		case "bearer":
			_, err := iss.Verify(rest)
			return err == nil
		}
	}
	return false
}

func validHeader(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
