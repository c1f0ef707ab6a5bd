package listener

import (
	"net/http"
	"sync"
	"time"
)

// Outcome classifies how a request ended. It is what logs, [Observation]s and
// dead letters report; it maps one to one to a status (see the package doc).
type Outcome string

// The outcomes.
const (
	OutcomeAccepted         Outcome = "accepted"           // 200: every finding handed to the Sink
	OutcomeDuplicate        Outcome = "duplicate"          // 200: already accepted earlier
	OutcomeUnauthenticated  Outcome = "unauthenticated"    // 401 (or 403 by option)
	OutcomeMethodNotAllowed Outcome = "method_not_allowed" // 405
	OutcomeUnsupportedMedia Outcome = "unsupported_media"  // 415
	OutcomeTooLarge         Outcome = "too_large"          // 413
	OutcomeMalformed        Outcome = "malformed"          // 400, dead-lettered
	OutcomeInvalid          Outcome = "invalid"            // 422, dead-lettered
	OutcomeRejected         Outcome = "rejected"           // 422, the Sink said ErrRejected; dead-lettered
	OutcomeInProgress       Outcome = "in_progress"        // 409: the same event is being processed right now
	OutcomeOverloaded       Outcome = "overloaded"         // 503 + Retry-After: concurrency limit or draining
	OutcomeSinkError        Outcome = "sink_error"         // 503 + Retry-After: the Sink failed transiently
	OutcomeTimeout          Outcome = "timeout"            // 504: the hand-off budget ran out
	OutcomeInternalError    Outcome = "internal_error"     // 500: the dead-letter store failed, or a bug
)

// Observation describes one finished request, for metrics.
type Observation struct {
	Outcome  Outcome
	Status   int
	Auth     AuthMethod    // how the request authenticated (AuthNone if it did not)
	EventID  string        // envelope id, when known
	Findings int           // findings in the request (0 if not decoded)
	Latency  time.Duration // from the start of ServeHTTP to the answer
	Replay   bool          // a dead letter replayed by [Handler.Replay], not an HTTP request
}

// Observer receives one [Observation] per request: wire it to your metrics
// library (a counter by Outcome, a histogram of Latency). Observe is called
// synchronously on the request path, concurrently, so it must be fast and
// safe for concurrent use.
type Observer interface {
	Observe(o Observation)
}

// ObserverFunc adapts a function to the [Observer] interface.
type ObserverFunc func(o Observation)

// Observe calls fn(o).
func (fn ObserverFunc) Observe(o Observation) { fn(o) }

// Stats is a ready-made [Observer] that counts requests by outcome and keeps
// a latency histogram, for programs that want numbers without a metrics
// library. The zero value is ready to use.
type Stats struct {
	mu       sync.Mutex
	outcomes map[Outcome]int64
	buckets  [len(statsBounds) + 1]int64
	sum      time.Duration
	count    int64
}

// statsBounds are the upper bounds of the latency buckets.
var statsBounds = [...]time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second,
}

// Observe records o.
func (s *Stats) Observe(o Observation) {
	i := 0
	for i < len(statsBounds) && o.Latency > statsBounds[i] {
		i++
	}
	s.mu.Lock()
	if s.outcomes == nil {
		s.outcomes = map[Outcome]int64{}
	}
	s.outcomes[o.Outcome]++
	s.buckets[i]++
	s.sum += o.Latency
	s.count++
	s.mu.Unlock()
}

// StatsSnapshot is a copy of the counters of a [Stats].
type StatsSnapshot struct {
	Outcomes map[Outcome]int64 `json:"outcomes"`
	Count    int64             `json:"count"`
	Mean     time.Duration     `json:"mean_ns"`
	// Buckets[i] counts latencies <= Bounds[i]; the last one counts the rest.
	Bounds  []time.Duration `json:"bounds_ns"`
	Buckets []int64         `json:"buckets"`
}

// Snapshot returns a copy of the counters.
func (s *Stats) Snapshot() StatsSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := StatsSnapshot{Outcomes: make(map[Outcome]int64, len(s.outcomes)), Count: s.count,
		Bounds: append([]time.Duration(nil), statsBounds[:]...), Buckets: append([]int64(nil), s.buckets[:]...)}
	for k, v := range s.outcomes {
		snap.Outcomes[k] = v
	}
	if s.count > 0 {
		snap.Mean = s.sum / time.Duration(s.count)
	}
	return snap
}

// ServeHTTP writes the snapshot as JSON, so Stats can be mounted on an
// internal (not public) address.
func (s *Stats) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Snapshot())
}

var (
	_ Observer = ObserverFunc(nil)
	_ Observer = (*Stats)(nil)
)
