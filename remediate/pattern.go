package remediate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ocsfhub/ocsfhub/eventbridge"
)

// Security Hub's EventBridge source and detail-type for OCSF findings.
const (
	SecurityHubSource    = "aws.securityhub"
	FindingsImportedV2   = "Findings Imported V2"
	findingsPatternField = "findings"
)

// parseRulePattern parses a rule pattern; "" (match everything) gives nil.
func parseRulePattern(pattern string) (*eventbridge.Pattern, error) {
	if strings.TrimSpace(pattern) == "" {
		return nil, nil
	}
	p, err := eventbridge.ParsePattern([]byte(pattern))
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// router matches a bare finding against every rule at once: the finding is
// decoded and flattened once (eventbridge.RuleSet).
type router struct {
	rules []*compiledRule
	set   *eventbridge.RuleSet // rules with a pattern
	all   []bool               // rule i has no pattern: matches everything
}

func newRouter(rules []*compiledRule) (*router, error) {
	r := &router{rules: rules, all: make([]bool, len(rules))}
	var ebr []eventbridge.Rule
	for i, cr := range rules {
		p, err := parseRulePattern(cr.Pattern)
		if err != nil {
			return nil, fmt.Errorf("remediate: rule %q: %w", cr.Name, err)
		}
		if p == nil {
			r.all[i] = true
			continue
		}
		ebr = append(ebr, eventbridge.Rule{Name: cr.Name, Pattern: p})
	}
	set, err := eventbridge.NewRuleSet(ebr...)
	if err != nil {
		return nil, fmt.Errorf("remediate: %w", err)
	}
	r.set = set
	return r, nil
}

// match returns the rules matching the finding, in rule order.
func (r *router) match(finding []byte) ([]*compiledRule, error) {
	names, err := r.set.Match(finding)
	if err != nil {
		return nil, err
	}
	var out []*compiledRule
	for i, cr := range r.rules {
		if r.all[i] || slices.Contains(names, cr.Name) {
			out = append(out, cr)
		}
	}
	return out, nil
}

// EventPattern turns a rule pattern (over the bare finding) into the pattern
// of an AWS EventBridge rule on the default bus: the finding pattern moves
// under detail.findings, and source and detail-type select Security Hub's
// Findings Imported V2 events. With several patterns the result matches
// events any of them matches ($or under detail.findings). An empty pattern
// contributes no finding filter.
//
// EventBridge matches an array field when any element matches, so
// detail.findings (one finding per event) behaves like the bare finding;
// the engine and AWS then select the same findings.
func EventPattern(findingPatterns ...string) ([]byte, error) {
	var branches []*eventbridge.Pattern
	matchAll := false
	for i, s := range findingPatterns {
		if strings.TrimSpace(s) == "" {
			matchAll = true
			continue
		}
		p, err := eventbridge.ParsePattern([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("remediate: pattern %d: %w", i, err)
		}
		branches = append(branches, p)
	}
	top := &eventbridge.Pattern{Fields: []eventbridge.Field{
		eventbridge.Leaf("detail-type", eventbridge.Equals(FindingsImportedV2)),
		eventbridge.Leaf("source", eventbridge.Equals(SecurityHubSource)),
	}}
	if !matchAll && len(branches) > 0 {
		var findings *eventbridge.Pattern
		if len(branches) == 1 {
			findings = branches[0]
		} else {
			findings = &eventbridge.Pattern{Or: branches}
		}
		detail := &eventbridge.Pattern{Fields: []eventbridge.Field{eventbridge.Object(findingsPatternField, findings)}}
		top.Fields = append(top.Fields, eventbridge.Object("detail", detail))
	}
	b, err := top.Canonical().MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("remediate: render event pattern: %w", err)
	}
	// Parse again: enforces EventBridge's size and $or limits on the result.
	if _, err := eventbridge.ParsePattern(b); err != nil {
		return nil, fmt.Errorf("remediate: event pattern: %w", err)
	}
	return b, nil
}

// EventPattern returns the AWS EventBridge rule pattern selecting exactly the
// findings this rule matches (see the package function [EventPattern]).
func (r Rule) EventPattern() ([]byte, error) { return EventPattern(r.Pattern) }
