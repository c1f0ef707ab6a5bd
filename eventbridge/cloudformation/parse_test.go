package cloudformation

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file reads rendered templates back, the way CloudFormation does:
// YAML with the short-form intrinsic tags, turned into the long (JSON) form.

// shortTags maps each short-form tag to its long-form key.
var shortTags = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!Join": "Fn::Join", "!If": "Fn::If",
	"!Equals": "Fn::Equals", "!And": "Fn::And", "!Or": "Fn::Or", "!Not": "Fn::Not",
	"!Select": "Fn::Select", "!Split": "Fn::Split", "!FindInMap": "Fn::FindInMap",
	"!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr", "!GetAZs": "Fn::GetAZs",
	"!ImportValue": "Fn::ImportValue", "!ToJsonString": "Fn::ToJsonString", "!Length": "Fn::Length",
}

// yaml11Special matches plain scalars that a YAML 1.1 parser (CloudFormation's)
// reads as something other than a string.
var yaml11Special = regexp.MustCompile(`^(?i:y|yes|n|no|true|false|on|off|~|null)$|` +
	`^[-+]?(0b[01_]+|0[0-7_]+|0x[0-9a-fA-F_]+|[1-9][0-9_]*(:[0-5]?[0-9])+|[0-9][0-9_]*)$|` +
	`^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$|^<<$|^=$|` +
	`^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}`)

// parseTemplate decodes YAML into map[string]any / []any / string / int64 /
// float64 / bool / nil, with intrinsics in long form. It rejects anchors,
// aliases, merge keys, duplicate keys, unknown tags, and plain strings a
// YAML 1.1 parser would read as another type.
func parseTemplate(data []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("not a single YAML document")
	}
	v, err := fromNode(doc.Content[0], "")
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("top level is %T, not a mapping", v)
	}
	return m, nil
}

func fromNode(n *yaml.Node, path string) (any, error) {
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return nil, fmt.Errorf("%s: anchors and aliases are not used in templates", path)
	}
	if long, ok := shortTags[n.Tag]; ok {
		inner := *n
		inner.Tag = ""
		switch n.Kind {
		case yaml.ScalarNode:
			inner.Tag = "!!str"
		case yaml.SequenceNode:
			inner.Tag = "!!seq"
		case yaml.MappingNode:
			inner.Tag = "!!map"
		}
		v, err := fromNode(&inner, path+"/"+long)
		if err != nil {
			return nil, err
		}
		if long == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				res, attr, found := strings.Cut(s, ".")
				if !found {
					return nil, fmt.Errorf("%s: !GetAtt %q is not Resource.Attribute", path, s)
				}
				v = []any{res, attr}
			}
		}
		return map[string]any{long: v}, nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return nil, fmt.Errorf("%s: unknown tag %s", path, n.Tag)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
				return nil, fmt.Errorf("%s: non-string key %q (%s)", path, k.Value, k.Tag)
			}
			if k.Value == "<<" && k.Style == 0 {
				return nil, fmt.Errorf("%s: merge keys are not used in templates", path)
			}
			if k.Style == 0 && yaml11Special.MatchString(k.Value) {
				return nil, fmt.Errorf("%s: plain key %q is not a string in YAML 1.1", path, k.Value)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("%s: duplicate key %q", path, k.Value)
			}
			v, err := fromNode(n.Content[i+1], path+"/"+k.Value)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		out := []any{}
		for i, c := range n.Content {
			v, err := fromNode(c, fmt.Sprintf("%s/%d", path, i))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			if n.Style == 0 && yaml11Special.MatchString(n.Value) {
				return nil, fmt.Errorf("%s: plain scalar %q is not a string in YAML 1.1; it must be quoted", path, n.Value)
			}
			return n.Value, nil
		case "!!int":
			return strconv.ParseInt(n.Value, 0, 64)
		case "!!float":
			return strconv.ParseFloat(n.Value, 64)
		case "!!bool":
			return strconv.ParseBool(n.Value)
		case "!!null":
			return nil, nil
		}
		return nil, fmt.Errorf("%s: scalar with tag %s", path, n.Tag)
	}
	return nil, fmt.Errorf("%s: unexpected node kind %v", path, n.Kind)
}
