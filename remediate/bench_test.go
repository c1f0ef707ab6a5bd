package remediate_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
	rt "github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

// benchFindings returns n distinct findings (distinct metadata.uid).
func benchFindings(b *testing.B, n int) []ocsf.Finding {
	b.Helper()
	raw, err := fixture(b, fxGuardDuty).MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	uid := []byte(fixture(b, fxGuardDuty).Summary().MetadataUID)
	out := make([]ocsf.Finding, n)
	for i := range out {
		f, err := ocsf.Decode(bytes.ReplaceAll(raw, uid, fmt.Appendf(nil, "bench-%08d", i)))
		if err != nil {
			b.Fatal(err)
		}
		out[i] = f
	}
	return out
}

// BenchmarkEngine measures findings per second through the whole engine:
// Accept (durable enqueue) from 4 concurrent callers, then route, plan with
// a fake remediator and journal (dry-run), or also apply and record the
// result (automatic), with 4 workers; with bbolt fsync on every commit
// ("sync") and without ("nosync").
func BenchmarkEngine(b *testing.B) {
	for _, sync := range []bool{true, false} {
		for _, mode := range []remediate.Mode{remediate.ModeDryRun, remediate.ModeAutomatic} {
			name := fmt.Sprintf("%s/%s", map[bool]string{true: "sync", false: "nosync"}[sync], mode)
			b.Run(name, func(b *testing.B) { benchEngine(b, !sync, mode) })
		}
	}
}

func benchEngine(b *testing.B, noSync bool, mode remediate.Mode) {
	findings := benchFindings(b, b.N)
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "bench.db"), &boltstore.Options{NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	fake := &rt.Fake{ID: "mark"}
	eng, err := remediate.New(st, remediate.Options{
		Rules: []remediate.Rule{
			{Name: "detections", Pattern: `{"class_uid":[2004],"severity_id":[{"numeric":[">=",1]}]}`, Remediator: fake, Mode: mode},
			{Name: "other", Pattern: `{"class_uid":[2003]}`, Remediator: &rt.Fake{ID: "other"}, Mode: mode},
		},
		Limits:  remediate.Limits{Overall: remediate.Limit{Max: -1}, Remediator: remediate.Limit{Max: -1}},
		Workers: 4,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(findings); i += 4 {
				if err := eng.Accept(ctx, nil, findings[i]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := eng.WaitIdle(ctx, 20*time.Millisecond); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	cancel()
	<-done
	if got := fake.PlanCalls(); got != b.N {
		b.Fatalf("planned %d of %d findings", got, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "findings/s")
	// CPU time (user+system, all threads) per finding: what a finding costs
	// whatever else runs on the machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/finding")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
