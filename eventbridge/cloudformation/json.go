package cloudformation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// JSON is a literal JSON document (for example an event pattern), rendered
// as a YAML block with the keys in the document's order.
//
// Rendering fails for documents YAML cannot carry exactly into CloudFormation:
// numbers other than integers of at most 15 digits (CloudFormation's YAML 1.1
// parser reads 1e3 as a string, and re-serializes 7.50 as 7.5, while
// EventBridge compares numbers by their text), objects that CloudFormation
// would read as an intrinsic function (a single "Ref" or "Fn::..." key),
// duplicate keys, invalid UTF-8, and nesting deeper than 64 levels. Render
// such a document as a string instead.
type JSON []byte

func (j JSON) node() (*yaml.Node, error) {
	n, err := jsonToNode(j)
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	return n, nil
}

func (JSON) refs(func(refKind, string)) {}

const maxJSONDepth = 64

// intLiteral matches the integers that survive YAML 1.1 and a float64
// round trip unchanged.
var intLiteral = regexp.MustCompile(`^(0|-?[1-9][0-9]{0,14})$`)

// errNotYAMLSafe marks JSON that is valid but has no exact YAML rendering.
var errNotYAMLSafe = errors.New("no exact YAML form")

// errDuplicateKey marks an object with a repeated key.
var errDuplicateKey = errors.New("duplicate key")

// jsonToNode converts one JSON value to a YAML node tree, keeping key order.
func jsonToNode(data []byte) (*yaml.Node, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("invalid JSON: not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := decodeJSONNode(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid JSON: data after the top-level value")
	}
	return n, nil
}

func decodeJSONNode(dec *json.Decoder, path string, depth int) (*yaml.Node, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d levels at %s", errNotYAMLSafe, maxJSONDepth, pathOrRoot(path))
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON at %s: %w", pathOrRoot(path), err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("invalid JSON at %s: %w", pathOrRoot(path), err)
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("invalid JSON at %s: object key is not a string", pathOrRoot(path))
				}
				kp := path + "/" + escapePointer(k)
				if seen[k] {
					return nil, fmt.Errorf("%w %q at %s", errDuplicateKey, k, pathOrRoot(path))
				}
				seen[k] = true
				v, err := decodeJSONNode(dec, kp, depth+1)
				if err != nil {
					return nil, err
				}
				m.Content = append(m.Content, plainStrNode(k), v)
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, fmt.Errorf("invalid JSON at %s: %w", pathOrRoot(path), err)
			}
			if len(m.Content) == 2 {
				if k := m.Content[0].Value; k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return nil, fmt.Errorf("%w: object at %s has the single key %q, which CloudFormation reads as an intrinsic function", errNotYAMLSafe, pathOrRoot(path), k)
				}
			}
			return m, nil
		case '[':
			s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for i := 0; dec.More(); i++ {
				v, err := decodeJSONNode(dec, fmt.Sprintf("%s/%d", path, i), depth+1)
				if err != nil {
					return nil, err
				}
				s.Content = append(s.Content, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, fmt.Errorf("invalid JSON at %s: %w", pathOrRoot(path), err)
			}
			if len(s.Content) > 0 && len(s.Content) <= 8 && allScalars(s.Content) {
				s.Style = yaml.FlowStyle
			}
			return s, nil
		}
		return nil, fmt.Errorf("invalid JSON at %s: unexpected %v", pathOrRoot(path), t)
	case string:
		return plainStrNode(t), nil
	case json.Number:
		s := t.String()
		if intLiteral.MatchString(s) {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: s}, nil
		}
		return nil, fmt.Errorf("%w: number %s at %s may not keep its exact text through CloudFormation", errNotYAMLSafe, s, pathOrRoot(path))
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("invalid JSON at %s: unexpected token %v", pathOrRoot(path), tok)
}

func allScalars(ns []*yaml.Node) bool {
	for _, n := range ns {
		if n.Kind != yaml.ScalarNode || strings.ContainsAny(n.Value, "\n") || len(n.Value) > 60 {
			return false
		}
	}
	return true
}

func pathOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// escapePointer escapes a key for use in a JSON pointer (RFC 6901).
func escapePointer(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}
