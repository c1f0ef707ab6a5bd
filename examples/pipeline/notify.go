package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// outbox "notifies" by appending one JSON line per finding generation to a
// file: the demo stand-in for Slack or a webhook. Each notification carries a
// deduplication key (finding id + generation), so Apply is idempotent: a key
// already in the file is not written again.
type outbox struct {
	file string
	mu   sync.Mutex
}

type notification struct {
	Key      string    `json:"key"`
	Text     string    `json:"text"`
	Finding  string    `json:"finding_id"`
	Severity string    `json:"severity"`
	SentAt   time.Time `json:"sent_at"`
}

func newOutbox(file string) (*outbox, error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return nil, err
	}
	return &outbox{file: file}, nil
}

func (o *outbox) Name() string          { return "notify" }
func (o *outbox) Permissions() []string { return nil }

// sent reports whether a notification with key is in the file.
func (o *outbox) sent(key string) (bool, error) {
	f, err := os.Open(o.file)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var n notification
		if json.Unmarshal(sc.Bytes(), &n) == nil && n.Key == key {
			return true, nil
		}
	}
	return false, sc.Err()
}

type notifyParams struct {
	Key      string `json:"key"`
	Text     string `json:"text"`
	Finding  string `json:"finding_id"`
	Severity string `json:"severity"`
}

func (o *outbox) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := f.Summary()
	ref := remediate.RefOf(f)
	h := sha256.Sum256([]byte(ref.ID() + "\x00" + ref.ModifiedTime.Format(time.RFC3339Nano)))
	key := hex.EncodeToString(h[:8])
	o.mu.Lock()
	done, err := o.sent(key)
	o.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if done {
		return nil, fmt.Errorf("already notified: %w", remediate.ErrNotApplicable)
	}
	text := fmt.Sprintf("[%s] %s: %s (account %s, %s)", s.Severity, s.ProductName, s.Title, s.AccountUID, s.Region)
	params, _ := json.Marshal(notifyParams{Key: key, Text: text, Finding: ref.ID(), Severity: s.Severity})
	return &remediate.Plan{
		Summary: "notify: " + text,
		Effect:  remediate.EffectNotify, // a message fixes nothing: In Progress at most, never Resolved
		Changes: []remediate.Change{{ID: "notify", Action: "notify:Send", Resource: o.file, Description: "send " + text, Params: params}},
	}, nil
}

func (o *outbox) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &remediate.Result{Summary: "notified"}
	for _, c := range p.Changes {
		var np notifyParams
		if err := json.Unmarshal(c.Params, &np); err != nil || np.Key == "" {
			return nil, remediate.Permanent(fmt.Errorf("change %s: bad params", c.ID))
		}
		st, err := o.send(np)
		if err != nil {
			return nil, err
		}
		res.Outcomes = append(res.Outcomes, remediate.Outcome{Change: c.ID, Status: st})
	}
	return res, nil
}

func (o *outbox) send(np notifyParams) (remediate.OutcomeStatus, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	done, err := o.sent(np.Key)
	if err != nil {
		return "", err
	}
	if done {
		return remediate.OutcomeAlreadyDone, nil
	}
	line, err := json.Marshal(notification{Key: np.Key, Text: np.Text, Finding: np.Finding, Severity: np.Severity, SentAt: time.Now().UTC()})
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(o.file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	return remediate.OutcomeApplied, f.Close()
}
