package ticket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// Remediator keeps one ticket (issue, incident, alert or message) per
// finding in a ticketing system. It implements [remediate.Remediator]; make
// one with [NewJira], [NewServiceNow], [NewPagerDuty], [NewSlack] or
// [NewWebhook]. All methods are safe for concurrent use.
type Remediator struct {
	name  string
	opts  Options
	b     backend
	log   *slog.Logger
	locks [64]sync.Mutex
}

var _ remediate.Remediator = (*Remediator)(nil)

// intent is what a plan does to the finding's ticket.
type intent string

const (
	intentOpen    intent = "open"    // create, or record a new generation
	intentResolve intent = "resolve" // resolve or close
)

// planData is what Apply needs besides the changes, kept in
// [remediate.Plan.Data].
type planData struct {
	System string `json:"system"`
	Key    string `json:"key"`
	Gen    string `json:"gen"`
	Intent intent `json:"intent"`
	// Ticket and Number identify the ticket (see entry).
	Ticket  string `json:"ticket,omitempty"`
	Number  string `json:"number,omitempty"`
	Channel string `json:"channel,omitempty"`
}

// marker and resolveMarker are those of the plan's generation.
func (d *planData) marker() string        { return (&view{Key: d.Key, Gen: d.Gen}).marker() }
func (d *planData) resolveMarker() string { return (&view{Key: d.Key, Gen: d.Gen}).resolveMarker() }

// planned is a backend's plan.
type planned struct {
	summary string
	changes []remediate.Change
	data    planData
}

// backend is one ticketing system.
type backend interface {
	system() string
	// plan returns the changes that bring the finding's ticket in line with
	// v and in, reading live state only; it returns an error wrapping
	// remediate.ErrNotApplicable when there is nothing to do.
	plan(ctx context.Context, r *Remediator, v *view, in intent) (*planned, error)
	// apply makes one change of a plan, checking live state first. It may
	// update d (a created ticket's id) for the changes that follow.
	apply(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error)
}

func newRemediator(opts Options, b backend) *Remediator {
	return &Remediator{name: opts.Name, opts: opts, b: b, log: opts.Logger}
}

// Format prints "ticket.Remediator(<name>)" for every verb, so printing a
// remediator never prints the credentials it holds.
func (r *Remediator) Format(f fmt.State, verb rune) {
	_, _ = io.WriteString(f, "ticket.Remediator("+r.name+")")
}

// LogValue implements [slog.LogValuer]: the remediator's name.
func (r *Remediator) LogValue() slog.Value { return slog.StringValue(r.name) }

// Name returns the remediator's name (see [Options.Name]).
func (r *Remediator) Name() string { return r.name }

// Permissions returns nil: ticketing calls no AWS API.
func (r *Remediator) Permissions() []string { return nil }

// Key returns the finding's deduplication key under this remediator's
// [Options.KeyPrefix] (see [DedupKey]).
func (r *Remediator) Key(f ocsf.Finding) string {
	if f == nil {
		return ""
	}
	return DedupKey(r.opts.KeyPrefix, f.Summary().Key())
}

// Plan reads the ticketing system (and the state) and returns what Apply
// would do for the finding: create a ticket, record a new generation of the
// finding in it, or resolve it. It returns an error wrapping
// [remediate.ErrNotApplicable] when the ticket is already up to date, when
// there is no open ticket to resolve, or when the finding has no identity to
// deduplicate on.
func (r *Remediator) Plan(ctx context.Context, f ocsf.Finding) (*remediate.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ticket: %s: plan: %w", r.name, err)
	}
	if f == nil {
		return nil, remediate.Permanent(fmt.Errorf("ticket: %s: nil finding", r.name))
	}
	v := r.viewOf(f)
	if v.Key == "" {
		return nil, fmt.Errorf("%w: ticket %s: the finding has neither metadata.uid nor cloud account, finding and product uids to deduplicate on",
			remediate.ErrNotApplicable, r.name)
	}
	e, _, err := r.loadEntry(ctx, v.Key)
	if err != nil {
		return nil, err
	}
	if g := genMillis(v.Gen); g > 0 && g < e.Latest {
		return nil, r.notApplicable("generation %s of finding %s is older than the last one applied; stale delivery", v.Gen, v.Key)
	}
	return r.plan(ctx, v, r.intentOf(v))
}

func (r *Remediator) plan(ctx context.Context, v *view, in intent) (*remediate.Plan, error) {
	pl, err := r.b.plan(ctx, r, v, in)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(pl.data)
	if err != nil {
		return nil, remediate.Permanent(fmt.Errorf("ticket: %s: encode plan data: %w", r.name, err))
	}
	return &remediate.Plan{Summary: "ticket: " + pl.summary, Changes: pl.changes, Data: data, Effect: in.effect()}, nil
}

// effect is what applying a plan of intent in does for the finding, for the
// engine's write-back: opening or updating a ticket notifies people (the
// finding goes In Progress if it was New); resolving one follows a
// decision already made about the finding (nothing is written back).
func (in intent) effect() remediate.Effect {
	if in == intentResolve {
		return remediate.EffectNone
	}
	return remediate.EffectNotify
}

// Apply makes the plan's changes in order, each after checking live state, so
// applying a plan again finishes an interrupted Apply and reports the
// changes already made as [remediate.OutcomeAlreadyDone].
func (r *Remediator) Apply(ctx context.Context, p *remediate.Plan) (*remediate.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ticket: %s: apply: %w", r.name, err)
	}
	if p == nil {
		return nil, remediate.Permanent(fmt.Errorf("ticket: %s: nil plan", r.name))
	}
	var d planData
	if err := json.Unmarshal(p.Data, &d); err != nil || d.Key == "" {
		return nil, remediate.Permanent(fmt.Errorf("ticket: %s: plan %s carries no ticket data", r.name, p.ID))
	}
	if d.System != r.b.system() {
		return nil, remediate.Permanent(fmt.Errorf("ticket: %s: plan %s was made for %q, not %q", r.name, p.ID, d.System, r.b.system()))
	}
	unlock := r.lock(d.Key)
	defer unlock()
	res := &remediate.Result{Outcomes: make([]remediate.Outcome, 0, len(p.Changes))}
	var details []string
	for _, c := range p.Changes {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("ticket: %s: apply: %w", r.name, err)
		}
		o, err := r.b.apply(ctx, r, &d, c)
		if err != nil {
			return nil, err
		}
		o.Change = c.ID
		res.Outcomes = append(res.Outcomes, o)
		if o.Detail != "" {
			details = append(details, o.Detail)
		}
	}
	if err := r.noteApplied(ctx, d.Key, d.Gen); err != nil {
		return nil, err
	}
	res.Summary = "ticket: " + strings.Join(details, "; ")
	out, _ := json.Marshal(struct {
		System  string `json:"system"`
		Key     string `json:"key"`
		Ticket  string `json:"ticket,omitempty"`
		Number  string `json:"number,omitempty"`
		Channel string `json:"channel,omitempty"`
	}{d.System, d.Key, d.Ticket, d.Number, d.Channel})
	res.Data = out
	return res, nil
}

// Resolve resolves the ticket of the finding ref identifies, with note as
// the closing text: the way to close tickets from outside the rules (a
// person, a script, or [NewWriteBack] when another remediator fixed the
// finding). It is idempotent: with no open ticket it does nothing and
// returns a result without outcomes.
func (r *Remediator) Resolve(ctx context.Context, ref remediate.FindingRef, note string) (*remediate.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ticket: %s: resolve: %w", r.name, err)
	}
	v := r.viewOfRef(ref, note)
	if v.Key == "" {
		return nil, remediate.Permanent(fmt.Errorf("ticket: %s: resolve: the finding reference identifies nothing", r.name))
	}
	p, err := r.plan(ctx, v, intentResolve)
	if errors.Is(err, remediate.ErrNotApplicable) {
		return &remediate.Result{Remediator: r.name, Summary: "ticket: nothing to resolve", Outcomes: []remediate.Outcome{}}, nil
	}
	if err != nil {
		return nil, err
	}
	p.Remediator = r.name
	p.Finding = ref
	res, err := r.Apply(ctx, p)
	if res != nil {
		res.Remediator = r.name
	}
	return res, err
}

// intentOf decides whether the finding's ticket is to be opened (or
// updated) or resolved.
func (r *Remediator) intentOf(v *view) intent {
	switch r.opts.Action {
	case ActionResolve:
		return intentResolve
	case ActionOpen:
		return intentOpen
	}
	if slices.Contains(r.opts.ResolveStatuses, v.StatusID) {
		return intentResolve
	}
	return intentOpen
}

// engineWritten reports whether a finding comment was written by the
// engine's write-back: "[<marker> plan=<id>] …".
func (r *Remediator) engineWritten(comment string) bool {
	return strings.HasPrefix(comment, "["+r.opts.CommentMarker+" plan=")
}

// lock serialises Apply calls for one key within the process.
func (r *Remediator) lock(key string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	m := &r.locks[h.Sum32()%uint32(len(r.locks))]
	m.Lock()
	return m.Unlock
}

// notApplicable returns an error wrapping remediate.ErrNotApplicable.
func (r *Remediator) notApplicable(format string, args ...any) error {
	return fmt.Errorf("%w: ticket %s: %s", remediate.ErrNotApplicable, r.name, fmt.Sprintf(format, args...))
}

// change builds a plan change with JSON params.
func change(id, action, resource, desc string, params any) (remediate.Change, error) {
	c := remediate.Change{ID: id, Action: action, Resource: resource, Description: desc}
	if params != nil {
		b, err := marshal(params)
		if err != nil {
			return c, remediate.Permanent(fmt.Errorf("ticket: encode %s params: %w", action, err))
		}
		c.Params = b
	}
	return c, nil
}

// marshal encodes v as JSON without HTML escaping ("<", ">" and "&" stay as
// they are, as ticket text should).
func marshal(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// validID reports whether s is safe as one path segment or query value: an
// id returned by a ticketing system (issue key, sys_id, ts, channel).
func validID(s string) bool {
	if s == "" || len(s) > 128 || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// badResponse is the error for a 2xx response whose body cannot be used.
func badResponse(system, op, what string) error {
	return remediate.Permanent(&Error{System: system, Op: op, Message: "unexpected response: " + what, class: remediate.ClassPermanent})
}
