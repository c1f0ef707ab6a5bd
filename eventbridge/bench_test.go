package eventbridge_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/eventbridge"
)

// Benchmarks report events/s. Run them with
//
//	go test ./eventbridge -run '^$' -bench . -benchmem
//
// The Security Hub benchmarks use the repository's fixtures
// (testdata/findings, real-size Findings Imported V2 events) when present,
// else the published samples of ../shared/securityhub-samples wrapped in an
// envelope.

func benchEvents(b *testing.B) [][]byte {
	b.Helper()
	events := fixtureEvents(b)
	if len(events) == 0 {
		for _, f := range securityHubSamples(b) {
			events[string(f[:20])] = envelope(f)
		}
	}
	keys := make([]string, 0, len(events))
	for k := range events {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = events[k]
	}
	return out
}

// cpuStart marks the start of a benchmark loop for reportEvents.
func cpuStart(b *testing.B) time.Duration {
	b.ResetTimer()
	t, _ := cpuTime()
	return t
}

// reportEvents reports events/s (wall clock) and events per CPU-second
// (process CPU time, meaningful for the single-goroutine benchmarks even
// when other processes load the machine).
func reportEvents(b *testing.B, events [][]byte, start time.Duration) {
	if end, ok := cpuTime(); ok && end > start {
		b.ReportMetric(float64(b.N)/(end-start).Seconds(), "events/cpu-s")
	}
	total := 0
	for _, e := range events {
		total += len(e)
	}
	b.SetBytes(int64(total / len(events)))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSecurityHubRuleSet matches each event against the 17 rules of
// securityHubRules at once.
func BenchmarkSecurityHubRuleSet(b *testing.B) {
	events := benchEvents(b)
	rs, err := eventbridge.NewRuleSet(securityHubRules(b)...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := cpuStart(b)
	for i := 0; i < b.N; i++ {
		if _, err := rs.Match(events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
	}
	reportEvents(b, events, start)
}

// BenchmarkSecurityHubRuleSetParallel is the same on all CPUs.
func BenchmarkSecurityHubRuleSetParallel(b *testing.B) {
	events := benchEvents(b)
	rs, err := eventbridge.NewRuleSet(securityHubRules(b)...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := cpuStart(b)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := rs.Match(events[i%len(events)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	reportEvents(b, events, start)
}

// BenchmarkSecurityHubMatchers matches each event against the same 17
// rules compiled one by one, the event read once per rule: what RuleSet
// saves.
func BenchmarkSecurityHubMatchers(b *testing.B) {
	events := benchEvents(b)
	var ms []*eventbridge.Matcher
	for _, r := range securityHubRules(b) {
		m, err := eventbridge.Compile(r.Pattern)
		if err != nil {
			b.Fatal(err)
		}
		ms = append(ms, m)
	}
	b.ReportAllocs()
	start := cpuStart(b)
	for i := 0; i < b.N; i++ {
		for _, m := range ms {
			if _, err := m.Match(events[i%len(events)]); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportEvents(b, events, start)
}

// BenchmarkSecurityHubMatchValue matches events already decoded into maps.
func BenchmarkSecurityHubMatchValue(b *testing.B) {
	events := benchEvents(b)
	values := make([]any, len(events))
	for i, e := range events {
		values[i] = decodeUseNumber(b, e)
	}
	rs, err := eventbridge.NewRuleSet(securityHubRules(b)...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := cpuStart(b)
	for i := 0; i < b.N; i++ {
		if _, err := rs.MatchValue(values[i%len(values)]); err != nil {
			b.Fatal(err)
		}
	}
	reportEvents(b, events, start)
}

// BenchmarkSecurityHubMatchFinding matches the bare findings (what a
// remediation engine holds) with MatchFinding.
func BenchmarkSecurityHubMatchFinding(b *testing.B) {
	events := benchEvents(b)
	findings := make([][]byte, len(events))
	for i, e := range events {
		var env struct {
			Detail struct {
				Findings []json.RawMessage `json:"findings"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(e, &env); err != nil || len(env.Detail.Findings) != 1 {
			b.Fatalf("event %d: %v", i, err)
		}
		findings[i] = env.Detail.Findings[0]
	}
	rs, err := eventbridge.NewRuleSet(securityHubRules(b)...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := cpuStart(b)
	for i := 0; i < b.N; i++ {
		if _, err := rs.MatchFinding(findings[i%len(findings)]); err != nil {
			b.Fatal(err)
		}
	}
	reportEvents(b, findings, start)
}

// BenchmarkUnmarshalBaseline decodes the same events with encoding/json
// into an any, for scale.
func BenchmarkUnmarshalBaseline(b *testing.B) {
	events := benchEvents(b)
	b.ReportAllocs()
	start := cpuStart(b)
	for i := 0; i < b.N; i++ {
		var v any
		if err := json.Unmarshal(events[i%len(events)], &v); err != nil {
			b.Fatal(err)
		}
	}
	reportEvents(b, events, start)
}

func bigEvent(b *testing.B) (event, rule []byte) {
	b.Helper()
	dir := filepath.Join(rulerData(b), "data")
	event, err := os.ReadFile(filepath.Join(dir, "bigEvent.json"))
	if err != nil {
		b.Fatal(err)
	}
	rule, err = os.ReadFile(filepath.Join(dir, "bigEventRule.json"))
	if err != nil {
		b.Fatal(err)
	}
	return event, rule
}

// BenchmarkBigEvent matches Event Ruler's 256 KB CloudTrail event against
// its rule (which must match), and against the Security Hub rule set
// (which reads only the paths it needs and matches nothing).
func BenchmarkBigEvent(b *testing.B) {
	event, rule := bigEvent(b)
	p, err := eventbridge.ParsePattern(rule)
	if err != nil {
		b.Fatal(err)
	}
	m, err := eventbridge.Compile(p)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("bigEventRule", func(b *testing.B) {
		b.ReportAllocs()
		start := cpuStart(b)
		for i := 0; i < b.N; i++ {
			ok, err := m.Match(event)
			if err != nil || !ok {
				b.Fatalf("Match = %v, %v", ok, err)
			}
		}
		reportEvents(b, [][]byte{event}, start)
	})
	rs, err := eventbridge.NewRuleSet(append(securityHubRules(b), eventbridge.Rule{Name: "big", Pattern: p})...)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("securityhub-rules+bigEventRule", func(b *testing.B) {
		b.ReportAllocs()
		start := cpuStart(b)
		for i := 0; i < b.N; i++ {
			names, err := rs.Match(event)
			if err != nil || len(names) != 1 {
				b.Fatalf("Match = %q, %v", names, err)
			}
		}
		reportEvents(b, [][]byte{event}, start)
	})
}

// rulerData is sharedtest.Dir for benchmarks too.
var _ = rulerData

func BenchmarkParsePattern(b *testing.B) {
	src := []byte(`{"source":["aws.securityhub"],"detail-type":["Findings Imported V2"],"detail":{"findings":{` +
		`"severity":["High","Critical"],"metadata":{"product":{"name":["GuardDuty"]}},` +
		`"resources":{"type":["AWS::EC2::Instance"]},"finding_info":{"types":[{"prefix":"TTPs/"}]}}}}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := eventbridge.ParsePattern(src); err != nil {
			b.Fatal(err)
		}
	}
}
