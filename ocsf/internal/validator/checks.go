package validator

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// checker carries the state of one validation.
type checker struct {
	e      *Engine
	m      *Model
	active ProfileSet
	newer  bool // metadata.version is later than the schema used
	rep    *Report
	path   []string
}

func (c *checker) add(sev Severity, ptr, code, msg string) {
	c.rep.Problems = append(c.rep.Problems, Problem{Severity: sev, Pointer: ptr, Code: code, Message: msg})
}

func (c *checker) ptr() string { return joinPointer(c.path) }

func (c *checker) ptrTo(token string) string { return childPointer(joinPointer(c.path), token) }

// ---- JSON Schema errors ----------------------------------------------------

// schemaErrors turns the jsonschema error tree into problems. The leaf
// errors say where (instance location) and which keyword failed; the model
// supplies the precise explanation (which attribute, which type, which values).
func (c *checker) schemaErrors(class *Item, root map[string]any, err error) {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		c.add(Error, "", CodeSchema, "JSON Schema validation failed: "+err.Error())
		return
	}
	var leaves []*jsonschema.ValidationError
	var collect func(v *jsonschema.ValidationError)
	collect = func(v *jsonschema.ValidationError) {
		kw := lastToken(v.KeywordLocation)
		if len(v.Causes) == 0 || kw == "anyOf" || kw == "oneOf" || kw == "not" {
			leaves = append(leaves, v)
			return
		}
		for _, cause := range v.Causes {
			collect(cause)
		}
	}
	collect(ve)
	for _, leaf := range leaves {
		c.schemaError(class, root, leaf)
	}
}

func lastToken(ptr string) string {
	if i := strings.LastIndexByte(ptr, '/'); i >= 0 {
		return ptr[i+1:]
	}
	return ptr
}

// located is what an instance location resolves to.
type located struct {
	value   any
	item    *Item // the class or object that value is, when value is an object
	attr    *Attr // the attribute value belongs to (nil at the root)
	name    string
	element bool // value is one element of an array attribute
	tokens  []string
}

// resolve follows a jsonschema instance location (tokens escaped with ~0, ~1
// and URL path escaping) through the value and the model.
func (c *checker) resolve(class *Item, root map[string]any, loc string) (located, bool) {
	cur := located{value: root, item: class}
	if loc == "" {
		return cur, true
	}
	for _, raw := range strings.Split(loc[1:], "/") {
		tok, err := url.PathUnescape(raw)
		if err != nil {
			tok = raw
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		next := located{tokens: append(cur.tokens[:len(cur.tokens):len(cur.tokens)], tok)}
		switch v := cur.value.(type) {
		case map[string]any:
			next.value = v[tok]
			next.name = tok
			if cur.item != nil {
				next.attr = cur.item.Attributes[tok]
			}
			if next.attr != nil && next.attr.Object != "" && !next.attr.Array {
				next.item = c.m.Object(next.attr.Object)
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return cur, false
			}
			next.value = v[i]
			next.attr, next.name, next.element = cur.attr, cur.name, true
			if next.attr != nil && next.attr.Object != "" {
				next.item = c.m.Object(next.attr.Object)
			}
		default:
			return cur, false
		}
		cur = next
	}
	return cur, true
}

func (c *checker) schemaError(class *Item, root map[string]any, leaf *jsonschema.ValidationError) {
	kw := lastToken(leaf.KeywordLocation)
	at, ok := c.resolve(class, root, leaf.InstanceLocation)
	if !ok {
		c.add(Error, "", CodeSchema, leaf.Message)
		return
	}
	ptr := joinPointer(at.tokens)
	where := "the finding"
	if at.item != nil && len(at.tokens) > 0 {
		where = fmt.Sprintf("%s (object %s)", ptr, at.item.Name)
	}
	switch kw {
	case "required":
		obj, _ := at.value.(map[string]any)
		if at.item == nil || obj == nil {
			c.add(Error, ptr, CodeRequired, leaf.Message)
			return
		}
		members := constraintMembers(at.item)
		for _, name := range sortedAttrNames(at.item) {
			a := at.item.Attributes[name]
			if a.Requirement != Required || !a.Known(c.active) || members[name] {
				continue
			}
			if _, present := obj[name]; present {
				continue
			}
			msg := fmt.Sprintf("required attribute %s is missing from %s", name, where)
			if len(a.Profiles) > 0 {
				msg += fmt.Sprintf(" (required by profile %s, listed in metadata.profiles)", strings.Join(a.Profiles, ", "))
			}
			c.add(Error, childPointer(ptr, name), CodeRequired, msg)
		}
	case "additionalProperties":
		obj, _ := at.value.(map[string]any)
		if at.item == nil || obj == nil {
			c.add(Error, ptr, CodeSchema, leaf.Message)
			return
		}
		for key := range obj {
			a := at.item.Attributes[key]
			switch {
			case a == nil:
				c.add(c.e.sev(true), childPointer(ptr, key), CodeUnknownAttribute,
					fmt.Sprintf("attribute %s is not defined for %s in OCSF %s", key, describeItem(at.item, len(at.tokens) == 0), c.m.Version))
			case !a.Known(c.active):
				c.add(c.lenientIfNewer(), childPointer(ptr, key), CodeProfileInactive,
					fmt.Sprintf("attribute %s of %s belongs to profile %s, which metadata.profiles does not list",
						key, describeItem(at.item, len(at.tokens) == 0), strings.Join(a.Profiles, " or ")))
			}
		}
	case "type", "integer":
		c.add(Error, ptr, CodeType, fmt.Sprintf("%s: expected %s, got %s", displayName(at), c.expected(at), describe(at.value)))
	case "range":
		c.add(Error, ptr, CodeRange, fmt.Sprintf("%s: %s does not fit in a 64-bit integer", displayName(at), jsonNumberText(at.value)))
	case "enum", "const":
		sev := c.lenientIfNewer()
		msg := fmt.Sprintf("%s: %s is not a defined value", displayName(at), describe(at.value))
		if at.attr != nil && len(at.attr.Enum) > 0 {
			msg += " (defined: " + enumList(at.attr) + ")"
		}
		if sev == Warning {
			msg += "; it may be defined by the later OCSF version the finding claims"
		}
		c.add(sev, ptr, CodeEnum, msg)
	case "anyOf":
		c.add(Error, ptr, CodeConstraintAtLeastOne, fmt.Sprintf("%s: %s", where, leaf.Message))
	case "oneOf", "not":
		c.add(Error, ptr, CodeConstraintJustOne, fmt.Sprintf("%s: %s", where, leaf.Message))
	default:
		c.add(Error, ptr, CodeSchema, leaf.Message)
	}
}

// lenientIfNewer is the severity of a problem that a later OCSF version may
// explain (a new enum value, an attribute that stopped being profile-gated):
// an error, except in compatible mode for a finding claiming a version later
// than every embedded schema.
func (c *checker) lenientIfNewer() Severity {
	if c.newer && c.e.opts.Mode == Compatible {
		return Warning
	}
	return Error
}

func constraintMembers(it *Item) map[string]bool {
	if len(it.Constraints) == 0 {
		return nil
	}
	m := map[string]bool{}
	for _, ms := range it.Constraints {
		for _, n := range ms {
			m[n] = true
		}
	}
	return m
}

func describeItem(it *Item, isClass bool) string {
	if isClass {
		return "class " + it.Name
	}
	return "object " + it.Name
}

func displayName(at located) string {
	if at.name == "" {
		return "the finding"
	}
	if at.element {
		return at.name + "[]"
	}
	return at.name
}

// expected describes what the attribute at a location must hold.
func (c *checker) expected(at located) string {
	a := at.attr
	if a == nil {
		return "an object"
	}
	if a.Array && !at.element {
		return "an array"
	}
	switch c.m.Primitive(a.Type) {
	case "object_t":
		return "an object (" + a.Object + ")"
	case "string_t":
		return "a string (" + a.Type + ")"
	case "integer_t", "long_t":
		return "an integer (" + a.Type + ")"
	case "float_t":
		return "a number (" + a.Type + ")"
	case "boolean_t":
		return "a boolean"
	}
	return "a JSON value"
}

// enumList lists an enum's values with captions, numerically sorted.
func enumList(a *Attr) string {
	keys := make([]string, 0, len(a.Enum))
	for k := range a.Enum {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		x, errX := strconv.ParseInt(keys[i], 10, 64)
		y, errY := strconv.ParseInt(keys[j], 10, 64)
		if errX == nil && errY == nil {
			return x < y
		}
		return keys[i] < keys[j]
	})
	const max = 12
	var b strings.Builder
	for i, k := range keys {
		if i == max {
			fmt.Fprintf(&b, ", ... %d more", len(keys)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		if cap := a.Enum[k].Caption; cap != "" && cap != k {
			b.WriteString(" " + cap)
		}
	}
	return b.String()
}

// ---- what JSON Schema cannot express ----------------------------------------

// walk checks an object known to the model (the class at the root) and
// every known attribute in it.
func (c *checker) walk(it *Item, obj map[string]any) {
	if it.Deprecated != "" {
		what := "object " + it.Name
		if len(c.path) == 0 {
			what = "class " + it.Name
		}
		c.add(Warning, c.ptr(), CodeDeprecated, what+" is "+it.Deprecated)
	}
	for kind, members := range it.Constraints {
		n := 0
		for _, m := range members {
			if _, ok := obj[m]; ok {
				n++
			}
		}
		switch kind {
		case "at_least_one":
			if n == 0 {
				c.add(Error, c.ptr(), CodeConstraintAtLeastOne,
					fmt.Sprintf("%s needs at least one of %s; none is present", describeItem(it, len(c.path) == 0), strings.Join(members, ", ")))
			}
		case "just_one":
			if n != 1 {
				c.add(Error, c.ptr(), CodeConstraintJustOne,
					fmt.Sprintf("%s needs exactly one of %s; %d are present", describeItem(it, len(c.path) == 0), strings.Join(members, ", "), n))
			}
		}
	}
	if c.e.opts.WarnMissingRecommended {
		for _, name := range sortedAttrNames(it) {
			a := it.Attributes[name]
			if a.Requirement != Recommended || !a.Known(c.active) {
				continue
			}
			if _, ok := obj[name]; !ok {
				c.add(Warning, c.ptrTo(name), CodeRecommended,
					fmt.Sprintf("recommended attribute %s is missing from %s", name, describeItem(it, len(c.path) == 0)))
			}
		}
	}
	for key, val := range obj {
		a := it.Attributes[key]
		if a == nil || !a.Known(c.active) {
			continue // reported by the schema check
		}
		c.path = append(c.path, key)
		if a.Deprecated != "" {
			c.add(Warning, c.ptr(), CodeDeprecated, fmt.Sprintf("attribute %s of %s is %s", key, describeItem(it, len(c.path) == 1), a.Deprecated))
		}
		switch {
		case !a.checks && !(c.e.opts.StandardKeywords && (a.prim == "integer_t" || a.prim == "long_t")):
		case a.Array:
			if arr, ok := val.([]any); ok {
				for i, el := range arr {
					c.path = append(c.path, strconv.Itoa(i))
					c.value(a, key, el)
					c.path = c.path[:len(c.path)-1]
				}
			}
		default:
			c.value(a, key, val)
		}
		c.path = c.path[:len(c.path)-1]
		if len(a.Enum) > 0 && a.Sibling != "" {
			c.sibling(a, key, obj)
		}
	}
}

// value checks one value (one element of an array attribute) of attribute a.
func (c *checker) value(a *Attr, name string, v any) {
	switch a.prim {
	case "object_t":
		if obj, ok := v.(map[string]any); ok && a.obj != nil {
			c.walk(a.obj, obj)
		}
		return
	case "integer_t", "long_t":
		if n, ok := v.(json.Number); ok {
			c.integer(a, name, n)
		}
	case "string_t":
		if s, ok := v.(string); ok {
			c.str(a, name, s)
		}
	}
	if len(a.Enum) > 0 {
		if ev := a.Enum[enumKey(v)]; ev != nil && ev.Deprecated != "" {
			c.add(Warning, c.ptr(), CodeDeprecated, fmt.Sprintf("%s value %s (%s) is %s", name, enumKey(v), ev.Caption, ev.Deprecated))
		}
	}
}

func (c *checker) integer(a *Attr, name string, n json.Number) {
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		// The x-ocsf-object keyword reports these; the standard "integer"
		// type accepts them, so with standard keywords the walk does.
		if c.e.opts.StandardKeywords {
			if !strings.ContainsAny(string(n), ".eE") {
				c.add(Error, c.ptr(), CodeRange, fmt.Sprintf("%s: %s does not fit in a 64-bit integer", name, n))
			} else if f, ferr := strconv.ParseFloat(string(n), 64); ferr == nil && f == math.Trunc(f) && !math.IsInf(f, 0) {
				c.add(Error, c.ptr(), CodeType, fmt.Sprintf("%s: expected an integer (%s), got a number %s", name, a.Type, n))
			}
		}
		return
	}
	for t, ty := a.Type, c.m.TypeOf(a.Type); ty != nil; t, ty = ty.Base, c.m.TypeOf(ty.Base) {
		if len(ty.Range) == 2 && (i < ty.Range[0] || i > ty.Range[1]) {
			c.add(Error, c.ptr(), CodeRange, fmt.Sprintf("%s: %d is outside the range %d..%d of %s", name, i, ty.Range[0], ty.Range[1], t))
			return
		}
		if ty.Base == "" || ty.Base == t {
			return
		}
	}
}

func (c *checker) str(a *Attr, name string, s string) {
	regexDone := false
	for t, ty := a.Type, c.m.TypeOf(a.Type); ty != nil; t, ty = ty.Base, c.m.TypeOf(ty.Base) {
		if ty.MaxLen > 0 && len(s) > ty.MaxLen && utf8.RuneCountInString(s) > ty.MaxLen {
			c.add(Error, c.ptr(), CodeMaxLength, fmt.Sprintf("%s: %d characters, more than the %d of %s", name, utf8.RuneCountInString(s), ty.MaxLen, t))
		}
		if !regexDone && ty.Regex != "" {
			regexDone = true
			if !matchType(t, ty, s) {
				c.add(Warning, c.ptr(), CodeFormat, fmt.Sprintf("%s: %s does not match the format of %s", name, quoteShort(s), t))
			}
		}
		if ty.Base == "" || ty.Base == t {
			return
		}
	}
}

// sibling checks that an enum's string sibling carries the enum caption.
func (c *checker) sibling(a *Attr, name string, obj map[string]any) {
	sv, ok := obj[a.Sibling]
	if !ok {
		return
	}
	check := func(v, s any, index int) {
		key := enumKey(v)
		ev := a.Enum[key]
		if ev == nil || key == "99" {
			return // unknown values are reported elsewhere; 99 (Other) carries the source's value
		}
		str, ok := s.(string)
		if !ok || str == ev.Caption {
			return
		}
		ptr := c.ptrTo(a.Sibling)
		if index >= 0 {
			ptr = indexPointer(ptr, index)
		}
		c.add(Warning, ptr, CodeEnumCaptionMismatch,
			fmt.Sprintf("%s %s does not match %q, the caption of %s %s", a.Sibling, quoteShort(str), ev.Caption, name, key))
	}
	if a.Array {
		vals, ok1 := obj[name].([]any)
		sibs, ok2 := sv.([]any)
		if !ok1 || !ok2 {
			return
		}
		for i := range min(len(vals), len(sibs)) {
			check(vals[i], sibs[i], i)
		}
		return
	}
	check(obj[name], sv, -1)
}

// enumKey is the schema's key for an enum value ("" when v cannot be one).
func enumKey(v any) string {
	switch v := v.(type) {
	case json.Number:
		return string(v)
	case string:
		return v
	}
	return ""
}

// typeUID checks type_uid = class_uid*100 + activity_id.
func (c *checker) typeUID(root map[string]any) {
	cu, ok1 := intValue(root["class_uid"])
	act, ok2 := intValue(root["activity_id"])
	tu, ok3 := intValue(root["type_uid"])
	if !ok1 || !ok2 || !ok3 {
		return // missing or mistyped values are reported by the schema check
	}
	if cu > math.MaxInt64/100 || cu < math.MinInt64/100 {
		return
	}
	if want := cu*100 + act; tu != want {
		c.add(Error, "/type_uid", CodeTypeUIDMismatch,
			fmt.Sprintf("type_uid is %d; expected %d (class_uid %d * 100 + activity_id %d)", tu, want, cu, act))
	}
}

// observables checks that each observables[].name names an attribute path of
// the class (dot-separated, arrays not marked), as the OCSF server does.
func (c *checker) observables(class *Item, root map[string]any) {
	a := class.Attributes["observables"]
	if a == nil || !a.Known(c.active) {
		return
	}
	list, _ := root["observables"].([]any)
	for i, o := range list {
		obj, _ := o.(map[string]any)
		name, ok := obj["name"].(string)
		if !ok {
			continue
		}
		if !c.resolvesName(class, name) {
			c.add(c.e.sev(true), indexPointer("/observables", i)+"/name", CodeObservableName,
				fmt.Sprintf("observable name %s does not name an attribute of class %s", quoteShort(name), class.Name))
		}
	}
}

func (c *checker) resolvesName(class *Item, name string) bool {
	it := class
	for rest, more := name, true; more; {
		var seg string
		seg, rest, more = strings.Cut(rest, ".")
		if it == nil {
			return false
		}
		marked := false
		if c.e.opts.Mode == Compatible {
			// The "resources[].uid" notation of OCSF's own examples marks an
			// array attribute; the OCSF server does not accept it.
			seg, marked = strings.CutSuffix(seg, "[]")
		}
		a := it.Attributes[seg]
		if a != nil && marked && !a.Array {
			return false
		}
		if a == nil || !a.Known(c.active) {
			return false
		}
		if !more {
			return true
		}
		if a.Object == "" {
			return false
		}
		it = c.m.Object(a.Object)
	}
	return false
}

// ---- helpers -----------------------------------------------------------------

func jsonNumberText(v any) string {
	if n, ok := v.(json.Number); ok {
		return string(n)
	}
	return fmt.Sprint(v)
}

// intValue returns v as an int64 when it is an integral JSON number.
func intValue(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil
}

func jsonTypeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return "a number"
		}
		return "an integer"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// describe names the JSON type of v and, for scalars, shows the value.
func describe(v any) string {
	switch v := v.(type) {
	case json.Number:
		return jsonTypeName(v) + " " + string(v)
	case string:
		return "a string " + quoteShort(v)
	case bool:
		return "a boolean " + strconv.FormatBool(v)
	}
	return jsonTypeName(v)
}

// quoteShort quotes s, cut to 80 characters.
func quoteShort(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}
