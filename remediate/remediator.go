package remediate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// ErrNotApplicable is returned by [Remediator.Plan] when the remediator does
// not apply to the finding, or when live state shows there is nothing left to
// do. The engine records it as a decision, not as a failure.
var ErrNotApplicable = errors.New("remediate: finding does not apply")

// Remediator turns a finding into a [Plan] and applies that plan.
//
// Planning and applying are separate so that a person (or a dry run) can
// review the exact changes before anything happens, and so that a plan
// recorded in the journal can be applied after a restart.
//
// Implementations must follow these rules:
//
//   - Name returns a short, stable identifier ("ec2-isolate", "ticket"). It
//     appears in rules, plans, the journal and idempotency keys, so changing
//     it makes old findings look new.
//   - Permissions lists every IAM action Plan and Apply may call
//     ("ec2:DescribeInstances", "ec2:ModifyNetworkInterfaceAttribute"), so a
//     least-privilege policy can be rendered from the configured remediators.
//     A remediator that calls no AWS API returns nil.
//   - Plan reads live state and must not change anything. It returns
//     [ErrNotApplicable] (possibly wrapped) when the finding is not one it
//     handles or when there is nothing left to do; it must not guess. A plan
//     lists every change Apply would make, each with a human-readable
//     description, and must be JSON-serialisable: Apply may receive a plan
//     decoded from the journal in another process, days later, so everything
//     Apply needs (resource identifiers, account, region, prior state) goes
//     into [Plan.Changes], [Plan.Resources], [Plan.Finding] or [Plan.Data].
//   - Apply is idempotent: applying a plan again after a partial success
//     finishes the job and does nothing twice (check live state before each
//     change and treat "already done" as success, reporting
//     [OutcomeAlreadyDone]). The engine may call Apply again with the same
//     plan after a crash or a transient error.
//   - Apply performs only the changes listed in the plan.
//   - Both methods honour cancellation of ctx: they return promptly with an
//     error wrapping ctx.Err() and make no further changes.
//   - Errors should be classifiable (see [Classify]): wrap with [Transient]
//     or [Permanent], or return errors that carry an AWS-style error code or
//     HTTP status. Never put secrets in errors.
//   - All methods are safe for concurrent use by multiple goroutines.
type Remediator interface {
	Name() string
	Permissions() []string
	Plan(ctx context.Context, f ocsf.Finding) (*Plan, error)
	Apply(ctx context.Context, p *Plan) (*Result, error)
}

// PlanFunc is the signature of [Remediator.Plan].
type PlanFunc func(ctx context.Context, f ocsf.Finding) (*Plan, error)

// ApplyFunc is the signature of [Remediator.Apply].
type ApplyFunc func(ctx context.Context, p *Plan) (*Result, error)

// NewRemediator adapts a pair of functions to the [Remediator] interface, as
// [net/http.HandlerFunc] adapts a function to a Handler. The functions must
// follow the Remediator contract.
func NewRemediator(name string, plan PlanFunc, apply ApplyFunc, permissions ...string) Remediator {
	return &funcRemediator{name: name, plan: plan, apply: apply, perms: slices.Clone(permissions)}
}

type funcRemediator struct {
	name  string
	plan  PlanFunc
	apply ApplyFunc
	perms []string
}

func (r *funcRemediator) Name() string          { return r.name }
func (r *funcRemediator) Permissions() []string { return slices.Clone(r.perms) }
func (r *funcRemediator) Plan(ctx context.Context, f ocsf.Finding) (*Plan, error) {
	return r.plan(ctx, f)
}
func (r *funcRemediator) Apply(ctx context.Context, p *Plan) (*Result, error) {
	return r.apply(ctx, p)
}

// Permissions returns the sorted, de-duplicated union of the IAM actions the
// given values declare. Values that do not have a Permissions() []string
// method (status writers, tag readers without AWS calls) contribute nothing.
func Permissions(vs ...any) []string {
	var out []string
	for _, v := range vs {
		if p, ok := v.(interface{ Permissions() []string }); ok {
			out = append(out, p.Permissions()...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Plan is the exact set of changes a remediator would make for one finding.
// It is JSON-serialisable and self-contained: [Remediator.Apply] must be able
// to run from a plan decoded from the journal.
//
// The engine fills ID, Remediator, Finding and CreatedAt, and records an
// empty Effect as [EffectResolve]; a remediator fills the rest.
type Plan struct {
	// ID identifies this plan in the journal, in approvals and in the comment
	// written back to Security Hub.
	ID string `json:"id"`
	// Remediator is the [Remediator.Name] that made the plan.
	Remediator string `json:"remediator"`
	// Finding identifies the finding the plan was made for, with the account
	// and region to act in.
	Finding FindingRef `json:"finding"`
	// Summary is one human-readable line ("isolate i-0abc in 111122223333/eu-west-1").
	Summary string `json:"summary"`
	// Destructive marks plans that change or remove access, network paths or
	// data (isolation, key deactivation, rule revocation), as opposed to
	// notifications and tickets. Resource-tag exclusions fail closed for
	// destructive plans when tags cannot be read.
	Destructive bool `json:"destructive,omitempty"`
	// Effect says what applying the plan does for the finding, and so what
	// the engine writes back to Security Hub (see [Effect]). Empty means
	// [EffectResolve], right for remediations and containment; ticket and
	// notification remediators set [EffectNotify], or [EffectNone].
	Effect Effect `json:"effect,omitempty"`
	// Resources are the resources the plan changes; tag exclusions and the
	// journal use them. When empty, the finding's resources are used.
	Resources []Resource `json:"resources,omitempty"`
	// Changes are the individual changes, in the order Apply makes them.
	Changes []Change `json:"changes"`
	// Data is remediator-private state Apply needs (for example the prior
	// state recorded for a rollback). It must be JSON.
	Data json.RawMessage `json:"data,omitempty"`
	// CreatedAt is when the plan was made.
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Effect says what applying a [Plan] does for its finding. The engine's
// write-back to Security Hub follows from it (see [StatusWriter]):
//
//	effect    before Apply   after Apply                      Apply failed
//	resolve   In Progress    Resolved                         New, with the error
//	notify    -              In Progress, if the finding      -
//	                         was New or Unknown; else nothing
//	none      -              -                                -
//
// Security Hub V2 has no "Notified" status: AWS's own responder maps
// ASFF's NOTIFIED to status_id 2, In Progress, which is what a ticket or a
// page means for a finding (a person is on it). Resolved (4) is kept for
// plans that actually fix or contain the finding.
type Effect string

// Effects.
const (
	// EffectResolve: the plan fixes or contains the finding (isolation, key
	// deactivation, rule revocation, a configuration change). It is what an
	// empty [Plan.Effect] means.
	EffectResolve Effect = "resolve"
	// EffectNotify: the plan tells people about the finding (a ticket, a
	// page, a message) and fixes nothing. After Apply the finding is set In
	// Progress, with a comment naming the outcome, if it was New or Unknown;
	// a status someone already set (In Progress, Suppressed, Resolved...) is
	// left as it is, and so is their comment.
	EffectNotify Effect = "notify"
	// EffectNone: the plan follows a workflow decision already made (for
	// example it closes the ticket of a finding a person resolved); the
	// engine writes nothing back.
	EffectNone Effect = "none"
)

// resolved returns the effect an empty value stands for.
func (e Effect) resolved() Effect {
	if e == "" {
		return EffectResolve
	}
	return e
}

// valid reports whether e is empty or one of the defined effects.
func (e Effect) valid() bool {
	switch e {
	case "", EffectResolve, EffectNotify, EffectNone:
		return true
	}
	return false
}

// Change is one change of a [Plan].
type Change struct {
	// ID identifies the change within its plan ("revoke/sgr-0123"); results
	// refer to it.
	ID string `json:"id"`
	// Action is the API operation, written as an IAM action
	// ("ec2:RevokeSecurityGroupIngress"), or a verb for non-AWS changes
	// ("ticket:create").
	Action string `json:"action"`
	// Resource is the identifier (ARN where there is one) of what changes.
	Resource string `json:"resource"`
	// Description says what happens, for a person reviewing the plan.
	Description string `json:"description"`
	// Params are the exact API parameters, as JSON.
	Params json.RawMessage `json:"params,omitempty"`
}

// Equal reports whether c and o describe the same change: the same action on
// the same resource with semantically equal parameters. IDs and descriptions
// are not compared.
func (c Change) Equal(o Change) bool {
	if c.Action != o.Action || c.Resource != o.Resource {
		return false
	}
	return jsonEqual(c.Params, o.Params)
}

func jsonEqual(a, b json.RawMessage) bool {
	if len(bytes.TrimSpace(a)) == 0 || len(bytes.TrimSpace(b)) == 0 {
		return len(bytes.TrimSpace(a)) == len(bytes.TrimSpace(b))
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	ca, _ := json.Marshal(va)
	cb, _ := json.Marshal(vb)
	return bytes.Equal(ca, cb)
}

// Covers reports whether every change of q is also a change of p (see
// [Change.Equal]). The engine uses it after an approval: a plan made again
// against live state is applied only when the approved plan covers it.
func (p *Plan) Covers(q *Plan) bool {
	for _, c := range q.Changes {
		if !slices.ContainsFunc(p.Changes, c.Equal) {
			return false
		}
	}
	return true
}

// String renders the plan for a person: the summary, then one line per change.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan %s by %s for finding %s", p.ID, p.Remediator, p.Finding.ID())
	if p.Finding.AccountUID != "" || p.Finding.Region != "" {
		fmt.Fprintf(&b, " (%s/%s)", p.Finding.AccountUID, p.Finding.Region)
	}
	b.WriteString("\n")
	if p.Summary != "" {
		fmt.Fprintf(&b, "  %s\n", p.Summary)
	}
	if p.Destructive {
		b.WriteString("  destructive: yes\n")
	}
	if e := p.Effect.resolved(); e != EffectResolve {
		fmt.Fprintf(&b, "  effect: %s (the finding is not marked Resolved)\n", e)
	}
	for i, c := range p.Changes {
		fmt.Fprintf(&b, "  %d. %s %s: %s\n", i+1, c.Action, c.Resource, c.Description)
	}
	return b.String()
}

// Validate reports the first structural problem of a plan made by a
// remediator: no changes, a change without ID or action, duplicate change IDs,
// Data that is not JSON, or an unknown [Effect].
func (p *Plan) Validate() error {
	if len(p.Changes) == 0 {
		return errors.New("remediate: plan has no changes")
	}
	if !p.Effect.valid() {
		return fmt.Errorf("remediate: plan effect %q is not resolve, notify or none", string(p.Effect))
	}
	seen := make(map[string]bool, len(p.Changes))
	for i, c := range p.Changes {
		if c.ID == "" || c.Action == "" {
			return fmt.Errorf("remediate: plan change %d has no id or action", i)
		}
		if seen[c.ID] {
			return fmt.Errorf("remediate: plan change id %q is not unique", c.ID)
		}
		seen[c.ID] = true
		if len(c.Params) > 0 && !json.Valid(c.Params) {
			return fmt.Errorf("remediate: plan change %q params are not JSON", c.ID)
		}
	}
	if len(p.Data) > 0 && !json.Valid(p.Data) {
		return errors.New("remediate: plan data is not JSON")
	}
	return nil
}

// OutcomeStatus says what happened to one change when a plan was applied.
type OutcomeStatus string

// Outcome statuses.
const (
	// OutcomeApplied means the change was made by this Apply call.
	OutcomeApplied OutcomeStatus = "applied"
	// OutcomeAlreadyDone means live state already had the change (an earlier,
	// possibly interrupted, Apply or someone else made it).
	OutcomeAlreadyDone OutcomeStatus = "already-done"
	// OutcomeSkipped means the change was deliberately not made (for example
	// the resource no longer exists); Detail says why.
	OutcomeSkipped OutcomeStatus = "skipped"
)

// Outcome is the result of one [Change].
type Outcome struct {
	Change string        `json:"change"`
	Status OutcomeStatus `json:"status"`
	Detail string        `json:"detail,omitempty"`
}

// Result reports what [Remediator.Apply] did.
type Result struct {
	// PlanID and Remediator are filled by the engine when empty.
	PlanID     string `json:"plan_id"`
	Remediator string `json:"remediator"`
	// Summary is one human-readable line.
	Summary string `json:"summary,omitempty"`
	// Outcomes has one entry per change of the plan, in plan order.
	Outcomes []Outcome `json:"outcomes"`
	// Data is remediator-private output (for example a ticket id or the state
	// needed to roll back).
	Data json.RawMessage `json:"data,omitempty"`
	// CompletedAt is when Apply returned.
	CompletedAt time.Time `json:"completed_at,omitzero"`
}

// Applied returns how many changes this Apply call made (status
// [OutcomeApplied]); an idempotent second Apply returns 0.
func (r *Result) Applied() int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Status == OutcomeApplied {
			n++
		}
	}
	return n
}

// Resource is a resource a plan changes, as named in the finding.
type Resource struct {
	// Type is the CloudFormation type ("AWS::EC2::Instance").
	Type string `json:"type,omitempty"`
	// UID is the resource's id as the finding gives it (resources[].uid:
	// often the bare id, "i-0abc…").
	UID string `json:"uid"`
	// ARN is the resource's ARN when the finding gives one (uid or uid_alt).
	ARN        string `json:"arn,omitempty"`
	Name       string `json:"name,omitempty"`
	Region     string `json:"region,omitempty"`
	AccountUID string `json:"account_uid,omitempty"`
}

// ResourcesOf returns the finding's resources (OCSF resources[]), filling a
// resource's account and region from the finding's cloud object when the
// resource does not name them.
func ResourcesOf(f ocsf.Finding) []Resource {
	s := f.Summary()
	out := make([]Resource, 0, len(s.Resources))
	for _, r := range s.Resources {
		res := Resource{Type: r.Type, UID: r.UID, Name: r.Name, Region: r.Region, AccountUID: r.AccountUID}
		if arn, ok := r.ARN(); ok {
			res.ARN = arn.String()
		}
		if res.Region == "" {
			res.Region = s.Region
		}
		if res.AccountUID == "" {
			res.AccountUID = s.AccountUID
		}
		out = append(out, res)
	}
	return out
}

// FindingRef identifies a finding and carries the few attributes the engine,
// the journal and remediators need without the whole finding.
type FindingRef struct {
	// MetadataUID is metadata.uid (Security Hub's finding id).
	MetadataUID string `json:"metadata_uid,omitempty"`
	// AccountUID is cloud.account.uid.
	AccountUID string `json:"account_uid,omitempty"`
	// FindingUID is finding_info.uid.
	FindingUID string `json:"finding_uid,omitempty"`
	// ProductUID is metadata.product.uid.
	ProductUID string `json:"product_uid,omitempty"`
	// Region is cloud.region.
	Region string `json:"region,omitempty"`
	// ClassUID is class_uid.
	ClassUID int32 `json:"class_uid,omitempty"`
	// Title is finding_info.title.
	Title string `json:"title,omitempty"`
	// SeverityID is severity_id.
	SeverityID int32 `json:"severity_id,omitempty"`
	// ProductName is metadata.product.name.
	ProductName string `json:"product_name,omitempty"`
	// ModifiedTime is the finding's generation: finding_info.modified_time,
	// else finding_info.last_seen_time, else time.
	ModifiedTime time.Time `json:"modified_time,omitzero"`
	// StatusID is status_id, the workflow status (1 New, 2 In Progress,
	// 3 Suppressed, 4 Resolved, 5 Archived...).
	StatusID int32 `json:"status_id,omitempty"`
	// CommentDigest identifies the top-level comment: 16 hex digits of its
	// SHA-256, "" when there is none. The comment itself stays in the
	// finding.
	CommentDigest string `json:"comment_digest,omitempty"`
}

// RefOf builds the [FindingRef] of a finding.
func RefOf(f ocsf.Finding) FindingRef {
	s := f.Summary()
	gen := s.ModifiedTime
	if gen.IsZero() {
		gen = s.LastSeenTime
	}
	if gen.IsZero() {
		gen = s.Time
	}
	return FindingRef{
		MetadataUID:   s.MetadataUID,
		AccountUID:    s.AccountUID,
		FindingUID:    s.UID,
		ProductUID:    s.ProductUID,
		Region:        s.Region,
		ClassUID:      int32(s.ClassUID),
		Title:         s.Title,
		SeverityID:    int32(s.SeverityID),
		ProductName:   s.ProductName,
		ModifiedTime:  gen.UTC(),
		StatusID:      s.StatusID,
		CommentDigest: commentDigest(commentOf(f)),
	}
}

// commentOf returns the finding's top-level comment (what
// BatchUpdateFindingsV2 sets).
func commentOf(f ocsf.Finding) string {
	switch x := f.(type) {
	case *ocsf.VulnerabilityFinding:
		return x.Comment
	case *ocsf.ComplianceFinding:
		return x.Comment
	case *ocsf.DetectionFinding:
		return x.Comment
	case *ocsf.IncidentFinding:
		return x.Comment
	case *ocsf.DataSecurityFinding:
		return x.Comment
	case *ocsf.ApplicationSecurityPostureFinding:
		return x.Comment
	case *ocsf.IAMAnalysisFinding:
		return x.Comment
	case *ocsf.OtherEvent:
		c, _, _ := findingAnnotations(x.Raw)
		return c
	}
	// Security Finding (2001) has no comment attribute; the lossless
	// encoding keeps one if the producer sent it.
	raw, err := f.MarshalJSON()
	if err != nil {
		return ""
	}
	c, _, _ := findingAnnotations(raw)
	return c
}

// commentDigest returns 16 hex digits of the SHA-256 of a comment, or "".
func commentDigest(c string) string {
	if c == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(c))
	return hex.EncodeToString(sum[:8])
}

// ID returns the finding's stable identity: metadata.uid when present,
// otherwise "account|product|finding_info.uid". The journal is indexed by it.
func (r FindingRef) ID() string {
	if r.MetadataUID != "" {
		return r.MetadataUID
	}
	return r.AccountUID + "|" + r.ProductUID + "|" + r.FindingUID
}

// Key returns the identifiers BatchUpdateFindingsV2 takes.
func (r FindingRef) Key() ocsf.FindingKey {
	return ocsf.FindingKey{MetadataUID: r.MetadataUID, CloudAccountUID: r.AccountUID, FindingInfoUID: r.FindingUID, ProductUID: r.ProductUID}
}
