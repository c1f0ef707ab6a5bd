package listener_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/listener/listenertest"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

// recordingSink remembers what it accepted; fail decides an error per call.
type recordingSink struct {
	mu       sync.Mutex
	accepted []accepted
	calls    atomic.Int64
	fail     func(n int64, ev *ocsf.Event, f ocsf.Finding) error
}

type accepted struct {
	eventID    string
	findingUID string
	class      ocsf.ClassUID
}

func (s *recordingSink) Accept(ctx context.Context, ev *ocsf.Event, f ocsf.Finding) error {
	n := s.calls.Add(1)
	if s.fail != nil {
		if err := s.fail(n, ev, f); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted = append(s.accepted, accepted{ev.ID, f.Summary().UID, f.ClassUID()})
	return nil
}

func (s *recordingSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accepted)
}

// fixture reads the package's own valid detection finding.
func fixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "detection-finding.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// findingWithUID returns the fixture with another finding_info.uid.
func findingWithUID(t testing.TB, uid string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(fixture(t), &m); err != nil {
		t.Fatal(err)
	}
	m["finding_info"].(map[string]any)["uid"] = uid
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invalidFinding is the fixture without finding_info.uid (required by OCSF).
func invalidFinding(t testing.TB) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(fixture(t), &m); err != nil {
		t.Fatal(err)
	}
	delete(m["finding_info"].(map[string]any), "uid")
	b, _ := json.Marshal(m)
	return b
}

func envelope(t testing.TB, id string, findings ...[]byte) []byte {
	t.Helper()
	b, err := listenertest.Envelope(id, findings...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withEnvelopeField rewrites one top-level field of an envelope.
func withEnvelopeField(t testing.TB, env []byte, key string, value any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(env, &m); err != nil {
		t.Fatal(err)
	}
	m[key] = value
	b, _ := json.Marshal(m)
	return b
}

type env struct {
	h      *listener.Handler
	sink   *recordingSink
	dead   *listener.DirDeadLetters
	issuer *listener.TokenIssuer
	stats  *listener.Stats
	logs   *syncBuffer
}

func newEnv(t testing.TB, mod func(*listener.Options)) *env {
	t.Helper()
	dead, err := listener.NewDirDeadLetters(filepath.Join(t.TempDir(), "dead"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{sink: &recordingSink{}, dead: dead, issuer: newIssuer(t, nil), stats: &listener.Stats{}, logs: &syncBuffer{}}
	opts := listener.Options{
		Sink: e.sink,
		Credentials: listener.Credentials{
			APIKeys: []listener.Secret{testAPIKey, testAPIKeyOld},
			Basic:   []listener.BasicUser{{Username: testBasicUser, Password: testBasicPass}},
			OAuth:   e.issuer,
		},
		DeadLetters: dead,
		Observer:    e.stats,
		Logger:      newTextLogger(e.logs),
		Validator:   validator(t),
	}
	if mod != nil {
		mod(&opts)
	}
	e.h, err = listener.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) do(t testing.TB, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

func (e *env) deadLetters(t testing.TB) []*listener.DeadLetter {
	t.Helper()
	ids, err := e.dead.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []*listener.DeadLetter
	for _, id := range ids {
		dl, err := e.dead.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, dl)
	}
	return out
}

type answer struct {
	Status     listener.Outcome `json:"status"`
	EventID    string           `json:"event_id"`
	Findings   int              `json:"findings"`
	Error      string           `json:"error"`
	Problems   []string         `json:"problems"`
	DeadLetter string           `json:"dead_letter"`
}

func decodeAnswer(t testing.TB, rec *httptest.ResponseRecorder) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer is not JSON: %v: %q", err, rec.Body)
	}
	return a
}

// untouchableBody fails the test if the handler reads it.
type untouchableBody struct {
	t    testing.TB
	read atomic.Bool
}

func (b *untouchableBody) Read([]byte) (int, error) {
	b.read.Store(true)
	return 0, io.EOF
}

func TestStatusTable(t *testing.T) {
	t.Parallel()
	good := fixture(t)
	validEnv := func(t testing.TB) []byte { return envelope(t, "", good) }
	apiKey := listenertest.APIKey(testAPIKey)
	type tc struct {
		name        string
		mod         func(*listener.Options)
		method      string
		body        func(t testing.TB) []byte
		auth        func(e *env) listenertest.Auth
		header      map[string]string
		wantStatus  int
		wantOutcome listener.Outcome
		wantSink    int  // findings the sink received
		wantDead    bool // a dead letter was written
		bodyUnread  bool // the body must not have been read
		check       func(t *testing.T, rec *httptest.ResponseRecorder)
	}
	key := func(*env) listenertest.Auth { return apiKey }
	tests := []tc{
		{name: "accepted envelope, api key", body: validEnv, auth: key, wantStatus: 200, wantOutcome: listener.OutcomeAccepted, wantSink: 1},
		{name: "accepted, previous api key", body: validEnv, auth: func(*env) listenertest.Auth { return listenertest.APIKey(testAPIKeyOld) }, wantStatus: 200, wantOutcome: listener.OutcomeAccepted, wantSink: 1},
		{name: "accepted, basic", body: validEnv, auth: func(*env) listenertest.Auth { return listenertest.Basic(testBasicUser, testBasicPass) }, wantStatus: 200, wantOutcome: listener.OutcomeAccepted, wantSink: 1},
		{name: "accepted, bearer", body: validEnv, auth: func(e *env) listenertest.Auth {
			a, err := listenertest.OAuth(e.issuer, testClientID)
			if err != nil {
				panic(err)
			}
			return a
		}, wantStatus: 200, wantOutcome: listener.OutcomeAccepted, wantSink: 1},
		{name: "accepted, bare detail (InputPath $.detail)", body: func(t testing.TB) []byte {
			b, _ := listenertest.Detail(good)
			return b
		}, auth: key, wantStatus: 200, wantOutcome: listener.OutcomeAccepted, wantSink: 1},
		{name: "accepted, two findings", body: func(t testing.TB) []byte { return envelope(t, "", good, findingWithUID(t, "second")) }, auth: key, wantStatus: 200, wantOutcome: listener.OutcomeAccepted, wantSink: 2},
		{name: "accepted, cloudevents+json", body: validEnv, auth: key, header: map[string]string{"Content-Type": "application/cloudevents+json"}, wantStatus: 200, wantOutcome: listener.OutcomeAccepted, wantSink: 1},
		{name: "accepted, custom detail type", mod: func(o *listener.Options) { o.DetailTypes = []string{"Custom"} },
			body: func(t testing.TB) []byte { return withEnvelopeField(t, validEnv(t), "detail-type", "Custom") }, auth: key, wantStatus: 200, wantOutcome: listener.OutcomeAccepted, wantSink: 1},

		{name: "no credentials", body: validEnv, wantStatus: 401, wantOutcome: listener.OutcomeUnauthenticated, bodyUnread: true,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if got := rec.Header().Values("WWW-Authenticate"); len(got) != 3 {
					t.Errorf("challenges %q", got)
				}
			}},
		{name: "wrong api key", body: validEnv, auth: func(*env) listenertest.Auth { return listenertest.APIKey("wrong-wrong-wrong-wrong-wrong") }, wantStatus: 401, wantOutcome: listener.OutcomeUnauthenticated, bodyUnread: true},
		{name: "wrong api key, 403 chosen", mod: func(o *listener.Options) { o.StaticAuthFailureStatus = 403 }, body: validEnv,
			auth: func(*env) listenertest.Auth { return listenertest.APIKey("wrong-wrong-wrong-wrong-wrong") }, wantStatus: 403, wantOutcome: listener.OutcomeUnauthenticated, bodyUnread: true,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Header().Get("WWW-Authenticate") != "" {
					t.Error("403 with a challenge")
				}
			}},
		{name: "wrong basic password, 403 chosen", mod: func(o *listener.Options) { o.StaticAuthFailureStatus = 403 }, body: validEnv,
			auth: func(*env) listenertest.Auth { return listenertest.Basic(testBasicUser, "wrong-wrong-wrong-wrong") }, wantStatus: 403, wantOutcome: listener.OutcomeUnauthenticated, bodyUnread: true},
		{name: "forged bearer is 401 even with 403 chosen", mod: func(o *listener.Options) { o.StaticAuthFailureStatus = 403 }, body: validEnv,
			auth: func(*env) listenertest.Auth {
				other := newIssuer(t, func(o *listener.TokenOptions) { o.Keys = []listener.SigningKey{{ID: "a", Secret: testKeyB}} })
				a, _ := listenertest.OAuth(other, testClientID)
				return a
			}, wantStatus: 401, wantOutcome: listener.OutcomeUnauthenticated, bodyUnread: true,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if got := strings.Join(rec.Header().Values("WWW-Authenticate"), "|"); !strings.Contains(got, `Bearer realm="ocsfhub", error="invalid_token"`) {
					t.Errorf("challenge %q", got)
				}
			}},
		{name: "GET", method: "GET", body: validEnv, auth: key, wantStatus: 405, wantOutcome: listener.OutcomeMethodNotAllowed, bodyUnread: true,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Header().Get("Allow") != "POST" {
					t.Errorf("Allow %q", rec.Header().Get("Allow"))
				}
			}},
		{name: "PUT", method: "PUT", body: validEnv, auth: key, wantStatus: 405, wantOutcome: listener.OutcomeMethodNotAllowed, bodyUnread: true},
		{name: "text/plain", body: validEnv, auth: key, header: map[string]string{"Content-Type": "text/plain"}, wantStatus: 415, wantOutcome: listener.OutcomeUnsupportedMedia, bodyUnread: true},
		{name: "latin-1 JSON", body: validEnv, auth: key, header: map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}, wantStatus: 415, wantOutcome: listener.OutcomeUnsupportedMedia, bodyUnread: true},
		{name: "no content type", body: validEnv, auth: key, header: map[string]string{"Content-Type": ""}, wantStatus: 415, wantOutcome: listener.OutcomeUnsupportedMedia, bodyUnread: true},
		{name: "declared too large", body: func(testing.TB) []byte { return bytes.Repeat([]byte(" "), 2<<20+1) }, auth: key, wantStatus: 413, wantOutcome: listener.OutcomeTooLarge, bodyUnread: true},
		{name: "1 MiB padding is accepted", body: func(t testing.TB) []byte {
			b := validEnv(t)
			return append(b, bytes.Repeat([]byte(" "), 1<<20)...)
		}, auth: key, wantStatus: 200, wantOutcome: listener.OutcomeAccepted, wantSink: 1},
		{name: "malformed JSON", body: func(testing.TB) []byte { return []byte(`{"id":"x","detail":{"findings":[`) }, auth: key, wantStatus: 400, wantOutcome: listener.OutcomeMalformed, wantDead: true},
		{name: "not JSON at all", body: func(testing.TB) []byte { return []byte("\xff\xfe<xml/>") }, auth: key, wantStatus: 400, wantOutcome: listener.OutcomeMalformed, wantDead: true},
		{name: "too deep", body: func(testing.TB) []byte {
			return []byte(`{"detail":` + strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70) + "}")
		}, auth: key, wantStatus: 400, wantOutcome: listener.OutcomeMalformed, wantDead: true},
		{name: "invalid finding", body: func(t testing.TB) []byte { return envelope(t, "", invalidFinding(t)) }, auth: key, wantStatus: 422, wantOutcome: listener.OutcomeInvalid, wantDead: true,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if a := decodeAnswer(t, rec); len(a.Problems) == 0 || !strings.Contains(strings.Join(a.Problems, "\n"), "findings/0/finding_info") {
					t.Errorf("problems %q", a.Problems)
				}
			}},
		{name: "second finding invalid: nothing handed over", body: func(t testing.TB) []byte { return envelope(t, "", good, invalidFinding(t)) }, auth: key, wantStatus: 422, wantOutcome: listener.OutcomeInvalid, wantDead: true},
		{name: "finding of wrong type", body: func(t testing.TB) []byte { return envelope(t, "", []byte(`{"class_uid":"2004"}`)) }, auth: key, wantStatus: 422, wantOutcome: listener.OutcomeInvalid, wantDead: true},
		{name: "wrong source", body: func(t testing.TB) []byte { return withEnvelopeField(t, validEnv(t), "source", "aws.guardduty") }, auth: key, wantStatus: 422, wantOutcome: listener.OutcomeInvalid, wantDead: true},
		{name: "CSPM detail-type", body: func(t testing.TB) []byte {
			return withEnvelopeField(t, validEnv(t), "detail-type", "Security Hub Findings - Imported")
		}, auth: key, wantStatus: 422, wantOutcome: listener.OutcomeInvalid, wantDead: true},
		{name: "no id", body: func(t testing.TB) []byte { return withEnvelopeField(t, validEnv(t), "id", "") }, auth: key, wantStatus: 422, wantOutcome: listener.OutcomeInvalid, wantDead: true},
		{name: "no findings", body: func(t testing.TB) []byte {
			return withEnvelopeField(t, validEnv(t), "detail", map[string]any{"findings": []any{}})
		}, auth: key, wantStatus: 422, wantOutcome: listener.OutcomeInvalid, wantDead: true},
		{name: "too many findings", mod: func(o *listener.Options) { o.MaxFindings = 1 }, body: func(t testing.TB) []byte { return envelope(t, "", good, good) },
			auth: key, wantStatus: 422, wantOutcome: listener.OutcomeInvalid, wantDead: true},
		{name: "array body", body: func(testing.TB) []byte { return []byte(`[1,2]`) }, auth: key, wantStatus: 422, wantOutcome: listener.OutcomeInvalid, wantDead: true},
		{name: "neither envelope nor detail", body: func(testing.TB) []byte { return []byte(`{"hello":"world"}`) }, auth: key, wantStatus: 422, wantOutcome: listener.OutcomeInvalid, wantDead: true},
		{name: "sink fails", mod: func(o *listener.Options) {
			o.Sink = listener.SinkFunc(func(context.Context, *ocsf.Event, ocsf.Finding) error { return errors.New("disk full") })
		}, body: validEnv, auth: key, wantStatus: 503, wantOutcome: listener.OutcomeSinkError,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Header().Get("Retry-After") != "5" {
					t.Errorf("Retry-After %q", rec.Header().Get("Retry-After"))
				}
			}},
		{name: "sink rejects", mod: func(o *listener.Options) {
			o.Sink = listener.SinkFunc(func(context.Context, *ocsf.Event, ocsf.Finding) error {
				return fmt.Errorf("no route: %w", listener.ErrRejected)
			})
		}, body: validEnv, auth: key, wantStatus: 422, wantOutcome: listener.OutcomeRejected, wantDead: true},
		{name: "sink rejects structurally (Permanent() bool)", mod: func(o *listener.Options) {
			o.Sink = listener.SinkFunc(func(context.Context, *ocsf.Event, ocsf.Finding) error {
				return fmt.Errorf("engine: %w", permanentErr{})
			})
		}, body: validEnv, auth: key, wantStatus: 422, wantOutcome: listener.OutcomeRejected, wantDead: true},
		{name: "sink error with Permanent() false is transient", mod: func(o *listener.Options) {
			o.Sink = listener.SinkFunc(func(context.Context, *ocsf.Event, ocsf.Finding) error { return transientErr{} })
		}, body: validEnv, auth: key, wantStatus: 503, wantOutcome: listener.OutcomeSinkError},
		{name: "sink too slow", mod: func(o *listener.Options) {
			o.HandoffTimeout = 50 * time.Millisecond
			o.Sink = listener.SinkFunc(func(ctx context.Context, _ *ocsf.Event, _ ocsf.Finding) error {
				<-ctx.Done()
				return ctx.Err()
			})
		}, body: validEnv, auth: key, wantStatus: 504, wantOutcome: listener.OutcomeTimeout},
		{name: "dead-letter store fails", mod: func(o *listener.Options) { o.DeadLetters = failingDeadLetters{} },
			body: func(testing.TB) []byte { return []byte(`{`) }, auth: key, wantStatus: 500, wantOutcome: listener.OutcomeInternalError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tt.mod)
			body := tt.body(t)
			var req *http.Request
			var auth listenertest.Auth
			if tt.auth != nil {
				auth = tt.auth(e)
			}
			req = listenertest.NewRequest(body, auth)
			ub := &untouchableBody{t: t}
			if tt.bodyUnread {
				req.Body = io.NopCloser(ub)
			}
			if tt.method != "" {
				req.Method = tt.method
			}
			for k, v := range tt.header {
				if v == "" {
					req.Header.Del(k)
				} else {
					req.Header.Set(k, v)
				}
			}
			rec := e.do(t, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			a := decodeAnswer(t, rec)
			if a.Status != tt.wantOutcome {
				t.Errorf("outcome %q, want %q", a.Status, tt.wantOutcome)
			}
			if ub.read.Load() {
				t.Error("the body was read")
			}
			if got := e.sink.count(); got != tt.wantSink {
				t.Errorf("sink accepted %d findings, want %d", got, tt.wantSink)
			}
			dls := e.deadLetters(t)
			if tt.wantDead {
				if len(dls) != 1 {
					t.Fatalf("%d dead letters, want 1", len(dls))
				}
				if !bytes.Equal(dls[0].Body, body) || dls[0].Outcome != tt.wantOutcome || dls[0].Status != tt.wantStatus || dls[0].Reason == "" || a.DeadLetter != dls[0].ID {
					t.Errorf("dead letter %+v (answer names %q)", dls[0], a.DeadLetter)
				}
			} else if len(dls) != 0 {
				t.Errorf("unexpected dead letters: %d", len(dls))
			}
			if snap := e.stats.Snapshot(); snap.Outcomes[tt.wantOutcome] != 1 || snap.Count != 1 {
				t.Errorf("observer saw %+v", snap.Outcomes)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.check != nil {
				tt.check(t, rec)
			}
		})
	}
}

// permanentErr and transientErr are what a Sink in another package (which
// may not import listener) returns to classify its errors.
type permanentErr struct{}

func (permanentErr) Error() string   { return "no remediation route" }
func (permanentErr) Permanent() bool { return true }

type transientErr struct{}

func (transientErr) Error() string   { return "queue busy" }
func (transientErr) Permanent() bool { return false }

type failingDeadLetters struct{}

func (failingDeadLetters) Put(context.Context, *listener.DeadLetter) (string, error) {
	return "", errors.New("read-only file system")
}
func (failingDeadLetters) List(context.Context) ([]string, error) { return nil, nil }
func (failingDeadLetters) Get(context.Context, string) (*listener.DeadLetter, error) {
	return nil, listener.ErrDeadLetterNotFound
}
func (failingDeadLetters) Delete(context.Context, string) error {
	return listener.ErrDeadLetterNotFound
}

func TestTooLargeStreamed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	// No Content-Length (chunked): the limit is enforced while reading.
	body := append(envelope(t, "", fixture(t)), bytes.Repeat([]byte(" "), 3<<20)...)
	req := listenertest.NewRequest(nil, listenertest.APIKey(testAPIKey))
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = -1
	rec := e.do(t, req)
	if rec.Code != 413 || e.sink.count() != 0 {
		t.Fatalf("status %d, sink %d", rec.Code, e.sink.count())
	}
}

func TestDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	body := envelope(t, "6a7e7f0c-0000-4000-8000-000000000001", fixture(t))
	for i, want := range []listener.Outcome{listener.OutcomeAccepted, listener.OutcomeDuplicate, listener.OutcomeDuplicate} {
		rec := e.do(t, listenertest.NewRequest(body, listenertest.APIKey(testAPIKey)))
		if a := decodeAnswer(t, rec); rec.Code != 200 || a.Status != want {
			t.Fatalf("delivery %d: %d %q, want 200 %q", i, rec.Code, a.Status, want)
		}
	}
	if e.sink.count() != 1 {
		t.Fatalf("sink got %d, want 1", e.sink.count())
	}

	// Idempotency-Key: a redelivery is recognised before the body is read.
	idem := listenertest.Chain(listenertest.APIKey(testAPIKey), listenertest.IdempotencyKey("k-1"))
	rec := e.do(t, listenertest.NewRequest(envelope(t, "", fixture(t)), idem))
	if decodeAnswer(t, rec).Status != listener.OutcomeAccepted {
		t.Fatalf("first with key: %s", rec.Body)
	}
	req := listenertest.NewRequest(nil, idem)
	ub := &untouchableBody{t: t}
	req.Body = io.NopCloser(ub)
	rec = e.do(t, req)
	if decodeAnswer(t, rec).Status != listener.OutcomeDuplicate || ub.read.Load() {
		t.Fatalf("second with key: %s (body read: %v)", rec.Body, ub.read.Load())
	}

	// Bare detail without any id: the body digest is the key.
	detail, _ := listenertest.Detail(findingWithUID(t, "bare"))
	for i, want := range []listener.Outcome{listener.OutcomeAccepted, listener.OutcomeDuplicate} {
		rec := e.do(t, listenertest.NewRequest(detail, listenertest.APIKey(testAPIKey)))
		if a := decodeAnswer(t, rec); a.Status != want {
			t.Fatalf("bare detail %d: %q, want %q", i, a.Status, want)
		}
	}
	if e.sink.count() != 3 {
		t.Fatalf("sink got %d, want 3", e.sink.count())
	}
}

func TestSinkFailureIsNotMarkedSeen(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	failing.Store(true)
	e := newEnv(t, nil)
	e.sink.fail = func(int64, *ocsf.Event, ocsf.Finding) error {
		if failing.Load() {
			return errors.New("queue unavailable")
		}
		return nil
	}
	body := envelope(t, "", fixture(t))
	if rec := e.do(t, listenertest.NewRequest(body, listenertest.APIKey(testAPIKey))); rec.Code != 503 {
		t.Fatalf("status %d", rec.Code)
	}
	failing.Store(false)
	rec := e.do(t, listenertest.NewRequest(body, listenertest.APIKey(testAPIKey)))
	if a := decodeAnswer(t, rec); rec.Code != 200 || a.Status != listener.OutcomeAccepted {
		t.Fatalf("retry: %d %s", rec.Code, rec.Body)
	}
	if e.sink.count() != 1 || e.sink.calls.Load() != 2 {
		t.Fatalf("sink accepted %d in %d calls", e.sink.count(), e.sink.calls.Load())
	}
}

func TestMultiFindingRetryHandsOverOnlyTheRest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.sink.fail = func(n int64, _ *ocsf.Event, f ocsf.Finding) error {
		if n == 2 { // the second finding fails once
			return errors.New("transient")
		}
		return nil
	}
	body := envelope(t, "", findingWithUID(t, "one"), findingWithUID(t, "two"))
	if rec := e.do(t, listenertest.NewRequest(body, listenertest.APIKey(testAPIKey))); rec.Code != 503 {
		t.Fatalf("first delivery %d", rec.Code)
	}
	rec := e.do(t, listenertest.NewRequest(body, listenertest.APIKey(testAPIKey)))
	if rec.Code != 200 {
		t.Fatalf("retry %d %s", rec.Code, rec.Body)
	}
	var uids []string
	for _, a := range e.sink.accepted {
		uids = append(uids, a.findingUID)
	}
	if strings.Join(uids, ",") != "one,two" {
		t.Fatalf("sink got %v, want one,two (each once)", uids)
	}
}

func TestOverload(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	e := newEnv(t, func(o *listener.Options) {
		o.MaxInFlight = 1
		o.QueueWait = 10 * time.Millisecond
		o.RetryAfter = 7 * time.Second
		o.Sink = listener.SinkFunc(func(ctx context.Context, _ *ocsf.Event, _ ocsf.Finding) error {
			entered <- struct{}{}
			<-release
			return nil
		})
	})
	done := make(chan int)
	go func() {
		done <- e.do(t, listenertest.NewRequest(envelope(t, "", fixture(t)), listenertest.APIKey(testAPIKey))).Code
	}()
	<-entered
	rec := e.do(t, listenertest.NewRequest(envelope(t, "", fixture(t)), listenertest.APIKey(testAPIKey)))
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "7" || decodeAnswer(t, rec).Status != listener.OutcomeOverloaded {
		t.Fatalf("second request: %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	close(release)
	if code := <-done; code != 200 {
		t.Fatalf("first request %d", code)
	}
}

func TestDrainFinishesInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{})
	var stored atomic.Bool
	var first atomic.Bool
	e := newEnv(t, func(o *listener.Options) {
		o.Sink = listener.SinkFunc(func(ctx context.Context, _ *ocsf.Event, _ ocsf.Finding) error {
			if !first.CompareAndSwap(false, true) {
				return nil // a request that slipped in before Drain began
			}
			close(entered)
			<-release
			if ctx.Err() != nil {
				return ctx.Err()
			}
			stored.Store(true)
			return nil
		})
	})
	// The client gives up while the Sink is writing: the write must still
	// complete (the Sink's ctx is not the request's).
	reqCtx, cancelReq := context.WithCancel(context.Background())
	req := listenertest.NewRequest(envelope(t, "", fixture(t)), listenertest.APIKey(testAPIKey)).WithContext(reqCtx)
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- e.do(t, req) }()
	<-entered
	cancelReq()
	drained := make(chan error)
	go func() { drained <- e.h.Drain(context.Background()) }()
	// New requests are refused while draining.
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec := e.do(t, listenertest.NewRequest(envelope(t, "", fixture(t)), listenertest.APIKey(testAPIKey)))
		if rec.Code == 503 {
			if rec.Header().Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not draining")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-drained:
		t.Fatal("Drain returned while a request was in flight")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if rec := <-done; rec.Code != 200 || !stored.Load() {
		t.Fatalf("in-flight request: %d, stored %v", rec.Code, stored.Load())
	}
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	dead, _ := listener.NewDirDeadLetters(t.TempDir())
	sink := listener.SinkFunc(func(context.Context, *ocsf.Event, ocsf.Finding) error { return nil })
	creds := listener.Credentials{APIKeys: []listener.Secret{testAPIKey}}
	tests := []struct {
		name string
		o    listener.Options
		want error
	}{
		{"no credentials", listener.Options{Sink: sink, DeadLetters: dead}, listener.ErrNoCredentials},
		{"weak key", listener.Options{Sink: sink, DeadLetters: dead, Credentials: listener.Credentials{APIKeys: []listener.Secret{"x"}}}, listener.ErrWeakSecret},
		{"no sink", listener.Options{Credentials: creds, DeadLetters: dead}, listener.ErrInvalidOptions},
		{"no dead letters", listener.Options{Credentials: creds, Sink: sink}, listener.ErrInvalidOptions},
		{"small body limit", listener.Options{Credentials: creds, Sink: sink, DeadLetters: dead, MaxBodyBytes: 1000}, listener.ErrInvalidOptions},
		{"budget over 4.5s", listener.Options{Credentials: creds, Sink: sink, DeadLetters: dead, HandoffTimeout: 5 * time.Second}, listener.ErrInvalidOptions},
		{"status 400", listener.Options{Credentials: creds, Sink: sink, DeadLetters: dead, StaticAuthFailureStatus: 400}, listener.ErrInvalidOptions},
		{"ok", listener.Options{Credentials: creds, Sink: sink, DeadLetters: dead}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := listener.New(tt.o)
			if !errors.Is(err, tt.want) || (err == nil) != (h != nil) {
				t.Fatalf("New: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDeadLetterReplay(t *testing.T) {
	t.Parallel()
	var strict atomic.Bool
	strict.Store(true)
	e := newEnv(t, nil)
	// The sink rejects findings until "fixed".
	e.sink.fail = func(int64, *ocsf.Event, ocsf.Finding) error {
		if strict.Load() {
			return fmt.Errorf("unknown product: %w", listener.ErrRejected)
		}
		return nil
	}
	good := envelope(t, "", fixture(t))
	bad := envelope(t, "", invalidFinding(t))
	for _, b := range [][]byte{good, bad, []byte(`{"broken`)} {
		if rec := e.do(t, listenertest.NewRequest(b, listenertest.Chain(listenertest.APIKey(testAPIKey), listenertest.IdempotencyKey(fmt.Sprint(len(b)))))); rec.Code/100 != 4 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if n := len(e.deadLetters(t)); n != 3 {
		t.Fatalf("%d dead letters, want 3", n)
	}
	// Replay before the fix: all refused again, kept, Replays counted.
	rep, err := e.h.Replay(t.Context())
	if err != nil || rep.Accepted != 0 || len(rep.Refused) != 3 {
		t.Fatalf("replay 1: %+v %v", rep, err)
	}
	strict.Store(false)
	rep, err = e.h.Replay(t.Context())
	if err != nil || rep.Accepted != 1 || len(rep.Refused) != 2 || len(rep.Failed) != 0 {
		t.Fatalf("replay 2: %+v %v", rep, err)
	}
	if e.sink.count() != 1 {
		t.Fatalf("sink %d", e.sink.count())
	}
	left := e.deadLetters(t)
	if len(left) != 2 {
		t.Fatalf("%d left", len(left))
	}
	for _, dl := range left {
		if dl.Replays != 2 {
			t.Errorf("letter %s replays %d, want 2", dl.ID, dl.Replays)
		}
	}
	// The replayed event was recorded as seen: a late redelivery is a duplicate.
	rec := e.do(t, listenertest.NewRequest(good, listenertest.APIKey(testAPIKey)))
	if decodeAnswer(t, rec).Status != listener.OutcomeDuplicate {
		t.Fatalf("redelivery after replay: %s", rec.Body)
	}
	// Replaying one id explicitly; an unknown id is an error.
	if _, err := e.h.Replay(t.Context(), "20990101T000000.000000000Z-00000000"); !errors.Is(err, listener.ErrDeadLetterNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	snap := e.stats.Snapshot()
	if snap.Outcomes[listener.OutcomeAccepted] != 1 {
		t.Fatalf("observer: %+v", snap.Outcomes)
	}
}

func TestWarningsAreLoggedNotRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var m map[string]any
	_ = json.Unmarshal(fixture(t), &m)
	// An attribute OCSF 1.6.0 does not define: compatible mode warns, never errors.
	m["unmapped_stub_warning"] = "x"
	m["x_vendor_extra_attribute"] = map[string]any{"k": "v"}
	f, _ := json.Marshal(m)
	rec := e.do(t, listenertest.NewRequest(envelope(t, "", f), listenertest.APIKey(testAPIKey)))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if !strings.Contains(e.logs.String(), "warnings=") {
		t.Fatalf("no warnings in the log:\n%s", e.logs.String())
	}
}

// A redelivery that arrives while the first delivery is still at the Sink
// is answered 409 (retried by EventBridge), not handed over a second time.
func TestConcurrentRedeliveryConflict(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	e := newEnv(t, nil)
	e.sink.fail = func(n int64, _ *ocsf.Event, _ ocsf.Finding) error {
		if n == 1 {
			entered <- struct{}{}
			<-release
		}
		return nil
	}
	body := envelope(t, "", fixture(t))
	first := make(chan int)
	go func() { first <- e.do(t, listenertest.NewRequest(body, listenertest.APIKey(testAPIKey))).Code }()
	<-entered
	rec := e.do(t, listenertest.NewRequest(body, listenertest.APIKey(testAPIKey)))
	if rec.Code != 409 || decodeAnswer(t, rec).Status != listener.OutcomeInProgress {
		t.Fatalf("concurrent redelivery: %d %s", rec.Code, rec.Body)
	}
	close(release)
	if code := <-first; code != 200 {
		t.Fatalf("first: %d", code)
	}
	rec = e.do(t, listenertest.NewRequest(body, listenertest.APIKey(testAPIKey)))
	if decodeAnswer(t, rec).Status != listener.OutcomeDuplicate || e.sink.count() != 1 {
		t.Fatalf("later redelivery: %s, sink %d", rec.Body, e.sink.count())
	}
}

// A replay that meets a transient Sink failure keeps the letter unchanged.
func TestReplayTransientFailureKeepsLetter(t *testing.T) {
	t.Parallel()
	var mode atomic.Int32 // 0 reject, 1 transient failure, 2 accept
	e := newEnv(t, nil)
	e.sink.fail = func(int64, *ocsf.Event, ocsf.Finding) error {
		switch mode.Load() {
		case 0:
			return fmt.Errorf("not yet: %w", listener.ErrRejected)
		case 1:
			return errors.New("queue down")
		}
		return nil
	}
	if rec := e.do(t, listenertest.NewRequest(envelope(t, "", fixture(t)), listenertest.APIKey(testAPIKey))); rec.Code != 422 {
		t.Fatalf("status %d", rec.Code)
	}
	before := e.deadLetters(t)
	mode.Store(1)
	rep, err := e.h.Replay(t.Context())
	if err != nil || len(rep.Failed) != 1 || rep.Accepted != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
	after := e.deadLetters(t)
	if len(after) != 1 || after[0].Replays != before[0].Replays || after[0].Reason != before[0].Reason {
		t.Fatalf("letter changed: %+v -> %+v", before[0], after[0])
	}
	mode.Store(2)
	if rep, err := e.h.Replay(t.Context(), after[0].ID); err != nil || rep.Accepted != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	if len(e.deadLetters(t)) != 0 {
		t.Fatal("accepted letter not deleted")
	}
}
