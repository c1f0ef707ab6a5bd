package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

type outcomeKind int

const (
	outAck outcomeKind = iota
	outRetry
	outDead
)

// outcome is what to do with a message after handling it.
type outcome struct {
	kind   outcomeKind
	delay  time.Duration
	reason string
}

func ack() outcome                           { return outcome{kind: outAck} }
func retryAfter(d time.Duration) outcome     { return outcome{kind: outRetry, delay: d} }
func deadLetter(reason string) outcome       { return outcome{kind: outDead, reason: reason} }
func (o outcome) String() string             { return [...]string{"ack", "retry", "dead"}[o.kind] }
func (e *Engine) now() time.Time             { return e.opts.Now().UTC() }
func (e *Engine) leaseUntil() time.Time      { return e.now().Add(e.opts.Lease) }
func (e *Engine) killRecheck() time.Duration { return min(e.opts.BackoffMax, 30*time.Second) }

// combine merges the outcomes of a message's tasks: any task with work left
// retries the message (earliest delay); otherwise any permanent failure
// dead-letters it; otherwise it is acknowledged.
func combine(outs []outcome) outcome {
	res := ack()
	var reasons []string
	for _, o := range outs {
		switch o.kind {
		case outRetry:
			if res.kind != outRetry || o.delay < res.delay {
				res = o
			}
		case outDead:
			reasons = append(reasons, o.reason)
		}
	}
	if res.kind == outRetry {
		return res
	}
	if len(reasons) > 0 {
		return deadLetter(strings.Join(reasons, "; "))
	}
	return res
}

// task is the working state of one (message, rule, remediator).
type task struct {
	d     *Delivery
	f     ocsf.Finding
	raw   json.RawMessage
	event *EventInfo
	ref   FindingRef
	rule  *compiledRule
	rem   Remediator
	t     Task
	base  Record
}

func (e *Engine) record(k *task, d Decision, mod func(*Record)) Record {
	r := k.base
	r.Time = e.now()
	r.Decision = d
	if mod != nil {
		mod(&r)
	}
	return r
}

func (e *Engine) process(ctx context.Context, d *Delivery) {
	e.stats.processed.Add(1)
	var out outcome
	var ref FindingRef
	switch {
	case d.Orphaned >= e.opts.MaxOrphaned:
		out = deadLetter(fmt.Sprintf("poison message: the process stopped %d times while handling it", d.Orphaned))
	case d.Kind == KindFinding:
		out, ref = e.handleFinding(ctx, d)
	case d.Kind == KindApproval:
		out, ref = e.handleApproval(ctx, d)
	default:
		out = deadLetter(fmt.Sprintf("unknown message kind %q", d.Kind))
	}
	var err error
	switch out.kind {
	case outAck:
		err = e.store.Ack(ctx, d)
	case outRetry:
		e.stats.retries.Add(1)
		err = e.store.Retry(ctx, d, out.delay)
	case outDead:
		e.stats.deadLettered.Add(1)
		e.log.Warn("remediate: dead-lettering message", "message", d.ID, "reason", out.reason)
		err = e.store.Append(ctx, Record{
			ID: d.ID + "/dead/" + fmt.Sprint(d.Receives), Time: e.now(), Decision: DecisionDeadLettered,
			MessageID: d.ID, Finding: ref, FindingID: refID(ref), Reason: out.reason,
		})
		if err == nil {
			err = e.store.DeadLetter(ctx, d, out.reason)
		}
	}
	if err != nil {
		// The lease ends and the message comes back; nothing is lost.
		e.log.Error("remediate: settle message", "message", d.ID, "outcome", out.String(), "err", err)
	}
}

func refID(r FindingRef) string {
	if r == (FindingRef{}) {
		return ""
	}
	return r.ID()
}

// storeRetry is the outcome of a store or journal failure: retry the message
// later without counting an attempt against the task.
func (e *Engine) storeRetry(err error) outcome {
	e.log.Error("remediate: store", "err", err)
	return retryAfter(e.backoff(2))
}

func (e *Engine) handleFinding(ctx context.Context, d *Delivery) (outcome, FindingRef) {
	f, err := ocsf.Decode(d.Finding)
	if err != nil {
		return deadLetter("finding cannot be decoded: " + err.Error()), FindingRef{}
	}
	ref := RefOf(f)
	base := Record{MessageID: d.ID, Finding: ref, FindingID: ref.ID()}

	if r, own, err := e.ownUpdate(ctx, ref, d.Finding); err != nil {
		return e.storeRetry(err), ref
	} else if own {
		e.stats.ownUpdates.Add(1)
		rec := base
		rec.ID = d.ID + "/own-update"
		rec.Time = e.now()
		rec.Decision = DecisionOwnUpdate
		rec.PlanID = r.PlanID
		rec.Remediator = r.Remediator
		rec.Rule = r.Rule
		rec.Reason = fmt.Sprintf("status %s and comment written by plan %s", r.Status.StatusID, r.PlanID)
		if err := e.store.Append(ctx, rec); err != nil {
			return e.storeRetry(err), ref
		}
		return ack(), ref
	}

	matched, err := e.route(d.Finding)
	if err != nil {
		return deadLetter("routing: " + err.Error()), ref
	}
	if len(matched) == 0 {
		e.stats.noMatch.Add(1)
		rec := base
		rec.ID = d.ID + "/no-match"
		rec.Time = e.now()
		rec.Decision = DecisionNoMatch
		if err := e.store.Append(ctx, rec); err != nil {
			return e.storeRetry(err), ref
		}
		return ack(), ref
	}
	var outs []outcome
	seen := map[string]bool{}
	for _, r := range matched {
		name := r.Remediator.Name()
		if seen[name] {
			continue
		}
		seen[name] = true
		k := &task{d: d, f: f, raw: d.Finding, event: d.Event, ref: ref, rule: r, rem: r.Remediator}
		outs = append(outs, e.runTask(ctx, k))
	}
	return combine(outs), ref
}

// route returns the rules whose pattern matches the finding, in order.
func (e *Engine) route(raw []byte) ([]*compiledRule, error) { return e.router.match(raw) }

// ownUpdate recognises the re-import caused by our own write-back.
func (e *Engine) ownUpdate(ctx context.Context, ref FindingRef, raw []byte) (Record, bool, error) {
	c, status, ok := findingAnnotations(raw)
	if !ok {
		return Record{}, false, nil
	}
	planID, ok := planFromComment(e.opts.CommentMarker, c)
	if !ok {
		return Record{}, false, nil
	}
	recs, err := e.store.Query(ctx, Query{PlanID: planID, Decisions: []Decision{DecisionStatus}})
	if err != nil {
		return Record{}, false, err
	}
	r, own := isOwnUpdate(recs, ref, status, c, e.opts.OwnUpdateSkew)
	return r, own, nil
}

// runTask takes the idempotency lease of one finding generation and
// remediator and moves its task forward.
func (e *Engine) runTask(ctx context.Context, k *task) outcome {
	key := IdempotencyKey(k.ref, k.rem.Name())
	owner := e.owner + "/" + k.d.Receipt
	t, err := e.store.AcquireTask(ctx, key, owner, e.leaseUntil())
	if errors.Is(err, ErrLeased) {
		// A duplicate of this finding is being handled right now.
		return retryAfter(e.opts.BackoffBase + e.backoff(1))
	}
	if err != nil {
		return e.storeRetry(err)
	}
	defer func() {
		if err := e.store.ReleaseTask(context.WithoutCancel(ctx), key, owner); err != nil {
			e.log.Error("remediate: release task", "key", key, "err", err)
		}
	}()
	t.Key = key
	t.Owner = owner
	k.t = t
	k.base = Record{
		MessageID: k.d.ID, Finding: k.ref, FindingID: k.ref.ID(), Rule: k.rule.Name,
		Remediator: k.rem.Name(), Mode: k.rule.Mode.String(), Key: key,
	}
	sameMsg := t.MessageID == k.d.ID

	switch t.State {
	case TaskNew:
	case TaskDryRun:
		if k.rule.Mode == ModeDryRun {
			return e.duplicate(ctx, k, sameMsg)
		}
		// The rule left dry-run since: act on this generation now.
		k.t = Task{Key: key, Owner: owner}
	case TaskApplying:
		// A crash or a transient error interrupted Apply: apply the same plan
		// again (remediators are idempotent).
		return e.apply(ctx, k)
	case TaskApplied:
		return e.finish(ctx, k)
	case TaskFailed:
		switch {
		case k.d.Replay:
			k.t = Task{Key: key, Owner: owner}
		case sameMsg:
			return deadLetter(fmt.Sprintf("%s/%s: %s", k.rule.Name, k.rem.Name(), t.LastError))
		default:
			return e.duplicate(ctx, k, false)
		}
	default: // pending, done, not applicable, excluded, killed
		return e.duplicate(ctx, k, sameMsg)
	}
	k.t.MessageID = k.d.ID
	k.t.Rule = k.rule.Name
	k.t.Remediator = k.rem.Name()
	k.t.Finding = k.ref
	return e.decide(ctx, k)
}

func (e *Engine) duplicate(ctx context.Context, k *task, sameMsg bool) outcome {
	if sameMsg {
		return ack() // this message was already counted (a retry of it)
	}
	e.stats.duplicates.Add(1)
	r := e.record(k, DecisionDuplicate, func(r *Record) {
		r.ID = k.d.ID + "/" + k.t.Key + "/duplicate"
		r.Reason = "already handled: task " + string(k.t.State)
		if k.t.Plan != nil {
			r.PlanID = k.t.Plan.ID
		}
	})
	if err := e.store.Append(ctx, r); err != nil {
		return e.storeRetry(err)
	}
	return ack()
}

// finalize journals the records, then stores the task in its new state.
// Journal first, everywhere: a crash in between leaves the task where it
// was, so the step runs again and its record is never missing (records with
// an ID are appended once).
func (e *Engine) finalize(ctx context.Context, k *task, state TaskState, recs ...Record) outcome {
	k.t.State = state
	if err := e.commit(ctx, k, recs...); err != nil {
		return e.storeRetry(err)
	}
	return ack()
}

func (e *Engine) saveTask(ctx context.Context, k *task) error {
	k.t.Updated = e.now()
	k.t.LeaseUntil = e.leaseUntil()
	return e.store.SaveTask(ctx, k.t)
}

// commit journals recs and saves the task: atomically when the store is a
// [Committer], else journal first (see finalize).
func (e *Engine) commit(ctx context.Context, k *task, recs ...Record) error {
	k.t.Updated = e.now()
	k.t.LeaseUntil = e.leaseUntil()
	if c, ok := e.store.(Committer); ok {
		return c.CommitTask(ctx, k.t, recs...)
	}
	if len(recs) > 0 {
		if err := e.store.Append(ctx, recs...); err != nil {
			return err
		}
	}
	return e.store.SaveTask(ctx, k.t)
}

func (e *Engine) matchedRecord(k *task) Record {
	return e.record(k, DecisionMatched, func(r *Record) {
		r.ID = k.d.ID + "/" + k.t.Key + "/matched"
	})
}

// decide runs the policy for a fresh task: kill switch, scope exclusions,
// plan, tag exclusions, then the rule's mode.
func (e *Engine) decide(ctx context.Context, k *task) outcome {
	matched := e.matchedRecord(k)
	if reason, killed := e.killed(); killed {
		e.stats.skipped.Add(1)
		return e.finalize(ctx, k, TaskKilled, matched, e.record(k, DecisionKilled, func(r *Record) { r.Reason = reason }))
	}
	if reason, ex := k.rule.exclude.excludedScope(k.ref.AccountUID, k.ref.Region); ex {
		e.stats.skipped.Add(1)
		return e.finalize(ctx, k, TaskExcluded, matched, e.record(k, DecisionExcluded, func(r *Record) { r.Reason = reason }))
	}
	plan, err := e.callPlan(ctx, k.rem, k.f)
	if err != nil {
		return e.planError(ctx, k, err, matched)
	}
	e.normalizePlan(plan, k)
	if len(plan.Changes) == 0 {
		e.stats.skipped.Add(1)
		return e.finalize(ctx, k, TaskNotApplicable, matched,
			e.record(k, DecisionNotApplicable, func(r *Record) { r.Reason = "plan has no changes"; r.PlanID = plan.ID }))
	}
	if err := plan.Validate(); err != nil {
		return e.fail(ctx, k, Permanent(err), "plan", matched)
	}
	if out, stop := e.checkResources(ctx, k, plan, matched); stop {
		return out
	}
	switch k.rule.Mode {
	case ModeApproval:
		return e.requestApproval(ctx, k, plan, "rule "+k.rule.Name+" requires approval", DecisionPending, matched)
	case ModeAutomatic:
		return e.act(ctx, k, plan, matched)
	default:
		e.stats.dryRun.Add(1)
		k.t.Plan = plan
		e.log.Info("remediate: dry run", "rule", k.rule.Name, "finding", k.ref.ID(), "plan", plan.String())
		return e.finalize(ctx, k, TaskDryRun, matched, e.record(k, DecisionDryRun, func(r *Record) {
			r.ID = plan.ID + "/dry-run"
			r.PlanID = plan.ID
			r.Plan = plan
		}))
	}
}

func (e *Engine) normalizePlan(p *Plan, k *task) {
	p.ID = newID("p")
	p.Remediator = k.rem.Name()
	p.Finding = k.ref
	p.Effect = p.Effect.resolved()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = e.now()
	}
	if p.Changes == nil {
		p.Changes = []Change{}
	}
}

// planError handles an error from Plan: not applicable, retry or failure.
func (e *Engine) planError(ctx context.Context, k *task, err error, pre ...Record) outcome {
	if errors.Is(err, ErrNotApplicable) {
		e.stats.skipped.Add(1)
		recs := append(pre, e.record(k, DecisionNotApplicable, func(r *Record) { r.Reason = err.Error() }))
		return e.finalize(ctx, k, TaskNotApplicable, recs...)
	}
	return e.retryOrFail(ctx, k, err, "plan", pre...)
}

// retryOrFail retries transient and unknown errors with backoff until
// MaxAttempts, and fails permanent ones.
func (e *Engine) retryOrFail(ctx context.Context, k *task, err error, stage string, pre ...Record) outcome {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// Shutting down: not the remediator's fault; try again after restart.
		return retryAfter(0)
	}
	if e.opts.Classify(err) != ClassPermanent && k.t.Attempts+1 < e.opts.MaxAttempts {
		k.t.Attempts++
		k.t.LastError = stage + ": " + err.Error()
		recs := append(pre, e.record(k, DecisionRetry, func(r *Record) {
			r.Error = err.Error()
			r.Reason = stage + " failed (" + e.opts.Classify(err).String() + "); retrying"
			r.Attempt = k.t.Attempts
			if k.t.Plan != nil {
				r.PlanID = k.t.Plan.ID
			}
		}))
		if serr := e.commit(ctx, k, recs...); serr != nil {
			return e.storeRetry(serr)
		}
		return retryAfter(e.backoff(k.t.Attempts))
	}
	return e.fail(ctx, k, err, stage, pre...)
}

// fail records a permanent failure; the message is dead-lettered. If the plan
// was being applied, the finding goes back to New with the error.
func (e *Engine) fail(ctx context.Context, k *task, err error, stage string, pre ...Record) outcome {
	e.stats.failed.Add(1)
	wasApplying := k.t.State == TaskApplying
	k.t.State = TaskFailed
	k.t.Attempts++
	reason := fmt.Sprintf("%s failed (%s) after %d attempt(s)", stage, e.opts.Classify(err), k.t.Attempts)
	k.t.LastError = reason + ": " + err.Error()
	recs := append(pre, e.record(k, DecisionFailed, func(r *Record) {
		r.Error = err.Error()
		r.Reason = reason
		r.Attempt = k.t.Attempts
		if k.t.Plan != nil {
			r.PlanID = k.t.Plan.ID
			r.ID = k.t.Plan.ID + "/failed"
		}
	}))
	if serr := e.commit(ctx, k, recs...); serr != nil {
		return e.storeRetry(serr)
	}
	if wasApplying && k.t.Plan != nil && k.t.Plan.Effect.resolved() == EffectResolve {
		// In Progress was written before Apply: the finding goes back to New.
		e.writeStatus(ctx, k, StatusNew, StageFailed, "Remediation failed", err.Error())
	}
	if k.t.ApprovalID != "" {
		e.closeApproval(ctx, k.t.ApprovalID, "failed: "+err.Error())
	}
	return deadLetter(fmt.Sprintf("%s/%s: %s", k.rule.Name, k.rem.Name(), k.t.LastError))
}

// checkResources applies the per-resource scope exclusions and the tag
// exclusions to the plan's resources.
func (e *Engine) checkResources(ctx context.Context, k *task, plan *Plan, pre ...Record) (outcome, bool) {
	res := plan.Resources
	if len(res) == 0 {
		res = ResourcesOf(k.f)
	}
	excluded := func(reason string) (outcome, bool) {
		e.stats.skipped.Add(1)
		k.t.Plan = plan
		recs := append(pre, e.record(k, DecisionExcluded, func(r *Record) {
			r.Reason = reason
			r.PlanID = plan.ID
			r.Plan = plan
		}))
		return e.finalize(ctx, k, TaskExcluded, recs...), true
	}
	for _, r := range res {
		if reason, ex := k.rule.exclude.excludedScope(r.AccountUID, r.Region); ex {
			return excluded("resource " + r.UID + ": " + reason)
		}
	}
	if len(k.rule.exclude.Tags) == 0 {
		return outcome{}, false
	}
	var unreadable []string
	for _, r := range res {
		tags, err := e.readTags(ctx, r)
		if err != nil {
			cls := e.opts.Classify(err)
			if cls != ClassPermanent && k.t.Attempts+1 < e.opts.MaxAttempts && e.opts.TagReader != nil {
				k.t.Plan = nil
				return e.retryOrFail(ctx, k, fmt.Errorf("read tags of %s: %w", r.UID, err), "tags", pre...), true
			}
			if plan.Destructive {
				return excluded(fmt.Sprintf("tags of %s cannot be read (%v); destructive plan fails closed", r.UID, err))
			}
			unreadable = append(unreadable, fmt.Sprintf("%s: %v", r.UID, err))
			continue
		}
		for _, m := range k.rule.exclude.Tags {
			if m.matches(tags) {
				return excluded(fmt.Sprintf("resource %s has excluded tag %s", r.UID, m))
			}
		}
	}
	if len(unreadable) > 0 {
		e.log.Warn("remediate: tags unreadable; non-destructive plan proceeds", "plan", plan.ID, "resources", unreadable)
	}
	return outcome{}, false
}

func (e *Engine) readTags(ctx context.Context, r Resource) (map[string]string, error) {
	if e.opts.TagReader == nil {
		return nil, errors.New("remediate: no tag reader configured")
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.ActionTimeout)
	defer cancel()
	return e.opts.TagReader.Tags(ctx, r)
}

// requestApproval stores the plan as a pending approval.
func (e *Engine) requestApproval(ctx context.Context, k *task, plan *Plan, reason string, d Decision, pre ...Record) outcome {
	now := e.now()
	a := Approval{
		ID: k.t.Key, State: ApprovalPending, Rule: k.rule.Name, Remediator: k.rem.Name(),
		Finding: k.ref, FindingJSON: k.raw, Event: k.event, Plan: plan, Reason: reason,
		CreatedAt: now, ExpiresAt: now.Add(e.opts.ApprovalTTL),
	}
	if err := e.store.PutApproval(ctx, a); err != nil {
		return e.storeRetry(err)
	}
	e.stats.pending.Add(1)
	k.t.Plan = plan
	e.log.Info("remediate: plan waits for approval", "approval", a.ID, "reason", reason, "plan", plan.String())
	recs := append(pre, e.record(k, d, func(r *Record) {
		r.PlanID = plan.ID
		r.Plan = plan
		r.Reason = reason
	}))
	return e.finalize(ctx, k, TaskPending, recs...)
}

// act applies a plan in automatic mode (or after approval), within limits.
func (e *Engine) act(ctx context.Context, k *task, plan *Plan, pre ...Record) outcome {
	if reason, killed := e.killed(); killed {
		e.stats.skipped.Add(1)
		k.t.Plan = plan
		recs := append(pre, e.record(k, DecisionKilled, func(r *Record) { r.Reason = reason; r.PlanID = plan.ID; r.Plan = plan }))
		if k.t.ApprovalID != "" {
			return e.reopenApproval(ctx, k, plan, reason, DecisionKilled, pre...)
		}
		return e.finalize(ctx, k, TaskKilled, recs...)
	}
	if reason, ok := e.limiter.reserve(k.rem.Name(), e.now()); !ok {
		if k.t.ApprovalID != "" {
			return e.reopenApproval(ctx, k, plan, reason, DecisionLimited, pre...)
		}
		return e.requestApproval(ctx, k, plan, reason, DecisionLimited, pre...)
	}
	k.t.State = TaskApplying
	k.t.Plan = plan
	k.t.Attempts = 0
	k.t.LastError = ""
	recs := append(pre, e.applyingRecord(k, plan))
	if err := e.commit(ctx, k, recs...); err != nil {
		return e.storeRetry(err)
	}
	return e.apply(ctx, k)
}

func (e *Engine) applyingRecord(k *task, plan *Plan) Record {
	return e.record(k, DecisionApplying, func(r *Record) {
		r.ID = plan.ID + "/applying"
		r.PlanID = plan.ID
		r.Plan = plan
	})
}

// apply calls Apply with the task's plan (fresh, or again after a crash or a
// transient error) and records the result once.
func (e *Engine) apply(ctx context.Context, k *task) outcome {
	if _, killed := e.killed(); killed {
		// Finish this plan once the switch is released.
		return retryAfter(e.killRecheck())
	}
	plan := k.t.Plan
	if plan == nil {
		return e.fail(ctx, k, Permanent(errors.New("task is applying but holds no plan")), "apply")
	}
	if _, atomic := e.store.(Committer); !atomic {
		// The task was saved after the record, but make sure (appended once:
		// the record has an ID).
		if err := e.store.Append(ctx, e.applyingRecord(k, plan)); err != nil {
			return e.storeRetry(err)
		}
	}
	if k.t.Attempts == 0 && plan.Effect.resolved() == EffectResolve {
		e.writeStatus(ctx, k, StatusInProgress, StageApplying, "In progress", plan.Summary)
	}
	res, err := e.callApply(ctx, k.rem, plan)
	if err != nil {
		return e.retryOrFail(ctx, k, err, "apply")
	}
	if res.PlanID == "" {
		res.PlanID = plan.ID
	}
	if res.Remediator == "" {
		res.Remediator = k.rem.Name()
	}
	if res.CompletedAt.IsZero() {
		res.CompletedAt = e.now()
	}
	// Journal and task together (or journal first): if the process dies
	// before the task is saved, Apply runs again (a no-op for an idempotent
	// remediator) and this record, keyed by the plan, is not added twice.
	k.t.State = TaskApplied
	k.t.Result = res
	if err := e.commit(ctx, k, e.record(k, DecisionApplied, func(r *Record) {
		r.ID = plan.ID + "/applied"
		r.PlanID = plan.ID
		r.Result = res
	})); err != nil {
		return e.storeRetry(err)
	}
	e.stats.applied.Add(1)
	e.log.Info("remediate: applied", "plan", plan.ID, "remediator", k.rem.Name(), "changes", res.Applied())
	return e.finish(ctx, k)
}

// finish writes the outcome back (see [Effect]) and completes the task.
func (e *Engine) finish(ctx context.Context, k *task) outcome {
	summary := ""
	if k.t.Result != nil {
		summary = k.t.Result.Summary
	}
	effect := EffectResolve
	if k.t.Plan != nil {
		effect = k.t.Plan.Effect.resolved()
		if summary == "" {
			summary = k.t.Plan.Summary
		}
	}
	switch effect {
	case EffectResolve:
		e.writeStatus(ctx, k, StatusResolved, StageApplied, "Resolved", summary)
	case EffectNotify:
		// A person is now on it: In Progress, Security Hub V2's equivalent
		// of ASFF's NOTIFIED. A status someone already set (In Progress,
		// Suppressed, Resolved...) is theirs, and so is their comment.
		if s := StatusID(k.ref.StatusID); s == StatusNew || s == StatusUnknown {
			e.writeStatus(ctx, k, StatusInProgress, StageApplied, "Notified", summary)
		}
	}
	k.t.State = TaskDone
	if err := e.saveTask(ctx, k); err != nil {
		return e.storeRetry(err)
	}
	if k.t.ApprovalID != "" {
		e.closeApproval(ctx, k.t.ApprovalID, "applied")
	}
	return ack()
}

// writeStatus writes status back with the comment
// "[marker plan=ID] label (remediator): text"; failures are journaled, never
// fatal. The intent is journaled first, so the event our update causes is
// recognised even if the process dies right after the call.
func (e *Engine) writeStatus(ctx context.Context, k *task, s StatusID, stage Stage, label, text string) {
	if e.opts.StatusWriter == nil || k.t.Plan == nil {
		return
	}
	planID := k.t.Plan.ID
	u := StatusUpdate{
		Finding: k.ref, StatusID: s, PlanID: planID,
		Comment:    comment(e.opts.CommentMarker, planID, label+" ("+k.rem.Name()+"): "+text),
		Remediator: k.rem.Name(), Effect: k.t.Plan.Effect.resolved(), Stage: stage,
		Text: truncateUTF8(text, MaxCommentLen),
	}
	if err := e.store.Append(ctx, e.record(k, DecisionStatus, func(r *Record) {
		r.ID = fmt.Sprintf("%s/status/%d", planID, s)
		r.PlanID = planID
		r.Status = &u
	})); err != nil {
		e.log.Error("remediate: journal write-back", "plan", planID, "err", err)
		return // without the journal record our own update would loop
	}
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		err = e.callWriteStatus(ctx, u)
		if err == nil || e.opts.Classify(err) == ClassPermanent || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(e.backoff(attempt), 2*time.Second)):
		}
	}
	if err == nil {
		e.stats.statusWritten.Add(1)
		return
	}
	e.log.Error("remediate: write-back", "plan", planID, "status", s.String(), "err", err)
	_ = e.store.Append(ctx, e.record(k, DecisionStatusFailed, func(r *Record) {
		r.PlanID = planID
		r.Status = &u
		r.Error = err.Error()
	}))
}

func (e *Engine) callWriteStatus(ctx context.Context, u StatusUpdate) (err error) {
	ctx, cancel := context.WithTimeout(ctx, e.opts.ActionTimeout)
	defer cancel()
	defer recoverInto(&err, "WriteStatus")
	return e.opts.StatusWriter.WriteStatus(ctx, u)
}

func (e *Engine) callPlan(ctx context.Context, r Remediator, f ocsf.Finding) (p *Plan, err error) {
	ctx, cancel := context.WithTimeout(ctx, e.opts.ActionTimeout)
	defer cancel()
	defer recoverInto(&err, r.Name()+".Plan")
	p, err = r.Plan(ctx, f)
	if err == nil && p == nil {
		err = Permanent(fmt.Errorf("remediate: %s.Plan returned neither a plan nor an error", r.Name()))
	}
	return p, err
}

// callApply applies a copy of the plan decoded from its JSON, exactly as
// after a restart, so a remediator that only works with the in-memory plan
// fails at once rather than after the first crash.
func (e *Engine) callApply(ctx context.Context, r Remediator, p *Plan) (res *Result, err error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, Permanent(fmt.Errorf("remediate: encode plan: %w", err))
	}
	var cp Plan
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, Permanent(fmt.Errorf("remediate: decode plan: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.ActionTimeout)
	defer cancel()
	defer recoverInto(&err, r.Name()+".Apply")
	res, err = r.Apply(ctx, &cp)
	if err == nil && res == nil {
		res = &Result{Summary: "applied"}
	}
	return res, err
}

func recoverInto(err *error, what string) {
	if v := recover(); v != nil {
		*err = Permanent(fmt.Errorf("remediate: %s panicked: %v", what, v))
	}
}

// handleApproval carries out an approved plan: plan again against live
// state, apply if the approved plan covers the new one.
func (e *Engine) handleApproval(ctx context.Context, d *Delivery) (outcome, FindingRef) {
	a, err := e.store.GetApproval(ctx, d.ApprovalID)
	if errors.Is(err, ErrNotFound) {
		return ack(), FindingRef{}
	}
	if err != nil {
		return e.storeRetry(err), FindingRef{}
	}
	ref := a.Finding
	if a.State != ApprovalApproved {
		return ack(), ref
	}
	rem := e.remediators[a.Remediator]
	if rem == nil {
		e.closeApproval(ctx, a.ID, "remediator no longer configured")
		err := e.store.Append(ctx, Record{
			Time: e.now(), Decision: DecisionRemediatorGone, Finding: ref, FindingID: ref.ID(), Rule: a.Rule,
			Remediator: a.Remediator, Key: a.ID, MessageID: d.ID, Reason: "approved plan's remediator is no longer configured",
		})
		if err != nil {
			return e.storeRetry(err), ref
		}
		return ack(), ref
	}
	rule := e.ruleByName[a.Rule]
	if rule == nil || rule.Remediator.Name() != a.Remediator {
		// The rule was renamed or removed: keep the global exclusions.
		rule = &compiledRule{Rule: Rule{Name: a.Rule, Remediator: rem, Mode: ModeApproval}, exclude: e.opts.Exclude}
	}
	f, err := ocsf.Decode(a.FindingJSON)
	if err != nil {
		e.closeApproval(ctx, a.ID, "finding cannot be decoded")
		return deadLetter("approved finding cannot be decoded: " + err.Error()), ref
	}
	k := &task{d: d, f: f, raw: a.FindingJSON, event: a.Event, ref: ref, rule: rule, rem: rem}
	owner := e.owner + "/" + d.Receipt
	t, err := e.store.AcquireTask(ctx, a.ID, owner, e.leaseUntil())
	if errors.Is(err, ErrLeased) {
		return retryAfter(e.opts.BackoffBase + e.backoff(1)), ref
	}
	if err != nil {
		return e.storeRetry(err), ref
	}
	defer func() {
		if err := e.store.ReleaseTask(context.WithoutCancel(ctx), a.ID, owner); err != nil {
			e.log.Error("remediate: release task", "key", a.ID, "err", err)
		}
	}()
	t.Key = a.ID
	t.Owner = owner
	k.t = t
	k.base = Record{
		MessageID: d.ID, Finding: ref, FindingID: ref.ID(), Rule: a.Rule, Remediator: a.Remediator,
		Mode: ModeApproval.String(), Key: a.ID, Actor: a.Actor,
	}
	switch t.State {
	case TaskApplying:
		return e.apply(ctx, k), ref
	case TaskApplied:
		return e.finish(ctx, k), ref
	case TaskFailed:
		if t.ApprovalID == a.ID && t.MessageID == d.ID {
			return deadLetter(fmt.Sprintf("%s/%s: %s", a.Rule, a.Remediator, t.LastError)), ref
		}
	case TaskPending, TaskNew:
	default:
		e.closeApproval(ctx, a.ID, "already "+string(t.State))
		return ack(), ref
	}
	k.t.ApprovalID = a.ID
	k.t.MessageID = d.ID
	k.t.Rule = a.Rule
	k.t.Remediator = a.Remediator
	k.t.Finding = ref

	if reason, killed := e.killed(); killed {
		return e.reopenApproval(ctx, k, a.Plan, reason, DecisionKilled), ref
	}
	plan, err := e.callPlan(ctx, rem, f)
	if err != nil {
		if errors.Is(err, ErrNotApplicable) {
			e.closeApproval(ctx, a.ID, "not applicable any more: "+err.Error())
		}
		return e.planError(ctx, k, err), ref
	}
	e.normalizePlan(plan, k)
	if len(plan.Changes) == 0 {
		e.closeApproval(ctx, a.ID, "nothing left to do")
		return e.finalize(ctx, k, TaskNotApplicable,
			e.record(k, DecisionNotApplicable, func(r *Record) { r.Reason = "plan has no changes"; r.PlanID = plan.ID })), ref
	}
	if err := plan.Validate(); err != nil {
		return e.fail(ctx, k, Permanent(err), "plan"), ref
	}
	if a.Plan == nil || !a.Plan.Covers(plan) {
		return e.reopenApproval(ctx, k, plan,
			"live state changed since approval: the new plan has changes the approved plan did not", DecisionPlanChanged), ref
	}
	if out, stop := e.checkResources(ctx, k, plan); stop {
		e.closeApproval(ctx, a.ID, "excluded")
		return out, ref
	}
	return e.act(ctx, k, plan), ref
}

// reopenApproval puts an approved plan back to pending (kill switch, limit,
// or a changed plan) so a person decides again.
func (e *Engine) reopenApproval(ctx context.Context, k *task, plan *Plan, reason string, d Decision, pre ...Record) outcome {
	now := e.now()
	_, err := e.store.UpdateApproval(ctx, k.t.ApprovalID, func(a *Approval) error {
		a.State = ApprovalPending
		a.Plan = plan
		a.Reason = reason
		a.CreatedAt = now
		a.ExpiresAt = now.Add(e.opts.ApprovalTTL)
		a.DecidedAt = time.Time{}
		a.Actor, a.Note = "", ""
		return nil
	})
	if err != nil {
		return e.storeRetry(err)
	}
	k.t.Plan = plan
	k.t.ApprovalID = ""
	recs := append(pre, e.record(k, d, func(r *Record) {
		r.PlanID = plan.ID
		r.Plan = plan
		r.Reason = reason + "; back to pending approval"
	}))
	return e.finalize(ctx, k, TaskPending, recs...)
}

func (e *Engine) closeApproval(ctx context.Context, id, outcome string) {
	_, err := e.store.UpdateApproval(ctx, id, func(a *Approval) error {
		if a.State != ApprovalApproved {
			return ErrNotPending
		}
		a.State = ApprovalDone
		a.Outcome = outcome
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotPending) {
		e.log.Error("remediate: close approval", "approval", id, "err", err)
	}
}
