package cloudformation

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Template is a CloudFormation template. Sections render in the order
// AWSTemplateFormatVersion, Description, Parameters, Conditions, Resources,
// Outputs, and the entries of each section in slice order, so output is
// stable and reviewable.
type Template struct {
	// Description is the template's description (at most 1024 bytes).
	Description string
	// Comment is printed as YAML comment lines at the top of the document.
	Comment    string
	Parameters []Parameter
	Conditions []Condition
	Resources  []Resource
	Outputs    []Output
}

// Parameter is an entry of the Parameters section.
type Parameter struct {
	Name        string // logical name
	Type        string // String, Number, ...
	Description string
	// Default is the default value; nil means none. Never give a secret a default.
	Default Expr
	// NoEcho masks the value in the console, the API and stack events.
	NoEcho                bool
	AllowedPattern        string
	AllowedValues         []string
	MinLength, MaxLength  *int
	MinValue, MaxValue    *int
	ConstraintDescription string
}

// Condition is an entry of the Conditions section.
type Condition struct {
	Name string
	Expr Expr // Equals, And, Not, ...
}

// Resource is an entry of the Resources section.
type Resource struct {
	LogicalID string
	// Comment is printed as YAML comment lines above the resource.
	Comment    string
	Condition  string
	DependsOn  []string
	Properties Properties
}

// Properties are the typed properties of one resource type, such as
// [Connection] or [Rule]. Fields render in declaration order; nil and empty
// fields are omitted.
type Properties interface {
	// ResourceType returns the CloudFormation type name, e.g. AWS::Events::Rule.
	ResourceType() string
}

// Output is an entry of the Outputs section.
type Output struct {
	Name        string
	Description string
	Value       Expr
	Condition   string
}

var logicalID = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)

// WriteYAML renders t as YAML to w. It first checks that logical names are
// valid and unique and that every Ref, GetAtt, Sub variable and condition
// names something the template defines (or a pseudo parameter).
func (t *Template) WriteYAML(w io.Writer) error {
	doc, err := t.document()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("cloudformation: encoding YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("cloudformation: encoding YAML: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func (t *Template) document() (*yaml.Node, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	add := func(k string, v *yaml.Node) { root.Content = append(root.Content, strNode(k), v) }
	add("AWSTemplateFormatVersion", strNode("2010-09-09"))
	if t.Description != "" {
		add("Description", strNode(t.Description))
	}
	if len(t.Parameters) > 0 {
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, p := range t.Parameters {
			n, err := p.node()
			if err != nil {
				return nil, fmt.Errorf("%w: parameter %s: %w", ErrInvalidTemplate, p.Name, err)
			}
			m.Content = append(m.Content, strNode(p.Name), n)
		}
		add("Parameters", m)
	}
	if len(t.Conditions) > 0 {
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, c := range t.Conditions {
			n, err := c.Expr.node()
			if err != nil {
				return nil, fmt.Errorf("%w: condition %s: %w", ErrInvalidTemplate, c.Name, err)
			}
			m.Content = append(m.Content, strNode(c.Name), n)
		}
		add("Conditions", m)
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, r := range t.Resources {
		n, err := r.node()
		if err != nil {
			return nil, fmt.Errorf("%w: resource %s: %w", ErrInvalidTemplate, r.LogicalID, err)
		}
		k := strNode(r.LogicalID)
		k.HeadComment = r.Comment
		m.Content = append(m.Content, k, n)
	}
	add("Resources", m)
	if len(t.Outputs) > 0 {
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, o := range t.Outputs {
			n, err := o.node()
			if err != nil {
				return nil, fmt.Errorf("%w: output %s: %w", ErrInvalidTemplate, o.Name, err)
			}
			m.Content = append(m.Content, strNode(o.Name), n)
		}
		add("Outputs", m)
	}
	return &yaml.Node{Kind: yaml.DocumentNode, HeadComment: t.Comment, Content: []*yaml.Node{root}}, nil
}

// check validates names and references.
func (t *Template) check() error {
	var problems []string
	names := map[string]string{} // logical name -> section
	declare := func(section, name string) {
		if !logicalID.MatchString(name) {
			problems = append(problems, fmt.Sprintf("%s name %q is not alphanumeric (1-255 characters)", section, name))
		}
		if prev, dup := names[name]; dup {
			problems = append(problems, fmt.Sprintf("%s name %q is already used in %s", section, name, prev))
		}
		names[name] = section
	}
	for _, p := range t.Parameters {
		declare("parameter", p.Name)
	}
	conds := map[string]bool{}
	for _, c := range t.Conditions {
		declare("condition", c.Name)
		conds[c.Name] = true
	}
	resources := map[string]bool{}
	for _, r := range t.Resources {
		declare("resource", r.LogicalID)
		resources[r.LogicalID] = true
	}
	for _, o := range t.Outputs {
		if !logicalID.MatchString(o.Name) {
			problems = append(problems, fmt.Sprintf("output name %q is not alphanumeric", o.Name))
		}
	}
	if len(t.Resources) == 0 {
		problems = append(problems, "a template needs at least one resource")
	}
	if len(t.Description) > 1024 {
		problems = append(problems, "description is longer than 1024 bytes")
	}
	checkExpr := func(where string, e Expr) {
		if e == nil {
			return
		}
		e.refs(func(k refKind, name string) {
			switch k {
			case refName:
				if strings.HasPrefix(name, "AWS::") {
					if !slices.Contains(pseudoParameters, name) {
						problems = append(problems, fmt.Sprintf("%s: unknown pseudo parameter %s", where, name))
					}
					return
				}
				if s := names[name]; s != "parameter" && s != "resource" {
					problems = append(problems, fmt.Sprintf("%s: Ref to undefined %q", where, name))
				}
			case refResource:
				if !resources[name] {
					problems = append(problems, fmt.Sprintf("%s: GetAtt of undefined resource %q", where, name))
				}
			case refCondition:
				if !conds[name] {
					problems = append(problems, fmt.Sprintf("%s: undefined condition %q", where, name))
				}
			}
		})
	}
	for _, c := range t.Conditions {
		checkExpr("condition "+c.Name, c.Expr)
	}
	for _, r := range t.Resources {
		where := "resource " + r.LogicalID
		if r.Properties == nil {
			problems = append(problems, where+": no properties type")
			continue
		}
		if r.Condition != "" && !conds[r.Condition] {
			problems = append(problems, fmt.Sprintf("%s: undefined condition %q", where, r.Condition))
		}
		for _, d := range r.DependsOn {
			if !resources[d] {
				problems = append(problems, fmt.Sprintf("%s: DependsOn undefined resource %q", where, d))
			}
		}
		walkExprs(reflect.ValueOf(r.Properties), func(e Expr) { checkExpr(where, e) })
	}
	for _, o := range t.Outputs {
		if o.Value == nil {
			problems = append(problems, fmt.Sprintf("output %s has no value", o.Name))
		}
		if o.Condition != "" && !conds[o.Condition] {
			problems = append(problems, fmt.Sprintf("output %s: undefined condition %q", o.Name, o.Condition))
		}
		checkExpr("output "+o.Name, o.Value)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidTemplate, strings.Join(problems, "; "))
	}
	return nil
}

var pseudoParameters = []string{
	"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
	"AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
}

func (p Parameter) node() (*yaml.Node, error) {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	add := func(k string, v *yaml.Node) { m.Content = append(m.Content, strNode(k), v) }
	typ := p.Type
	if typ == "" {
		typ = "String"
	}
	add("Type", strNode(typ))
	if p.Description != "" {
		add("Description", strNode(p.Description))
	}
	if p.Default != nil {
		n, err := p.Default.node()
		if err != nil {
			return nil, err
		}
		add("Default", n)
	}
	if p.NoEcho {
		add("NoEcho", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	if p.AllowedPattern != "" {
		add("AllowedPattern", strNode(p.AllowedPattern))
	}
	if len(p.AllowedValues) > 0 {
		s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, v := range p.AllowedValues {
			s.Content = append(s.Content, strNode(v))
		}
		add("AllowedValues", s)
	}
	for _, kv := range []struct {
		k string
		v *int
	}{{"MinLength", p.MinLength}, {"MaxLength", p.MaxLength}, {"MinValue", p.MinValue}, {"MaxValue", p.MaxValue}} {
		if kv.v != nil {
			add(kv.k, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(*kv.v)})
		}
	}
	if p.ConstraintDescription != "" {
		add("ConstraintDescription", strNode(p.ConstraintDescription))
	}
	return m, nil
}

func (r Resource) node() (*yaml.Node, error) {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	add := func(k string, v *yaml.Node) { m.Content = append(m.Content, strNode(k), v) }
	add("Type", strNode(r.Properties.ResourceType()))
	if r.Condition != "" {
		add("Condition", strNode(r.Condition))
	}
	if len(r.DependsOn) > 0 {
		s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, d := range r.DependsOn {
			s.Content = append(s.Content, strNode(d))
		}
		add("DependsOn", s)
	}
	props, err := encodeValue(reflect.ValueOf(r.Properties))
	if err != nil {
		return nil, err
	}
	if props != nil && len(props.Content) > 0 {
		add("Properties", props)
	}
	return m, nil
}

func (o Output) node() (*yaml.Node, error) {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	add := func(k string, v *yaml.Node) { m.Content = append(m.Content, strNode(k), v) }
	if o.Description != "" {
		add("Description", strNode(o.Description))
	}
	if o.Condition != "" {
		add("Condition", strNode(o.Condition))
	}
	v, err := o.Value.node()
	if err != nil {
		return nil, err
	}
	add("Value", v)
	return m, nil
}

var exprType = reflect.TypeFor[Expr]()

// encodeValue renders a properties value: an Expr, a struct with `cfn` field
// tags (in declaration order, zero fields omitted), a slice, or a map with
// string keys (sorted). It returns nil for a zero value.
func encodeValue(v reflect.Value) (*yaml.Node, error) {
	if !v.IsValid() {
		return nil, nil
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer, reflect.Slice, reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
	}
	if v.Kind() == reflect.Interface {
		return encodeValue(v.Elem())
	}
	if v.Type().Implements(exprType) {
		return v.Interface().(Expr).node()
	}
	switch v.Kind() {
	case reflect.Pointer:
		return encodeValue(v.Elem())
	case reflect.Struct:
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name := f.Tag.Get("cfn")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			n, err := encodeValue(v.Field(i))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if n == nil {
				continue
			}
			m.Content = append(m.Content, strNode(name), n)
		}
		return m, nil
	case reflect.Slice:
		if v.Len() == 0 {
			return nil, nil
		}
		s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i := range v.Len() {
			n, err := encodeValue(v.Index(i))
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if n == nil {
				return nil, fmt.Errorf("[%d]: empty list element", i)
			}
			s.Content = append(s.Content, n)
		}
		return s, nil
	case reflect.Map:
		if v.Len() == 0 {
			return nil, nil
		}
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key type %s", v.Type().Key())
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range keys {
			n, err := encodeValue(v.MapIndex(k))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k.String(), err)
			}
			if n == nil {
				continue
			}
			m.Content = append(m.Content, strNode(k.String()), n)
		}
		return m, nil
	case reflect.String:
		return strNode(v.String()), nil
	}
	return nil, fmt.Errorf("cannot render a %s", v.Type())
}

// walkExprs calls fn for every Expr inside a properties value.
func walkExprs(v reflect.Value, fn func(Expr)) {
	if !v.IsValid() {
		return
	}
	if v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
	}
	if v.CanInterface() {
		if e, ok := v.Interface().(Expr); ok {
			fn(e)
			return
		}
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		walkExprs(v.Elem(), fn)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkExprs(v.Field(i), fn)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkExprs(v.Index(i), fn)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			walkExprs(v.MapIndex(k), fn)
		}
	}
}
