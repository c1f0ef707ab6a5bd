package ticket

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// DedupKey returns the deduplication key of a finding: prefix followed by
// 32 hex digits of a SHA-256 over the finding's identity, metadata.uid when
// it has one, else cloud.account.uid, finding_info.uid and
// metadata.product.uid together (what [ocsf.Summary.Key] returns). The same
// finding gives the same key in every generation. It returns "" when the
// key identifies nothing.
//
// The key is the Jira label, the ServiceNow correlation_id, the PagerDuty
// dedup_key, the Slack message metadata and the webhook idempotency key.
func DedupKey(prefix string, k ocsf.FindingKey) string {
	var id string
	switch {
	case k.MetadataUID != "":
		id = "m\x00" + k.MetadataUID
	case k.HasIdentifier():
		id = "i\x00" + k.CloudAccountUID + "\x00" + k.FindingInfoUID + "\x00" + k.ProductUID
	default:
		return ""
	}
	sum := sha256.Sum256([]byte("ocsf-finding\x00" + id))
	return prefix + hex.EncodeToString(sum[:16])
}

// generation names a finding generation: its modified time (see
// [remediate.RefOf]) in Unix milliseconds.
func generation(ref remediate.FindingRef) string {
	if ref.ModifiedTime.IsZero() {
		return "g0"
	}
	return "g" + strconv.FormatInt(ref.ModifiedTime.UnixMilli(), 10)
}

// view is what tickets show of a finding.
type view struct {
	Key        string
	Gen        string
	Ref        remediate.FindingRef
	Severity   string
	StatusID   int32
	Status     string
	ClassName  string
	Types      []string
	Desc       string
	Comment    string
	Resources  []remediate.Resource
	RemDesc    string
	References []string
	URL        string
	// Note is the reason given to Resolve.
	Note string
}

// Bounds on what a ticket shows.
const (
	maxDesc      = 4000
	maxResources = 20
	maxRefs      = 10
	maxLine      = 500
)

// findingExtras are attributes the Summary does not carry.
type findingExtras struct {
	Comment     string `json:"comment"`
	FindingInfo struct {
		Desc string `json:"desc"`
	} `json:"finding_info"`
	Finding struct { // Security Finding (2001)
		Desc string `json:"desc"`
	} `json:"finding"`
	Remediation struct {
		Desc       string   `json:"desc"`
		References []string `json:"references"`
	} `json:"remediation"`
}

func (r *Remediator) viewOf(f ocsf.Finding) *view {
	s := f.Summary()
	ref := remediate.RefOf(f)
	v := &view{
		Key: DedupKey(r.opts.KeyPrefix, s.Key()), Gen: generation(ref), Ref: ref,
		Severity: severityName(s.SeverityID, s.Severity), StatusID: s.StatusID, Status: s.Status,
		ClassName: s.ClassName, Types: s.Types, Resources: remediate.ResourcesOf(f),
	}
	if v.Status == "" {
		v.Status = remediate.StatusID(s.StatusID).String()
	}
	if raw, err := f.MarshalJSON(); err == nil {
		var x findingExtras
		if json.Unmarshal(raw, &x) == nil {
			v.Comment = x.Comment
			v.Desc = x.FindingInfo.Desc
			if v.Desc == "" {
				v.Desc = x.Finding.Desc
			}
			v.RemDesc = x.Remediation.Desc
			v.References = x.Remediation.References
		}
	}
	if r.opts.FindingURL != nil {
		v.URL = r.opts.FindingURL(ref)
	}
	return v
}

// viewOfRef is the view of a finding known only by its reference.
func (r *Remediator) viewOfRef(ref remediate.FindingRef, note string) *view {
	v := &view{
		Key: DedupKey(r.opts.KeyPrefix, ref.Key()), Gen: generation(ref), Ref: ref,
		Severity: severityName(ocsf.SeverityID(ref.SeverityID), ""), Note: note,
	}
	if r.opts.FindingURL != nil {
		v.URL = r.opts.FindingURL(ref)
	}
	return v
}

func severityName(id ocsf.SeverityID, given string) string {
	if id.Known() && id != ocsf.SeverityIDOther {
		return id.String()
	}
	if given != "" {
		return given
	}
	return id.String()
}

// title is the one-line summary of a finding:
// "[HIGH] GuardDuty: <title> (111122223333/us-east-1)".
func (v *view) title() string {
	t := v.Ref.Title
	if t == "" && len(v.Types) > 0 {
		t = v.Types[len(v.Types)-1]
	}
	if t == "" {
		t = v.Ref.FindingUID
	}
	if t == "" {
		t = "Security finding"
	}
	var b strings.Builder
	if v.Severity != "" {
		b.WriteString("[" + strings.ToUpper(v.Severity) + "] ")
	}
	if v.Ref.ProductName != "" {
		b.WriteString(v.Ref.ProductName + ": ")
	}
	b.WriteString(t)
	switch {
	case v.Ref.AccountUID != "" && v.Ref.Region != "":
		b.WriteString(" (" + v.Ref.AccountUID + "/" + v.Ref.Region + ")")
	case v.Ref.AccountUID != "":
		b.WriteString(" (" + v.Ref.AccountUID + ")")
	}
	return oneLine(b.String(), maxLine)
}

// marker is the text that records a generation in a ticket.
func (v *view) marker() string { return "[" + v.Key + " " + v.Gen + "]" }

// resolveMarker records the resolution of a generation.
func (v *view) resolveMarker() string { return "[" + v.Key + " resolved " + v.Gen + "]" }

// oneLine returns s on one line (control characters and line breaks become
// spaces, runs of spaces one space) of at most n bytes, cut on a rune
// boundary with "…".
func oneLine(s string, n int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return truncate(b.String(), n)
}

// truncate cuts s to at most n bytes on a rune boundary, ending with "…"
// when cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ell = "…"
	if n <= len(ell) {
		return ""
	}
	s = s[:n-len(ell)]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + ell
}

// block is a rendering-neutral ticket text, an ordered list of parts,
// rendered as plain text (ServiceNow, webhooks), Atlassian Document Format
// (Jira) and Slack mrkdwn.
type block struct {
	Parts  []part
	Link   string
	Marker string
}

// part is a paragraph (Text), a run of "label: value" lines (Fields) or a
// titled bullet list (Title and Items).
type part struct {
	Text   string
	Fields [][2]string
	Title  string
	Items  []string
}

func (b *block) para(s string) {
	s = strings.TrimSpace(s)
	if s != "" {
		b.Parts = append(b.Parts, part{Text: truncate(s, maxDesc)})
	}
}

func (b *block) field(label, value string) {
	value = oneLine(value, maxLine)
	if value == "" {
		return
	}
	if n := len(b.Parts); n > 0 && b.Parts[n-1].Fields != nil {
		b.Parts[n-1].Fields = append(b.Parts[n-1].Fields, [2]string{label, value})
		return
	}
	b.Parts = append(b.Parts, part{Fields: [][2]string{{label, value}}})
}

func (b *block) list(title string, items []string) {
	if len(items) > 0 {
		b.Parts = append(b.Parts, part{Title: title, Items: items})
	}
}

// descriptionBlock is the body of a new ticket.
func (v *view) descriptionBlock() *block {
	b := &block{}
	b.para(v.Desc)
	v.fields(b)
	b.list("Resources", v.resourceItems())
	if v.RemDesc != "" {
		b.para("Remediation: " + v.RemDesc)
	}
	b.list("References", v.referenceItems())
	if v.Comment != "" {
		b.para("Security Hub comment: " + v.Comment)
	}
	b.Link = v.URL
	b.Marker = v.marker()
	return b
}

func (v *view) fields(b *block) {
	b.field("Severity", v.Severity)
	b.field("Status", v.Status)
	b.field("Class", v.ClassName)
	b.field("Types", strings.Join(v.Types, ", "))
	b.field("Product", v.Ref.ProductName)
	b.field("Account", v.Ref.AccountUID)
	b.field("Region", v.Ref.Region)
	b.field("Finding", v.Ref.FindingUID)
	b.field("Finding ID", v.Ref.MetadataUID)
	if !v.Ref.ModifiedTime.IsZero() {
		b.field("Last modified", v.Ref.ModifiedTime.UTC().Format(time.RFC3339))
	}
}

// updateBlock is the comment for a new generation of the finding.
func (v *view) updateBlock() *block {
	b := &block{}
	when := ""
	if !v.Ref.ModifiedTime.IsZero() {
		when = " (last modified " + v.Ref.ModifiedTime.UTC().Format(time.RFC3339) + ")"
	}
	b.para("The finding was updated" + when + ".")
	b.field("Severity", v.Severity)
	b.field("Status", v.Status)
	if v.Comment != "" {
		b.para("Security Hub comment: " + v.Comment)
	}
	b.Marker = v.marker()
	return b
}

// resolveBlock is the closing note.
func (v *view) resolveBlock() *block {
	b := &block{}
	switch {
	case v.Note != "":
		b.para("Resolved: " + v.Note)
	case v.Status != "":
		b.para("The finding is now " + v.Status + "; resolving.")
	default:
		b.para("The finding was resolved.")
	}
	if v.Comment != "" {
		b.para("Security Hub comment: " + v.Comment)
	}
	b.Marker = v.resolveMarker()
	return b
}

func (v *view) resourceItems() []string {
	var out []string
	for i, r := range v.Resources {
		if i == maxResources {
			out = append(out, strconv.Itoa(len(v.Resources)-maxResources)+" more")
			break
		}
		s := strings.TrimSpace(r.Type + " " + r.UID)
		if r.ARN != "" && r.ARN != r.UID {
			s += " (" + r.ARN + ")"
		}
		if s = oneLine(s, maxLine); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (v *view) referenceItems() []string {
	var out []string
	for _, r := range v.References {
		if len(out) == maxRefs {
			break
		}
		if r = oneLine(r, maxLine); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// text renders b as plain text.
func (b *block) text() string {
	var parts []string
	for _, p := range b.Parts {
		switch {
		case p.Fields != nil:
			lines := make([]string, len(p.Fields))
			for i, f := range p.Fields {
				lines[i] = f[0] + ": " + f[1]
			}
			parts = append(parts, strings.Join(lines, "\n"))
		case p.Items != nil:
			parts = append(parts, p.Title+":\n- "+strings.Join(p.Items, "\n- "))
		default:
			parts = append(parts, p.Text)
		}
	}
	if b.Link != "" {
		parts = append(parts, "Link: "+b.Link)
	}
	if b.Marker != "" {
		parts = append(parts, "ref: "+b.Marker)
	}
	return strings.Join(parts, "\n\n")
}
