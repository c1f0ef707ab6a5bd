package cloudformation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Event pattern limits: EventBridge accepts 2,048 characters by default and
// up to 4,096 after a Service Quotas increase.
const (
	PatternSizeDefaultLimit = 2048
	PatternSizeMax          = 4096
)

// DefaultPattern matches every Security Hub (OCSF) finding event.
const DefaultPattern = `{"source":["aws.securityhub"],"detail-type":["Findings Imported V2"]}`

// wrongDetailType is the autobotAI guide's value; AWS never sends it.
const wrongDetailType = "Security Hub Findings Imported V2"

type patternInfo struct {
	compact    []byte // the configured pattern, compact JSON
	yamlSafe   bool   // renderable as a YAML mapping without changing its meaning
	ownAccount bool   // add "account": [AWS::AccountId]
	size       int    // characters of the effective compact pattern
}

// analyzePattern validates the configured pattern. Errors are FieldErrors
// on "Pattern" (or "OwnAccountOnly" for a conflict).
func analyzePattern(m json.Marshaler, ownAccount, home bool, warn func(string, ...any)) (patternInfo, []*FieldError) {
	var probs []*FieldError
	fail := func(err error) (patternInfo, []*FieldError) {
		return patternInfo{}, append(probs, &FieldError{Field: "Pattern", Err: err})
	}
	raw := []byte(DefaultPattern)
	if v := reflect.ValueOf(m); m != nil && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Map || v.Kind() == reflect.Slice) && v.IsNil() {
		// A typed nil (say, a *Pattern from a builder whose error was
		// ignored) must not silently widen the rule to the default.
		return fail(fmt.Errorf("%w: a nil %T", ErrInvalidPattern, m))
	}
	if m != nil {
		b, err := m.MarshalJSON()
		if err != nil {
			return fail(fmt.Errorf("%w: marshaling: %w", ErrInvalidPattern, err))
		}
		raw = b
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return fail(fmt.Errorf("%w: %w", ErrInvalidPattern, err))
	}
	p := patternInfo{compact: buf.Bytes(), ownAccount: ownAccount, yamlSafe: true}
	if _, err := jsonToNode(p.compact); err != nil {
		switch {
		case errors.Is(err, errDuplicateKey):
			return fail(fmt.Errorf("%w: %w", ErrInvalidPattern, err))
		case errors.Is(err, errNotYAMLSafe):
			p.yamlSafe = false
		default:
			return fail(fmt.Errorf("%w: %w", ErrInvalidPattern, err))
		}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(p.compact, &top); err != nil || top == nil {
		return fail(fmt.Errorf("%w: the pattern must be a JSON object", ErrInvalidPattern))
	}
	if len(top) == 0 {
		return fail(fmt.Errorf("%w: the pattern is empty", ErrInvalidPattern))
	}
	strs := func(key string) ([]string, bool) {
		v, ok := top[key]
		if !ok {
			return nil, false
		}
		var list []any
		if err := json.Unmarshal(v, &list); err != nil {
			probs = append(probs, &FieldError{Field: "Pattern", Err: fmt.Errorf("%w: %q must be an array of values", ErrInvalidPattern, key)})
			return nil, true
		}
		var out []string
		for _, x := range list {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out, true
	}
	if dt, ok := strs("detail-type"); ok {
		if slices.Contains(dt, wrongDetailType) {
			probs = append(probs, &FieldError{Field: "Pattern", Err: ErrWrongDetailType})
		} else if !slices.Contains(dt, "Findings Imported V2") {
			warn("the pattern's detail-type does not include \"Findings Imported V2\", the Security Hub (OCSF) event")
		}
	} else {
		warn("the pattern has no detail-type: it also matches Security Hub CSPM (ASFF) events, duplicating findings in another format")
	}
	if src, ok := strs("source"); !ok || !slices.Contains(src, "aws.securityhub") {
		warn("the pattern does not restrict source to aws.securityhub")
	}
	if home {
		for _, k := range []string{"account", "region"} {
			if _, ok := top[k]; ok {
				probs = append(probs, &FieldError{Field: "Pattern", Err: fmt.Errorf(
					"%w: top-level %q; filter detail.findings.cloud.account.uid or detail.findings.cloud.region instead", ErrEnvelopeFilter, k)})
			}
		}
	}
	if _, ok := top["account"]; ok && ownAccount {
		probs = append(probs, &FieldError{Field: "OwnAccountOnly", Err: fmt.Errorf("%w: the pattern already filters \"account\"", ErrConflict)})
	}
	eff := p.compact
	if ownAccount {
		eff = withAccount(p.compact, "123456789012") // a real ID has the same length
	}
	p.size = utf8.RuneCount(eff)
	switch {
	case p.size > PatternSizeMax:
		probs = append(probs, &FieldError{Field: "Pattern", Err: fmt.Errorf("%w: %d characters, EventBridge accepts at most %d", ErrPatternTooLarge, p.size, PatternSizeMax)})
	case p.size > PatternSizeDefaultLimit:
		warn("the event pattern has %d characters: above %d it needs the \"Event pattern size\" Service Quotas increase (to at most %d)", p.size, PatternSizeDefaultLimit, PatternSizeMax)
	}
	return p, probs
}

// withAccount inserts "account":[id] as the first key of a compact object.
func withAccount(compact []byte, id string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"account":[` + fmt.Sprintf("%q", id) + `]`)
	if len(compact) > 2 {
		b.WriteByte(',')
	}
	b.Write(compact[1:])
	return b.Bytes()
}

// expr returns the EventPattern value: a YAML mapping when that carries the
// pattern exactly, otherwise a JSON string (a !Sub string when the account
// filter needs the stack's account ID).
func (p patternInfo) expr() Expr { return patternExpr{p} }

type patternExpr struct{ p patternInfo }

func (e patternExpr) refs(yield func(refKind, string)) {
	if e.p.ownAccount {
		yield(refName, string(AccountID))
	}
}

func (e patternExpr) node() (*yaml.Node, error) {
	p := e.p
	if p.yamlSafe {
		n, err := jsonToNode(p.compact)
		if err != nil {
			return nil, err
		}
		if p.ownAccount {
			acct := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle,
				Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!Ref", Value: string(AccountID)}}}
			at := 0 // after source and detail-type, where a reader looks first
			for i := 0; i < len(n.Content); i += 2 {
				if k := n.Content[i].Value; k == "source" || k == "detail-type" {
					at = i + 2
				}
			}
			n.Content = slices.Insert(n.Content, at, strNode("account"), acct)
		}
		return n, nil
	}
	text := p.compact
	if p.ownAccount {
		text = withAccount([]byte(EscapeSub(string(p.compact))), "${AWS::AccountId}")
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, text, "", "  "); err == nil && utf8.RuneCount(ind.Bytes()) <= PatternSizeDefaultLimit {
		text = ind.Bytes()
	}
	if p.ownAccount {
		return Sub(string(text)).node()
	}
	return Str(string(text)).node()
}
