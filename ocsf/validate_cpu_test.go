//go:build unix

package ocsf_test

import (
	"encoding/json"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// cpuNow is the CPU time the process has used (user + system).
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestCPURatio measures, in CPU time rather than wall time, validate and
// decode+validate of the benchmark finding against json.Unmarshal into a map
// of the same bytes, interleaving the four in rounds. It is a measurement
// (it logs, never fails) for machines too busy for stable benchmark
// timings; run it with
//
//	OCSFHUB_CPU_RATIO=1 GOMAXPROCS=1 go test ./ocsf -run TestCPURatio -v
func TestCPURatio(t *testing.T) {
	if os.Getenv("OCSFHUB_CPU_RATIO") == "" {
		t.Skip("set OCSFHUB_CPU_RATIO=1 to measure")
	}
	data := benchFinding(t)
	v := newValidator(t, ocsf.ModeCompatible)
	if res := v.Validate(data); !res.Valid() {
		t.Fatal(res.Err())
	}
	fns := map[string]func(){
		"baseline": func() {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
		},
		"validate": func() { v.Validate(data) },
		"decode": func() {
			if _, err := ocsf.Decode(data); err != nil {
				t.Fatal(err)
			}
		},
		"decval": func() {
			if _, err := ocsf.Decode(data); err != nil {
				t.Fatal(err)
			}
			v.Validate(data)
		},
	}
	tot := map[string]time.Duration{}
	const rounds, n = 20, 200
	for r := 0; r < rounds; r++ {
		for _, name := range []string{"baseline", "validate", "decode", "decval"} {
			f := fns[name]
			start := cpuNow()
			for i := 0; i < n; i++ {
				f()
			}
			tot[name] += cpuNow() - start
		}
	}
	b := tot["baseline"]
	for _, name := range []string{"baseline", "validate", "decode", "decval"} {
		t.Logf("%-9s %8.1f µs/op CPU  ratio %.2f", name, float64(tot[name].Microseconds())/float64(rounds*n), float64(tot[name])/float64(b))
	}
}
