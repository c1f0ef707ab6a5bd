// Package filesink is a durable [listener.Sink] that appends each accepted
// finding, as one JSON line, to a file, and returns from Accept only once
// the line is on disk (fsync).
//
// Concurrent Accept calls are committed together: one writer goroutine
// gathers every line waiting, writes them with one write and makes them
// durable with one fsync ("group commit"), so throughput grows with
// concurrency while each caller still waits for its own line to be durable.
//
// Each line is a [Record]:
//
//	{"received":"2026-02-10T08:14:40.123Z","event_id":"fbb4e0df-…","account":"111122223333",
//	 "region":"us-east-1","detail_type":"Findings Imported V2","class_uid":2004,
//	 "finding_uid":"arn:aws:guardduty:…","finding":{…the finding, re-encoded losslessly…}}
//
// Delivery is at least once: a crash after the fsync but before the
// listener records the event as seen, or an Accept whose caller gave up
// while its line was being committed, lets the same finding be written
// twice. Readers deduplicate on (event_id, finding_uid).
//
// [listener.Sink]: https://pkg.go.dev/github.com/ocsfhub/ocsfhub/listener#Sink
package filesink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// ErrClosed is returned by Accept after Close.
var ErrClosed = errors.New("filesink: closed")

// Options configures [Open]. The zero value is the durable default.
type Options struct {
	// NoSync skips fsync: lines reach the operating system, not
	// necessarily the disk. For benchmarks and tests only; a power loss can
	// then lose findings the listener has acknowledged.
	NoSync bool
	// MaxBatch bounds the lines committed together. Default 1024.
	MaxBatch int
	// Now returns the time written as "received"; default time.Now.
	Now func() time.Time
}

// Record is one line of the file.
type Record struct {
	Received   time.Time       `json:"received"`
	EventID    string          `json:"event_id,omitempty"`
	Account    string          `json:"account,omitempty"`
	Region     string          `json:"region,omitempty"`
	DetailType string          `json:"detail_type,omitempty"`
	ClassUID   ocsf.ClassUID   `json:"class_uid"`
	FindingUID string          `json:"finding_uid,omitempty"`
	Finding    json.RawMessage `json:"finding"`
}

// Sink appends findings to a file. It is safe for concurrent use.
type Sink struct {
	f       *os.File
	path    string
	noSync  bool
	now     func() time.Time
	reqs    chan *commit
	stop    chan struct{}
	done    chan struct{}
	closeMu sync.Mutex // guards closed and sending on reqs
	closed  bool
	batch   int
	size    int64 // bytes of whole lines in the file; owned by the writer
}

type commit struct {
	line []byte
	err  chan error // buffered 1
}

// Open opens (creating with mode 0600 if needed) the file at path for
// appending and starts the writer.
func Open(path string, opts Options) (*Sink, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("filesink: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("filesink: %w", err)
	}
	s := &Sink{f: f, path: path, noSync: opts.NoSync, now: opts.Now, batch: opts.MaxBatch, size: st.Size(),
		reqs: make(chan *commit, 1024), stop: make(chan struct{}), done: make(chan struct{})}
	if s.now == nil {
		s.now = time.Now
	}
	if s.batch <= 0 {
		s.batch = 1024
	}
	go s.writer()
	return s, nil
}

// Path returns the file's path.
func (s *Sink) Path() string { return s.path }

// Accept encodes f as a [Record] and returns once it is durable, or when
// ctx is done (the line may then still be written: see the package doc).
func (s *Sink) Accept(ctx context.Context, ev *ocsf.Event, f ocsf.Finding) error {
	line, err := s.encode(ev, f)
	if err != nil {
		return err
	}
	c := &commit{line: line, err: make(chan error, 1)}
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return ErrClosed
	}
	select {
	case s.reqs <- c:
		s.closeMu.Unlock()
	case <-ctx.Done():
		s.closeMu.Unlock()
		return fmt.Errorf("filesink: %w", ctx.Err())
	}
	select {
	case err := <-c.err:
		return err
	case <-ctx.Done():
		return fmt.Errorf("filesink: not confirmed: %w", ctx.Err())
	}
}

// recordHead is a Record without its finding, which encode appends.
type recordHead struct {
	Received   time.Time     `json:"received"`
	EventID    string        `json:"event_id,omitempty"`
	Account    string        `json:"account,omitempty"`
	Region     string        `json:"region,omitempty"`
	DetailType string        `json:"detail_type,omitempty"`
	ClassUID   ocsf.ClassUID `json:"class_uid"`
	FindingUID string        `json:"finding_uid,omitempty"`
}

// encode renders one line. For an event with exactly one finding (what
// Security Hub sends) the finding is written from the bytes received,
// compacted to one line; otherwise it is re-encoded (losslessly) from f.
func (s *Sink) encode(ev *ocsf.Event, f ocsf.Finding) ([]byte, error) {
	head := recordHead{Received: s.now().UTC(), ClassUID: f.ClassUID(), FindingUID: f.Summary().UID}
	if ev != nil {
		head.EventID, head.Account, head.Region, head.DetailType = ev.ID, ev.Account, ev.Region, ev.DetailType
	}
	hb, err := json.Marshal(head)
	if err != nil {
		return nil, fmt.Errorf("filesink: encode record: %w", err)
	}
	var fj []byte
	if ev != nil && len(ev.Detail.Findings) == 1 {
		fj = ev.Detail.Findings[0]
	} else if fj, err = f.MarshalJSON(); err != nil {
		return nil, fmt.Errorf("filesink: encode finding: %w", err)
	}
	line := make([]byte, 0, len(hb)+len(fj)+16)
	line = append(line, hb[:len(hb)-1]...) // without the closing brace
	line = append(line, `,"finding":`...)
	if bytes.IndexByte(fj, '\n') >= 0 || bytes.IndexByte(fj, '\r') >= 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, fj); err != nil {
			return nil, fmt.Errorf("filesink: finding: %w", err)
		}
		fj = buf.Bytes()
	}
	line = append(line, fj...)
	return append(line, '}', '\n'), nil
}

// writer commits batches until Close.
func (s *Sink) writer() {
	defer close(s.done)
	var pending []*commit
	var buf []byte
	for {
		pending = pending[:0]
		select {
		case c := <-s.reqs:
			pending = append(pending, c)
		case <-s.stop:
			// Close has set closed under closeMu, so nothing more arrives:
			// commit what is queued and stop.
		drain:
			for {
				select {
				case c := <-s.reqs:
					pending = append(pending, c)
				default:
					break drain
				}
			}
			if len(pending) > 0 {
				s.commit(pending, buf[:0])
			}
			return
		}
	gather:
		for len(pending) < s.batch {
			select {
			case c := <-s.reqs:
				pending = append(pending, c)
			default:
				break gather
			}
		}
		buf = s.commit(pending, buf[:0])
	}
}

// commit writes and syncs one batch and answers every caller.
func (s *Sink) commit(batch []*commit, buf []byte) []byte {
	for _, c := range batch {
		buf = append(buf, c.line...)
	}
	err := s.write(buf)
	for _, c := range batch {
		c.err <- err
	}
	return buf
}

func (s *Sink) write(buf []byte) error {
	if _, err := s.f.Write(buf); err != nil {
		// Cut a partial write off, so the file stays whole lines.
		_ = s.f.Truncate(s.size)
		return fmt.Errorf("filesink: write: %w", err)
	}
	s.size += int64(len(buf))
	if !s.noSync {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("filesink: sync: %w", err)
		}
	}
	return nil
}

// Close commits what is queued, then syncs and closes the file. Accept
// calls after Close return ErrClosed. Close the Sink only after the HTTP
// server has shut down and [listener.Handler.Drain] has returned.
func (s *Sink) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.closeMu.Unlock()
	close(s.stop)
	<-s.done
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("filesink: close: %w", err)
	}
	return nil
}

// ReadAll reads every record of a file written by a Sink. A final line
// without a newline (a crash during a write without sync) is ignored.
func ReadAll(r io.Reader) ([]Record, error) {
	dec := json.NewDecoder(r)
	var out []Record
	for {
		var rec Record
		err := dec.Decode(&rec)
		if err == io.EOF {
			return out, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("filesink: record %d: %w", len(out)+1, err)
		}
		out = append(out, rec)
	}
}
