package remediate

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// StatusID is an OCSF finding status_id, as BatchUpdateFindingsV2 takes it.
//
// The findings classes define 0 Unknown, 1 New, 2 In Progress,
// 3 Suppressed, 4 Resolved, 5 Archived, 6 Deleted and 99 Other;
// BatchUpdateFindingsV2 accepts 0, 1, 2, 3, 4, 5 and 99 (not 6). The engine
// writes New, In Progress and Resolved (see [Effect]), and leaves any other
// status a person set as it is.
type StatusID int32

// Finding statuses.
const (
	StatusUnknown    StatusID = 0
	StatusNew        StatusID = 1
	StatusInProgress StatusID = 2
	StatusSuppressed StatusID = 3
	StatusResolved   StatusID = 4
	StatusArchived   StatusID = 5
	// StatusDeleted is set by Security Hub; BatchUpdateFindingsV2 cannot set
	// it.
	StatusDeleted StatusID = 6
	StatusOther   StatusID = 99
)

// String returns the OCSF caption of the status.
func (s StatusID) String() string {
	switch s {
	case StatusUnknown:
		return "Unknown"
	case StatusNew:
		return "New"
	case StatusInProgress:
		return "In Progress"
	case StatusSuppressed:
		return "Suppressed"
	case StatusResolved:
		return "Resolved"
	case StatusArchived:
		return "Archived"
	case StatusDeleted:
		return "Deleted"
	default:
		return "Other"
	}
}

// Stage says when the engine writes a [StatusUpdate].
type Stage string

// Stages of a write-back.
const (
	// StageApplying: before Apply ([EffectResolve] only).
	StageApplying Stage = "applying"
	// StageApplied: after Apply succeeded.
	StageApplied Stage = "applied"
	// StageFailed: after Apply failed permanently ([EffectResolve] only).
	StageFailed Stage = "failed"
)

// MaxCommentLen is the longest comment BatchUpdateFindingsV2 accepts.
const MaxCommentLen = 512

// StatusUpdate is one write-back to Security Hub.
type StatusUpdate struct {
	// Finding identifies the finding ([FindingRef.Key] gives the
	// BatchUpdateFindingsV2 identifiers).
	Finding FindingRef `json:"finding"`
	// StatusID is the new status_id.
	StatusID StatusID `json:"status_id"`
	// Comment is at most [MaxCommentLen] bytes and starts with the engine's
	// marker naming the plan ("[ocsfhub plan=p-…] …"), which is how the engine
	// recognises the Findings Imported V2 event its own update causes.
	Comment string `json:"comment"`
	// PlanID is the plan the update is about.
	PlanID string `json:"plan_id"`
	// Remediator is the name of the remediator that made the plan.
	Remediator string `json:"remediator,omitempty"`
	// Effect is the plan's [Effect] (the engine never leaves it empty).
	Effect Effect `json:"effect,omitempty"`
	// Stage is when the update is written: before Apply, after it, or after
	// a permanent failure.
	Stage Stage `json:"stage,omitempty"`
	// Text is what the comment reports, without the engine's marker and
	// label: the plan's summary (before Apply), the result's summary (after)
	// or the error (after a failure). The comment reads
	// "[<marker> plan=<id>] <label> (<remediator>): <text>", with the label
	// "In progress", "Resolved", "Notified" or "Remediation failed"; it is
	// for people, and [StatusUpdate.Remediated] and the fields above are for
	// programs.
	Text string `json:"text,omitempty"`
}

// Remediated reports whether the update says the finding was fixed: a
// plan with [EffectResolve] was applied. Writers that act on fixes (closing
// the finding's ticket, for example) test this rather than parse Comment.
func (u StatusUpdate) Remediated() bool {
	return u.Stage == StageApplied && u.Effect.resolved() == EffectResolve && u.StatusID == StatusResolved
}

// StatusWriter writes a finding's status and comment back to Security Hub.
// The AWS implementation calls BatchUpdateFindingsV2 (IAM action
// securityhub:BatchUpdateFindings) and must treat UnprocessedFindings as an
// error; errors are classified with [Classify] and transient ones are retried.
//
// What the engine writes depends on the plan's [Effect]. For a plan that
// fixes the finding ([EffectResolve], the default) it writes
// [StatusInProgress] before applying, [StatusResolved] after success, and
// [StatusNew] with the error after a permanent failure. For a ticket or a
// notification ([EffectNotify]) it writes once, after success:
// [StatusInProgress] when the finding was New or Unknown, otherwise the
// status the finding had, with a comment naming the outcome. For
// [EffectNone] it writes nothing. Each update carries the remediator, the
// effect and the [Stage], so a writer never needs to parse the comment.
//
// Write-back failures are journaled and never stop a remediation.
// WriteStatus must be safe for concurrent use and idempotent (the engine
// may repeat an update after a crash).
type StatusWriter interface {
	WriteStatus(ctx context.Context, u StatusUpdate) error
}

// StatusWriterFunc adapts a function to [StatusWriter].
type StatusWriterFunc func(ctx context.Context, u StatusUpdate) error

// WriteStatus calls f(ctx, u).
func (f StatusWriterFunc) WriteStatus(ctx context.Context, u StatusUpdate) error { return f(ctx, u) }

// TagReader reads the live tags of a resource, for tag exclusions. The AWS
// implementation uses the resource's account and region (for example
// tag:GetResources or ec2:DescribeTags through an assumed role).
//
// Tags returns the resource's tags (nil or empty when it has none). An error
// means the tags are unknown: the engine then fails closed for destructive
// plans (skips them) and proceeds for the others, journaling the error.
// Tags must be safe for concurrent use.
type TagReader interface {
	Tags(ctx context.Context, r Resource) (map[string]string, error)
}

// TagReaderFunc adapts a function to [TagReader].
type TagReaderFunc func(ctx context.Context, r Resource) (map[string]string, error)

// Tags calls f(ctx, r).
func (f TagReaderFunc) Tags(ctx context.Context, r Resource) (map[string]string, error) {
	return f(ctx, r)
}

// comment builds a write-back comment: the marker naming the plan, then text,
// truncated on a rune boundary to MaxCommentLen bytes.
func comment(marker, planID, text string) string {
	return truncateUTF8("["+marker+" plan="+planID+"] "+text, MaxCommentLen)
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// planFromComment returns the plan id in a comment written by the engine with
// the given marker.
func planFromComment(marker, c string) (string, bool) {
	prefix := "[" + marker + " plan="
	i := strings.Index(c, prefix)
	if i < 0 {
		return "", false
	}
	rest := c[i+len(prefix):]
	j := strings.IndexByte(rest, ']')
	if j <= 0 {
		return "", false
	}
	return rest[:j], true
}

// findingAnnotations reads the top-level comment and status_id of a raw
// finding.
func findingAnnotations(raw []byte) (comment string, status StatusID, ok bool) {
	if !bytes.Contains(raw, []byte(`"comment"`)) {
		return "", 0, false // the common case: no comment, no full decode
	}
	var v struct {
		Comment  *string `json:"comment"`
		StatusID *int32  `json:"status_id"`
	}
	if json.Unmarshal(raw, &v) != nil || v.Comment == nil {
		return "", 0, false
	}
	if v.StatusID != nil {
		status = StatusID(*v.StatusID)
	}
	return *v.Comment, status, true
}

// isOwnUpdate reports whether a finding is the re-import caused by one of our
// own write-backs: its comment carries our marker and the id of a plan, and
// the journal holds a write-back of that plan for the same finding with the
// same status and the same comment, made when the finding had the same
// severity; and the finding's generation is not newer than that write-back
// (plus skew). BatchUpdateFindingsV2 changes status_id, severity_id and
// comment only, so a re-import that differs from our write in any of them was
// changed by someone else since, and is theirs to route. It does not change
// finding_info.modified_time, so normally the generation is older than the
// write; the skew tolerates a service that stamps the update time instead.
func isOwnUpdate(recs []Record, ref FindingRef, status StatusID, comment string, skew time.Duration) (Record, bool) {
	for _, r := range recs {
		if r.Decision != DecisionStatus || r.Status == nil {
			continue
		}
		u := r.Status
		if u.Finding.ID() != ref.ID() || u.StatusID != status {
			continue
		}
		if strings.TrimSpace(u.Comment) != strings.TrimSpace(comment) || u.Finding.SeverityID != ref.SeverityID {
			continue
		}
		if !ref.ModifiedTime.IsZero() && ref.ModifiedTime.After(r.Time.Add(skew)) {
			continue
		}
		return r, true
	}
	return Record{}, false
}
