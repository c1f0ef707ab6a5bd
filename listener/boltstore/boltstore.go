// Package boltstore is a persistent [listener.SeenStore] in one bbolt file,
// so duplicate detection survives restarts: an event redelivered by
// EventBridge after the listener restarted is still acknowledged without a
// second hand-off.
//
// Keys live in two buckets: "seen" maps a key to its expiry, and "expiry"
// indexes (expiry, key) so that [Store.Prune] deletes expired keys in
// order without scanning live ones. MarkSeen commits through bbolt's
// Batch, which groups concurrent writers into one transaction (one fsync).
//
// Importing listener does not pull in bbolt; only this package does.
//
// [listener.SeenStore]: https://pkg.go.dev/github.com/ocsfhub/ocsfhub/listener#SeenStore
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketSeen   = []byte("seen")
	bucketExpiry = []byte("expiry")
)

// DefaultPruneInterval is how often MarkSeen prunes expired keys.
const DefaultPruneInterval = 10 * time.Minute

// Options configures [Open].
type Options struct {
	// Timeout bounds waiting for the file lock (another process holding
	// the file). Default 5 s.
	Timeout time.Duration
	// PruneInterval: MarkSeen prunes expired keys at most this often (in the
	// calling goroutine). Default [DefaultPruneInterval]; negative disables.
	PruneInterval time.Duration
	// Now returns the current time; default time.Now. For tests.
	Now func() time.Time
}

// Store is a bbolt-backed seen-id store. It is safe for concurrent use.
type Store struct {
	db            *bolt.DB
	now           func() time.Time
	pruneInterval time.Duration

	mu        sync.Mutex
	lastPrune time.Time
}

// Open opens or creates the file at path (mode 0600).
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketSeen); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bucketExpiry)
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: init: %w", err)
	}
	s := &Store{db: db, now: opts.Now, pruneInterval: opts.PruneInterval}
	if s.now == nil {
		s.now = time.Now
	}
	if s.pruneInterval == 0 {
		s.pruneInterval = DefaultPruneInterval
	}
	s.lastPrune = s.now()
	return s, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func encodeTime(t time.Time) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano()))
	return b[:]
}

func decodeTime(b []byte) (time.Time, bool) {
	if len(b) != 8 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b))), true
}

// Seen reports whether key was marked and has not expired.
func (s *Store) Seen(_ context.Context, key string) (bool, error) {
	var exp time.Time
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		exp, ok = decodeTime(tx.Bucket(bucketSeen).Get([]byte(key)))
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("boltstore: %w", err)
	}
	return ok && s.now().Before(exp), nil
}

// MarkSeen records key until now+ttl, durably, before returning.
func (s *Store) MarkSeen(ctx context.Context, key string, ttl time.Duration) error {
	if key == "" {
		return errors.New("boltstore: empty key")
	}
	exp := s.now().Add(ttl)
	k := []byte(key)
	err := s.db.Batch(func(tx *bolt.Tx) error {
		seen, idx := tx.Bucket(bucketSeen), tx.Bucket(bucketExpiry)
		if old, ok := decodeTime(seen.Get(k)); ok {
			if !old.Before(exp) {
				return nil
			}
			if err := idx.Delete(append(encodeTime(old), k...)); err != nil {
				return err
			}
		}
		if err := seen.Put(k, encodeTime(exp)); err != nil {
			return err
		}
		return idx.Put(append(encodeTime(exp), k...), nil)
	})
	if err != nil {
		return fmt.Errorf("boltstore: %w", err)
	}
	s.maybePrune(ctx)
	return nil
}

func (s *Store) maybePrune(ctx context.Context) {
	if s.pruneInterval < 0 {
		return
	}
	now := s.now()
	s.mu.Lock()
	due := now.Sub(s.lastPrune) >= s.pruneInterval
	if due {
		s.lastPrune = now
	}
	s.mu.Unlock()
	if due {
		_, _ = s.Prune(ctx) // best effort; the next interval retries
	}
}

// Prune deletes expired keys and returns how many. It works in
// transactions of at most 10,000 deletions, so a large backlog does not
// hold the write lock for long.
func (s *Store) Prune(ctx context.Context) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		now := encodeTime(s.now())
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			seen, idx := tx.Bucket(bucketSeen), tx.Bucket(bucketExpiry)
			c := idx.Cursor()
			for k, _ := c.First(); k != nil && n < 10_000; k, _ = c.First() {
				if len(k) < 8 || bytes.Compare(k[:8], now) > 0 {
					break
				}
				key := append([]byte(nil), k[8:]...)
				if v := seen.Get(key); v != nil && bytes.Equal(v, k[:8]) {
					if err := seen.Delete(key); err != nil {
						return err
					}
				}
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("boltstore: prune: %w", err)
		}
		if n < 10_000 {
			return total, nil
		}
	}
}

// Len returns the number of keys held (expired ones included until pruned).
func (s *Store) Len() (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketSeen).Stats().KeyN
		return nil
	})
	return n, err
}
