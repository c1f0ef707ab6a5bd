package eventbridge

import (
	"fmt"
	"sync"
)

// Rule is a named pattern of a [RuleSet].
type Rule struct {
	// Name identifies the rule in match results; names are unique in a set.
	Name string
	// Pattern is the rule's event pattern.
	Pattern *Pattern
}

// RuleSet matches an event against many patterns at once. The event is
// decoded and flattened once, only at the paths some rule uses, and a field
// shared by several rules (such as source or detail-type) is evaluated once
// per event.
//
// A RuleSet is immutable and safe for concurrent use.
type RuleSet struct {
	prog  *program
	names []string
	pool  sync.Pool
}

// NewRuleSet compiles rules. Each pattern must be valid
// ([Pattern.Validate]); the error names the first rule that is not. Names
// must be unique ([ErrDuplicateRule]).
func NewRuleSet(rules ...Rule) (*RuleSet, error) {
	b := newBuilder()
	names := make([]string, 0, len(rules))
	seen := make(map[string]bool, len(rules))
	for _, r := range rules {
		if seen[r.Name] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateRule, r.Name)
		}
		seen[r.Name] = true
		if r.Pattern == nil {
			return nil, fmt.Errorf("eventbridge: rule %q: %w", r.Name, &PatternError{Msg: "nil pattern"})
		}
		if err := r.Pattern.Validate(); err != nil {
			return nil, fmt.Errorf("eventbridge: rule %q: %w", r.Name, err)
		}
		b.add(r.Name, r.Pattern)
		names = append(names, r.Name)
	}
	rs := &RuleSet{prog: b.finish(), names: names}
	rs.pool.New = func() any { return newMatchState(rs.prog) }
	return rs, nil
}

// Names returns the names of the rules, in the order given to [NewRuleSet].
func (rs *RuleSet) Names() []string { return append([]string(nil), rs.names...) }

// Match returns the names of the rules that match event, a JSON object such
// as an EventBridge event, in the order the rules were given (nil when none
// matches). It fails, wrapping [ErrInvalidEvent], when event is not a JSON
// object, and with [ErrMatchTooComplex] in the pathological case described
// there. The event must not be modified during the call.
func (rs *RuleSet) Match(event []byte) ([]string, error) {
	return rs.matchAll(func(f *flat) error { return f.flattenJSON(event) })
}

// MatchValue is [RuleSet.Match] for an event already decoded into a Go
// value: typically a map[string]any from json.Unmarshal (decode with
// json.Decoder.UseNumber to keep each number's spelling; a float64 is
// compared by the string json.Marshal would print for it). Any other value
// is encoded with json.Marshal first; json.RawMessage values are read as
// JSON.
func (rs *RuleSet) MatchValue(event any) ([]string, error) {
	return rs.matchAll(func(f *flat) error { return f.flattenValue(event) })
}

// MatchFinding matches a bare OCSF finding (a JSON object) as Security Hub
// would deliver it: as the only element of detail.findings of an event with
// source "aws.securityhub" and detail-type "Findings Imported V2". So the
// same pattern routes EventBridge events and bare findings. The envelope is
// not otherwise synthesised: patterns on account, region, time, id or
// resources of the envelope do not match; filter on the finding's own
// cloud.account.uid, cloud.region, … instead.
func (rs *RuleSet) MatchFinding(finding []byte) ([]string, error) {
	return rs.matchAll(func(f *flat) error { return f.flattenFinding(finding) })
}

func (rs *RuleSet) matchAll(load func(*flat) error) ([]string, error) {
	m := rs.pool.Get().(*matchState)
	defer rs.release(m)
	m.begin(rs.prog)
	if err := load(&m.flat); err != nil {
		return nil, err
	}
	m.index()
	var out []string
	for i := range rs.prog.rules {
		if m.rule(i) {
			out = append(out, rs.names[i])
		}
		if m.tooComplex {
			return nil, fmt.Errorf("%w: rule %q", ErrMatchTooComplex, rs.names[i])
		}
	}
	return out, nil
}

// matchOne reports whether rule 0 matches; used by [Matcher].
func (rs *RuleSet) matchOne(load func(*flat) error) (bool, error) {
	m := rs.pool.Get().(*matchState)
	defer rs.release(m)
	m.begin(rs.prog)
	if err := load(&m.flat); err != nil {
		return false, err
	}
	m.index()
	ok := m.rule(0)
	if m.tooComplex {
		return false, ErrMatchTooComplex
	}
	return ok, nil
}

// release clears the leaves, which borrow the caller's event bytes, and
// returns the state to the pool.
func (rs *RuleSet) release(m *matchState) {
	clear(m.leaves)
	m.leaves = m.leaves[:0]
	rs.pool.Put(m)
}
