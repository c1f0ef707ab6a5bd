package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// fileTickets is a ticketing "system" made of one JSON file per finding in
// a directory: the demo stand-in for Jira or ServiceNow, with their
// semantics: one ticket per finding, a comment per new finding generation,
// resolved when the finding is closed. It is a real remediator: Plan reads
// the ticket directory (its live state) and Apply changes it idempotently.
type fileTickets struct {
	dir string
	mu  sync.Mutex // serialises read-modify-write of a ticket file
}

// ticket is the content of one ticket file.
type ticket struct {
	ID          string   `json:"id"`
	FindingID   string   `json:"finding_id"`
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	Account     string   `json:"account"`
	Region      string   `json:"region"`
	Product     string   `json:"product"`
	Resources   []string `json:"resources,omitempty"`
	Status      string   `json:"status"` // "open" or "resolved"
	Generations []string `json:"generations"`
}

func newFileTickets(dir string) (*fileTickets, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	return &fileTickets{dir: dir}, nil
}

func (t *fileTickets) Name() string          { return "ticket" }
func (t *fileTickets) Permissions() []string { return nil }

func ticketID(findingID string) string {
	h := sha256.Sum256([]byte(findingID))
	return "T-" + hex.EncodeToString(h[:6])
}

func (t *fileTickets) path(id string) string { return filepath.Join(t.dir, id+".json") }

func (t *fileTickets) load(id string) (*ticket, error) {
	b, err := os.ReadFile(t.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var tk ticket
	if err := json.Unmarshal(b, &tk); err != nil {
		return nil, remediate.Permanent(fmt.Errorf("ticket %s is corrupt: %w", id, err))
	}
	return &tk, nil
}

// save writes the ticket atomically (temporary file, fsync, rename).
func (t *fileTickets) save(tk *ticket) error {
	b, err := json.MarshalIndent(tk, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(t.dir, ".tmp-"+tk.ID+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), t.path(tk.ID))
}

// closedStatus reports whether an OCSF status_id means the finding is closed
// (3 Suppressed, 4 Resolved, 5 Archived).
func closedStatus(s int32) bool { return s == 3 || s == 4 || s == 5 }

type ticketParams struct {
	Ticket     string  `json:"ticket"`
	Generation string  `json:"generation,omitempty"`
	New        *ticket `json:"new,omitempty"`
}

func (t *fileTickets) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := f.Summary()
	ref := remediate.RefOf(f)
	id := ticketID(ref.ID())
	gen := ref.ModifiedTime.Format(time.RFC3339Nano)
	t.mu.Lock()
	cur, err := t.load(id)
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	closed := closedStatus(s.StatusID)
	// Opening or updating a ticket notifies (the engine sets a New finding
	// In Progress, never Resolved: a ticket fixes nothing); resolving it
	// follows a decision someone already made about the finding, so nothing
	// is written back.
	effect := remediate.EffectNotify
	if closed {
		effect = remediate.EffectNone
	}
	p := &remediate.Plan{Summary: fmt.Sprintf("ticket %s for %q", id, s.Title), Effect: effect}
	add := func(cid, action, desc string, params ticketParams) {
		b, _ := json.Marshal(params)
		p.Changes = append(p.Changes, remediate.Change{ID: cid, Action: action, Resource: t.path(id), Description: desc, Params: b})
	}
	switch {
	case cur == nil && closed:
		return nil, fmt.Errorf("finding is %s and has no ticket: %w", s.Status, remediate.ErrNotApplicable)
	case cur == nil:
		nt := &ticket{
			ID: id, FindingID: ref.ID(), Title: s.Title, Severity: s.Severity, Account: s.AccountUID,
			Region: s.Region, Product: s.ProductName, Status: "open", Generations: []string{gen},
		}
		for _, r := range s.Resources {
			nt.Resources = append(nt.Resources, r.Type+" "+r.ID())
		}
		add("create", "ticket:Create", fmt.Sprintf("open ticket %s: [%s] %s (%s/%s)", id, s.Severity, s.Title, s.AccountUID, s.Region),
			ticketParams{Ticket: id, New: nt})
	default:
		if !slices.Contains(cur.Generations, gen) {
			add("comment", "ticket:Comment", fmt.Sprintf("comment on %s: finding updated at %s, severity %s, status %s", id, gen, s.Severity, s.Status),
				ticketParams{Ticket: id, Generation: gen})
		}
		if closed && cur.Status != "resolved" {
			add("resolve", "ticket:Resolve", fmt.Sprintf("resolve %s: finding is %s", id, s.Status), ticketParams{Ticket: id})
		}
	}
	if len(p.Changes) == 0 {
		return nil, fmt.Errorf("ticket %s is up to date: %w", id, remediate.ErrNotApplicable)
	}
	return p, nil
}

func (t *fileTickets) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &remediate.Result{}
	for _, c := range p.Changes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var params ticketParams
		if err := json.Unmarshal(c.Params, &params); err != nil || params.Ticket == "" {
			return nil, remediate.Permanent(fmt.Errorf("change %s: bad params", c.ID))
		}
		st, err := t.applyOne(c.Action, params)
		if err != nil {
			return nil, err
		}
		res.Outcomes = append(res.Outcomes, remediate.Outcome{Change: c.ID, Status: st})
	}
	res.Summary = fmt.Sprintf("%d ticket change(s) made", res.Applied())
	return res, nil
}

func (t *fileTickets) applyOne(action string, params ticketParams) (remediate.OutcomeStatus, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur, err := t.load(params.Ticket)
	if err != nil {
		return "", err
	}
	switch action {
	case "ticket:Create":
		if cur != nil {
			return remediate.OutcomeAlreadyDone, nil
		}
		if params.New == nil {
			return "", remediate.Permanent(errors.New("create without ticket"))
		}
		return remediate.OutcomeApplied, t.save(params.New)
	case "ticket:Comment":
		if cur == nil {
			return "", remediate.Transient(fmt.Errorf("ticket %s does not exist yet", params.Ticket))
		}
		if slices.Contains(cur.Generations, params.Generation) {
			return remediate.OutcomeAlreadyDone, nil
		}
		cur.Generations = append(cur.Generations, params.Generation)
		return remediate.OutcomeApplied, t.save(cur)
	case "ticket:Resolve":
		if cur == nil {
			return remediate.OutcomeSkipped, nil
		}
		if cur.Status == "resolved" {
			return remediate.OutcomeAlreadyDone, nil
		}
		cur.Status = "resolved"
		return remediate.OutcomeApplied, t.save(cur)
	}
	return "", remediate.Permanent(fmt.Errorf("unknown action %q", action))
}
