package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ocsfhub/ocsfhub/eventbridge"
	"go.yaml.in/yaml/v3"
)

// Factory builds a remediator from its parameters in a rule file (the JSON
// form of the remediators.<name> section; nil when there is none).
type Factory func(params json.RawMessage) (Remediator, error)

// Registry maps the remediator names a rule file may use to their factories.
// It is plain data: build one per program, there is no global registry.
type Registry map[string]Factory

// RuleSet is what a rule file configures.
type RuleSet struct {
	Rules   []Rule
	Exclude Exclusions
	Limits  Limits
	// Remediators are the remediators built for the file, by name.
	Remediators map[string]Remediator
}

// ConfigError reports a problem in a rule file, naming the file, the line
// and column (1-based; 0 when unknown) and the path of the offending element
// ("rules[2].mode").
type ConfigError struct {
	File   string
	Line   int
	Column int
	Path   string
	Msg    string
	Err    error
}

// Error returns "file:line:col: path: msg".
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error (a pattern error, a factory error).
func (e *ConfigError) Unwrap() error { return e.Err }

// LoadRulesFile reads and loads a rule file (see [LoadRules]).
func LoadRulesFile(path string, reg Registry) (*RuleSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("remediate: read rules: %w", err)
	}
	return LoadRules(path, data, reg)
}

// LoadRules parses a rule file, YAML or JSON (JSON is read as YAML), and
// builds its remediators from reg. name is used in errors. Every error is a
// *ConfigError naming the line and path. The format:
//
//	remediators:            # parameters per remediator name (optional)
//	  ticket: {dir: ./tickets}
//	exclude:                # applies to every rule (optional)
//	  accounts: ["111122223333"]
//	  regions: [ap-east-1]
//	  tags: {DoNotRemediate: "*", env: [prod, pci]}   # "*": any value
//	limits:                 # blast radius (optional; defaults apply)
//	  overall: {max: 20, window: 10m}
//	  remediator: {max: 10, window: 10m}
//	  per_remediator: {ticket: {max: unlimited}}
//	rules:
//	  - name: ticket-high
//	    remediator: ticket
//	    mode: dry-run       # dry-run (default) | approval | automatic
//	    pattern:            # EventBridge pattern over the bare finding
//	      severity_id: [{numeric: [">=", 4]}]
//	    exclude: {regions: [us-west-1]}
//
// A pattern may also be given as a string holding JSON.
func LoadRules(name string, data []byte, reg Registry) (*RuleSet, error) {
	l := &loader{file: name, reg: reg}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, l.yamlErr(err)
	}
	rs := &RuleSet{Remediators: map[string]Remediator{}}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &ConfigError{File: name, Line: 1, Msg: "empty rule file"}
	}
	root := doc.Content[0]
	if err := l.load(root, rs); err != nil {
		return nil, err
	}
	return rs, nil
}

type loader struct {
	file  string
	reg   Registry
	nodes int
}

// maxNodes bounds the work on hostile input (alias expansion).
const maxNodes = 100000

func (l *loader) errf(n *yaml.Node, path, format string, args ...any) *ConfigError {
	e := &ConfigError{File: l.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

func (l *loader) wrap(n *yaml.Node, path, msg string, err error) *ConfigError {
	e := l.errf(n, path, "%s", msg)
	e.Err = err
	return e
}

// yamlErr turns a yaml.v3 error ("yaml: line 3: …") into a ConfigError.
func (l *loader) yamlErr(err error) error {
	msg := err.Error()
	e := &ConfigError{File: l.file, Msg: "invalid YAML/JSON", Err: err}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if i := strings.Index(msg, "line "); i >= 0 {
		rest := msg[i+5:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if n, convErr := strconv.Atoi(rest[:j]); convErr == nil {
			e.Line = n
		}
	}
	return e
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapping checks that n is a mapping with only allowed keys and no
// duplicates, and calls fn for each key in order.
func (l *loader) mapping(n *yaml.Node, path string, allowed []string, fn func(key string, k, v *yaml.Node, path string) error) error {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return l.errf(n, path, "want a mapping, found %s", kindName(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			return l.errf(k, path, "mapping keys must be strings")
		}
		key := k.Value
		sub := joinPath(path, key)
		if allowed != nil && !slices.Contains(allowed, key) {
			return l.errf(k, sub, "unknown key %q (allowed: %s)", key, strings.Join(allowed, ", "))
		}
		if seen[key] {
			return l.errf(k, sub, "duplicate key %q", key)
		}
		seen[key] = true
		if err := fn(key, k, v, sub); err != nil {
			return err
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("the scalar %q", n.Value)
	case yaml.DocumentNode:
		return "a document"
	}
	return "an alias"
}

func (l *loader) scalar(n *yaml.Node, path string) (string, error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", l.errf(n, path, "want a string, found %s", kindName(n))
	}
	return n.Value, nil
}

func (l *loader) strings(n *yaml.Node, path string) ([]string, error) {
	n = deref(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}, nil
	}
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil, l.errf(n, path, "want a list of strings, found %s", kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		s, err := l.scalar(c, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		if s == "" {
			return nil, l.errf(c, fmt.Sprintf("%s[%d]", path, i), "empty string")
		}
		out = append(out, s)
	}
	return out, nil
}

func (l *loader) load(root *yaml.Node, rs *RuleSet) error {
	root = deref(root)
	if root.Kind != yaml.MappingNode {
		return l.errf(root, "", "a rule file is a mapping with the keys remediators, exclude, limits and rules; found %s", kindName(root))
	}
	// Remediators first: rules refer to them.
	var rulesNode *yaml.Node
	params := map[string]*yaml.Node{}
	err := l.mapping(root, "", []string{"version", "remediators", "exclude", "limits", "rules"}, func(key string, k, v *yaml.Node, path string) error {
		switch key {
		case "version":
			s, err := l.scalar(v, path)
			if err != nil {
				return err
			}
			if s != "1" {
				return l.errf(v, path, "unsupported version %q (want 1)", s)
			}
		case "remediators":
			return l.mapping(v, path, nil, func(name string, _, pv *yaml.Node, sub string) error {
				if l.reg[name] == nil {
					return l.errf(pv, sub, "unknown remediator %q (known: %s)", name, l.known())
				}
				params[name] = pv
				return nil
			})
		case "exclude":
			x, err := l.exclusions(v, path)
			if err != nil {
				return err
			}
			rs.Exclude = x
		case "limits":
			lim, err := l.limits(v, path)
			if err != nil {
				return err
			}
			rs.Limits = lim
		case "rules":
			rulesNode = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	if rulesNode == nil {
		return l.errf(root, "rules", "missing key %q", "rules")
	}
	rulesNode = deref(rulesNode)
	if rulesNode.Kind != yaml.SequenceNode {
		return l.errf(rulesNode, "rules", "want a list of rules, found %s", kindName(rulesNode))
	}
	names := map[string]int{}
	for i, rn := range rulesNode.Content {
		path := fmt.Sprintf("rules[%d]", i)
		r, err := l.rule(rn, path, params, rs)
		if err != nil {
			return err
		}
		if prev, dup := names[r.Name]; dup {
			return l.errf(rn, path+".name", "duplicate rule name %q (also rules[%d])", r.Name, prev)
		}
		names[r.Name] = i
		rs.Rules = append(rs.Rules, r)
	}
	return nil
}

func (l *loader) known() string {
	ks := make([]string, 0, len(l.reg))
	for k := range l.reg {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	if len(ks) == 0 {
		return "none"
	}
	return strings.Join(ks, ", ")
}

func (l *loader) remediator(name string, n *yaml.Node, path string, params map[string]*yaml.Node, rs *RuleSet) (Remediator, error) {
	if r, ok := rs.Remediators[name]; ok {
		return r, nil
	}
	f := l.reg[name]
	if f == nil {
		return nil, l.errf(n, path, "unknown remediator %q (known: %s)", name, l.known())
	}
	var raw json.RawMessage
	pn := params[name]
	if pn != nil {
		b, err := l.toJSON(pn, "remediators."+name)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	r, err := f(raw)
	if err != nil {
		at, atPath := n, path
		if pn != nil {
			at, atPath = pn, "remediators."+name
		}
		return nil, l.wrap(at, atPath, "remediator "+strconv.Quote(name), err)
	}
	if r == nil {
		return nil, l.errf(n, path, "remediator %q: factory returned nil", name)
	}
	if r.Name() != name {
		return nil, l.errf(n, path, "remediator %q: factory returned a remediator named %q", name, r.Name())
	}
	rs.Remediators[name] = r
	return r, nil
}

func (l *loader) rule(n *yaml.Node, path string, params map[string]*yaml.Node, rs *RuleSet) (Rule, error) {
	var r Rule
	var remName string
	var remNode *yaml.Node
	err := l.mapping(n, path, []string{"name", "description", "remediator", "mode", "pattern", "exclude"}, func(key string, k, v *yaml.Node, sub string) error {
		var err error
		switch key {
		case "name":
			r.Name, err = l.scalar(v, sub)
			if err == nil && r.Name == "" {
				err = l.errf(v, sub, "empty rule name")
			}
		case "description":
			_, err = l.scalar(v, sub)
		case "remediator":
			remName, err = l.scalar(v, sub)
			remNode = v
		case "mode":
			var s string
			if s, err = l.scalar(v, sub); err == nil {
				if r.Mode, err = ParseMode(s); err != nil {
					err = l.errf(v, sub, "unknown mode %q (want dry-run, approval or automatic)", s)
				}
			}
		case "pattern":
			r.Pattern, err = l.pattern(v, sub)
		case "exclude":
			r.Exclude, err = l.exclusions(v, sub)
		}
		return err
	})
	if err != nil {
		return Rule{}, err
	}
	if r.Name == "" {
		return Rule{}, l.errf(n, path, "missing key %q", "name")
	}
	if remNode == nil {
		return Rule{}, l.errf(n, path, "missing key %q", "remediator")
	}
	rem, err := l.remediator(remName, remNode, path+".remediator", params, rs)
	if err != nil {
		return Rule{}, err
	}
	r.Remediator = rem
	return r, nil
}

// pattern converts a pattern node to JSON and checks it with the eventbridge
// parser, mapping a pattern error's JSON pointer back to its line.
func (l *loader) pattern(n *yaml.Node, path string) (string, error) {
	n = deref(n)
	var b []byte
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		b = []byte(n.Value)
	} else {
		var err error
		if b, err = l.toJSON(n, path); err != nil {
			return "", err
		}
	}
	if _, err := parseRulePattern(string(b)); err != nil {
		at, atPath := n, path
		var pe *eventbridge.PatternError
		if errors.As(err, &pe) && n.Kind != yaml.ScalarNode {
			if m := nodeAt(n, pe.Path); m != nil {
				at, atPath = m, path+pe.Path
			}
		}
		return "", l.wrap(at, atPath, "invalid pattern", err)
	}
	return string(b), nil
}

// nodeAt follows a JSON pointer inside a YAML node.
func nodeAt(n *yaml.Node, ptr string) *yaml.Node {
	if ptr == "" {
		return n
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		n = deref(n)
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if deref(n.Content[i]).Value == tok {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				return n
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return n
			}
			n = n.Content[i]
		default:
			return n
		}
	}
	return deref(n)
}

// toJSON converts a YAML node to JSON, keeping the spelling of numbers
// (EventBridge compares numbers in exact matches by their text).
func (l *loader) toJSON(n *yaml.Node, path string) ([]byte, error) {
	var b []byte
	var walk func(n *yaml.Node, path string, depth int) error
	walk = func(n *yaml.Node, path string, depth int) error {
		l.nodes++
		if l.nodes > maxNodes || depth > 100 {
			return l.errf(n, path, "document too large or too deeply nested")
		}
		n = deref(n)
		switch n.Kind {
		case yaml.MappingNode:
			b = append(b, '{')
			seen := map[string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := deref(n.Content[i])
				if k.Kind != yaml.ScalarNode {
					return l.errf(k, path, "mapping keys must be strings")
				}
				if k.Tag == "!!merge" {
					return l.errf(k, path, "merge keys (<<) are not supported")
				}
				if seen[k.Value] {
					return l.errf(k, joinPath(path, k.Value), "duplicate key %q", k.Value)
				}
				seen[k.Value] = true
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, k.Value)
				b = append(b, ':')
				if err := walk(n.Content[i+1], joinPath(path, k.Value), depth+1); err != nil {
					return err
				}
			}
			b = append(b, '}')
		case yaml.SequenceNode:
			b = append(b, '[')
			for i, c := range n.Content {
				if i > 0 {
					b = append(b, ',')
				}
				if err := walk(c, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
					return err
				}
			}
			b = append(b, ']')
		case yaml.ScalarNode:
			v, err := l.scalarJSON(n, path)
			if err != nil {
				return err
			}
			b = append(b, v...)
		default:
			return l.errf(n, path, "unsupported YAML node")
		}
		return nil
	}
	if err := walk(n, path, 0); err != nil {
		return nil, err
	}
	return b, nil
}

func (l *loader) scalarJSON(n *yaml.Node, path string) ([]byte, error) {
	switch n.Tag {
	case "!!null":
		return []byte("null"), nil
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return nil, l.wrap(n, path, "invalid boolean", err)
		}
		return strconv.AppendBool(nil, v), nil
	case "!!int", "!!float":
		if json.Valid([]byte(n.Value)) && !strings.ContainsAny(n.Value[:1], "+\"") {
			return []byte(n.Value), nil
		}
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, l.errf(n, path, "number %q cannot be written in JSON", n.Value)
		}
		return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
	default:
		return appendJSONString(nil, n.Value), nil
	}
}

// appendJSONString appends s as a JSON string without HTML escaping, so a
// pattern reads as written (">=" rather than "\u003e=").
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

func (l *loader) exclusions(n *yaml.Node, path string) (Exclusions, error) {
	var x Exclusions
	err := l.mapping(n, path, []string{"accounts", "regions", "tags"}, func(key string, _, v *yaml.Node, sub string) error {
		var err error
		switch key {
		case "accounts":
			x.Accounts, err = l.strings(v, sub)
		case "regions":
			x.Regions, err = l.strings(v, sub)
		case "tags":
			x.Tags, err = l.tags(v, sub)
		}
		return err
	})
	return x, err
}

// tags reads {key: "*" | value | [values]} or ["key", "key=value"].
func (l *loader) tags(n *yaml.Node, path string) ([]TagMatch, error) {
	n = deref(n)
	var out []TagMatch
	if n.Kind == yaml.SequenceNode {
		ss, err := l.strings(n, path)
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			k, v, hasValue := strings.Cut(s, "=")
			m := TagMatch{Key: k}
			if hasValue {
				m.Values = []string{v}
			}
			out = append(out, m)
		}
		return out, nil
	}
	err := l.mapping(n, path, nil, func(key string, _, v *yaml.Node, sub string) error {
		vals, err := l.strings(v, sub)
		if err != nil {
			return err
		}
		m := TagMatch{Key: key}
		if !(len(vals) == 1 && vals[0] == "*") {
			m.Values = vals
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

func (l *loader) limits(n *yaml.Node, path string) (Limits, error) {
	var lim Limits
	err := l.mapping(n, path, []string{"overall", "remediator", "per_remediator"}, func(key string, _, v *yaml.Node, sub string) error {
		var err error
		switch key {
		case "overall":
			lim.Overall, err = l.limit(v, sub)
		case "remediator":
			lim.Remediator, err = l.limit(v, sub)
		case "per_remediator":
			lim.PerRemediator = map[string]Limit{}
			err = l.mapping(v, sub, nil, func(name string, _, lv *yaml.Node, lsub string) error {
				x, err := l.limit(lv, lsub)
				lim.PerRemediator[name] = x
				return err
			})
		}
		return err
	})
	return lim, err
}

func (l *loader) limit(n *yaml.Node, path string) (Limit, error) {
	var lim Limit
	err := l.mapping(n, path, []string{"max", "window"}, func(key string, _, v *yaml.Node, sub string) error {
		s, err := l.scalar(v, sub)
		if err != nil {
			return err
		}
		switch key {
		case "max":
			if s == "unlimited" {
				lim.Max = -1
				return nil
			}
			m, err := strconv.Atoi(s)
			if err != nil || m <= 0 {
				return l.errf(v, sub, "max must be a positive integer or \"unlimited\", found %q", s)
			}
			lim.Max = m
		case "window":
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				return l.errf(v, sub, "window must be a positive duration such as 10m or 1h, found %q", s)
			}
			lim.Window = d
		}
		return nil
	})
	return lim, err
}
