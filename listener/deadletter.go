package listener

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// DeadLetter is an authenticated request the listener refused permanently
// (malformed JSON, an envelope or finding that does not validate, a finding
// the [Sink] rejected). EventBridge does not retry those answers, so the raw
// body is kept here, byte for byte, to be inspected and replayed after a fix
// ([Handler.Replay]). It never holds request credentials.
type DeadLetter struct {
	ID             string    `json:"id"`                        // assigned by the store
	Received       time.Time `json:"received"`                  // when the request arrived
	Status         int       `json:"status"`                    // the HTTP status answered
	Outcome        Outcome   `json:"outcome"`                   // malformed, invalid or rejected
	Reason         string    `json:"reason"`                    // why, in one line
	Problems       []string  `json:"problems,omitempty"`        // validation problems, one per line
	EventID        string    `json:"event_id,omitempty"`        // envelope id, when it could be read
	IdempotencyKey string    `json:"idempotency_key,omitempty"` // Idempotency-Key header, if any
	ContentType    string    `json:"content_type,omitempty"`    // Content-Type header
	Replays        int       `json:"replays,omitempty"`         // failed replays so far
	Body           []byte    `json:"-"`                         // the request body, exactly as received
}

// DeadLetterStore keeps dead letters. Contract: safe for concurrent use;
// Put returns only once the letter is durable (the listener answers 4xx only
// after Put succeeded, and 500 — which EventBridge retries — if it failed);
// List returns ids oldest first; Get and Delete of an unknown id return an
// error wrapping [ErrDeadLetterNotFound].
type DeadLetterStore interface {
	Put(ctx context.Context, dl *DeadLetter) (id string, err error)
	List(ctx context.Context) ([]string, error)
	Get(ctx context.Context, id string) (*DeadLetter, error)
	Delete(ctx context.Context, id string) error
}

// DirDeadLetters is the default [DeadLetterStore]: one file per dead
// letter in a directory. A file is named <UTC time>-<random>.dead so that
// names sort by arrival; its first line is the JSON metadata (id, received,
// status, outcome, reason, problems, event_id, ...), and every byte after
// that first newline is the request body exactly as received:
//
//	head -n1 20260102T150405.123456789Z-1a2b3c4d.dead | jq .     # why
//	tail -n +2 20260102T150405.123456789Z-1a2b3c4d.dead | jq .   # what
//
// Files are written to a temporary name, fsynced, renamed and the directory
// fsynced, so a crash leaves either nothing or a complete letter.
type DirDeadLetters struct {
	dir string
}

const (
	deadLetterExt     = ".dead"
	deadLetterFormat  = "ocsfhub-dead-letter/1"
	deadLetterTmpGlob = ".tmp-*"
)

// NewDirDeadLetters creates dir (mode 0700) if needed and returns a store
// writing there.
func NewDirDeadLetters(dir string) (*DirDeadLetters, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: empty dead-letter directory", ErrInvalidOptions)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("listener: dead-letter directory: %w", err)
	}
	return &DirDeadLetters{dir: dir}, nil
}

// Dir returns the directory.
func (d *DirDeadLetters) Dir() string { return d.dir }

type deadLetterFile struct {
	Format string `json:"format"`
	*DeadLetter
	BodyBytes int `json:"body_bytes"`
}

// Put writes dl durably and returns its id (also set in dl.ID). When dl.ID
// is already set (a replayed letter being updated), that file is replaced.
func (d *DirDeadLetters) Put(_ context.Context, dl *DeadLetter) (string, error) {
	if dl.ID == "" {
		var r [4]byte
		if _, err := rand.Read(r[:]); err != nil {
			return "", fmt.Errorf("listener: random: %w", err)
		}
		t := dl.Received
		if t.IsZero() {
			t = time.Now()
		}
		dl.ID = t.UTC().Format("20060102T150405.000000000Z") + "-" + hex.EncodeToString(r[:])
	} else if !validDeadLetterID(dl.ID) {
		return "", fmt.Errorf("%w: %q", ErrDeadLetterNotFound, dl.ID)
	}
	meta, err := json.Marshal(deadLetterFile{Format: deadLetterFormat, DeadLetter: dl, BodyBytes: len(dl.Body)})
	if err != nil {
		return "", fmt.Errorf("listener: encode dead letter: %w", err)
	}
	f, err := os.CreateTemp(d.dir, deadLetterTmpGlob)
	if err != nil {
		return "", fmt.Errorf("listener: dead letter: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	buf := make([]byte, 0, len(meta)+1+len(dl.Body))
	buf = append(append(append(buf, meta...), '\n'), dl.Body...)
	if _, err := f.Write(buf); err != nil {
		return "", fmt.Errorf("listener: dead letter: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("listener: dead letter: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("listener: dead letter: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, dl.ID+deadLetterExt)); err != nil {
		return "", fmt.Errorf("listener: dead letter: %w", err)
	}
	ok = true
	if err := syncDir(d.dir); err != nil {
		return "", fmt.Errorf("listener: dead letter: %w", err)
	}
	return dl.ID, nil
}

// List returns the ids of all dead letters, oldest first.
func (d *DirDeadLetters) List(_ context.Context) ([]string, error) {
	ents, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, fmt.Errorf("listener: dead letters: %w", err)
	}
	var ids []string
	for _, e := range ents {
		name := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(name, deadLetterExt) {
			if id := strings.TrimSuffix(name, deadLetterExt); validDeadLetterID(id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Get reads one dead letter.
func (d *DirDeadLetters) Get(_ context.Context, id string) (*DeadLetter, error) {
	if !validDeadLetterID(id) {
		return nil, fmt.Errorf("%w: %q", ErrDeadLetterNotFound, id)
	}
	b, err := os.ReadFile(filepath.Join(d.dir, id+deadLetterExt))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q", ErrDeadLetterNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("listener: dead letter: %w", err)
	}
	line, body, found := bytes.Cut(b, []byte{'\n'})
	if !found {
		return nil, fmt.Errorf("listener: dead letter %q: no metadata line", id)
	}
	dl := &DeadLetter{}
	file := deadLetterFile{DeadLetter: dl}
	if err := json.Unmarshal(line, &file); err != nil {
		return nil, fmt.Errorf("listener: dead letter %q: %w", id, err)
	}
	if file.Format != deadLetterFormat || file.BodyBytes != len(body) {
		return nil, fmt.Errorf("listener: dead letter %q: unknown format or truncated body", id)
	}
	dl.ID = id
	dl.Body = body
	return dl, nil
}

// Delete removes one dead letter.
func (d *DirDeadLetters) Delete(_ context.Context, id string) error {
	if !validDeadLetterID(id) {
		return fmt.Errorf("%w: %q", ErrDeadLetterNotFound, id)
	}
	err := os.Remove(filepath.Join(d.dir, id+deadLetterExt))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %q", ErrDeadLetterNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("listener: dead letter: %w", err)
	}
	return syncDir(d.dir)
}

// validDeadLetterID accepts the names Put generates (and nothing that could
// escape the directory).
func validDeadLetterID(id string) bool {
	if id == "" || len(id) > 128 || id[0] == '.' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

var _ DeadLetterStore = (*DirDeadLetters)(nil)
