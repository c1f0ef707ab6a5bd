package ocsf_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

// decodeFuzzSeeds returns every fixture envelope, every finding in them, every
// real sample (when ../shared is present) and a few odd inputs.
func decodeFuzzSeeds(tb testing.TB) (envelopes, findings [][]byte) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "findings", "*.json"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		envelopes = append(envelopes, data)
		if ev, err := ocsf.DecodeEvent(data); err == nil {
			for _, raw := range ev.Detail.Findings {
				findings = append(findings, raw)
			}
		}
	}
	if root, ok := sharedtest.Root(); ok {
		samples, _ := filepath.Glob(filepath.Join(root, "securityhub-samples", "*.json"))
		for _, p := range samples {
			data, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			findings = append(findings, data)
		}
	}
	for _, s := range []string{
		`{"class_uid":2004,"severity_id":"x","resources":[1],"finding_info":{"uid":null}}`,
		`{"class_uid":2003,"x":1,"x":{"y":[]},"message":"a","message":5}`,
		`{"class_uid":2009}`, `{}`, `[]`, `{"class_uid":2004,"unmapped":{"a":1e400}}`,
		"{\"class_uid\":2002,\"message\":\"\\ud800\xff\"}",
	} {
		findings = append(findings, []byte(s))
	}
	envelopes = append(envelopes,
		[]byte(`{"detail":{"findings":[{"class_uid":2004},null,"x"]},"time":5}`),
		[]byte(`{"time":"0001-01-01T00:00:00Z","detail":null,"resources":[],"id":""}`),
		[]byte(`{"time":"2026-02-10T08:14:39.120+02:00","detail":{"findings":[]},"detail":{"other":1}}`))
	return envelopes, findings
}

// checkEncodeLossless is the round-trip property: the encoding of a decoded
// value is the same JSON value as the input, and encoding is stable.
func checkEncodeLossless(t *testing.T, in []byte, v json.Marshaler, redecode func([]byte) (json.Marshaler, error)) {
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("Marshal after a successful decode: %v", err)
	}
	if d := semanticDiff(t, in, out); d != "" {
		t.Fatalf("decode then encode changed the value (-in +out):\n%s", d)
	}
	v2, err := redecode(out)
	if err != nil {
		t.Fatalf("decoding own output: %v\n%s", err, out)
	}
	out2, err := json.Marshal(v2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, out2) {
		t.Fatalf("second round trip differs:\n%s\n%s", out, out2)
	}
}

func startsWithObject(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}

// checkDecodeError checks that decoding failed only where encoding/json would,
// with the documented error types.
func checkDecodeError(t *testing.T, in []byte, err error) {
	var de *ocsf.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, ocsf.ErrTooLarge):
		if !json.Valid(in) {
			t.Fatalf("memory limit reported for invalid JSON: %v", err)
		}
	case errors.As(err, &se):
		if json.Valid(in) {
			t.Fatalf("syntax error on valid JSON: %v", err)
		}
	case errors.As(err, &te):
		if !json.Valid(in) || startsWithObject(in) {
			t.Fatalf("type error on %q: %v", in, err)
		}
	default:
		t.Fatalf("unexpected error %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	_, findings := decodeFuzzSeeds(f)
	for _, s := range findings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fd, err := ocsf.Decode(in)
		if err != nil {
			checkDecodeError(t, in, err)
			return
		}
		if !json.Valid(in) {
			t.Fatalf("Decode accepted invalid JSON")
		}
		_ = fd.Summary()
		checkEncodeLossless(t, in, fd, func(b []byte) (json.Marshaler, error) { return ocsf.Decode(b) })
	})
}

func FuzzDecodeEvent(f *testing.F) {
	envelopes, _ := decodeFuzzSeeds(f)
	for _, s := range envelopes {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ev, err := ocsf.DecodeEvent(in)
		if err != nil {
			checkDecodeError(t, in, err)
			return
		}
		if !json.Valid(in) {
			t.Fatalf("DecodeEvent accepted invalid JSON")
		}
		checkEncodeLossless(t, in, ev, func(b []byte) (json.Marshaler, error) { return ocsf.DecodeEvent(b) })
		fs, err := ev.Findings()
		if err != nil {
			var de *ocsf.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Findings error %v is not a *DecodeError", err)
			}
			return
		}
		for i, fd := range fs {
			checkEncodeLossless(t, ev.Detail.Findings[i], fd, func(b []byte) (json.Marshaler, error) { return ocsf.Decode(b) })
		}
	})
}
