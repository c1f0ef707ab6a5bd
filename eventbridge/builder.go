package eventbridge

import (
	"fmt"
	"slices"
	"strings"
)

// Values of the EventBridge envelope for Security Hub.
const (
	// SourceSecurityHub is the source of every Security Hub event, CSPM
	// (ASFF) and OCSF alike.
	SourceSecurityHub = "aws.securityhub"
	// DetailTypeFindingsImportedV2 is the detail-type of the events that
	// carry Security Hub's OCSF findings, one finding per event in
	// detail.findings[0] (Security Hub User Guide, "EventBridge event
	// formats").
	DetailTypeFindingsImportedV2 = "Findings Imported V2"
	// DetailTypeCSPMFindingsImported is the detail-type of Security Hub
	// CSPM's ASFF findings, a different format sharing the same source.
	DetailTypeCSPMFindingsImported = "Security Hub Findings - Imported"
	// MisleadingDetailType is the detail-type printed by the autobotAI
	// integration guide. AWS never sends it: a rule using it matches
	// nothing. The builder refuses it ([ErrDetailTypeNeverSent]) and
	// [Pattern.Warnings] flags it in parsed patterns.
	MisleadingDetailType = "Security Hub Findings Imported V2"
)

// OCSF caption values the builder accepts for severity and status (exact
// matching is case-sensitive, so "HIGH" would silently match nothing).
var (
	severityNames = []string{"Unknown", "Informational", "Low", "Medium", "High", "Critical", "Fatal", "Other"}
	statusNames   = []string{"Unknown", "New", "In Progress", "Suppressed", "Resolved", "Archived", "Deleted", "Other"}
)

// SecurityHubRule builds the event pattern of an EventBridge rule for
// Security Hub's OCSF findings: source "aws.securityhub", detail-type
// "Findings Imported V2", and filters on the finding inside detail.findings.
//
// Filters on different fields must all match (AND); calling a filter method
// again for the same field, or giving it several values, adds alternatives
// (OR). Methods return the builder for chaining; an invalid argument is
// recorded and returned by [SecurityHubRule.Pattern] (later calls are then
// ignored).
//
// The same filters serve findings outside EventBridge: a RuleSet or Matcher
// compiled from [SecurityHubRule.Pattern] matches a bare finding with
// MatchFinding, and [SecurityHubRule.FindingPattern] returns a pattern over
// the bare finding itself.
type SecurityHubRule struct {
	detailTypes []string
	filters     []filter
	anyOf       []*SecurityHubRule
	err         error
}

// filter is the list of conditions on one path of the finding.
type filter struct {
	segs  []string
	conds []Condition
}

// NewSecurityHubRule returns a builder matching every "Findings Imported V2"
// event from aws.securityhub.
func NewSecurityHubRule() *SecurityHubRule {
	return &SecurityHubRule{detailTypes: []string{DetailTypeFindingsImportedV2}}
}

// Err returns the first error recorded by the builder, if any.
func (r *SecurityHubRule) Err() error { return r.err }

func (r *SecurityHubRule) fail(err error) *SecurityHubRule {
	if r.err == nil {
		r.err = err
	}
	return r
}

// DetailType replaces the detail-types matched (default: only
// "Findings Imported V2"). Adding [DetailTypeCSPMFindingsImported] also
// receives Security Hub CSPM's ASFF findings, which are not OCSF. The
// builder refuses [MisleadingDetailType], which AWS never sends.
func (r *SecurityHubRule) DetailType(detailTypes ...string) *SecurityHubRule {
	if r.err != nil {
		return r
	}
	if len(detailTypes) == 0 {
		return r.fail(fmt.Errorf("%w: DetailType needs at least one value", ErrInvalidFilter))
	}
	for _, dt := range detailTypes {
		if dt == MisleadingDetailType {
			return r.fail(fmt.Errorf("%w: %q (printed by the autobotAI guide) matches nothing; Security Hub sends %q",
				ErrDetailTypeNeverSent, dt, DetailTypeFindingsImportedV2))
		}
	}
	r.detailTypes = slices.Clone(detailTypes)
	return r
}

// Where adds conditions on any field of the finding. path is relative to
// the finding, with dots between keys ("finding_info.title",
// "resources.tags.name"); arrays need no index, a condition on a field of
// an array's objects matches when any element satisfies it.
func (r *SecurityHubRule) Where(path string, conds ...Condition) *SecurityHubRule {
	if r.err != nil {
		return r
	}
	if strings.HasPrefix(path, "detail.findings.") {
		return r.fail(fmt.Errorf("%w: path %q: Where takes a path inside the finding, such as %q",
			ErrInvalidFilter, path, strings.TrimPrefix(path, "detail.findings.")))
	}
	segs := strings.Split(path, ".")
	for _, s := range segs {
		if s == "" || s == "$or" {
			return r.fail(fmt.Errorf("%w: malformed path %q", ErrInvalidFilter, path))
		}
	}
	if len(conds) == 0 {
		return r.fail(fmt.Errorf("%w: path %q: at least one condition is needed", ErrInvalidFilter, path))
	}
	var fp pointer
	for _, s := range segs {
		fp = fp.key(s)
	}
	for i, c := range conds {
		if err := validateCondition(fp.index(i), c); err != nil {
			return r.fail(fmt.Errorf("%w: %w", ErrInvalidFilter, err))
		}
	}
	for i := range r.filters {
		if slices.Equal(r.filters[i].segs, segs) {
			r.filters[i].conds = append(r.filters[i].conds, conds...)
			return r
		}
	}
	r.filters = append(r.filters, filter{segs: segs, conds: slices.Clone(conds)})
	return r
}

func (r *SecurityHubRule) strings(path string, vs []string) *SecurityHubRule {
	conds := make([]Condition, len(vs))
	for i, v := range vs {
		conds[i] = Equals(v)
	}
	return r.Where(path, conds...)
}

func (r *SecurityHubRule) ints(path string, vs []int) *SecurityHubRule {
	conds := make([]Condition, len(vs))
	for i, v := range vs {
		conds[i] = Exact(IntValue(int64(v)))
	}
	return r.Where(path, conds...)
}

func (r *SecurityHubRule) enum(path string, allowed, vs []string) *SecurityHubRule {
	for _, v := range vs {
		if !slices.Contains(allowed, v) {
			hint := ""
			for _, a := range allowed {
				if strings.EqualFold(a, v) {
					hint = fmt.Sprintf(" (did you mean %q? matching is case-sensitive)", a)
				}
			}
			return r.fail(fmt.Errorf("%w: %s %q is not an OCSF value%s; one of %q", ErrInvalidFilter, path, v, hint, allowed))
		}
	}
	return r.strings(path, vs)
}

// Severity matches the finding's severity caption: "Informational", "Low",
// "Medium", "High", "Critical", "Fatal", "Unknown" or "Other".
func (r *SecurityHubRule) Severity(names ...string) *SecurityHubRule {
	return r.enum("severity", severityNames, names)
}

// SeverityID matches severity_id: 0 Unknown, 1 Informational, 2 Low,
// 3 Medium, 4 High, 5 Critical, 6 Fatal, 99 Other.
func (r *SecurityHubRule) SeverityID(ids ...int) *SecurityHubRule { return r.ints("severity_id", ids) }

// SeverityAtLeast matches a severity_id from id up to 6 (Fatal); 99
// (Other) is not included.
func (r *SecurityHubRule) SeverityAtLeast(id int) *SecurityHubRule {
	if id < 0 || id > 6 {
		return r.fail(fmt.Errorf("%w: SeverityAtLeast(%d): severity_id ranges from 0 to 6", ErrInvalidFilter, id))
	}
	if id == 6 {
		return r.SeverityID(6)
	}
	return r.Where("severity_id", NumericRange(">=", float64(id), "<=", 6))
}

// ClassUID matches class_uid, such as 2003 (Compliance Finding) or 2004
// (Detection Finding).
func (r *SecurityHubRule) ClassUID(uids ...int) *SecurityHubRule { return r.ints("class_uid", uids) }

// ClassName matches class_name, such as "Detection Finding".
func (r *SecurityHubRule) ClassName(names ...string) *SecurityHubRule {
	return r.strings("class_name", names)
}

// ProductName matches metadata.product.name, such as "GuardDuty",
// "Inspector" or "Security Hub".
func (r *SecurityHubRule) ProductName(names ...string) *SecurityHubRule {
	return r.strings("metadata.product.name", names)
}

// ProductUID matches metadata.product.uid, the product ARN.
func (r *SecurityHubRule) ProductUID(uids ...string) *SecurityHubRule {
	return r.strings("metadata.product.uid", uids)
}

// ProductUIDPrefix matches a metadata.product.uid beginning with one of
// the prefixes, such as "arn:aws:securityhub".
func (r *SecurityHubRule) ProductUIDPrefix(prefixes ...string) *SecurityHubRule {
	return r.prefixes("metadata.product.uid", prefixes)
}

// TypePrefix matches findings with an entry of finding_info.types that
// begins with one of the prefixes, such as "TTPs/" or
// "Software and Configuration Checks/Vulnerabilities".
func (r *SecurityHubRule) TypePrefix(prefixes ...string) *SecurityHubRule {
	return r.prefixes("finding_info.types", prefixes)
}

func (r *SecurityHubRule) prefixes(path string, ps []string) *SecurityHubRule {
	conds := make([]Condition, len(ps))
	for i, p := range ps {
		conds[i] = Prefix(p)
	}
	return r.Where(path, conds...)
}

// StatusID matches status_id: 0 Unknown, 1 New, 2 In Progress,
// 3 Suppressed, 4 Resolved, 5 Archived, 6 Deleted, 99 Other.
func (r *SecurityHubRule) StatusID(ids ...int) *SecurityHubRule { return r.ints("status_id", ids) }

// Status matches the finding's status caption: "New", "In Progress",
// "Suppressed", "Resolved", "Archived", "Deleted", "Unknown" or "Other".
func (r *SecurityHubRule) Status(names ...string) *SecurityHubRule {
	return r.enum("status", statusNames, names)
}

// AccountID matches cloud.account.uid, the 12-digit AWS account ID the
// finding belongs to.
func (r *SecurityHubRule) AccountID(ids ...string) *SecurityHubRule {
	for _, id := range ids {
		if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
			return r.fail(fmt.Errorf("%w: account ID %q is not 12 digits", ErrInvalidFilter, id))
		}
	}
	return r.strings("cloud.account.uid", ids)
}

// Region matches cloud.region, such as "us-east-1".
func (r *SecurityHubRule) Region(regions ...string) *SecurityHubRule {
	return r.strings("cloud.region", regions)
}

// ResourceType matches findings with a resource of one of the types, such
// as "AWS::EC2::Instance" (resources is an array: any resource matches).
func (r *SecurityHubRule) ResourceType(types ...string) *SecurityHubRule {
	return r.strings("resources.type", types)
}

// ComplianceStatus matches compliance.status, such as "Fail" or "Pass".
func (r *SecurityHubRule) ComplianceStatus(statuses ...string) *SecurityHubRule {
	return r.strings("compliance.status", statuses)
}

// AnyOf requires at least one of the branches to match as well (an "$or"
// inside detail.findings). Only the branches' finding filters are used
// (their detail-types are ignored). A rule holds at most one AnyOf.
func (r *SecurityHubRule) AnyOf(branches ...*SecurityHubRule) *SecurityHubRule {
	if r.err != nil {
		return r
	}
	if r.anyOf != nil {
		return r.fail(fmt.Errorf("%w: AnyOf may be called only once per rule", ErrInvalidFilter))
	}
	if len(branches) < 2 {
		return r.fail(fmt.Errorf("%w: AnyOf needs at least two branches", ErrInvalidFilter))
	}
	for i, b := range branches {
		if b == nil || b.err != nil {
			err := error(fmt.Errorf("%w: nil branch", ErrInvalidFilter))
			if b != nil {
				err = b.err
			}
			return r.fail(fmt.Errorf("AnyOf branch %d: %w", i, err))
		}
		if len(b.filters) == 0 && b.anyOf == nil {
			return r.fail(fmt.Errorf("%w: AnyOf branch %d has no filters", ErrInvalidFilter, i))
		}
	}
	r.anyOf = slices.Clone(branches)
	return r
}

// Pattern returns the rule's event pattern, validated (see
// [Pattern.Validate]). For example:
//
//	{"detail":{"findings":{"severity":["Critical","High"]}},"detail-type":["Findings Imported V2"],"source":["aws.securityhub"]}
func (r *SecurityHubRule) Pattern() (*Pattern, error) {
	if r.err != nil {
		return nil, r.err
	}
	p := &Pattern{Fields: []Field{
		Leaf("source", Equals(SourceSecurityHub)),
		Leaf("detail-type", r.detailTypeConds()...),
	}}
	fp, err := r.findingObject()
	if err != nil {
		return nil, err
	}
	if fp != nil {
		p.Fields = append(p.Fields, Object("detail", &Pattern{Fields: []Field{Object("findings", fp)}}))
	}
	p.sortFields()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// FindingPattern returns a pattern over a bare finding (no envelope): the
// rule's finding filters at the top level, for matching findings already
// taken out of their events. It fails when the rule has no finding filter.
// The detail-type is not part of it.
func (r *SecurityHubRule) FindingPattern() (*Pattern, error) {
	if r.err != nil {
		return nil, r.err
	}
	fp, err := r.findingObject()
	if err != nil {
		return nil, err
	}
	if fp == nil {
		return nil, fmt.Errorf("%w: the rule has no finding filter", ErrInvalidFilter)
	}
	fp.sortFields()
	if err := fp.Validate(); err != nil {
		return nil, err
	}
	return fp, nil
}

func (r *SecurityHubRule) detailTypeConds() []Condition {
	conds := make([]Condition, len(r.detailTypes))
	for i, dt := range r.detailTypes {
		conds[i] = Equals(dt)
	}
	return conds
}

// findingObject builds the object of the finding filters, or nil if none.
func (r *SecurityHubRule) findingObject() (*Pattern, error) {
	if len(r.filters) == 0 && r.anyOf == nil {
		return nil, nil
	}
	root := &Pattern{}
	for _, f := range r.filters {
		if err := insertFilter(root, f.segs, f.conds); err != nil {
			return nil, err
		}
	}
	for _, b := range r.anyOf {
		bp, err := b.findingObject()
		if err != nil {
			return nil, err
		}
		root.Or = append(root.Or, bp)
	}
	return root, nil
}

func insertFilter(p *Pattern, segs []string, conds []Condition) error {
	for i, s := range segs {
		f := p.Field(s)
		last := i == len(segs)-1
		switch {
		case f == nil && last:
			p.Fields = append(p.Fields, Leaf(s, slices.Clone(conds)...))
			return nil
		case f == nil:
			child := &Pattern{}
			p.Fields = append(p.Fields, Object(s, child))
			p = child
		case last || f.Pattern == nil:
			return fmt.Errorf("%w: %q is used both as a field with conditions and as an object",
				ErrInvalidFilter, strings.Join(segs[:i+1], "."))
		default:
			p = f.Pattern
		}
	}
	return nil
}
