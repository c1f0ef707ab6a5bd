package remediate

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// Options configure an [Engine]. The zero value is usable: every rule in
// dry-run unless it says otherwise, default blast-radius limits, no
// write-back, no tag reader, four workers.
type Options struct {
	// Rules route findings to remediators, in order. Every matching rule acts
	// (once per remediator: a later rule naming a remediator already matched
	// is skipped).
	Rules []Rule
	// Exclude applies to every rule.
	Exclude Exclusions
	// Limits are the blast-radius limits (defaults: 20 applies per 10 minutes
	// overall, 10 per remediator).
	Limits Limits
	// StatusWriter writes status and comment back to Security Hub; nil
	// disables write-back.
	StatusWriter StatusWriter
	// TagReader reads live resource tags for tag exclusions; nil means tags
	// are unknown (destructive plans under a tag exclusion are then skipped).
	TagReader TagReader
	// Workers is the number of concurrent workers of [Engine.Run] (default 4).
	Workers int
	// MaxAttempts caps attempts per task for transient and unknown errors
	// before the message is dead-lettered (default 5).
	MaxAttempts int
	// BackoffBase and BackoffMax shape the retry delay: a random duration in
	// [0, min(BackoffMax, BackoffBase·2^(attempt-1))] ("full jitter").
	// Defaults 1 s and 5 min.
	BackoffBase, BackoffMax time.Duration
	// ActionTimeout bounds each call to Plan, Apply, Tags and WriteStatus
	// (default 2 min).
	ActionTimeout time.Duration
	// Lease is how long a worker holds a message and a task (default 10 min).
	// It must exceed the longest Plan+Apply.
	Lease time.Duration
	// MaxOrphaned dead-letters a message whose lease ended this many times
	// without an outcome, because the process died while handling it
	// (default 5).
	MaxOrphaned int
	// ApprovalTTL is how long a plan waits for approval before it expires
	// (default 7 days).
	ApprovalTTL time.Duration
	// KillFile, when set, engages the kill switch while a file exists at this
	// path (checked before every action).
	KillFile string
	// CommentMarker starts every write-back comment as "[marker plan=ID]"
	// (default "ocsfhub").
	CommentMarker string
	// OwnUpdateSkew is how much newer than our write-back a re-imported
	// finding's modified time may be and still count as our own update
	// (default 5 min).
	OwnUpdateSkew time.Duration
	// ShutdownGrace is how long in-flight work may continue after the context
	// of [Engine.Run] ends (default 30 s).
	ShutdownGrace time.Duration
	// Classify classifies errors (default [Classify]).
	Classify func(error) ErrorClass
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives operational logs (default: discarded).
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 5 * time.Minute
	}
	if o.ActionTimeout <= 0 {
		o.ActionTimeout = 2 * time.Minute
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Minute
	}
	if o.MaxOrphaned <= 0 {
		o.MaxOrphaned = 5
	}
	if o.ApprovalTTL <= 0 {
		o.ApprovalTTL = 7 * 24 * time.Hour
	}
	if o.CommentMarker == "" {
		o.CommentMarker = "ocsfhub"
	}
	if o.OwnUpdateSkew <= 0 {
		o.OwnUpdateSkew = 5 * time.Minute
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 30 * time.Second
	}
	if o.Classify == nil {
		o.Classify = Classify
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// compiledRule is a Rule with its merged exclusions.
type compiledRule struct {
	Rule
	exclude Exclusions
}

// The engine is the listener's Sink (by structure: remediate does not import
// listener).
var _ interface {
	Accept(ctx context.Context, ev *ocsf.Event, f ocsf.Finding) error
} = (*Engine)(nil)

// Engine routes findings to remediators and carries out their plans safely
// and durably. It implements the listener's Sink interface
// (Accept(ctx, *ocsf.Event, ocsf.Finding) error). All methods are safe for
// concurrent use.
type Engine struct {
	store       Store
	opts        Options
	rules       []*compiledRule
	router      *router
	ruleByName  map[string]*compiledRule
	remediators map[string]Remediator
	limiter     *limiter
	log         *slog.Logger
	owner       string

	startMu sync.Mutex
	started bool
	kill    atomic.Pointer[KillState]

	stats stats
}

// New returns an engine over store. It validates the rules (unique names, a
// remediator each, patterns that compile) and does no I/O.
func New(store Store, opts Options) (*Engine, error) {
	if store == nil {
		return nil, errors.New("remediate: nil store")
	}
	opts.setDefaults()
	e := &Engine{
		store:       store,
		opts:        opts,
		ruleByName:  make(map[string]*compiledRule),
		remediators: make(map[string]Remediator),
		limiter:     newLimiter(opts.Limits),
		log:         opts.Logger,
		owner:       newID("w"),
	}
	for i, r := range opts.Rules {
		if r.Name == "" {
			return nil, fmt.Errorf("remediate: rule %d has no name", i)
		}
		if _, dup := e.ruleByName[r.Name]; dup {
			return nil, fmt.Errorf("remediate: duplicate rule name %q", r.Name)
		}
		if r.Remediator == nil {
			return nil, fmt.Errorf("remediate: rule %q has no remediator", r.Name)
		}
		name := r.Remediator.Name()
		if name == "" {
			return nil, fmt.Errorf("remediate: rule %q: remediator has an empty name", r.Name)
		}
		if r.Mode < ModeDryRun || r.Mode > ModeAutomatic {
			return nil, fmt.Errorf("remediate: rule %q: invalid mode %d", r.Name, int(r.Mode))
		}
		if prev, ok := e.remediators[name]; ok && !sameRemediator(prev, r.Remediator) {
			return nil, fmt.Errorf("remediate: rule %q: two different remediators are named %q", r.Name, name)
		}
		cr := &compiledRule{Rule: r, exclude: opts.Exclude.merge(r.Exclude)}
		e.rules = append(e.rules, cr)
		e.ruleByName[r.Name] = cr
		e.remediators[name] = r.Remediator
	}
	rt, err := newRouter(e.rules)
	if err != nil {
		return nil, err
	}
	e.router = rt
	return e, nil
}

func sameRemediator(a, b Remediator) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// Permissions returns the IAM actions the configured remediators, status
// writer and tag reader declare (see the package function [Permissions]).
func (e *Engine) Permissions() []string {
	vs := make([]any, 0, len(e.remediators)+2)
	for _, r := range e.rules {
		vs = append(vs, r.Remediator)
	}
	vs = append(vs, e.opts.StatusWriter, e.opts.TagReader)
	return Permissions(vs...)
}

// Accept stores the finding durably in the queue and returns nil only once it
// is committed; the workers route and act on it later. It implements the
// listener's Sink. ev may be nil. An error that [Classify] calls permanent
// (the finding cannot be encoded) will never succeed: a Sink adapter should
// turn it into the listener's rejection; any other error is worth a retry.
func (e *Engine) Accept(ctx context.Context, ev *ocsf.Event, f ocsf.Finding) error {
	if f == nil {
		return Permanent(errors.New("remediate: nil finding"))
	}
	raw, err := f.MarshalJSON()
	if err != nil {
		return Permanent(fmt.Errorf("remediate: encode finding: %w", err))
	}
	now := e.opts.Now().UTC()
	m := Message{ID: messageID(now), Kind: KindFinding, EnqueuedAt: now, Finding: raw}
	if ev != nil {
		m.Event = &EventInfo{ID: ev.ID, DetailType: ev.DetailType, Source: ev.Source, Account: ev.Account, Region: ev.Region, Time: ev.Time}
	}
	if err := e.store.Enqueue(ctx, m); err != nil {
		return fmt.Errorf("remediate: enqueue: %w", err)
	}
	e.stats.accepted.Add(1)
	return nil
}

// start loads the kill switch and seeds the limiter from the journal, once.
func (e *Engine) start(ctx context.Context) error {
	e.startMu.Lock()
	defer e.startMu.Unlock()
	if e.started {
		return nil
	}
	ks, err := e.loadKill(ctx)
	if err != nil {
		return err
	}
	e.kill.Store(&ks)
	since := e.opts.Now().Add(-e.limiter.window())
	recs, err := e.store.Query(ctx, Query{Decisions: []Decision{DecisionApplying}, Since: since})
	if err != nil {
		return fmt.Errorf("remediate: seed limits from journal: %w", err)
	}
	for _, r := range recs {
		e.limiter.seed(r.Remediator, r.Time)
	}
	// Approvals decided while the process died before queuing them.
	approved, err := e.store.ListApprovals(ctx, ApprovalApproved)
	if err != nil {
		return fmt.Errorf("remediate: list approvals: %w", err)
	}
	for _, a := range approved {
		if err := e.enqueueApproval(ctx, a); err != nil {
			return err
		}
	}
	e.started = true
	return nil
}

// Run processes the queue with [Options.Workers] workers until ctx ends, then
// lets in-flight work finish (up to [Options.ShutdownGrace]) and returns nil.
// It returns an error only if it cannot start.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.start(ctx); err != nil {
		return err
	}
	procCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < e.opts.Workers; i++ {
		wg.Go(func() { e.worker(ctx, procCtx) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		t := time.NewTimer(e.opts.ShutdownGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			cancel()
			<-done
		}
	}
	return nil
}

func (e *Engine) worker(ctx, procCtx context.Context) {
	failures := 0
	for {
		d, err := e.store.Receive(ctx, e.opts.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			e.log.Error("remediate: receive", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(e.backoff(failures)):
			}
			continue
		}
		failures = 0
		e.process(procCtx, d)
	}
}

// ProcessNext receives one message (waiting until one is visible or ctx
// ends), processes it and settles it. It is [Engine.Run] for one message, for
// tests and step-by-step tools.
func (e *Engine) ProcessNext(ctx context.Context) error {
	if err := e.start(ctx); err != nil {
		return err
	}
	d, err := e.store.Receive(ctx, e.opts.Lease)
	if err != nil {
		return err
	}
	e.process(context.WithoutCancel(ctx), d)
	return nil
}

// WaitIdle waits until the queue has no ready, delayed or in-flight messages,
// polling every interval (default 10 ms when zero).
func (e *Engine) WaitIdle(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = 10 * time.Millisecond
	}
	for {
		st, err := e.store.QueueStats(ctx)
		if err != nil {
			return err
		}
		if st.Ready+st.Delayed+st.InFlight == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// backoff returns the full-jitter delay before attempt n+1.
func (e *Engine) backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	ceil := e.opts.BackoffBase
	for i := 1; i < n && ceil < e.opts.BackoffMax; i++ {
		ceil *= 2
	}
	if ceil > e.opts.BackoffMax {
		ceil = e.opts.BackoffMax
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// IdempotencyKey returns the key of one finding state and one remediator: a
// hash of the finding's identity, its generation (modified time), its
// workflow state (status_id, severity_id and the comment's digest) and the
// remediator's name. Redeliveries and duplicates of a finding share it; a
// provider update (new modified time) does not, and neither does a workflow
// update: BatchUpdateFindingsV2, which analysts use through the console,
// changes status_id, severity_id and comment but not the modified time, and
// a finding a person resolved must reach the rules again.
//
// Our own write-backs change the status and the comment too: the engine
// recognises their re-import (see [StatusWriter] and the package
// documentation) before it computes this key, so they never start new work.
func IdempotencyKey(ref FindingRef, remediator string) string {
	h := sha256.New()
	fmt.Fprintf(h, "v2\x00%s\x00%s\x00%d\x00%d\x00%s\x00%s", ref.ID(), ref.ModifiedTime.UTC().Format(time.RFC3339Nano),
		ref.StatusID, ref.SeverityID, ref.CommentDigest, remediator)
	return "k-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// messageID returns a unique id that sorts by time, so that stores keyed by
// message id append rather than insert at random.
func messageID(t time.Time) string {
	var b [6]byte
	_, _ = crand.Read(b[:]) // never fails on supported platforms
	return fmt.Sprintf("m-%016x-%s", t.UnixNano(), hex.EncodeToString(b[:]))
}

func newID(prefix string) string {
	var b [12]byte
	_, _ = crand.Read(b[:]) // never fails on supported platforms
	return prefix + "-" + hex.EncodeToString(b[:])
}

// KillState is the state of the kill switch.
type KillState struct {
	Engaged bool      `json:"engaged"`
	Reason  string    `json:"reason,omitempty"`
	Actor   string    `json:"actor,omitempty"`
	Since   time.Time `json:"since,omitzero"`
	// File is set when the switch is engaged by [Options.KillFile].
	File string `json:"file,omitempty"`
}

const killSetting = "kill-switch"

func (e *Engine) loadKill(ctx context.Context) (KillState, error) {
	b, err := e.store.GetSetting(ctx, killSetting)
	if err != nil {
		return KillState{}, fmt.Errorf("remediate: load kill switch: %w", err)
	}
	var ks KillState
	if len(b) > 0 {
		if err := json.Unmarshal(b, &ks); err != nil {
			return KillState{}, fmt.Errorf("remediate: decode kill switch: %w", err)
		}
	}
	return ks, nil
}

// KillSwitch returns the kill switch state (engaged through the API, or by
// the kill file).
func (e *Engine) KillSwitch(ctx context.Context) (KillState, error) {
	if err := e.start(ctx); err != nil {
		return KillState{}, err
	}
	return e.killState(), nil
}

func (e *Engine) killState() KillState {
	if e.opts.KillFile != "" {
		if _, err := os.Stat(e.opts.KillFile); err == nil {
			return KillState{Engaged: true, Reason: "kill file present", File: e.opts.KillFile}
		}
	}
	if ks := e.kill.Load(); ks != nil {
		return *ks
	}
	return KillState{}
}

func (e *Engine) killed() (string, bool) {
	ks := e.killState()
	if !ks.Engaged {
		return "", false
	}
	if ks.Reason != "" {
		return "kill switch engaged: " + ks.Reason, true
	}
	return "kill switch engaged", true
}

// Kill engages the kill switch: from now on no plan is applied and no
// approval is accepted; new findings are journaled as "killed"; plans already
// being applied are not interrupted, and a plan that must be re-applied after
// a crash waits until the switch is released. The state is persisted, so it
// survives restarts.
func (e *Engine) Kill(ctx context.Context, actor, reason string) error {
	return e.setKill(ctx, KillState{Engaged: true, Reason: reason, Actor: actor, Since: e.opts.Now().UTC()})
}

// Resume releases the kill switch engaged by [Engine.Kill] (a kill file keeps
// it engaged until removed).
func (e *Engine) Resume(ctx context.Context, actor string) error {
	return e.setKill(ctx, KillState{Engaged: false, Actor: actor, Since: e.opts.Now().UTC()})
}

func (e *Engine) setKill(ctx context.Context, ks KillState) error {
	if err := e.start(ctx); err != nil {
		return err
	}
	b, err := json.Marshal(ks)
	if err != nil {
		return err
	}
	if err := e.store.PutSetting(ctx, killSetting, b); err != nil {
		return fmt.Errorf("remediate: store kill switch: %w", err)
	}
	e.kill.Store(&ks)
	reason := "released"
	if ks.Engaged {
		reason = "engaged: " + ks.Reason
	}
	e.log.Warn("remediate: kill switch "+reason, "actor", ks.Actor)
	return e.store.Append(ctx, Record{Time: ks.Since, Decision: DecisionKillSwitch, Actor: ks.Actor, Reason: reason})
}

// Stats are counters since the engine was created.
type Stats struct {
	Accepted      int64 `json:"accepted"`
	Processed     int64 `json:"processed"`
	NoMatch       int64 `json:"no_match"`
	DryRun        int64 `json:"dry_run"`
	Pending       int64 `json:"pending"`
	Applied       int64 `json:"applied"`
	Skipped       int64 `json:"skipped"`
	Duplicates    int64 `json:"duplicates"`
	OwnUpdates    int64 `json:"own_updates"`
	Retries       int64 `json:"retries"`
	Failed        int64 `json:"failed"`
	DeadLettered  int64 `json:"dead_lettered"`
	StatusWritten int64 `json:"status_written"`
}

type stats struct {
	accepted, processed, noMatch, dryRun, pending, applied, skipped, duplicates, ownUpdates,
	retries, failed, deadLettered, statusWritten atomic.Int64
}

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	s := &e.stats
	return Stats{
		Accepted: s.accepted.Load(), Processed: s.processed.Load(), NoMatch: s.noMatch.Load(),
		DryRun: s.dryRun.Load(), Pending: s.pending.Load(), Applied: s.applied.Load(),
		Skipped: s.skipped.Load(), Duplicates: s.duplicates.Load(), OwnUpdates: s.ownUpdates.Load(),
		Retries: s.retries.Load(), Failed: s.failed.Load(), DeadLettered: s.deadLettered.Load(),
		StatusWritten: s.statusWritten.Load(),
	}
}

// Journal returns journal records matching q.
func (e *Engine) Journal(ctx context.Context, q Query) ([]Record, error) {
	return e.store.Query(ctx, q)
}

// DeadLetters lists the dead-letter list.
func (e *Engine) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	return e.store.DeadLetters(ctx)
}

// Replay moves a dead letter back to the queue; its failed tasks are
// planned again.
func (e *Engine) Replay(ctx context.Context, id, actor string) error {
	if err := e.store.Replay(ctx, id); err != nil {
		return err
	}
	return e.store.Append(ctx, Record{Time: e.opts.Now().UTC(), Decision: DecisionReplayed, MessageID: id, Actor: actor})
}
