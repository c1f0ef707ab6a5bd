package ocsf_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// benchFinding is a typical finding: the GuardDuty EC2 fixture, 6.7 KB.
func benchFinding(b testing.TB) []byte {
	b.Helper()
	findings := envelopeFindings(b, readTestFile(b, filepath.Join("..", "testdata", "findings", "guardduty-ec2-unauthorized-access.json")))
	if len(findings) != 1 {
		b.Fatalf("%d findings", len(findings))
	}
	return findings[0]
}

// BenchmarkUnmarshalMapBaseline is the reference: encoding/json into
// map[string]any, same bytes.
func BenchmarkUnmarshalMapBaseline(b *testing.B) {
	data := benchFinding(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	data := benchFinding(b)
	v, err := ocsf.NewValidator(nil)
	if err != nil {
		b.Fatal(err)
	}
	if res := v.Validate(data); !res.Valid() { // loads the model, compiles the schema
		b.Fatal(res.Err())
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Validate(data); len(res.Problems) != 0 {
			b.Fatal(res.Problems)
		}
	}
}

func BenchmarkDecodeValidate(b *testing.B) {
	data := benchFinding(b)
	v, err := ocsf.NewValidator(nil)
	if err != nil {
		b.Fatal(err)
	}
	v.Validate(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := ocsf.Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		if res := v.Validate(data); !res.Valid() || f.ClassUID() != res.ClassUID {
			b.Fatal(res.Err())
		}
	}
}

// BenchmarkValidateStrict is Validate in strict mode (same work, other severities).
func BenchmarkValidateStrict(b *testing.B) {
	data := benchFinding(b)
	v, err := ocsf.NewValidator(&ocsf.ValidatorOptions{Mode: ocsf.ModeStrict})
	if err != nil {
		b.Fatal(err)
	}
	v.Validate(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		v.Validate(data)
	}
}
