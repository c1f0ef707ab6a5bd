package eventbridge

// Matcher is a compiled event pattern. It matches events as EventBridge
// does (Event Ruler semantics, including array consistency; see the
// package documentation).
//
// A Matcher is immutable and safe for concurrent use; compile a pattern
// once and reuse the Matcher. To match many patterns against each event,
// use a [RuleSet], which reads each event only once.
type Matcher struct {
	pattern *Pattern
	rs      *RuleSet
}

// Compile compiles a valid pattern ([Pattern.Validate]).
func Compile(p *Pattern) (*Matcher, error) {
	if p == nil {
		return nil, &PatternError{Msg: "nil pattern"}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	q := p.Clone()
	b := newBuilder()
	b.add("", q)
	rs := &RuleSet{prog: b.finish(), names: []string{""}}
	rs.pool.New = func() any { return newMatchState(rs.prog) }
	return &Matcher{pattern: q, rs: rs}, nil
}

// Pattern returns a copy of the compiled pattern.
func (m *Matcher) Pattern() *Pattern { return m.pattern.Clone() }

// Match reports whether event, a JSON object such as an EventBridge event,
// matches the pattern. It fails, wrapping [ErrInvalidEvent], when event is
// not a JSON object, and with [ErrMatchTooComplex] in the pathological case
// described there. The event must not be modified during the call.
func (m *Matcher) Match(event []byte) (bool, error) {
	return m.rs.matchOne(func(f *flat) error { return f.flattenJSON(event) })
}

// MatchValue is [Matcher.Match] for an event already decoded into a Go
// value (see [RuleSet.MatchValue]).
func (m *Matcher) MatchValue(event any) (bool, error) {
	return m.rs.matchOne(func(f *flat) error { return f.flattenValue(event) })
}

// MatchFinding reports whether a bare OCSF finding matches the pattern when
// presented as Security Hub presents it (see [RuleSet.MatchFinding]).
func (m *Matcher) MatchFinding(finding []byte) (bool, error) {
	return m.rs.matchOne(func(f *flat) error { return f.flattenFinding(finding) })
}
