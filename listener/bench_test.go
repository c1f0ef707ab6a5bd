package listener_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/listener/filesink"
	"github.com/ocsfhub/ocsfhub/listener/listenertest"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

// benchBody returns a realistic event (the shared GuardDuty fixture when
// present, else the package's own finding) whose id can be rewritten in
// place, and the offset of the 12 hex digits to rewrite.
func benchBody(b *testing.B) ([]byte, int) {
	b.Helper()
	var finding []byte
	if env, err := listenertest.ReadFixture(filepath.Join("..", "testdata", "findings", "guardduty-ec2-unauthorized-access.json")); err == nil {
		finding = env
	}
	const id = "00000000-0000-4000-8000-000000000000"
	var body []byte
	if finding != nil {
		// Re-wrap the fixture's finding under a rewritable id.
		body = withEnvelopeField(b, finding, "id", id)
	} else {
		body = envelope(b, id, fixture(b))
	}
	off := bytes.Index(body, []byte(id))
	if off < 0 {
		b.Fatal("id not found")
	}
	return body, off + len(id) - 12
}

// uniqueBody copies tmpl with a fresh event id.
func uniqueBody(tmpl []byte, off int, n uint64) []byte {
	body := bytes.Clone(tmpl)
	s := strconv.FormatUint(n, 16)
	copy(body[off:off+12], "000000000000"[len(s):]+s)
	return body
}

func runParallel(b *testing.B, h http.Handler, tmpl []byte, off int) {
	b.Helper()
	var seq atomic.Uint64
	var failures atomic.Int64
	b.SetBytes(int64(len(tmpl)))
	b.ReportAllocs()
	b.SetParallelism(16) // EventBridge delivers concurrently; group commit needs it
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := uniqueBody(tmpl, off, seq.Add(1))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, listenertest.NewRequest(body, listenertest.APIKey(testAPIKey)))
			if rec.Code != http.StatusOK {
				failures.Add(1)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d requests failed", f)
	}
}

// BenchmarkHandler measures accepted requests end to end in-process: API
// key authentication, the bounded body read, envelope and finding decoding,
// OCSF validation, duplicate check and the hand-off to a durable file sink
// (with fsync, and without), with 16 concurrent requests per CPU. Compare
// with BenchmarkBaselineReadBody in the same run.
func BenchmarkHandler(b *testing.B) {
	tmpl, off := benchBody(b)
	for _, noSync := range []bool{false, true} {
		name := "fsync"
		if noSync {
			name = "nofsync"
		}
		b.Run(name, func(b *testing.B) {
			sink, err := filesink.Open(filepath.Join(b.TempDir(), "accepted.jsonl"), filesink.Options{NoSync: noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer sink.Close()
			dead, _ := listener.NewDirDeadLetters(filepath.Join(b.TempDir(), "dead"))
			h, err := listener.New(listener.Options{
				Sink:        sink,
				Credentials: listener.Credentials{APIKeys: []listener.Secret{testAPIKey}},
				DeadLetters: dead,
				Validator:   validator(b),
				MaxInFlight: -1,
			})
			if err != nil {
				b.Fatal(err)
			}
			// Warm the validator's schema cache outside the timing.
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, listenertest.NewRequest(uniqueBody(tmpl, off, 1<<40), listenertest.APIKey(testAPIKey)))
			if rec.Code != 200 {
				b.Fatalf("warm-up: %d %s", rec.Code, rec.Body)
			}
			runParallel(b, h, tmpl, off)
		})
	}
}

// BenchmarkBaselineReadBody is the floor: a handler that only reads the body
// and answers 200, driven exactly like BenchmarkHandler.
func BenchmarkBaselineReadBody(b *testing.B) {
	tmpl, off := benchBody(b)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 2<<20)); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"accepted"}`)
	})
	runParallel(b, h, tmpl, off)
}

// BenchmarkDuplicate measures the Idempotency-Key fast path: a known key is
// answered before the body is read.
func BenchmarkDuplicate(b *testing.B) {
	tmpl, _ := benchBody(b)
	dead, _ := listener.NewDirDeadLetters(filepath.Join(b.TempDir(), "dead"))
	sink, _ := filesink.Open(filepath.Join(b.TempDir(), "a.jsonl"), filesink.Options{})
	defer sink.Close()
	h, err := listener.New(listener.Options{Sink: sink, Credentials: listener.Credentials{APIKeys: []listener.Secret{testAPIKey}},
		DeadLetters: dead, Validator: validator(b)})
	if err != nil {
		b.Fatal(err)
	}
	auth := listenertest.Chain(listenertest.APIKey(testAPIKey), listenertest.IdempotencyKey("same"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, listenertest.NewRequest(tmpl, auth))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, listenertest.NewRequest(tmpl, auth))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkTokenVerify measures bearer verification alone.
func BenchmarkTokenVerify(b *testing.B) {
	iss := newIssuer(b, nil)
	tok, _, _ := iss.Issue(testClientID)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStages splits the accepted path into its stages, to show where
// the time of BenchmarkHandler goes: the envelope, the finding decoding,
// validation, and the re-encoding a Sink may do.
func BenchmarkStages(b *testing.B) {
	tmpl, _ := benchBody(b)
	ev, err := ocsf.DecodeEvent(tmpl)
	if err != nil || len(ev.Detail.Findings) != 1 {
		b.Fatalf("template: %v", err)
	}
	raw := ev.Detail.Findings[0]
	v := validator(b)
	if res := v.Validate(raw); !res.Valid() {
		b.Fatalf("template finding invalid: %v", res.Err())
	}
	f, err := ocsf.Decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	stages := []struct {
		name string
		fn   func()
	}{
		{"DecodeEvent", func() { _, _ = ocsf.DecodeEvent(tmpl) }},
		{"Decode", func() { _, _ = ocsf.Decode(raw) }},
		{"Validate", func() { _ = v.Validate(raw) }},
		{"MarshalJSON", func() { _, _ = f.MarshalJSON() }},
	}
	for _, s := range stages {
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				s.fn()
			}
		})
	}
}
