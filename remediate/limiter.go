package remediate

import (
	"fmt"
	"sync"
	"time"
)

// limiter enforces [Limits] with sliding-window logs of apply times.
type limiter struct {
	mu      sync.Mutex
	overall Limit
	def     Limit
	per     map[string]Limit
	all     []time.Time
	by      map[string][]time.Time
}

func newLimiter(l Limits) *limiter {
	lm := &limiter{
		overall: l.Overall.orDefault(Limit{Max: defaultOverallMax, Window: defaultLimitWindow}),
		def:     l.Remediator.orDefault(Limit{Max: defaultRemediatorMax, Window: defaultLimitWindow}),
		per:     make(map[string]Limit, len(l.PerRemediator)),
		by:      make(map[string][]time.Time),
	}
	for k, v := range l.PerRemediator {
		lm.per[k] = v.orDefault(lm.def)
	}
	return lm
}

func (l *limiter) limitFor(name string) Limit {
	if v, ok := l.per[name]; ok {
		return v
	}
	return l.def
}

// window returns the longest window, how far back the journal must be read to
// seed the limiter after a restart.
func (l *limiter) window() time.Duration {
	w := l.overall.Window
	if l.def.Window > w {
		w = l.def.Window
	}
	for _, v := range l.per {
		if v.Window > w {
			w = v.Window
		}
	}
	return w
}

func prune(ts []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(since) {
		i++
	}
	return ts[i:]
}

// reserve counts one apply by remediator name at now, or refuses with the
// reason when a limit is reached.
func (l *limiter) reserve(name string, now time.Time) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	per := l.limitFor(name)
	if l.overall.Max > 0 {
		l.all = prune(l.all, now.Add(-l.overall.Window))
		if len(l.all) >= l.overall.Max {
			return fmt.Sprintf("blast-radius limit: %d applies overall in %s", l.overall.Max, l.overall.Window), false
		}
	}
	if per.Max > 0 {
		l.by[name] = prune(l.by[name], now.Add(-per.Window))
		if len(l.by[name]) >= per.Max {
			return fmt.Sprintf("blast-radius limit: %d applies by %s in %s", per.Max, name, per.Window), false
		}
	}
	l.all = append(l.all, now)
	l.by[name] = append(l.by[name], now)
	return "", true
}

// seed records an apply that happened before a restart (from the journal).
func (l *limiter) seed(name string, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = insertSorted(l.all, t)
	l.by[name] = insertSorted(l.by[name], t)
}

func insertSorted(ts []time.Time, t time.Time) []time.Time {
	i := len(ts)
	for i > 0 && ts[i-1].After(t) {
		i--
	}
	ts = append(ts, time.Time{})
	copy(ts[i+1:], ts[i:])
	ts[i] = t
	return ts
}
