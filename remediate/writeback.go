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
type StatusID int32

// Finding statuses the engine writes back.
const (
	StatusNew        StatusID = 1
	StatusInProgress StatusID = 2
	StatusSuppressed StatusID = 3
	StatusResolved   StatusID = 4
)

// String returns the OCSF caption of the status.
func (s StatusID) String() string {
	switch s {
	case 0:
		return "Unknown"
	case StatusNew:
		return "New"
	case StatusInProgress:
		return "In Progress"
	case StatusSuppressed:
		return "Suppressed"
	case StatusResolved:
		return "Resolved"
	case 5:
		return "Archived"
	default:
		return "Other"
	}
}

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
}

// StatusWriter writes a finding's status and comment back to Security Hub.
// The AWS implementation calls BatchUpdateFindingsV2 (IAM action
// securityhub:BatchUpdateFindings) and must treat UnprocessedFindings as an
// error; errors are classified with [Classify] and transient ones are retried.
//
// The engine writes [StatusInProgress] before applying a plan,
// [StatusResolved] after success, and [StatusNew] with the error after a
// permanent failure. Write-back failures are journaled and never stop a
// remediation. WriteStatus must be safe for concurrent use and idempotent
// (the engine may repeat an update after a crash).
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
	c := "[" + marker + " plan=" + planID + "] " + text
	if len(c) <= MaxCommentLen {
		return c
	}
	c = c[:MaxCommentLen]
	for len(c) > 0 && !utf8.ValidString(c) {
		c = c[:len(c)-1]
	}
	return c
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
// own write-backs: its comment carries our marker and the id of a plan, the
// journal holds a write-back of that plan for the same finding with the same
// status, and the finding's generation is not newer than that write-back (plus
// skew). BatchUpdateFindingsV2 does not change finding_info.modified_time, so
// normally the generation is older than the write; the skew tolerates a
// service that stamps the update time instead.
func isOwnUpdate(recs []Record, ref FindingRef, status StatusID, skew time.Duration) (Record, bool) {
	for _, r := range recs {
		if r.Decision != DecisionStatus || r.Status == nil {
			continue
		}
		if r.Status.Finding.ID() != ref.ID() || r.Status.StatusID != status {
			continue
		}
		if !ref.ModifiedTime.IsZero() && ref.ModifiedTime.After(r.Time.Add(skew)) {
			continue
		}
		return r, true
	}
	return Record{}, false
}
