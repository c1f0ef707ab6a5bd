package remediate

import (
	"context"
	"encoding/json"
	"time"
)

// Store is everything the [Engine] persists. The embedded default,
// remediate/boltstore, keeps all of it in one bbolt file; a multi-replica
// deployment can combine an SQS queue with DynamoDB tables instead (each
// interface documents its mapping). A Store must be safe for concurrent use.
type Store interface {
	Queue
	Journal
	IdempotencyStore
	ApprovalStore
	SettingsStore
}

// MessageKind says what a queued [Message] asks the engine to do.
type MessageKind string

// Message kinds.
const (
	// KindFinding: route and act on the finding in [Message.Finding].
	KindFinding MessageKind = "finding"
	// KindApproval: carry out the approved plan of [Message.ApprovalID].
	KindApproval MessageKind = "approval"
)

// EventInfo is the part of the EventBridge envelope the engine keeps.
type EventInfo struct {
	ID         string    `json:"id,omitempty"`
	DetailType string    `json:"detail_type,omitempty"`
	Source     string    `json:"source,omitempty"`
	Account    string    `json:"account,omitempty"`
	Region     string    `json:"region,omitempty"`
	Time       time.Time `json:"time,omitzero"`
}

// Message is one unit of durable work.
type Message struct {
	// ID is unique per message; Enqueue of an ID already queued is a no-op.
	ID         string      `json:"id"`
	Kind       MessageKind `json:"kind"`
	EnqueuedAt time.Time   `json:"enqueued_at"`
	// Event is the envelope the finding came in (nil when unknown).
	Event *EventInfo `json:"event,omitempty"`
	// Finding is the lossless JSON of the finding (KindFinding).
	Finding json.RawMessage `json:"finding,omitempty"`
	// ApprovalID names the approved plan (KindApproval).
	ApprovalID string `json:"approval_id,omitempty"`
	// Replay is set when the message was replayed from the dead-letter list:
	// tasks that failed permanently are attempted again.
	Replay bool `json:"replay,omitempty"`
}

// Delivery is a received [Message] with its lease.
type Delivery struct {
	Message
	// Receipt identifies this lease; Ack, Retry and DeadLetter need it.
	Receipt string `json:"receipt"`
	// Receives counts deliveries of the message, this one included.
	Receives int `json:"receives"`
	// Orphaned counts earlier leases that ended without Ack, Retry or
	// DeadLetter (the process holding them died). The engine dead-letters a
	// message orphaned too often (a "poison" message that crashes the
	// process).
	Orphaned int `json:"orphaned"`
}

// DeadLetter is a message that failed permanently, with the reason.
type DeadLetter struct {
	Message  Message   `json:"message"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	Receives int       `json:"receives"`
}

// QueueStats counts messages by state.
type QueueStats struct {
	Ready    int `json:"ready"`     // visible now
	Delayed  int `json:"delayed"`   // waiting for a retry delay
	InFlight int `json:"in_flight"` // leased by a worker
	Dead     int `json:"dead"`      // in the dead-letter list
}

// Queue is the durable work queue between [Engine.Accept] and the workers.
//
// Contract: Enqueue returns nil only once the message is durable. A received
// message is invisible to other receivers until its lease ends, and comes
// back if it is neither acknowledged nor retried before then (at-least-once).
//
// SQS mapping: Enqueue = SendMessage (body = the Message JSON; a FIFO queue's
// MessageDeduplicationId = ID, or a standard queue plus the idempotency store);
// Receive = ReceiveMessage with WaitTimeSeconds (long poll, looped until a
// message or ctx ends) and VisibilityTimeout = lease; Receipt = ReceiptHandle;
// Receives = ApproximateReceiveCount; Ack = DeleteMessage; Retry =
// ChangeMessageVisibility(delay); DeadLetter = SendMessage to the DLQ with the
// reason as a message attribute, then DeleteMessage; Replay =
// SendMessage back + delete from the DLQ (or StartMessageMoveTask); Orphaned
// can be approximated by Receives minus the retries the engine recorded, or
// left to the queue's redrive policy (maxReceiveCount).
type Queue interface {
	// Enqueue stores m durably.
	Enqueue(ctx context.Context, m Message) error
	// Receive waits until a message is visible, leases it for lease, and
	// returns it. It returns ctx.Err() when ctx ends first.
	Receive(ctx context.Context, lease time.Duration) (*Delivery, error)
	// Ack removes a processed message.
	Ack(ctx context.Context, d *Delivery) error
	// Retry releases the lease; the message becomes visible again after delay.
	Retry(ctx context.Context, d *Delivery, delay time.Duration) error
	// DeadLetter moves the message to the dead-letter list with reason.
	DeadLetter(ctx context.Context, d *Delivery, reason string) error
	// DeadLetters lists the dead-letter list, oldest first.
	DeadLetters(ctx context.Context) ([]DeadLetter, error)
	// Replay moves a dead letter back to the queue with [Message.Replay] set.
	// It returns ErrNotFound for an unknown id.
	Replay(ctx context.Context, id string) error
	// QueueStats counts messages by state.
	QueueStats(ctx context.Context) (QueueStats, error)
}

// Decision is the kind of a journal [Record]: what the engine decided or did.
type Decision string

// Decisions recorded in the journal.
const (
	DecisionReceived       Decision = "received"        // a finding was taken from the queue
	DecisionNoMatch        Decision = "no-match"        // no rule matched
	DecisionMatched        Decision = "matched"         // a rule matched (Rule, Remediator)
	DecisionDuplicate      Decision = "duplicate"       // the idempotency key was already handled
	DecisionOwnUpdate      Decision = "own-update"      // the event was caused by our own write-back
	DecisionKilled         Decision = "killed"          // skipped: kill switch engaged
	DecisionExcluded       Decision = "excluded"        // skipped: account, region or tag exclusion
	DecisionNotApplicable  Decision = "not-applicable"  // the remediator returned ErrNotApplicable
	DecisionDryRun         Decision = "dry-run"         // plan recorded, not applied
	DecisionPending        Decision = "pending"         // plan stored, waiting for approval
	DecisionApproved       Decision = "approved"        // a person approved (Actor)
	DecisionDenied         Decision = "denied"          // a person denied (Actor)
	DecisionExpired        Decision = "expired"         // an approval expired
	DecisionPlanChanged    Decision = "plan-changed"    // after approval, live state needs a different plan
	DecisionLimited        Decision = "limited"         // blast-radius limit reached; sent for approval
	DecisionApplying       Decision = "applying"        // about to call Apply (Plan)
	DecisionApplied        Decision = "applied"         // Apply succeeded (Result)
	DecisionRetry          Decision = "retry"           // transient error; retried later (Error, Attempt)
	DecisionFailed         Decision = "failed"          // permanent error or attempts exhausted (Error)
	DecisionDeadLettered   Decision = "dead-lettered"   // message moved to the dead-letter list
	DecisionReplayed       Decision = "replayed"        // a dead letter was replayed
	DecisionStatus         Decision = "status"          // write-back requested (Status)
	DecisionStatusFailed   Decision = "status-failed"   // write-back failed (Status, Error)
	DecisionKillSwitch     Decision = "kill-switch"     // the kill switch was engaged or released
	DecisionRemediatorGone Decision = "remediator-gone" // an approval names a remediator no longer configured
)

// Record is one journal entry.
type Record struct {
	// ID makes Append idempotent: a record whose ID is already in the journal
	// is not added again. Empty IDs are assigned by the journal.
	ID string `json:"id"`
	// Seq is assigned by the journal, increasing in append order.
	Seq      uint64     `json:"seq"`
	Time     time.Time  `json:"time"`
	Decision Decision   `json:"decision"`
	Finding  FindingRef `json:"finding,omitzero"`
	// FindingID is Finding.ID(), the index the journal is queried by.
	FindingID  string        `json:"finding_id,omitempty"`
	MessageID  string        `json:"message_id,omitempty"`
	Rule       string        `json:"rule,omitempty"`
	Remediator string        `json:"remediator,omitempty"`
	Mode       string        `json:"mode,omitempty"`
	Key        string        `json:"key,omitempty"` // idempotency key (also the approval id)
	PlanID     string        `json:"plan_id,omitempty"`
	Plan       *Plan         `json:"plan,omitempty"`
	Result     *Result       `json:"result,omitempty"`
	Status     *StatusUpdate `json:"status,omitempty"`
	Actor      string        `json:"actor,omitempty"`
	Reason     string        `json:"reason,omitempty"`
	Error      string        `json:"error,omitempty"`
	Attempt    int           `json:"attempt,omitempty"`
}

// Query selects journal records. Zero fields do not filter.
type Query struct {
	FindingID string     `json:"finding_id,omitempty"`
	PlanID    string     `json:"plan_id,omitempty"`
	Decisions []Decision `json:"decisions,omitempty"`
	Since     time.Time  `json:"since,omitzero"`
	// AfterSeq returns records with Seq > AfterSeq (paging).
	AfterSeq uint64 `json:"after_seq,omitempty"`
	// Limit caps the number of records (0: no cap).
	Limit int `json:"limit,omitempty"`
}

// Journal is the append-only audit log of every decision.
//
// Contract: Append is durable when it returns nil and idempotent per
// [Record.ID]. Query returns records in Seq order.
//
// DynamoDB mapping: one table, partition key finding_id, sort key seq (a
// ULID or time-ordered id instead of a counter), a GSI on plan_id, and
// PutItem with attribute_not_exists(id) on an id table (or a transaction) for
// idempotent appends; export through a Scan or a DynamoDB export to S3.
type Journal interface {
	Append(ctx context.Context, recs ...Record) error
	Query(ctx context.Context, q Query) ([]Record, error)
}

// TaskState is the state of the work for one idempotency key (one finding
// generation and one remediator).
type TaskState string

// Task states.
const (
	TaskNew           TaskState = ""               // not seen yet
	TaskDryRun        TaskState = "dry-run"        // planned in dry-run mode
	TaskPending       TaskState = "pending"        // waiting for approval
	TaskApplying      TaskState = "applying"       // Apply may have started; re-apply the same plan
	TaskApplied       TaskState = "applied"        // Apply succeeded; write-back may be missing
	TaskDone          TaskState = "done"           // applied and written back
	TaskNotApplicable TaskState = "not-applicable" // remediator declined
	TaskExcluded      TaskState = "excluded"       // exclusions said no
	TaskKilled        TaskState = "killed"         // kill switch said no
	TaskFailed        TaskState = "failed"         // permanent failure (dead-lettered)
)

// Task is the idempotency record for one key.
type Task struct {
	Key        string     `json:"key"`
	State      TaskState  `json:"state"`
	Rule       string     `json:"rule,omitempty"`
	Remediator string     `json:"remediator,omitempty"`
	Finding    FindingRef `json:"finding,omitzero"`
	// Plan is the plan being applied or waiting (self-contained recovery).
	Plan *Plan `json:"plan,omitempty"`
	// Result is set once Apply succeeded.
	Result *Result `json:"result,omitempty"`
	// ApprovalID is set when the task runs because of an approval.
	ApprovalID string `json:"approval_id,omitempty"`
	// Attempts counts failed attempts (plan or apply) for backoff.
	Attempts   int       `json:"attempts,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	MessageID  string    `json:"message_id,omitempty"`
	Owner      string    `json:"owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	Updated    time.Time `json:"updated,omitzero"`
}

// IdempotencyStore keeps one [Task] per idempotency key, with a lease so
// that two workers (or replicas) never work on the same key at once.
//
// DynamoDB mapping (the Powertools idempotency design): AcquireTask =
// UpdateItem/PutItem with ConditionExpression attribute_not_exists(key) OR
// lease_until < :now OR owner = :me, returning the old item; SaveTask =
// PutItem with condition owner = :me; ReleaseTask = UpdateItem removing
// owner/lease_until with the same condition; a TTL attribute expires old
// tasks.
type IdempotencyStore interface {
	// AcquireTask leases key to owner until until and returns the stored task
	// (State TaskNew and Key set when there is none). It returns ErrLeased
	// when another owner holds a lease that has not ended.
	AcquireTask(ctx context.Context, key, owner string, until time.Time) (Task, error)
	// SaveTask stores t; t.Owner must hold the lease (ErrLeaseLost otherwise).
	SaveTask(ctx context.Context, t Task) error
	// ReleaseTask ends owner's lease on key; it is a no-op when owner does not
	// hold it.
	ReleaseTask(ctx context.Context, key, owner string) error
	// GetTask returns the task for key, or ErrNotFound.
	GetTask(ctx context.Context, key string) (Task, error)
}

// Committer is an optional capability of a [Store]: journal records and a
// task saved in one atomic step (one bbolt transaction; a DynamoDB
// TransactWriteItems). Without it the engine appends the records first, then
// saves the task, which is also safe (records with an ID are appended once)
// but costs one more write.
type Committer interface {
	// CommitTask appends recs (as Journal.Append) and saves t (as
	// IdempotencyStore.SaveTask, including its lease check) atomically.
	CommitTask(ctx context.Context, t Task, recs ...Record) error
}

// ApprovalState is the state of an [Approval].
type ApprovalState string

// Approval states.
const (
	ApprovalPending  ApprovalState = "pending"
	ApprovalApproved ApprovalState = "approved" // decided; the engine is carrying it out
	ApprovalDenied   ApprovalState = "denied"
	ApprovalExpired  ApprovalState = "expired"
	ApprovalDone     ApprovalState = "done" // carried out (applied, not applicable, excluded or failed)
)

// Approval is a plan waiting for (or given) a human decision.
type Approval struct {
	// ID is the task's idempotency key.
	ID          string          `json:"id"`
	State       ApprovalState   `json:"state"`
	Rule        string          `json:"rule"`
	Remediator  string          `json:"remediator"`
	Finding     FindingRef      `json:"finding"`
	FindingJSON json.RawMessage `json:"finding_json,omitempty"`
	Event       *EventInfo      `json:"event,omitempty"`
	Plan        *Plan           `json:"plan"`
	// Reason says why a person must decide ("rule mode approval",
	// "blast-radius limit", "plan changed since approval").
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Actor     string    `json:"actor,omitempty"`
	Note      string    `json:"note,omitempty"`
	// Outcome is a short description of what happened after approval.
	Outcome string `json:"outcome,omitempty"`
}

// ApprovalStore keeps approvals.
//
// DynamoDB mapping: one item per approval with a GSI on state for listing;
// UpdateApproval = GetItem + PutItem conditional on an unchanged version
// attribute, retried on ConditionalCheckFailed.
type ApprovalStore interface {
	// PutApproval creates or replaces an approval.
	PutApproval(ctx context.Context, a Approval) error
	// GetApproval returns an approval or ErrNotFound.
	GetApproval(ctx context.Context, id string) (Approval, error)
	// ListApprovals lists approvals in the given states (all when none),
	// oldest first.
	ListApprovals(ctx context.Context, states ...ApprovalState) ([]Approval, error)
	// UpdateApproval atomically reads the approval, calls fn, and stores the
	// result unless fn returns an error (which UpdateApproval returns). It
	// returns ErrNotFound for an unknown id.
	UpdateApproval(ctx context.Context, id string, fn func(*Approval) error) (Approval, error)
}

// SettingsStore keeps small named values (the kill switch).
//
// DynamoDB mapping: one item per name in a settings table.
type SettingsStore interface {
	// GetSetting returns the value, or nil and no error when unset.
	GetSetting(ctx context.Context, name string) ([]byte, error)
	// PutSetting stores the value durably.
	PutSetting(ctx context.Context, name string, value []byte) error
}
