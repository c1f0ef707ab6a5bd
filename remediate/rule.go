package remediate

import (
	"fmt"
	"slices"
	"time"
)

// Mode is a rule's safety mode.
type Mode int

// Modes. The zero value is [ModeDryRun]: nothing is changed unless a rule
// says so.
const (
	// ModeDryRun plans and records the plan; nothing is applied and nothing is
	// written back to Security Hub.
	ModeDryRun Mode = iota
	// ModeApproval plans and stores the plan as a pending [Approval]; a person
	// approves or denies it (Go API or HTTP). On approval the engine plans
	// again against live state and applies only if the approved plan covers
	// the new one.
	ModeApproval
	// ModeAutomatic plans and applies, within the blast-radius limits.
	ModeAutomatic
)

// String returns "dry-run", "approval" or "automatic".
func (m Mode) String() string {
	switch m {
	case ModeDryRun:
		return "dry-run"
	case ModeApproval:
		return "approval"
	case ModeAutomatic:
		return "automatic"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// MarshalText encodes the mode as its String.
func (m Mode) MarshalText() ([]byte, error) {
	if m < ModeDryRun || m > ModeAutomatic {
		return nil, fmt.Errorf("remediate: invalid mode %d", int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText decodes "dry-run", "approval" or "automatic".
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ParseMode parses "dry-run" (also "dryrun"), "approval" or "automatic"
// (also "auto").
func ParseMode(s string) (Mode, error) {
	switch s {
	case "dry-run", "dryrun":
		return ModeDryRun, nil
	case "approval":
		return ModeApproval, nil
	case "automatic", "auto":
		return ModeAutomatic, nil
	}
	return 0, fmt.Errorf("remediate: unknown mode %q (want dry-run, approval or automatic)", s)
}

// Rule routes matching findings to a remediator.
type Rule struct {
	// Name identifies the rule in the journal and in approvals; unique.
	Name string
	// Pattern is an EventBridge event pattern (JSON) over the bare OCSF
	// finding, as it appears in detail.findings[] of a Findings Imported V2
	// event: {"severity_id":[{"numeric":[">=",4]}],"class_uid":[2004]}.
	// Empty matches every finding. [EventPattern] turns it into the pattern of
	// an AWS EventBridge rule, so the same filter can run in AWS.
	Pattern string
	// Remediator acts on matching findings.
	Remediator Remediator
	// Mode is dry-run (the zero value), approval or automatic.
	Mode Mode
	// Exclude lists accounts, regions and resource tags the rule never acts
	// on, in addition to [Options.Exclude].
	Exclude Exclusions
}

// Exclusions say which findings and resources are never acted on.
type Exclusions struct {
	// Accounts are AWS account ids (cloud.account.uid, and each resource's
	// account).
	Accounts []string `json:"accounts,omitempty"`
	// Regions are region names (cloud.region, and each resource's region).
	Regions []string `json:"regions,omitempty"`
	// Tags exclude resources carrying a tag; tags are read live through the
	// [TagReader].
	Tags []TagMatch `json:"tags,omitempty"`
}

// TagMatch matches a resource tag: the key with any value when Values is
// empty, or the key with one of Values.
type TagMatch struct {
	Key    string   `json:"key"`
	Values []string `json:"values,omitempty"`
}

// matches reports whether tags contain the tag.
func (t TagMatch) matches(tags map[string]string) bool {
	v, ok := tags[t.Key]
	if !ok {
		return false
	}
	return len(t.Values) == 0 || slices.Contains(t.Values, v)
}

// String renders "key" or "key=v1|v2".
func (t TagMatch) String() string {
	if len(t.Values) == 0 {
		return t.Key
	}
	s := t.Key + "="
	for i, v := range t.Values {
		if i > 0 {
			s += "|"
		}
		s += v
	}
	return s
}

func (x Exclusions) merge(y Exclusions) Exclusions {
	return Exclusions{
		Accounts: append(slices.Clone(x.Accounts), y.Accounts...),
		Regions:  append(slices.Clone(x.Regions), y.Regions...),
		Tags:     append(slices.Clone(x.Tags), y.Tags...),
	}
}

// excludedScope reports whether the account or region is excluded.
func (x Exclusions) excludedScope(account, region string) (string, bool) {
	if account != "" && slices.Contains(x.Accounts, account) {
		return "account " + account + " is excluded", true
	}
	if region != "" && slices.Contains(x.Regions, region) {
		return "region " + region + " is excluded", true
	}
	return "", false
}

// Limit caps actions in a sliding time window. Max 0 means "use the
// default"; a negative Max means unlimited.
type Limit struct {
	Max    int           `json:"max"`
	Window time.Duration `json:"window"`
}

// Limits are the blast-radius limits: how many plans may be applied per
// window, overall and per remediator. They count applies, automatic and
// approved; a plan over the limit in automatic mode is turned into a pending
// approval (reason "blast-radius limit"), and approving over the limit is
// refused until the window frees up.
type Limits struct {
	// Overall caps all applies. Zero value: 20 per 10 minutes.
	Overall Limit `json:"overall"`
	// Remediator is the default cap per remediator. Zero value: 10 per
	// 10 minutes.
	Remediator Limit `json:"remediator"`
	// PerRemediator overrides Remediator by remediator name.
	PerRemediator map[string]Limit `json:"per_remediator,omitempty"`
}

// Default limits, the safety belt when [Options.Limits] is zero.
const (
	defaultOverallMax    = 20
	defaultRemediatorMax = 10
	defaultLimitWindow   = 10 * time.Minute
)

func (l Limit) orDefault(d Limit) Limit {
	if l.Max == 0 {
		return d
	}
	if l.Window <= 0 {
		l.Window = d.Window
	}
	return l
}
