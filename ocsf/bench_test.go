package ocsf_test

import (
	"encoding/json"
	"testing"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// decodeBenchInput is a typical real finding: GuardDuty Runtime Monitoring,
// 7.3 KB, with process ancestry, two resources and observables.
func decodeBenchInput(b *testing.B) []byte {
	b.Helper()
	return sharedSample(b, "cruxstack-detection-2.json")
}

// BenchmarkDecode decodes the finding into its generated type.
func BenchmarkDecode(b *testing.B) {
	data := decodeBenchInput(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ocsf.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalMap is the baseline: encoding/json into map[string]any
// of the same bytes.
func BenchmarkUnmarshalMap(b *testing.B) {
	data := decodeBenchInput(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalStruct decodes into the generated type through
// encoding/json (which calls UnmarshalJSON after checking the input).
func BenchmarkUnmarshalStruct(b *testing.B) {
	data := decodeBenchInput(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var f ocsf.DetectionFinding
		if err := json.Unmarshal(data, &f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshal encodes the decoded finding.
func BenchmarkMarshal(b *testing.B) {
	data := decodeBenchInput(b)
	f, err := ocsf.Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeFixtureEvent decodes a whole EventBridge event and its
// finding.
func BenchmarkDecodeFixtureEvent(b *testing.B) {
	data := mustRead(b, "../testdata/findings/guardduty-runtime-new-binary.json")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		ev, err := ocsf.DecodeEvent(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ev.Findings(); err != nil {
			b.Fatal(err)
		}
	}
}
