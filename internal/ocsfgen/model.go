package ocsfgen

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ocsfhub/ocsfhub/internal/ocsfschema"
)

// kind is the Go representation of an attribute's value.
type kind int

const (
	kString  kind = iota // string_t and every type based on it
	kInt                 // integer_t, long_t, timestamp_t and types based on them: int64
	kFloat               // float_t: float64
	kBool                // boolean_t: *bool (bool in arrays)
	kRaw                 // json_t: json.RawMessage
	kOpenMap             // the attribute-less "object" object: map[string]any
	kObject              // another object: *T ([]T in arrays)
	kEnum                // an integer enumeration: a named integer type
)

// model is the Go view of the part of a schema that is generated.
type model struct {
	schema  *ocsfschema.Schema
	classes []*goType // by class uid
	objects []*goType // by Go name
	enums   []*goEnum // by Go name
	byName  map[string]*goType
	taken   func(goName string) bool
}

// goType is a generated struct: an event class or an object.
type goType struct {
	Name        string // Go name
	Schema      string // schema name
	Caption     string
	Description string
	Deprecated  *ocsfschema.Deprecation
	IsClass     bool
	ClassUID    int
	CategoryUID int
	Category    string // category caption
	Fields      []*goField
	depth       int // distance from the classes, for enum naming

	// Computed after the fields: whether values built in Go need derived
	// attributes filled (enum captions, required enums, class uids), and
	// whether normalize must visit this type.
	HasFill      bool
	HasNormalize bool
}

// goField is one attribute of a goType.
type goField struct {
	Name        string // Go name
	JSON        string // attribute name
	Index       int
	Kind        kind
	Array       bool
	Object      *goType // kObject
	Enum        *goEnum // kEnum
	Caption     string
	Description string
	Requirement string
	Profiles    []string
	Deprecated  *ocsfschema.Deprecation
	Extension   string
	SchemaType  string   // the attribute's schema type (for the comment)
	Sibling     *goField // for an enum field: its caption string field
	SiblingOf   *goField // for a caption string: its enum field
	Values      []string // allowed values of a string enumeration
	attr        *ocsfschema.Attribute
	owner       *goType
}

// goEnum is a generated enumeration type.
type goEnum struct {
	Name     string
	Attr     string // attribute name
	Caption  string
	Desc     string
	Base     string // "int32" or "int64"
	External bool   // declared by hand (ClassUID): only captions are generated
	Values   []*enumValue
	Users    []string // "owner.attribute" that use it
	sig      map[int64]string
}

// enumValue is one constant of a goEnum.
type enumValue struct {
	Value       int64
	Const       string
	Caption     string
	Description string
	Deprecated  *ocsfschema.Deprecation
}

// reservedMethods are method names of the generated types; a field with
// such a name is renamed.
var reservedMethods = map[string]bool{
	"MarshalJSON": true, "UnmarshalJSON": true, "Extra": true, "ExtraNames": true, "SetExtra": true,
	"String": true,
}

// reservedClassMethods are the extra method names of event class types.
var reservedClassMethods = map[string]bool{"ClassUID": true, "Summary": true, "Normalize": true}

// fieldRenames gives the Go name of an attribute whose natural name collides
// with a method.
var fieldRenames = map[string]string{"class_uid": "Class"}

// externalEnums are enumerations declared by hand in the package.
var externalEnums = map[string]string{"class_uid": "ClassUID"}

func buildModel(s *ocsfschema.Schema, opts Options) (*model, error) {
	m := &model{schema: s, byName: map[string]*goType{}}
	var roots []*ocsfschema.Class
	if len(opts.Classes) > 0 {
		for _, name := range opts.Classes {
			c, ok := s.Classes[name]
			if !ok {
				return nil, fmt.Errorf("ocsfgen: class %q is not in the schema", name)
			}
			roots = append(roots, c)
		}
	} else {
		for _, c := range s.Classes {
			if c.Category == "findings" || c.CategoryUID == 2 {
				roots = append(roots, c)
			}
		}
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("ocsfgen: no classes selected")
	}
	slices.SortFunc(roots, func(a, b *ocsfschema.Class) int { return cmp.Compare(a.UID, b.UID) })

	// Objects reachable from the classes, breadth first so that depth is the
	// shortest distance from a class.
	depth := map[string]int{}
	queue := []string{}
	visit := func(attrs map[string]*ocsfschema.Attribute, d int) error {
		for _, an := range slices.Sorted(maps.Keys(attrs)) {
			a := attrs[an]
			if a.ObjectType == "" {
				continue
			}
			if _, ok := s.Objects[a.ObjectType]; !ok {
				return fmt.Errorf("ocsfgen: attribute %s refers to unknown object %q", an, a.ObjectType)
			}
			if _, seen := depth[a.ObjectType]; !seen {
				depth[a.ObjectType] = d
				queue = append(queue, a.ObjectType)
			}
		}
		return nil
	}
	for _, c := range roots {
		if err := visit(c.Attributes, 1); err != nil {
			return nil, err
		}
	}
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		if err := visit(s.Objects[o].Attributes, depth[o]+1); err != nil {
			return nil, err
		}
	}

	used := map[string]string{} // Go type name -> schema item, to detect clashes
	m.taken = func(goName string) bool { _, ok := used[goName]; return ok }
	claim := func(goName, what string) error {
		if prev, ok := used[goName]; ok {
			return fmt.Errorf("ocsfgen: Go name %s is used by both %s and %s", goName, prev, what)
		}
		used[goName] = what
		return nil
	}
	for _, n := range opts.ReservedNames {
		used[n] = "the hand-written package API"
	}

	for _, c := range roots {
		t := &goType{
			Name: typeName(c.Name, opts), Schema: c.Name, Caption: c.Caption, Description: c.Description,
			Deprecated: c.Deprecated, IsClass: true, ClassUID: c.UID, CategoryUID: c.CategoryUID,
		}
		if s.Categories != nil {
			if cat, ok := s.Categories.Attributes[c.Category]; ok {
				t.Category = cat.Caption
			}
		}
		if t.Category == "" {
			t.Category = c.CategoryName
		}
		if err := claim(t.Name, "class "+c.Name); err != nil {
			return nil, err
		}
		m.classes = append(m.classes, t)
		m.byName["class:"+c.Name] = t
	}
	for _, o := range slices.Sorted(maps.Keys(depth)) {
		obj := s.Objects[o]
		if isOpenObject(obj) {
			continue
		}
		t := &goType{
			Name: typeName(o, opts), Schema: o, Caption: obj.Caption, Description: obj.Description,
			Deprecated: obj.Deprecated, depth: depth[o],
		}
		if err := claim(t.Name, "object "+o); err != nil {
			return nil, err
		}
		m.objects = append(m.objects, t)
		m.byName[o] = t
	}
	slices.SortFunc(m.objects, func(a, b *goType) int { return cmp.Compare(a.Name, b.Name) })

	for _, t := range append(slices.Clone(m.classes), m.objects...) {
		item := s.Objects[t.Schema]
		if t.IsClass {
			item = s.Classes[t.Schema]
		}
		if err := m.buildFields(t, item); err != nil {
			return nil, err
		}
	}
	if err := m.buildEnums(claim); err != nil {
		return nil, err
	}
	m.computeFill()
	return m, nil
}

// typeName is the Go name of a class or object.
func typeName(name string, opts Options) string {
	if n, ok := opts.TypeNames[name]; ok {
		return n
	}
	return goName(name)
}

// isOpenObject reports whether o is the attribute-less "object" used for
// free-form maps (unmapped, xattributes).
func isOpenObject(o *ocsfschema.Class) bool { return len(o.Attributes) == 0 }

// baseType resolves a dictionary type to its primitive.
func (m *model) baseType(t string) string {
	for range 8 {
		if m.schema.Dictionary == nil || m.schema.Dictionary.Types == nil {
			return t
		}
		dt, ok := m.schema.Dictionary.Types.Attributes[t]
		if !ok || dt.Base == "" || dt.Base == t {
			return t
		}
		t = dt.Base
	}
	return t
}

func (m *model) buildFields(t *goType, item *ocsfschema.Class) error {
	names := slices.Sorted(maps.Keys(item.Attributes))
	if len(names) > 128 {
		return fmt.Errorf("ocsfgen: %s has %d attributes; the generated state holds at most 128", t.Schema, len(names))
	}
	seen := map[string]string{}
	for i, an := range names {
		a := item.Attributes[an]
		f := &goField{
			JSON: an, Index: i, Array: a.IsArray, Caption: a.Caption, Description: a.Description,
			Requirement: a.Requirement, Profiles: a.Profiles, Deprecated: a.Deprecated, Extension: a.Extension,
			SchemaType: a.Type, attr: a, owner: t,
		}
		if a.ObjectType != "" {
			f.SchemaType = a.ObjectType
		}
		f.Name = goName(an)
		if n, ok := fieldRenames[an]; ok && (reservedMethods[f.Name] || t.IsClass && reservedClassMethods[f.Name]) {
			f.Name = n
		} else if reservedMethods[f.Name] || t.IsClass && reservedClassMethods[f.Name] {
			f.Name += "Attr"
		}
		if prev, ok := seen[f.Name]; ok {
			return fmt.Errorf("ocsfgen: %s: attributes %s and %s both map to Go field %s", t.Schema, prev, an, f.Name)
		}
		seen[f.Name] = an

		base := m.baseType(a.Type)
		switch {
		case a.Type == "object_t" || a.ObjectType != "":
			obj := m.schema.Objects[a.ObjectType]
			if obj != nil && isOpenObject(obj) {
				f.Kind = kOpenMap
				if a.IsArray {
					return fmt.Errorf("ocsfgen: %s.%s: arrays of free-form objects are not supported", t.Schema, an)
				}
			} else {
				f.Kind = kObject
				f.Object = m.byName[a.ObjectType]
				if f.Object == nil {
					return fmt.Errorf("ocsfgen: %s.%s: object %q was not collected", t.Schema, an, a.ObjectType)
				}
			}
		case len(a.Enum) > 0 && (base == "integer_t" || base == "long_t"):
			f.Kind = kEnum
		case base == "string_t":
			f.Kind = kString
			for _, v := range slices.Sorted(maps.Keys(a.Enum)) {
				f.Values = append(f.Values, v)
			}
		case base == "integer_t" || base == "long_t":
			f.Kind = kInt
		case base == "float_t":
			f.Kind = kFloat
		case base == "boolean_t":
			f.Kind = kBool
		case base == "json_t":
			f.Kind = kRaw
		default:
			return fmt.Errorf("ocsfgen: %s.%s: unsupported type %q (base %q)", t.Schema, an, a.Type, base)
		}
		t.Fields = append(t.Fields, f)
	}
	// Link enum ids with their caption strings.
	for _, f := range t.Fields {
		if f.Kind != kEnum || f.attr.Sibling == "" {
			continue
		}
		for _, g := range t.Fields {
			if g.JSON == f.attr.Sibling && g.Kind == kString && g.Array == f.Array && g.SiblingOf == nil {
				f.Sibling, g.SiblingOf = g, f
			}
		}
	}
	return nil
}

// enumUse is one attribute that carries an enumeration.
type enumUse struct {
	field *goField
	sig   map[int64]string
}

// buildEnums names the enumeration types. All attributes of one name whose
// values agree (no value with two captions) share one type named after the
// attribute (SeverityID). When they disagree, each distinct set of values
// gets its own type named after an owner: "Finding"+attribute when all
// owners are classes sharing a name suffix (FindingStatusID), otherwise the
// owner closest to the classes (DeviceTypeID).
func (m *model) buildEnums(claim func(string, string) error) error {
	uses := map[string][]*enumUse{}
	for _, t := range append(slices.Clone(m.classes), m.objects...) {
		for _, f := range t.Fields {
			if f.Kind != kEnum {
				continue
			}
			sig := map[int64]string{}
			for k, v := range f.attr.Enum {
				n, err := strconv.ParseInt(k, 10, 64)
				if err != nil {
					return fmt.Errorf("ocsfgen: %s.%s: enum key %q is not an integer", t.Schema, f.JSON, k)
				}
				sig[n] = v.Caption
			}
			uses[f.JSON] = append(uses[f.JSON], &enumUse{field: f, sig: sig})
		}
	}
	for _, attr := range slices.Sorted(maps.Keys(uses)) {
		us := uses[attr]
		// An array of ids ("classification_ids") holds one id per element.
		base := attr
		if strings.HasSuffix(attr, "_ids") && !slices.ContainsFunc(us, func(u *enumUse) bool { return !u.field.Array }) {
			base = strings.TrimSuffix(attr, "s")
		}
		// Try one union type for the attribute.
		union := map[int64]string{}
		compatible := true
		for _, u := range us {
			for k, c := range u.sig {
				if prev, ok := union[k]; ok && prev != c {
					compatible = false
				}
				union[k] = c
			}
		}
		if compatible {
			name := goName(base)
			if ext, ok := externalEnums[attr]; ok {
				name = ext
			} else if m.taken(name) {
				name = goName(us[0].field.owner.Schema) + name
			}
			e, err := m.newEnum(name, attr, us, externalEnums[attr] != "")
			if err != nil {
				return err
			}
			if !e.External {
				if err := claim(e.Name, "enum "+attr); err != nil {
					return err
				}
			}
			continue
		}
		// Group identical value sets.
		var groups [][]*enumUse
		for _, u := range us {
			placed := false
			for gi, g := range groups {
				if maps.Equal(g[0].sig, u.sig) {
					groups[gi] = append(g, u)
					placed = true
					break
				}
			}
			if !placed {
				groups = append(groups, []*enumUse{u})
			}
		}
		for _, g := range groups {
			name := groupName(base, g)
			if m.taken(name) {
				name = goName(g[0].field.owner.Schema) + goName(base)
			}
			e, err := m.newEnum(name, attr, g, false)
			if err != nil {
				return err
			}
			if err := claim(e.Name, "enum "+attr+" of "+g[0].field.owner.Schema); err != nil {
				return err
			}
		}
	}
	slices.SortFunc(m.enums, func(a, b *goEnum) int { return cmp.Compare(a.Name, b.Name) })
	return nil
}

// groupName names one of several enumeration types of an attribute.
func groupName(attr string, g []*enumUse) string {
	allClasses := true
	for _, u := range g {
		allClasses = allClasses && u.field.owner.IsClass
	}
	if allClasses && len(g) > 1 {
		suffix := strings.Split(g[0].field.owner.Schema, "_")
		for _, u := range g[1:] {
			words := strings.Split(u.field.owner.Schema, "_")
			n := 0
			for n < len(suffix) && n < len(words) && suffix[len(suffix)-1-n] == words[len(words)-1-n] {
				n++
			}
			suffix = suffix[len(suffix)-n:]
		}
		if len(suffix) > 0 {
			return goName(strings.Join(suffix, "_")) + goName(attr)
		}
	}
	best := g[0].field.owner
	for _, u := range g[1:] {
		o := u.field.owner
		if o.depth < best.depth || o.depth == best.depth && (len(o.Schema) < len(best.Schema) ||
			len(o.Schema) == len(best.Schema) && o.Schema < best.Schema) {
			best = o
		}
	}
	return goName(best.Schema) + goName(attr)
}

func (m *model) newEnum(name, attr string, us []*enumUse, external bool) (*goEnum, error) {
	e := &goEnum{Name: name, Attr: attr, External: external, Base: "int32", sig: map[int64]string{}}
	first := us[0].field
	e.Caption = first.Caption
	e.Desc = first.Description
	if m.baseType(first.attr.Type) == "long_t" {
		e.Base = "int64"
	}
	items := map[int64]*ocsfschema.EnumItem{}
	for _, u := range us {
		u.field.Enum = e
		e.Users = append(e.Users, u.field.owner.Schema+"."+u.field.JSON)
		if m.baseType(u.field.attr.Type) == "long_t" {
			e.Base = "int64"
		}
		for k, it := range u.field.attr.Enum {
			n, _ := strconv.ParseInt(k, 10, 64)
			if _, ok := items[n]; !ok {
				items[n] = it
			}
			e.sig[n] = it.Caption
		}
	}
	// Prefer the dictionary's description of the attribute when it exists.
	if m.schema.Dictionary != nil {
		if da, ok := m.schema.Dictionary.Attributes[attr]; ok && da.Description != "" && len(us) > 1 {
			e.Desc = da.Description
		}
	}
	consts := map[string]bool{}
	for _, v := range slices.Sorted(maps.Keys(items)) {
		it := items[v]
		c := name + captionName(it.Caption)
		if it.Caption == "" || consts[c] {
			c = name + strconv.FormatInt(v, 10)
			if v < 0 {
				c = name + "Minus" + strconv.FormatInt(-v, 10)
			}
		}
		consts[c] = true
		e.Values = append(e.Values, &enumValue{Value: v, Const: c, Caption: it.Caption, Description: it.Description, Deprecated: it.Deprecated})
	}
	slices.Sort(e.Users)
	m.enums = append(m.enums, e)
	return e, nil
}

// computeFill decides which types need derived attributes filled and which
// ones normalize visits.
func (m *model) computeFill() {
	all := append(slices.Clone(m.classes), m.objects...)
	for _, t := range all {
		t.HasFill = t.IsClass
		for _, f := range t.Fields {
			if f.Kind == kEnum && (f.Sibling != nil || f.Requirement == "required") {
				t.HasFill = true
			}
		}
	}
	// HasNormalize: the type fills, or reaches a type that does.
	for _, t := range all {
		t.HasNormalize = t.HasFill
	}
	for changed := true; changed; {
		changed = false
		for _, t := range all {
			if t.HasNormalize {
				continue
			}
			for _, f := range t.Fields {
				if f.Kind == kObject && f.Object.HasNormalize {
					t.HasNormalize = true
					changed = true
					break
				}
			}
		}
	}
}
