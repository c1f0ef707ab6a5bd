package eventbridge

import (
	"fmt"
	"math"
	"unicode/utf16"
	"unicode/utf8"
)

// EventBridge's limits on event patterns.
const (
	// DefaultPatternSizeQuota is the default "Event pattern size" quota, in
	// characters. It is adjustable (through Service Quotas) up to
	// MaxPatternSize; [Pattern.Warnings] reports larger patterns.
	DefaultPatternSizeQuota = 2048
	// MaxPatternSize is the largest pattern EventBridge accepts, in
	// characters; [ParsePattern] and [Pattern.Validate] reject larger ones.
	MaxPatternSize = 4096
	// MaxOrCombinations is the largest number of combinations the $or keys
	// of one pattern may expand to (see [Pattern.Combinations]).
	MaxOrCombinations = 1000
	// NumericLimit bounds the numbers EventBridge documents for numeric
	// matching (-5.0e9 to +5.0e9 inclusive); [Pattern.Warnings] reports
	// numeric operands outside it.
	NumericLimit = 5e9
)

// Size returns the length of p's compact rendering ([Pattern.MarshalJSON]),
// counted as EventBridge counts characters (UTF-16 code units, so a
// character outside the Basic Multilingual Plane counts twice), or -1 if p
// is malformed.
func (p *Pattern) Size() int {
	b, err := p.MarshalJSON()
	if err != nil {
		return -1
	}
	return utf16Len(b)
}

func utf16Len(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if utf16.RuneLen(r) == 2 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// Combinations returns the number of alternatives p expands to when every
// $or is distributed over the rest of the pattern, the count EventBridge
// limits to [MaxOrCombinations]. It is counted as Event Ruler counts its
// sub-rules: an object multiplies the counts of its nested objects and of
// its $or, and a $or adds up the counts of its branches. A pattern without
// $or has one combination. The count saturates at math.MaxInt32.
func (p *Pattern) Combinations() int {
	if p == nil {
		return 0
	}
	n := 1
	for _, f := range p.Fields {
		if f.Pattern != nil {
			n = satMul(n, f.Pattern.Combinations())
		}
	}
	if len(p.Or) > 0 {
		s := 0
		for _, b := range p.Or {
			s = satAdd(s, b.Combinations())
		}
		n = satMul(n, s)
	}
	return n
}

func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt32/b {
		return math.MaxInt32
	}
	return a * b
}

func satAdd(a, b int) int {
	if a > math.MaxInt32-b {
		return math.MaxInt32
	}
	return a + b
}

// checkLimits enforces the hard limits on a structurally valid pattern.
func (p *Pattern) checkLimits() error {
	if n := p.Size(); n > MaxPatternSize {
		return &LimitError{Limit: ErrPatternTooLarge, Max: MaxPatternSize, Actual: n}
	}
	if n := p.Combinations(); n > MaxOrCombinations {
		return &LimitError{Limit: ErrTooManyCombinations, Max: MaxOrCombinations, Actual: n}
	}
	return nil
}

// WarningCode identifies a kind of [Warning].
type WarningCode string

// The warnings [Pattern.Warnings] reports.
const (
	// WarnSizeOverDefaultQuota: the pattern is longer than
	// DefaultPatternSizeQuota characters; EventBridge rejects it unless the
	// account's "Event pattern size" quota has been raised.
	WarnSizeOverDefaultQuota WarningCode = "size-over-default-quota"
	// WarnDetailTypeNeverSent: the pattern's detail-type names a value AWS
	// never sends, such as [MisleadingDetailType]; the rule matches nothing.
	WarnDetailTypeNeverSent WarningCode = "detail-type-never-sent"
	// WarnSecurityHubWithoutDetailType: the pattern matches source
	// aws.securityhub without a detail-type, so it receives both Security Hub
	// CSPM (ASFF) events and Security Hub (OCSF) "Findings Imported V2" events.
	WarnSecurityHubWithoutDetailType WarningCode = "securityhub-without-detail-type"
	// WarnNumericOutOfRange: a numeric operand lies outside the ±5.0e9 range
	// EventBridge documents for numeric matching.
	WarnNumericOutOfRange WarningCode = "numeric-out-of-documented-range"
)

// Warning is a problem that does not make a pattern invalid but probably
// makes it wrong or fragile.
type Warning struct {
	// Code identifies the kind of warning.
	Code WarningCode
	// Path is the JSON Pointer of the element concerned ("" for the whole pattern).
	Path string
	// Message explains the warning.
	Message string
}

// String returns the warning as one line.
func (w Warning) String() string {
	if w.Path == "" {
		return fmt.Sprintf("%s: %s", w.Code, w.Message)
	}
	return fmt.Sprintf("%s at %s: %s", w.Code, w.Path, w.Message)
}

// Warnings returns the soft problems of a valid pattern, in a stable order:
// a size above the default quota, a detail-type AWS never sends, a Security
// Hub source without a detail-type, numeric operands outside the documented
// range. It returns nil for a malformed pattern (see [Pattern.Validate]).
func (p *Pattern) Warnings() []Warning {
	if p.validateStructure() != nil {
		return nil
	}
	var ws []Warning
	if n := p.Size(); n > DefaultPatternSizeQuota {
		ws = append(ws, Warning{Code: WarnSizeOverDefaultQuota, Message: fmt.Sprintf(
			"the pattern is %d characters; EventBridge's default quota is %d (adjustable up to %d)",
			n, DefaultPatternSizeQuota, MaxPatternSize)})
	}
	ws = append(ws, p.detailTypeWarnings("")...)
	walkConditions(p, "", func(path pointer, c Condition) {
		if c.Op != OpNumeric {
			return
		}
		for i, t := range c.Numeric {
			if f, ok := t.Value.Float(); ok && math.Abs(f) > NumericLimit {
				ws = append(ws, Warning{Code: WarnNumericOutOfRange, Path: string(path.key("numeric").index(2*i + 1)),
					Message: fmt.Sprintf("%s is outside the -5.0e9..5.0e9 range EventBridge documents for numeric matching", t.Value.text)})
			}
		}
	})
	return ws
}

// detailTypeWarnings checks the envelope keys of p and of its top-level $or
// branches (where source and detail-type may also appear).
func (p *Pattern) detailTypeWarnings(path pointer) []Warning {
	var ws []Warning
	dt := p.Field("detail-type")
	if dt != nil && dt.Conditions != nil {
		for i, c := range dt.Conditions {
			if c.Op == OpEquals && c.Value == StringValue(MisleadingDetailType) {
				ws = append(ws, Warning{Code: WarnDetailTypeNeverSent, Path: string(path.key("detail-type").index(i)),
					Message: fmt.Sprintf("AWS never sends detail-type %q, so this matches nothing; Security Hub (OCSF) findings arrive as %q",
						MisleadingDetailType, DetailTypeFindingsImportedV2)})
			}
		}
	}
	if src := p.Field("source"); src != nil && dt == nil && len(p.Or) == 0 {
		for _, c := range src.Conditions {
			if c.Op == OpEquals && c.Value == StringValue(SourceSecurityHub) {
				ws = append(ws, Warning{Code: WarnSecurityHubWithoutDetailType, Path: string(path.key("source")),
					Message: fmt.Sprintf("source %q without a detail-type also receives Security Hub CSPM (ASFF) events; add detail-type %q",
						SourceSecurityHub, DetailTypeFindingsImportedV2)})
				break
			}
		}
	}
	for i, b := range p.Or {
		ws = append(ws, b.detailTypeWarnings(path.key("$or").index(i))...)
	}
	return ws
}

// walkConditions calls fn for every condition of p with its JSON Pointer.
func walkConditions(p *Pattern, path pointer, fn func(pointer, Condition)) {
	for _, f := range p.Fields {
		fp := path.key(f.Name)
		if f.Pattern != nil {
			walkConditions(f.Pattern, fp, fn)
			continue
		}
		for i, c := range f.Conditions {
			fn(fp.index(i), c)
		}
	}
	for i, b := range p.Or {
		walkConditions(b, path.key("$or").index(i), fn)
	}
}
