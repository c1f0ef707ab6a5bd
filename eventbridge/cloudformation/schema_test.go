package cloudformation

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
)

// A small validator for the CloudFormation registry schemas in
// ../shared/cfn-schemas: JSON Schema draft-07 as those schemas use it
// ($ref to #/definitions, type, enum, const, pattern, min/maxLength,
// minimum/maximum, min/maxItems, uniqueItems, items, properties,
// patternProperties, additionalProperties, required, min/maxProperties,
// oneOf/anyOf/allOf/not) plus the CloudFormation extras that constrain a
// template: requiredOr and readOnlyProperties (which must not be set). Any
// other keyword fails the test, so a schema update cannot be silently
// half-checked. Patterns use Go's regexp after translating \uXXXX; a leading
// negative lookahead ^(?!X) is evaluated separately.

// ignoredKeywords are annotations or handler metadata with no bearing on a
// template's Properties.
var ignoredKeywords = map[string]bool{
	"$schema": true, "$comment": true, "description": true, "title": true, "examples": true,
	"default": true, "format": true, "insertionOrder": true, "arrayType": true, "relationshipRef": true,
	"createOnlyProperties": true, "conditionalCreateOnlyProperties": true, "writeOnlyProperties": true,
	"primaryIdentifier": true, "additionalIdentifiers": true, "handlers": true, "tagging": true,
	"typeName": true, "sourceUrl": true, "documentationUrl": true, "deprecatedProperties": true,
	"propertyTransform": true, "replacementStrategy": true, "definitions": true,
	"readOnlyProperties": true, // checked separately, at the root
}

var checkedKeywords = map[string]bool{
	"$ref": true, "type": true, "enum": true, "const": true, "pattern": true,
	"minLength": true, "maxLength": true, "minimum": true, "maximum": true,
	"exclusiveMinimum": true, "exclusiveMaximum": true, "minItems": true, "maxItems": true,
	"uniqueItems": true, "items": true, "properties": true, "patternProperties": true,
	"additionalProperties": true, "required": true, "minProperties": true, "maxProperties": true,
	"oneOf": true, "anyOf": true, "allOf": true, "not": true, "requiredOr": true,
}

type cfnSchema struct {
	typeName string
	root     map[string]any
	readOnly []string // JSON pointers under /properties
	regexps  map[string]*cfnRegexp
}

type cfnRegexp struct {
	notAhead *regexp.Regexp // the value must not match this (from ^(?!X))
	re       *regexp.Regexp
}

func (r *cfnRegexp) match(s string) bool {
	if r.notAhead != nil && r.notAhead.MatchString(s) {
		return false
	}
	return r.re.MatchString(s)
}

var unicodeEscape = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// compileCFNPattern translates an ECMA-262 pattern for Go's regexp.
func compileCFNPattern(p string) (*cfnRegexp, error) {
	p = unicodeEscape.ReplaceAllString(p, `\x{$1}`)
	out := &cfnRegexp{}
	if strings.HasPrefix(p, "^(?!") {
		depth, end := 0, -1
		for i := 1; i < len(p); i++ {
			switch {
			case p[i] == '\\':
				i++
			case p[i] == '(':
				depth++
			case p[i] == ')':
				depth--
				if depth == 0 {
					end = i
				}
			}
			if end >= 0 {
				break
			}
		}
		if end < 0 {
			return nil, fmt.Errorf("unbalanced lookahead in %q", p)
		}
		na, err := regexp.Compile("^(?:" + p[4:end] + ")")
		if err != nil {
			return nil, err
		}
		out.notAhead = na
		p = "^" + p[end+1:]
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	out.re = re
	return out, nil
}

// loadCFNSchemas reads every *.json of dir, keyed by typeName, and checks
// that the validator understands every keyword and pattern they use.
func loadCFNSchemas(t testing.TB, dir string) map[string]*cfnSchema {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in %s: %v", dir, err)
	}
	out := map[string]*cfnSchema{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var root map[string]any
		if err := json.Unmarshal(data, &root); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		s := &cfnSchema{root: root, regexps: map[string]*cfnRegexp{}}
		s.typeName, _ = root["typeName"].(string)
		for _, p := range asSlice(root["readOnlyProperties"]) {
			s.readOnly = append(s.readOnly, p.(string))
		}
		var problems []string
		s.lint("#", root, &problems)
		if len(problems) > 0 {
			t.Fatalf("%s: the validator does not support:\n%s", f, strings.Join(problems, "\n"))
		}
		out[s.typeName] = s
	}
	return out
}

// lint walks the schema, compiling patterns and rejecting unknown keywords.
func (s *cfnSchema) lint(at string, sch map[string]any, problems *[]string) {
	for k, v := range sch {
		switch {
		case k == "definitions" || k == "properties" || k == "patternProperties":
			for name, sub := range v.(map[string]any) {
				if k == "patternProperties" {
					s.regexp(name, problems)
				}
				if m, ok := sub.(map[string]any); ok {
					s.lint(at+"/"+k+"/"+name, m, problems)
				}
			}
		case k == "items" || k == "not" || (k == "additionalProperties" && isMap(v)):
			if m, ok := v.(map[string]any); ok {
				s.lint(at+"/"+k, m, problems)
			}
		case k == "oneOf" || k == "anyOf" || k == "allOf":
			for i, sub := range v.([]any) {
				s.lint(fmt.Sprintf("%s/%s/%d", at, k, i), sub.(map[string]any), problems)
			}
		case k == "pattern":
			s.regexp(v.(string), problems)
		case k == "$ref":
			if !strings.HasPrefix(v.(string), "#/definitions/") {
				*problems = append(*problems, at+": $ref "+v.(string))
			}
		case checkedKeywords[k] || ignoredKeywords[k]:
		default:
			*problems = append(*problems, at+": keyword "+k)
		}
	}
}

func (s *cfnSchema) regexp(p string, problems *[]string) *cfnRegexp {
	if r, ok := s.regexps[p]; ok {
		return r
	}
	r, err := compileCFNPattern(p)
	if err != nil {
		*problems = append(*problems, fmt.Sprintf("pattern %q: %v", p, err))
		return nil
	}
	s.regexps[p] = r
	return r
}

// validate checks a resource's Properties (intrinsics already resolved) and
// returns the problems, each prefixed with a JSON pointer.
func (s *cfnSchema) validate(props map[string]any) []string {
	var out []string
	s.check("", s.root, props, &out)
	for _, ptr := range s.readOnly {
		segs := strings.Split(strings.TrimPrefix(ptr, "/properties/"), "/properties/")
		if present(props, segs) {
			out = append(out, fmt.Sprintf("%s: read-only property set in a template", ptr))
		}
	}
	sort.Strings(out)
	return out
}

func present(v any, segs []string) bool {
	if len(segs) == 0 {
		return true
	}
	switch x := v.(type) {
	case map[string]any:
		child, ok := x[segs[0]]
		return ok && present(child, segs[1:])
	case []any:
		for _, e := range x {
			if present(e, segs) {
				return true
			}
		}
	}
	return false
}

func (s *cfnSchema) definition(ref string) map[string]any {
	defs, _ := s.root["definitions"].(map[string]any)
	d, _ := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
	return d
}

func (s *cfnSchema) check(path string, sch map[string]any, v any, out *[]string) {
	at := path
	if at == "" {
		at = "/"
	}
	fail := func(format string, a ...any) { *out = append(*out, at+": "+fmt.Sprintf(format, a...)) }
	if ref, ok := sch["$ref"].(string); ok {
		d := s.definition(ref)
		if d == nil {
			fail("unresolvable $ref %s", ref)
			return
		}
		s.check(path, d, v, out) // draft-07: siblings of $ref are ignored
		return
	}
	if t, ok := sch["type"]; ok {
		var types []string
		switch tt := t.(type) {
		case string:
			types = []string{tt}
		case []any:
			for _, x := range tt {
				types = append(types, x.(string))
			}
		}
		if !slices.ContainsFunc(types, func(ty string) bool { return hasType(v, ty) }) {
			fail("%s is not of type %s", describe(v), strings.Join(types, " or "))
			return
		}
	}
	if e, ok := sch["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return jsonEqual(x, v) }) {
		fail("%s is not one of %v", describe(v), e)
	}
	if c, ok := sch["const"]; ok && !jsonEqual(c, v) {
		fail("%s is not %v", describe(v), c)
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		subs, ok := sch[k].([]any)
		if !ok {
			continue
		}
		passed := 0
		var first []string
		for _, sub := range subs {
			var p []string
			s.check(path, sub.(map[string]any), v, &p)
			if len(p) == 0 {
				passed++
			} else if first == nil {
				first = p
			}
		}
		switch {
		case k == "oneOf" && passed != 1:
			fail("matches %d of the oneOf alternatives, want exactly 1", passed)
		case k == "anyOf" && passed == 0:
			fail("matches none of the anyOf alternatives (first: %s)", strings.Join(first, "; "))
		case k == "allOf" && passed != len(subs):
			fail("fails allOf: %s", strings.Join(first, "; "))
		}
	}
	if n, ok := sch["not"].(map[string]any); ok {
		var p []string
		s.check(path, n, v, &p)
		if len(p) == 0 {
			fail("matches a schema it must not match")
		}
	}
	switch x := v.(type) {
	case string:
		n := float64(utf8.RuneCountInString(x))
		if m, ok := num(sch["minLength"]); ok && n < m {
			fail("length %v < minLength %v", n, m)
		}
		if m, ok := num(sch["maxLength"]); ok && n > m {
			fail("length %v > maxLength %v", n, m)
		}
		if p, ok := sch["pattern"].(string); ok {
			if r := s.regexps[p]; r == nil || !r.match(x) {
				fail("%q does not match pattern %s", x, p)
			}
		}
	case int64, float64:
		f, _ := num(x)
		if m, ok := num(sch["minimum"]); ok && f < m {
			fail("%v < minimum %v", f, m)
		}
		if m, ok := num(sch["maximum"]); ok && f > m {
			fail("%v > maximum %v", f, m)
		}
		if m, ok := num(sch["exclusiveMinimum"]); ok && f <= m {
			fail("%v <= exclusiveMinimum %v", f, m)
		}
		if m, ok := num(sch["exclusiveMaximum"]); ok && f >= m {
			fail("%v >= exclusiveMaximum %v", f, m)
		}
	case []any:
		if m, ok := num(sch["minItems"]); ok && float64(len(x)) < m {
			fail("%d items < minItems %v", len(x), m)
		}
		if m, ok := num(sch["maxItems"]); ok && float64(len(x)) > m {
			fail("%d items > maxItems %v", len(x), m)
		}
		if u, _ := sch["uniqueItems"].(bool); u {
			seen := map[string]bool{}
			for _, e := range x {
				b, _ := json.Marshal(e)
				if seen[string(b)] {
					fail("duplicate item %s (uniqueItems)", b)
				}
				seen[string(b)] = true
			}
		}
		if items, ok := sch["items"].(map[string]any); ok {
			for i, e := range x {
				s.check(fmt.Sprintf("%s/%d", path, i), items, e, out)
			}
		}
	case map[string]any:
		if m, ok := num(sch["minProperties"]); ok && float64(len(x)) < m {
			fail("%d properties < minProperties %v", len(x), m)
		}
		if m, ok := num(sch["maxProperties"]); ok && float64(len(x)) > m {
			fail("%d properties > maxProperties %v", len(x), m)
		}
		for _, r := range asSlice(sch["required"]) {
			if _, ok := x[r.(string)]; !ok {
				fail("missing required property %s", r)
			}
		}
		if ro := asSlice(sch["requiredOr"]); len(ro) > 0 && !slices.ContainsFunc(ro, func(r any) bool { _, ok := x[r.(string)]; return ok }) {
			fail("needs one of %v (requiredOr)", ro)
		}
		props, _ := sch["properties"].(map[string]any)
		pprops, _ := sch["patternProperties"].(map[string]any)
		for _, k := range slices.Sorted(mapsKeys(x)) {
			cp := path + "/" + escapePointer(k)
			matched := false
			if ps, ok := props[k].(map[string]any); ok {
				matched = true
				s.check(cp, ps, x[k], out)
			}
			for pat, ps := range pprops {
				if r := s.regexps[pat]; r != nil && r.match(k) {
					matched = true
					s.check(cp, ps.(map[string]any), x[k], out)
				}
			}
			if matched {
				continue
			}
			switch ap := sch["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("property %q is not allowed (additionalProperties false)", k)
				}
			case map[string]any:
				s.check(cp, ap, x[k], out)
			}
		}
	}
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func hasType(v any, t string) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		switch x := v.(type) {
		case int64:
			return true
		case float64:
			return x == math.Trunc(x)
		}
	case "number":
		switch v.(type) {
		case int64, float64:
			return true
		}
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "null":
		return v == nil
	}
	return false
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }

func jsonEqual(a, b any) bool {
	if fa, ok := num(a); ok {
		fb, ok := num(b)
		return ok && fa == fb
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func describe(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// schemasDir returns the registry schemas, or skips.
func schemasDir(t testing.TB) map[string]*cfnSchema {
	t.Helper()
	return loadCFNSchemas(t, sharedtest.Dir(t, "cfn-schemas"))
}
