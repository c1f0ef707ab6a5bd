package cloudformation

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Expr is a value in a template: a literal ([Str], [Int], [Bool], [JSON],
// [DynamicSecret]) or an intrinsic function ([Ref], [GetAtt], [Sub], [Join],
// [If], [Equals], [And], [Not]). Intrinsics render in their YAML short form
// (!Ref, !GetAtt, !Sub, ...).
//
// The interface is sealed: only the types of this package implement it.
type Expr interface {
	node() (*yaml.Node, error)
	refs(yield func(kind refKind, name string))
}

type refKind int

const (
	refName      refKind = iota // Ref: a parameter, a resource or a pseudo parameter
	refResource                 // GetAtt: a resource
	refCondition                // If / Condition: a condition
)

// Str is a literal string.
type Str string

func (s Str) node() (*yaml.Node, error) { return strNode(string(s)), nil }
func (Str) refs(func(refKind, string))  {}

// Int is a literal integer.
type Int int64

func (i Int) node() (*yaml.Node, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(int64(i), 10)}, nil
}
func (Int) refs(func(refKind, string)) {}

// Bool is a literal boolean.
type Bool bool

func (b Bool) node() (*yaml.Node, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(bool(b))}, nil
}
func (Bool) refs(func(refKind, string)) {}

// Ref is the Ref intrinsic: the value of a parameter, the physical ID of a
// resource (whatever the resource type documents Ref to return), or a pseudo
// parameter such as [AccountID].
type Ref string

// Pseudo parameters.
const (
	AccountID Ref = "AWS::AccountId"
	Region    Ref = "AWS::Region"
	Partition Ref = "AWS::Partition"
	StackName Ref = "AWS::StackName"
	URLSuffix Ref = "AWS::URLSuffix"
	NoValue   Ref = "AWS::NoValue"
)

func (r Ref) node() (*yaml.Node, error) {
	if r == "" {
		return nil, errors.New("Ref with an empty name")
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!Ref", Value: string(r)}, nil
}

func (r Ref) refs(yield func(refKind, string)) { yield(refName, string(r)) }

// GetAtt is the Fn::GetAtt intrinsic: an attribute of a resource, rendered as
// `!GetAtt Resource.Attribute`.
type GetAtt struct {
	Resource  string
	Attribute string
}

func (g GetAtt) node() (*yaml.Node, error) {
	if g.Resource == "" || g.Attribute == "" {
		return nil, fmt.Errorf("GetAtt needs a resource and an attribute (got %q.%q)", g.Resource, g.Attribute)
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!GetAtt", Value: g.Resource + "." + g.Attribute}, nil
}

func (g GetAtt) refs(yield func(refKind, string)) { yield(refResource, g.Resource) }

// Sub is the Fn::Sub intrinsic in its one-argument form: ${Name} and
// ${Resource.Attribute} are substituted, ${!Literal} renders a literal
// "${Literal}". Use [EscapeSub] to embed arbitrary text.
type Sub string

func (s Sub) node() (*yaml.Node, error) {
	if _, err := subVariables(string(s)); err != nil {
		return nil, err
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!Sub", Value: string(s)}
	if strings.Contains(string(s), "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n, nil
}

func (s Sub) refs(yield func(refKind, string)) {
	vars, err := subVariables(string(s))
	if err != nil {
		return
	}
	for _, v := range vars {
		if res, _, ok := strings.Cut(v, "."); ok {
			yield(refResource, res)
		} else {
			yield(refName, v)
		}
	}
}

// EscapeSub returns s with every "${" written as "${!", so that [Sub] renders
// s literally.
func EscapeSub(s string) string { return strings.ReplaceAll(s, "${", "${!") }

// subVariables lists the variables a Fn::Sub string references.
func subVariables(s string) ([]string, error) {
	var vars []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return vars, nil
		}
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return nil, errors.New("Sub string has an unterminated ${")
		}
		v := s[:j]
		s = s[j+1:]
		if strings.HasPrefix(v, "!") {
			continue // ${!Literal}
		}
		if v == "" {
			return nil, errors.New("Sub string has an empty ${}")
		}
		vars = append(vars, v)
	}
}

// Join is the Fn::Join intrinsic.
type Join struct {
	Delimiter string
	Values    []Expr
}

func (j Join) node() (*yaml.Node, error) {
	list, err := seqNode(j.Values)
	if err != nil {
		return nil, err
	}
	list.Style = yaml.FlowStyle
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!Join", Style: yaml.FlowStyle,
		Content: []*yaml.Node{strNode(j.Delimiter), list}}, nil
}

func (j Join) refs(yield func(refKind, string)) {
	for _, v := range j.Values {
		if v != nil {
			v.refs(yield)
		}
	}
}

// If is the Fn::If intrinsic: Then when the named condition is true, Else
// otherwise.
type If struct {
	Condition  string
	Then, Else Expr
}

func (f If) node() (*yaml.Node, error) {
	if f.Condition == "" || f.Then == nil || f.Else == nil {
		return nil, errors.New("If needs a condition and both values")
	}
	a, err := f.Then.node()
	if err != nil {
		return nil, err
	}
	b, err := f.Else.node()
	if err != nil {
		return nil, err
	}
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!If", Style: yaml.FlowStyle,
		Content: []*yaml.Node{strNode(f.Condition), a, b}}, nil
}

func (f If) refs(yield func(refKind, string)) {
	yield(refCondition, f.Condition)
	for _, e := range []Expr{f.Then, f.Else} {
		if e != nil {
			e.refs(yield)
		}
	}
}

// Equals is the Fn::Equals condition function.
type Equals struct{ A, B Expr }

func (e Equals) node() (*yaml.Node, error) { return fnSeq("!Equals", []Expr{e.A, e.B}) }
func (e Equals) refs(yield func(refKind, string)) {
	for _, x := range []Expr{e.A, e.B} {
		if x != nil {
			x.refs(yield)
		}
	}
}

// And is the Fn::And condition function (2 to 10 conditions).
type And []Expr

func (a And) node() (*yaml.Node, error) {
	if len(a) < 2 || len(a) > 10 {
		return nil, fmt.Errorf("And takes 2 to 10 conditions, got %d", len(a))
	}
	return fnSeq("!And", a)
}
func (a And) refs(yield func(refKind, string)) {
	for _, x := range a {
		if x != nil {
			x.refs(yield)
		}
	}
}

// Not is the Fn::Not condition function.
type Not struct{ Cond Expr }

func (n Not) node() (*yaml.Node, error) { return fnSeq("!Not", []Expr{n.Cond}) }
func (n Not) refs(yield func(refKind, string)) {
	if n.Cond != nil {
		n.Cond.refs(yield)
	}
}

// DynamicSecret is a CloudFormation dynamic reference to a Secrets Manager
// secret, {{resolve:secretsmanager:SecretID:SecretString:JSONKey:VersionStage:VersionID}}.
// CloudFormation resolves it at deploy time; the secret value never appears in
// the template, the stack's parameters or its events.
type DynamicSecret struct {
	SecretID     string // name or full ARN of the secret
	JSONKey      string // key in a JSON SecretString; empty for the whole SecretString
	VersionStage string // optional, e.g. AWSCURRENT
	VersionID    string // optional
}

// String returns the dynamic reference text.
func (d DynamicSecret) String() string {
	var b strings.Builder
	b.WriteString("{{resolve:secretsmanager:")
	b.WriteString(d.SecretID)
	if d.JSONKey != "" || d.VersionStage != "" || d.VersionID != "" {
		b.WriteString(":SecretString:")
		b.WriteString(d.JSONKey)
		if d.VersionStage != "" || d.VersionID != "" {
			b.WriteString(":" + d.VersionStage + ":" + d.VersionID)
		}
	}
	b.WriteString("}}")
	return b.String()
}

func (d DynamicSecret) node() (*yaml.Node, error) {
	if d.SecretID == "" {
		return nil, errors.New("dynamic reference without a secret ID")
	}
	return strNode(d.String()), nil
}
func (DynamicSecret) refs(func(refKind, string)) {}

func fnSeq(tag string, args []Expr) (*yaml.Node, error) {
	n, err := seqNode(args)
	if err != nil {
		return nil, err
	}
	n.Tag = tag
	n.Style = yaml.FlowStyle
	return n, nil
}

func seqNode(items []Expr) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for i, it := range items {
		if it == nil {
			return nil, fmt.Errorf("nil value at index %d", i)
		}
		c, err := it.node()
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, c)
	}
	return n, nil
}

// strNode is a string scalar; multi-line strings use a literal block.
func strNode(s string) *yaml.Node {
	n := plainStrNode(s)
	if n.Style == 0 && strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

// plainStrNode is a string scalar, double-quoted when a YAML 1.1 parser
// (CloudFormation's) would read the plain form as a boolean, null, number,
// timestamp or merge key: go.yaml.in/yaml/v3 follows YAML 1.2 and leaves
// "yes", "on" or "y" unquoted.
func plainStrNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if mayBeYAML11NonString(s) && yaml11Ambiguous.MatchString(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// mayBeYAML11NonString is a cheap filter before yaml11Ambiguous: the
// special words have at most 5 letters, everything else starts with a digit,
// a sign, '.', '~', '<' or '='.
func mayBeYAML11NonString(s string) bool {
	if s == "" {
		return true
	}
	if strings.IndexByte("-+0123456789.~<=", s[0]) >= 0 {
		return true
	}
	return len(s) <= 5 && strings.IndexByte("yYnNtTfFoO", s[0]) >= 0
}

// yaml11Ambiguous matches the plain scalars that YAML 1.1's type repository
// resolves to something other than a string (bool, null, int, float,
// timestamp, merge, value), case-insensitively to be safe.
var yaml11Ambiguous = regexp.MustCompile(`^(?i:y|yes|n|no|true|false|on|off|~|null|)$|` +
	`^[-+]?(0b[01_]+|0[0-7_]+|0x[0-9a-fA-F_]+|0|[1-9][0-9_]*|[1-9][0-9_]*(:[0-5]?[0-9])+)$|` +
	`^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*$|` +
	`^[-+]?\.(?i:inf)$|^\.(?i:nan)$|^<<$|^=$|^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}`)
