// Package remediate is the response engine: it routes Security Hub findings
// to remediators by rules written in the EventBridge pattern language, puts
// every action through safety belts, carries it out durably and exactly once,
// and writes the outcome back to Security Hub.
//
// # Remediators
//
// A [Remediator] plans, then applies: Plan reads live state and returns a
// [Plan] (the exact changes, readable by a person and as JSON) or
// [ErrNotApplicable]; Apply performs a plan, possibly one decoded from the
// journal after a restart, and reports a [Result]. Remediators are
// idempotent, honour cancellation, are safe for concurrent use and declare
// the IAM actions they need (see the Remediator documentation for the full
// contract, and package remediatetest for a conformance test).
//
// # Rules and routing
//
// A [Rule] is a name, a pattern, a remediator, a [Mode] and [Exclusions].
// The pattern is an EventBridge event pattern over the bare OCSF finding,
// the object found in detail.findings[] of a "Findings Imported V2" event,
// for example {"class_uid":[2004],"severity_id":[{"numeric":[">=",4]}]}.
// Findings reach the engine without their envelope, so patterns address
// finding attributes (cloud.account.uid, cloud.region, ...), not the
// envelope's account, region or time. To run the same filter in AWS, nest it
// under detail.findings with source "aws.securityhub" and detail-type
// "Findings Imported V2": [EventPattern] does exactly that (and joins several
// rules with $or). Rules come from Go or from a YAML/JSON file ([LoadRules]),
// whose errors name the file, line and path ([ConfigError]).
//
// A finding reaches the rules again whenever its workflow state changes (a
// person sets it In Progress, Resolved or Suppressed, changes its severity
// or comment; see Durability below), so a rule that acts should say which
// statuses it acts on ("status_id": [1] for New findings), and a ticket
// rule can see the finding closed.
//
// # Safety
//
// Every rule runs in dry-run mode unless it says otherwise: the plan is
// recorded and logged, nothing changes. In approval mode the plan waits for a
// decision through [Engine.Approve]/[Engine.Deny] or the HTTP API of
// [NewHandler]; on approval the engine plans again against live state and
// applies only if the approved plan covers the new one. In automatic mode it
// applies at once. Before acting the engine checks, in order: the kill switch
// ([Engine.Kill], the HTTP API, or [Options.KillFile]); account and region
// exclusions; the plan (not applicable: done); resource-tag exclusions, read
// live through a [TagReader] (destructive plans fail closed when tags cannot
// be read); the blast-radius [Limits] (actions per sliding window, overall
// and per remediator; a plan over the limit becomes a pending approval).
//
// # Durability and exactly-once
//
// [Engine.Accept] (the listener's Sink) returns only once the finding is
// committed to the [Queue]. Workers ([Engine.Run]) take messages with a
// lease; a message comes back if its worker dies. Each (finding state,
// remediator) has an idempotency key ([IdempotencyKey]: finding identity,
// modified time, workflow state — status_id, severity_id, comment —
// and remediator name) and a [Task] in the [IdempotencyStore] recording how
// far it got. The workflow state is in the key because Security Hub's
// BatchUpdateFindingsV2 does not change the modified time: without it, a
// finding an analyst resolves in the console would look like a duplicate and
// never reach the rules (a ticket rule could not close its ticket). Before Apply the task is saved as "applying" with
// its plan; after Apply the result is journaled and the task saved as
// "applied". A crash in between makes the engine apply the same plan again,
// which an idempotent remediator completes without doing anything twice; the
// result is recorded once. Redeliveries and duplicates find the task done.
// Transient errors (throttling, 5xx, timeouts; see [Classify]) are retried
// with exponential backoff and full jitter up to [Options.MaxAttempts];
// permanent ones (access denied, invalid input) dead-letter the message with
// the reason ([Engine.DeadLetters], [Engine.Replay]).
//
// # Write-back and loops
//
// With a [StatusWriter] the engine writes the outcome back to Security Hub,
// according to what the plan does ([Plan.Effect]). A plan that fixes or
// contains the finding ([EffectResolve], the default) sets it In Progress
// before applying (the comment names the plan: "[ocsfhub plan=p-…] …"),
// Resolved after, or back to New with the error. A ticket or notification
// ([EffectNotify]) fixes nothing: once applied, the finding is set In
// Progress (V2's equivalent of ASFF's NOTIFIED) if it was New, and left
// alone otherwise. [EffectNone] writes nothing. Each [StatusUpdate] carries
// the remediator, the effect and the [Stage], so writers that act on fixes
// (closing tickets) read [StatusUpdate.Remediated] instead of the comment.
//
// Security Hub re-emits the finding after each update; the engine recognises
// that event before routing it (our marker and plan id in the comment, a
// write-back of that plan to the same finding with the same status, comment
// and severity in the journal, and no newer modification than the write) and
// records it as "own-update" instead of acting again. The write-back intent
// is journaled before the call, so the re-import is recognised even if the
// process dies right after writing. A re-import that differs from what we
// wrote (a person changed the status, the severity or the comment since) is
// routed like any other change.
//
// # Audit journal
//
// Every decision (matched rule, no match, plan, dry run, approval request
// and decision, limit, kill switch, exclusion, own update, duplicate, retry,
// result, failure, dead letter, write-back) is a [Record] in the [Journal],
// queryable by finding or plan ([Engine.Journal]) and exportable as JSON
// lines ([ExportJSONLines], GET /journal).
//
// # Stores
//
// remediate/boltstore keeps queue, journal, tasks, approvals and settings in
// one bbolt file for a single process. For several replicas, implement
// [Queue] on SQS and the other interfaces on DynamoDB; each interface's
// documentation gives the mapping.
package remediate
