package listener

import (
	"context"
	"sync"
	"time"
)

// SeenStore remembers which deliveries were accepted, so a redelivery is
// acknowledged without a second hand-off. Keys are opaque strings built by
// the listener ("event:<id>", "idem:<Idempotency-Key>", "body:<sha256>",
// plus "#<n>" suffixes for the findings of a multi-finding event).
//
// Contract: safe for concurrent use; MarkSeen makes key visible to Seen for
// at least ttl (a store may keep it longer, or forget it earlier under
// memory pressure, which only weakens duplicate detection: the [Sink] is
// idempotent); a persistent store returns from MarkSeen only once the key is
// durable. An error from Seen is treated as "not seen" (the request is
// processed and the idempotent Sink absorbs a possible duplicate); an error
// from MarkSeen is logged, the request is still acknowledged because the
// Sink has already stored the finding.
type SeenStore interface {
	Seen(ctx context.Context, key string) (bool, error)
	MarkSeen(ctx context.Context, key string, ttl time.Duration) error
}

// DefaultMemorySeenEntries is the default capacity of a [MemorySeenStore].
const DefaultMemorySeenEntries = 200_000

// MemorySeenOptions configures [NewMemorySeenStore].
type MemorySeenOptions struct {
	// MaxEntries bounds memory; when full, the entries expiring first are
	// dropped. Default [DefaultMemorySeenEntries].
	MaxEntries int
	// Now returns the current time; default time.Now. For tests.
	Now func() time.Time
}

// MemorySeenStore is the default [SeenStore]: an in-memory map with
// per-key expiry and a bounded size. It forgets everything on restart, so a
// redelivery after a restart reaches the Sink again (which must be
// idempotent); use a persistent store (for example listener/boltstore) to
// avoid that.
type MemorySeenStore struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	m     map[string]time.Time
	queue []seenEntry // insertion order; expiries are non-decreasing when ttl is constant
	head  int
}

type seenEntry struct {
	key string
	exp time.Time
}

// NewMemorySeenStore returns an empty MemorySeenStore.
func NewMemorySeenStore(opts MemorySeenOptions) *MemorySeenStore {
	s := &MemorySeenStore{max: opts.MaxEntries, now: opts.Now, m: map[string]time.Time{}}
	if s.max <= 0 {
		s.max = DefaultMemorySeenEntries
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Seen reports whether key was marked and has not expired.
func (s *MemorySeenStore) Seen(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	exp, ok := s.m[key]
	s.mu.Unlock()
	return ok && s.now().Before(exp), nil
}

// MarkSeen records key until now+ttl.
func (s *MemorySeenStore) MarkSeen(_ context.Context, key string, ttl time.Duration) error {
	now := s.now()
	exp := now.Add(ttl)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	if old, ok := s.m[key]; ok && !old.Before(exp) {
		return nil
	}
	for len(s.m) >= s.max {
		s.evictOldestLocked()
	}
	s.m[key] = exp
	s.queue = append(s.queue, seenEntry{key, exp})
	return nil
}

// Len returns the number of keys held (expired ones included until pruned).
func (s *MemorySeenStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// pruneLocked drops expired entries from the front of the queue.
func (s *MemorySeenStore) pruneLocked(now time.Time) {
	for s.head < len(s.queue) {
		e := s.queue[s.head]
		if now.Before(e.exp) {
			break
		}
		s.dropHeadLocked()
	}
	s.compactLocked()
}

func (s *MemorySeenStore) evictOldestLocked() {
	if s.head >= len(s.queue) {
		// The map and queue disagree only if a key was re-marked; rebuild.
		clear(s.m)
		s.queue, s.head = s.queue[:0], 0
		return
	}
	s.dropHeadLocked()
}

// dropHeadLocked removes the queue head, and the map entry if the head is the
// latest record of that key.
func (s *MemorySeenStore) dropHeadLocked() {
	e := s.queue[s.head]
	s.queue[s.head] = seenEntry{}
	s.head++
	if exp, ok := s.m[e.key]; ok && exp.Equal(e.exp) {
		delete(s.m, e.key)
	}
}

// compactLocked reclaims the consumed prefix of the queue once it dominates.
func (s *MemorySeenStore) compactLocked() {
	if s.head > 1024 && s.head*2 > len(s.queue) {
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue, s.head = s.queue[:n], 0
	}
}

var _ SeenStore = (*MemorySeenStore)(nil)
