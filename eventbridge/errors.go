package eventbridge

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. Match them with errors.Is; the typed errors below carry
// the details.
var (
	// ErrInvalidPattern is matched by every error that rejects a pattern:
	// a *PatternError (syntax or structure) or a *LimitError.
	ErrInvalidPattern = errors.New("eventbridge: invalid event pattern")
	// ErrPatternTooLarge is matched by a *LimitError for a pattern longer
	// than [MaxPatternSize] characters.
	ErrPatternTooLarge = errors.New("eventbridge: event pattern too large")
	// ErrTooManyCombinations is matched by a *LimitError for a pattern whose
	// $or keys expand to more than [MaxOrCombinations] combinations.
	ErrTooManyCombinations = errors.New("eventbridge: too many $or combinations")
	// ErrInvalidEvent is returned (wrapped) when an event given to a matcher
	// is not a JSON object.
	ErrInvalidEvent = errors.New("eventbridge: invalid event")
	// ErrInvalidFilter is returned (wrapped) by the Security Hub builder for
	// a filter value it refuses, such as an unknown severity name.
	ErrInvalidFilter = errors.New("eventbridge: invalid filter")
	// ErrDetailTypeNeverSent is returned (wrapped) by the Security Hub
	// builder for a detail-type AWS never sends, such as
	// [MisleadingDetailType] ("Security Hub Findings Imported V2").
	ErrDetailTypeNeverSent = errors.New("eventbridge: detail-type never sent by AWS")
	// ErrMatchTooComplex is returned (wrapped) when deciding a match would
	// take too long: only a pattern combining exists:false with other fields
	// inside large, nested arrays can need that many steps.
	ErrMatchTooComplex = errors.New("eventbridge: event too complex to match against the pattern")
	// ErrDuplicateRule is returned by [NewRuleSet] when two rules have the
	// same name.
	ErrDuplicateRule = errors.New("eventbridge: duplicate rule name")
)

// PatternError reports a pattern that is not valid JSON or not a valid
// event pattern. It matches [ErrInvalidPattern] with errors.Is and unwraps
// to the JSON decoder's error when there is one.
type PatternError struct {
	// Path is the JSON Pointer (RFC 6901) of the offending element, for
	// example "/detail/findings/severity_id/0/numeric/1"; "" is the whole
	// pattern.
	Path string
	// Operator is the operator being parsed ("numeric", "anything-but",
	// "$or", …), or "" outside any operator.
	Operator string
	// Msg says what is wrong.
	Msg string
	// Err is the underlying JSON syntax error, if any.
	Err error
}

// Error implements error.
func (e *PatternError) Error() string {
	var b strings.Builder
	b.WriteString("eventbridge: invalid event pattern")
	if e.Path != "" {
		b.WriteString(" at ")
		b.WriteString(e.Path)
	}
	if e.Operator != "" {
		b.WriteString(" (")
		b.WriteString(e.Operator)
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying JSON error, if any.
func (e *PatternError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrInvalidPattern].
func (e *PatternError) Is(target error) bool { return target == ErrInvalidPattern }

// LimitError reports a pattern beyond one of EventBridge's limits. It
// matches [ErrInvalidPattern] and [ErrPatternTooLarge] or
// [ErrTooManyCombinations] with errors.Is.
type LimitError struct {
	// Limit is the sentinel of the limit exceeded: ErrPatternTooLarge or
	// ErrTooManyCombinations.
	Limit error
	// Max is the limit; Actual is the pattern's value (capped for
	// combinations, see [Pattern.Combinations]).
	Max, Actual int
}

// Error implements error.
func (e *LimitError) Error() string {
	switch e.Limit {
	case ErrPatternTooLarge:
		return fmt.Sprintf("eventbridge: event pattern too large: %d characters, the maximum is %d", e.Actual, e.Max)
	case ErrTooManyCombinations:
		return fmt.Sprintf("eventbridge: too many $or combinations: %d, the maximum is %d", e.Actual, e.Max)
	}
	return fmt.Sprintf("eventbridge: event pattern over a limit: %d > %d", e.Actual, e.Max)
}

// Unwrap returns the limit's sentinel.
func (e *LimitError) Unwrap() error { return e.Limit }

// Is reports whether target is [ErrInvalidPattern].
func (e *LimitError) Is(target error) bool { return target == ErrInvalidPattern }

// pointer builds JSON Pointers (RFC 6901) for error paths.
type pointer string

func (p pointer) key(k string) pointer {
	k = strings.ReplaceAll(k, "~", "~0")
	k = strings.ReplaceAll(k, "/", "~1")
	return p + "/" + pointer(k)
}

func (p pointer) index(i int) pointer { return p + "/" + pointer(strconv.Itoa(i)) }

func (p pointer) err(op Op, format string, args ...any) *PatternError {
	return &PatternError{Path: string(p), Operator: opName(op), Msg: fmt.Sprintf(format, args...)}
}

// opName is the operator's name in errors: "" for exact values.
func opName(op Op) string {
	if op == OpEquals {
		return ""
	}
	return string(op)
}
