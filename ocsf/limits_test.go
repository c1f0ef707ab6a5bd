package ocsf_test

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// manyEmptyResources is a finding whose resources[] holds n empty objects:
// three bytes of JSON each, but a whole ResourceDetails once decoded.
func manyEmptyResources(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"class_uid":2004,"resources":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func TestDecodeMemoryIsBounded(t *testing.T) {
	in := manyEmptyResources(300_000) // 900 KB, under the listener's body limit
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ocsf.Decode(in)
	runtime.ReadMemStats(&after)

	if !errors.Is(err, ocsf.ErrTooLarge) {
		t.Fatalf("Decode(%d bytes of empty resources) = %v, want ErrTooLarge", len(in), err)
	}
	var de *ocsf.DecodeError
	if !errors.As(err, &de) || !strings.HasPrefix(de.Pointer, "/resources/") {
		t.Fatalf("error %v does not point into /resources/", err)
	}
	// The limit is on typed values (16 MiB); allow for the slice growth and
	// bookkeeping around it, but not for the gigabyte the input would cost
	// unbounded.
	if got := after.TotalAlloc - before.TotalAlloc; got > 128<<20 {
		t.Errorf("decoding allocated %d MiB, want at most 128 MiB", got>>20)
	}
}

func TestDecodeManyResourcesWithinLimit(t *testing.T) {
	// A finding with a thousand resources is unusual but legitimate.
	f, err := ocsf.Decode(manyEmptyResources(1000))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.Summary().Resources); got != 1000 {
		t.Fatalf("decoded %d resources, want 1000", got)
	}
}

func TestDecodeEventMemoryIsBounded(t *testing.T) {
	env := append([]byte(`{"version":"0","id":"x","detail-type":"Findings Imported V2","source":"aws.securityhub","detail":{"findings":[`),
		manyEmptyResources(300_000)...)
	env = append(env, "]}}"...)
	ev, err := ocsf.DecodeEvent(env)
	if err != nil {
		t.Fatalf("DecodeEvent keeps findings raw and should not fail: %v", err)
	}
	if _, err := ev.Findings(); !errors.Is(err, ocsf.ErrTooLarge) {
		t.Fatalf("Findings() = %v, want ErrTooLarge", err)
	}
}
