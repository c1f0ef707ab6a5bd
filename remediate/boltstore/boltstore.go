// Package boltstore is the embedded [remediate.Store]: the engine's queue,
// dead-letter list, audit journal, idempotency records, approvals and
// settings in one local go.etcd.io/bbolt file.
//
// Every write is a bbolt transaction committed (and, unless
// [Options.NoSync], fsynced) before the method returns, so an acknowledged
// finding survives a crash of the process or the machine. bbolt locks the
// file: one process owns a store at a time, which is why leases (queue
// messages being processed, tasks being worked on) live in memory: when the
// process dies its leases die with it, and the next process sees every
// unfinished message again. A message's receive count is persisted before it
// is handed out, so a message that was being processed when the process died
// is reported as orphaned ([remediate.Delivery.Orphaned]) and the engine can
// dead-letter a message that keeps crashing the process.
//
// For several replicas, implement the remediate interfaces on SQS and
// DynamoDB instead (each interface documents its mapping).
package boltstore

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
	bolt "go.etcd.io/bbolt"
)

// Options configure [Open]. The zero value is the safe default.
type Options struct {
	// NoSync skips fsync on commit: much faster, but a machine crash (not a
	// process crash) can lose the last commits. For tests and benchmarks.
	NoSync bool
	// Timeout is how long Open waits for another process's lock on the file
	// (default 1 s).
	Timeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// BatchDelay is how long a write waits for concurrent writes to share its
	// transaction (and its fsync): bbolt's DB.Batch. Default 1 ms; negative
	// disables batching (one transaction per write).
	BatchDelay time.Duration
}

// Bucket names.
const (
	bMsg      = "queue.messages"  // message id → Message JSON without the finding
	bBody     = "queue.bodies"    // message id → the finding's JSON, as received
	bMeta     = "queue.meta"      // message id → qMeta (24 bytes)
	bVis      = "queue.visible"   // be64(visible-at) ‖ id → nil
	bDead     = "queue.dead"      // message id → DeadLetter
	bRec      = "journal.records" // be64(seq) → Record
	bRecID    = "journal.ids"     // record id → be64(seq)
	bRecFind  = "journal.finding" // finding id ‖ 0 ‖ be64(seq) → nil
	bRecPlan  = "journal.plan"    // plan id ‖ 0 ‖ be64(seq) → nil
	bRecTime  = "journal.time"    // be64(unix nanoseconds) ‖ be64(seq) → nil
	bTask     = "tasks"           // key → Task
	bApproval = "approvals"       // id → Approval
	bSetting  = "settings"        // name → value
)

// buckets lists every bucket; Open creates them.
func buckets() []string {
	return []string{bMsg, bBody, bMeta, bVis, bDead, bRec, bRecID, bRecFind, bRecPlan, bRecTime, bTask, bApproval, bSetting}
}

// qMeta are a queued message's delivery counters, kept apart from the
// message so that a receive rewrites 24 bytes, not the finding.
type qMeta struct {
	visibleAt int64  // unix nanoseconds
	receives  uint32 // deliveries
	settled   uint32 // deliveries that ended in Retry
}

func (m qMeta) encode() []byte {
	b := make([]byte, 24)
	binary.BigEndian.PutUint64(b[0:], uint64(m.visibleAt))
	binary.BigEndian.PutUint32(b[8:], m.receives)
	binary.BigEndian.PutUint32(b[12:], m.settled)
	return b
}

func getMeta(tx *bolt.Tx, id string) (qMeta, bool) {
	b := tx.Bucket([]byte(bMeta)).Get([]byte(id))
	if len(b) != 24 {
		return qMeta{}, false
	}
	return qMeta{
		visibleAt: int64(binary.BigEndian.Uint64(b[0:])),
		receives:  binary.BigEndian.Uint32(b[8:]),
		settled:   binary.BigEndian.Uint32(b[12:]),
	}, true
}

// putMeta stores meta and moves the message's visibility index entry.
func putMeta(tx *bolt.Tx, id string, old *qMeta, m qMeta) error {
	vis := tx.Bucket([]byte(bVis))
	if old != nil {
		if err := vis.Delete(visKey(old.visibleAt, id)); err != nil {
			return err
		}
	}
	if err := vis.Put(visKey(m.visibleAt, id), nil); err != nil {
		return err
	}
	return tx.Bucket([]byte(bMeta)).Put([]byte(id), m.encode())
}

func putMessage(tx *bolt.Tx, m remediate.Message, meta qMeta) error {
	body := m.Finding
	m.Finding = nil
	hdr, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := tx.Bucket([]byte(bMsg)).Put([]byte(m.ID), hdr); err != nil {
		return err
	}
	if len(body) > 0 {
		if err := tx.Bucket([]byte(bBody)).Put([]byte(m.ID), body); err != nil {
			return err
		}
	}
	return putMeta(tx, m.ID, nil, meta)
}

// loadMessage reads a message (copying out of bbolt's memory).
func loadMessage(tx *bolt.Tx, id string) (remediate.Message, bool, error) {
	hdr := tx.Bucket([]byte(bMsg)).Get([]byte(id))
	if hdr == nil {
		return remediate.Message{}, false, nil
	}
	var m remediate.Message
	if err := json.Unmarshal(hdr, &m); err != nil {
		return remediate.Message{}, false, fmt.Errorf("boltstore: decode message %s: %w", id, err)
	}
	if body := tx.Bucket([]byte(bBody)).Get([]byte(id)); body != nil {
		m.Finding = bytes.Clone(body)
	}
	return m, true, nil
}

// deleteMessage removes a message; it returns the message and its meta.
func deleteMessage(tx *bolt.Tx, id string) (remediate.Message, qMeta, bool, error) {
	m, ok, err := loadMessage(tx, id)
	if err != nil || !ok {
		return m, qMeta{}, ok, err
	}
	meta, _ := getMeta(tx, id)
	for _, b := range []string{bMsg, bBody, bMeta} {
		if err := tx.Bucket([]byte(b)).Delete([]byte(id)); err != nil {
			return m, meta, true, err
		}
	}
	return m, meta, true, tx.Bucket([]byte(bVis)).Delete(visKey(meta.visibleAt, id))
}

type lease struct {
	owner string
	until time.Time
}

// Store is a [remediate.Store] in one bbolt file. It is safe for concurrent
// use. Close it when done.
type Store struct {
	db    *bolt.DB
	now   func() time.Time
	batch bool

	mu       sync.Mutex
	inflight map[string]lease // message id → receipt lease
	tasks    map[string]lease // task key → owner lease
	wake     chan struct{}    // closed and replaced when messages become visible
	closed   chan struct{}
	isClosed bool
}

var (
	_ remediate.Store     = (*Store)(nil)
	_ remediate.Committer = (*Store)(nil)
)

// Open opens (creating if needed) the store in the file at path.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.Timeout, NoSync: o.NoSync, NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	switch {
	case o.BatchDelay == 0:
		db.MaxBatchDelay = time.Millisecond
	case o.BatchDelay > 0:
		db.MaxBatchDelay = o.BatchDelay
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets() {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: init %s: %w", path, err)
	}
	return &Store{
		db: db, now: o.Now, batch: o.BatchDelay >= 0,
		inflight: map[string]lease{}, tasks: map[string]lease{},
		wake: make(chan struct{}), closed: make(chan struct{}),
	}, nil
}

// Close closes the file; blocked Receive calls return remediate.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if !s.isClosed {
		s.isClosed = true
		close(s.closed)
	}
	s.mu.Unlock()
	return s.db.Close()
}

// Path returns the file's path.
func (s *Store) Path() string { return s.db.Path() }

func (s *Store) signal() {
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

func be64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func visKey(at int64, id string) []byte {
	return append(be64(uint64(at)), id...)
}

func newReceipt() string {
	var b [12]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// update runs fn in a write transaction, shared with concurrent writers when
// batching is on (fn may then run more than once: it must only touch the
// transaction and variables it overwrites).
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	run := s.db.Update
	if s.batch {
		run = s.db.Batch
	}
	if err := run(fn); err != nil {
		if errors.Is(err, bolt.ErrDatabaseNotOpen) {
			return remediate.ErrClosed
		}
		return err
	}
	return nil
}

func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	if err := s.db.View(fn); err != nil {
		if errors.Is(err, bolt.ErrDatabaseNotOpen) {
			return remediate.ErrClosed
		}
		return err
	}
	return nil
}

// ---- Queue ----

// Enqueue stores m durably; an id already queued is left as it is.
func (s *Store) Enqueue(ctx context.Context, m remediate.Message) error {
	if m.ID == "" {
		return errors.New("boltstore: message without id")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.now().UnixNano()
	err := s.update(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(bMsg)).Get([]byte(m.ID)) != nil {
			return nil
		}
		return putMessage(tx, m, qMeta{visibleAt: now})
	})
	if err != nil {
		return err
	}
	s.signal()
	return nil
}

// Receive waits for a visible message, leases it and returns it.
func (s *Store) Receive(ctx context.Context, leaseFor time.Duration) (*remediate.Delivery, error) {
	for {
		s.mu.Lock()
		wake, closed := s.wake, s.isClosed
		s.mu.Unlock()
		if closed {
			return nil, remediate.ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, next, err := s.tryReceive(leaseFor)
		if err != nil {
			return nil, err
		}
		if d != nil {
			return d, nil
		}
		var timer *time.Timer
		var tc <-chan time.Time
		if !next.IsZero() {
			timer = time.NewTimer(max(time.Until(next), time.Millisecond))
			tc = timer.C
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-tc:
		case <-s.closed:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// tryReceive leases the first visible message, or returns when the next one
// becomes visible (zero: unknown).
func (s *Store) tryReceive(leaseFor time.Duration) (*remediate.Delivery, time.Time, error) {
	now := s.now()
	receipt := newReceipt()
	var id string
	var next time.Time
	s.mu.Lock()
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bVis)).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			at := time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
			cand := string(k[8:])
			if l, ok := s.inflight[cand]; ok {
				if l.until.After(now) {
					if next.IsZero() || l.until.Before(next) {
						next = l.until
					}
					continue
				}
			}
			if at.After(now) {
				if next.IsZero() || at.Before(next) {
					next = at
				}
				return nil
			}
			id = cand
			return nil
		}
		return nil
	})
	if err == nil && id != "" {
		s.inflight[id] = lease{owner: receipt, until: now.Add(leaseFor)}
	}
	s.mu.Unlock()
	if err != nil || id == "" {
		return nil, next, err
	}
	// Count the receive durably before handing the message out.
	var msg remediate.Message
	var meta qMeta
	gone := false
	err = s.update(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		if msg, ok, err = loadMessage(tx, id); err != nil || !ok {
			gone = !ok
			return err
		}
		old, _ := getMeta(tx, id)
		meta = old
		meta.receives++
		return tx.Bucket([]byte(bMeta)).Put([]byte(id), meta.encode())
	})
	if err != nil || gone {
		s.mu.Lock()
		if s.inflight[id].owner == receipt {
			delete(s.inflight, id)
		}
		s.mu.Unlock()
		return nil, time.Time{}, err
	}
	return &remediate.Delivery{
		Message:  msg,
		Receipt:  receipt,
		Receives: int(meta.receives),
		Orphaned: max(0, int(meta.receives)-1-int(meta.settled)),
	}, time.Time{}, nil
}

// holds reports whether d's lease is the current one (and drops it when
// release is set).
func (s *Store) holds(d *remediate.Delivery, release bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.inflight[d.ID]
	if !ok || l.owner != d.Receipt {
		return false
	}
	if release {
		delete(s.inflight, d.ID)
	}
	return true
}

// Ack deletes a processed message.
func (s *Store) Ack(ctx context.Context, d *remediate.Delivery) error {
	if !s.holds(d, false) {
		return remediate.ErrLeaseLost
	}
	err := s.update(func(tx *bolt.Tx) error {
		_, _, _, err := deleteMessage(tx, d.ID)
		return err
	})
	if err == nil {
		s.holds(d, true)
	}
	return err
}

// Retry makes the message visible again after delay.
func (s *Store) Retry(ctx context.Context, d *remediate.Delivery, delay time.Duration) error {
	if !s.holds(d, false) {
		return remediate.ErrLeaseLost
	}
	at := s.now().Add(max(delay, 0)).UnixNano()
	err := s.update(func(tx *bolt.Tx) error {
		old, ok := getMeta(tx, d.ID)
		if !ok {
			return nil
		}
		m := old
		m.visibleAt = at
		m.settled++
		return putMeta(tx, d.ID, &old, m)
	})
	if err != nil {
		return err
	}
	s.holds(d, true)
	s.signal()
	return nil
}

// DeadLetter moves the message to the dead-letter list.
func (s *Store) DeadLetter(ctx context.Context, d *remediate.Delivery, reason string) error {
	if !s.holds(d, false) {
		return remediate.ErrLeaseLost
	}
	err := s.update(func(tx *bolt.Tx) error {
		msg, meta, ok, err := deleteMessage(tx, d.ID)
		if err != nil || !ok {
			return err
		}
		b, err := json.Marshal(remediate.DeadLetter{Message: msg, Reason: reason, At: s.now().UTC(), Receives: int(meta.receives)})
		if err != nil {
			return err
		}
		return tx.Bucket([]byte(bDead)).Put([]byte(d.ID), b)
	})
	if err == nil {
		s.holds(d, true)
	}
	return err
}

// DeadLetters lists the dead-letter list, oldest first.
func (s *Store) DeadLetters(ctx context.Context) ([]remediate.DeadLetter, error) {
	var out []remediate.DeadLetter
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bDead)).ForEach(func(_, v []byte) error {
			var dl remediate.DeadLetter
			if err := json.Unmarshal(v, &dl); err != nil {
				return err
			}
			out = append(out, dl)
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b remediate.DeadLetter) int { return a.At.Compare(b.At) })
	return out, err
}

// Replay moves a dead letter back to the queue with Replay set.
func (s *Store) Replay(ctx context.Context, id string) error {
	now := s.now().UnixNano()
	err := s.update(func(tx *bolt.Tx) error {
		dead := tx.Bucket([]byte(bDead))
		v := dead.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("boltstore: dead letter %q: %w", id, remediate.ErrNotFound)
		}
		var dl remediate.DeadLetter
		if err := json.Unmarshal(v, &dl); err != nil {
			return err
		}
		m := dl.Message
		m.Replay = true
		if err := putMessage(tx, m, qMeta{visibleAt: now}); err != nil {
			return err
		}
		return dead.Delete([]byte(id))
	})
	if err != nil {
		return err
	}
	s.signal()
	return nil
}

// QueueStats counts messages by state.
func (s *Store) QueueStats(ctx context.Context) (remediate.QueueStats, error) {
	var st remediate.QueueStats
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.view(func(tx *bolt.Tx) error {
		st.Dead = tx.Bucket([]byte(bDead)).Stats().KeyN
		c := tx.Bucket([]byte(bVis)).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			id := string(k[8:])
			if l, ok := s.inflight[id]; ok && l.until.After(now) {
				st.InFlight++
				continue
			}
			if time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))).After(now) {
				st.Delayed++
			} else {
				st.Ready++
			}
		}
		return nil
	})
	return st, err
}

// ---- Journal ----

// Append adds records durably; a record whose ID is already present is
// skipped. Records without ID get "r-<seq>".
func (s *Store) Append(ctx context.Context, recs ...remediate.Record) error {
	if len(recs) == 0 {
		return nil
	}
	return s.update(func(tx *bolt.Tx) error { return appendTx(tx, recs) })
}

func appendTx(tx *bolt.Tx, recs []remediate.Record) error {
	rb, ids := tx.Bucket([]byte(bRec)), tx.Bucket([]byte(bRecID))
	for _, r := range recs {
		if r.ID != "" && ids.Get([]byte(r.ID)) != nil {
			continue
		}
		seq, err := rb.NextSequence()
		if err != nil {
			return err
		}
		r.Seq = seq
		if r.ID == "" {
			r.ID = "r-" + strconv.FormatUint(seq, 10)
		}
		if r.FindingID == "" && r.Finding != (remediate.FindingRef{}) {
			r.FindingID = r.Finding.ID()
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		k := be64(seq)
		if err := rb.Put(k, b); err != nil {
			return err
		}
		if err := ids.Put([]byte(r.ID), k); err != nil {
			return err
		}
		if err := tx.Bucket([]byte(bRecTime)).Put(append(be64(uint64(r.Time.UnixNano())), k...), nil); err != nil {
			return err
		}
		if r.FindingID != "" {
			if err := tx.Bucket([]byte(bRecFind)).Put(indexKey(r.FindingID, seq), nil); err != nil {
				return err
			}
		}
		if r.PlanID != "" {
			if err := tx.Bucket([]byte(bRecPlan)).Put(indexKey(r.PlanID, seq), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func indexKey(id string, seq uint64) []byte {
	k := make([]byte, 0, len(id)+9)
	k = append(k, id...)
	k = append(k, 0)
	return append(k, be64(seq)...)
}

// Query returns the records matching q in Seq order.
func (s *Store) Query(ctx context.Context, q remediate.Query) ([]remediate.Record, error) {
	var out []remediate.Record
	keep := func(r *remediate.Record) bool {
		if r.Seq <= q.AfterSeq {
			return false
		}
		if q.FindingID != "" && r.FindingID != q.FindingID {
			return false
		}
		if q.PlanID != "" && r.PlanID != q.PlanID {
			return false
		}
		if !q.Since.IsZero() && r.Time.Before(q.Since) {
			return false
		}
		return len(q.Decisions) == 0 || slices.Contains(q.Decisions, r.Decision)
	}
	full := func() bool { return q.Limit > 0 && len(out) >= q.Limit }
	err := s.view(func(tx *bolt.Tx) error {
		rb := tx.Bucket([]byte(bRec))
		load := func(seqKey []byte) error {
			v := rb.Get(seqKey)
			if v == nil {
				return nil
			}
			var r remediate.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("boltstore: decode journal record: %w", err)
			}
			if keep(&r) {
				out = append(out, r)
			}
			return nil
		}
		var idx string
		var id string
		switch {
		case q.PlanID != "":
			idx, id = bRecPlan, q.PlanID
		case q.FindingID != "":
			idx, id = bRecFind, q.FindingID
		}
		if idx != "" {
			prefix := append([]byte(id), 0)
			c := tx.Bucket([]byte(idx)).Cursor()
			start := indexKey(id, q.AfterSeq+1)
			for k, _ := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix) && !full(); k, _ = c.Next() {
				if len(k) != len(prefix)+8 {
					continue
				}
				if err := load(k[len(prefix):]); err != nil {
					return err
				}
			}
			return nil
		}
		if !q.Since.IsZero() {
			// The time index gives the candidates; return them in Seq order.
			var seqs []uint64
			c := tx.Bucket([]byte(bRecTime)).Cursor()
			for k, _ := c.Seek(be64(uint64(q.Since.UnixNano()))); k != nil; k, _ = c.Next() {
				if seq := binary.BigEndian.Uint64(k[8:]); seq > q.AfterSeq {
					seqs = append(seqs, seq)
				}
			}
			slices.Sort(seqs)
			for _, seq := range seqs {
				if full() {
					break
				}
				if err := load(be64(seq)); err != nil {
					return err
				}
			}
			return nil
		}
		c := rb.Cursor()
		for k, _ := c.Seek(be64(q.AfterSeq + 1)); k != nil && !full(); k, _ = c.Next() {
			if err := load(k); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// ---- Idempotency ----

// AcquireTask leases key to owner (leases are held in memory: see the
// package documentation) and returns the stored task.
func (s *Store) AcquireTask(ctx context.Context, key, owner string, until time.Time) (remediate.Task, error) {
	now := s.now()
	s.mu.Lock()
	if l, ok := s.tasks[key]; ok && l.owner != owner && l.until.After(now) {
		s.mu.Unlock()
		return remediate.Task{}, remediate.ErrLeased
	}
	s.tasks[key] = lease{owner: owner, until: until}
	s.mu.Unlock()
	t, err := s.GetTask(ctx, key)
	if errors.Is(err, remediate.ErrNotFound) {
		t, err = remediate.Task{Key: key}, nil
	}
	if err != nil {
		_ = s.ReleaseTask(ctx, key, owner)
		return remediate.Task{}, err
	}
	t.Owner, t.LeaseUntil = owner, until
	return t, nil
}

// SaveTask stores t if t.Owner holds the lease.
func (s *Store) SaveTask(ctx context.Context, t remediate.Task) error {
	return s.CommitTask(ctx, t)
}

// CommitTask appends recs and saves t in one transaction, if t.Owner holds
// the lease.
func (s *Store) CommitTask(ctx context.Context, t remediate.Task, recs ...remediate.Record) error {
	s.mu.Lock()
	l, ok := s.tasks[t.Key]
	s.mu.Unlock()
	if !ok || l.owner != t.Owner {
		return remediate.ErrLeaseLost
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		if err := appendTx(tx, recs); err != nil {
			return err
		}
		return tx.Bucket([]byte(bTask)).Put([]byte(t.Key), b)
	})
}

// ReleaseTask ends owner's lease on key.
func (s *Store) ReleaseTask(ctx context.Context, key, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.tasks[key]; ok && l.owner == owner {
		delete(s.tasks, key)
	}
	return nil
}

// GetTask returns the task stored for key.
func (s *Store) GetTask(ctx context.Context, key string) (remediate.Task, error) {
	var t remediate.Task
	found := false
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(bTask)).Get([]byte(key))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &t)
	})
	if err != nil {
		return remediate.Task{}, err
	}
	if !found {
		return remediate.Task{}, fmt.Errorf("boltstore: task %q: %w", key, remediate.ErrNotFound)
	}
	return t, nil
}

// ---- Approvals ----

// PutApproval creates or replaces an approval.
func (s *Store) PutApproval(ctx context.Context, a remediate.Approval) error {
	if a.ID == "" {
		return errors.New("boltstore: approval without id")
	}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(bApproval)).Put([]byte(a.ID), b) })
}

// GetApproval returns an approval.
func (s *Store) GetApproval(ctx context.Context, id string) (remediate.Approval, error) {
	var a remediate.Approval
	found := false
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(bApproval)).Get([]byte(id))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &a)
	})
	if err != nil {
		return remediate.Approval{}, err
	}
	if !found {
		return remediate.Approval{}, fmt.Errorf("boltstore: approval %q: %w", id, remediate.ErrNotFound)
	}
	return a, nil
}

// ListApprovals lists approvals in the given states (all when none), oldest
// first.
func (s *Store) ListApprovals(ctx context.Context, states ...remediate.ApprovalState) ([]remediate.Approval, error) {
	var out []remediate.Approval
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bApproval)).ForEach(func(_, v []byte) error {
			var a remediate.Approval
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			if len(states) == 0 || slices.Contains(states, a.State) {
				out = append(out, a)
			}
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b remediate.Approval) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, err
}

// UpdateApproval reads, modifies with fn and stores an approval atomically.
func (s *Store) UpdateApproval(ctx context.Context, id string, fn func(*remediate.Approval) error) (remediate.Approval, error) {
	var a remediate.Approval
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bApproval))
		v := b.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("boltstore: approval %q: %w", id, remediate.ErrNotFound)
		}
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		if err := fn(&a); err != nil {
			return err
		}
		a.ID = id
		nv, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), nv)
	})
	if err != nil {
		return remediate.Approval{}, err
	}
	return a, nil
}

// ---- Settings ----

// GetSetting returns a setting, or nil when unset.
func (s *Store) GetSetting(ctx context.Context, name string) ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(bSetting)).Get([]byte(name)); v != nil {
			out = bytes.Clone(v)
		}
		return nil
	})
	return out, err
}

// PutSetting stores a setting durably.
func (s *Store) PutSetting(ctx context.Context, name string, value []byte) error {
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(bSetting)).Put([]byte(name), value) })
}
