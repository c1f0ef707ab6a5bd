package ocsfschema

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Difference is one mismatch between two compiled schemas.
type Difference struct {
	// Path is an RFC 6901 JSON pointer into the compiled schema, for example
	// "/classes/detection_finding/attributes/status_id/requirement".
	Path string
	// Want and Got render the two values. Sets render sorted as "[a b]", a
	// nil profile list as "null", and a missing class, object or attribute
	// as "absent" (the other side then reads "present").
	Want, Got string
}

// String renders the difference on one line.
func (d Difference) String() string {
	return fmt.Sprintf("%s: want %s, got %s", d.Path, d.Want, d.Got)
}

const (
	present = "present"
	absent  = "absent"
)

// Diff compares two compiled schemas on everything code generation and
// validation depend on, and returns the differences sorted by path:
//
//   - version; the names of profiles and extensions (and extension uids);
//     category uids; dictionary attribute and type names;
//   - the set of classes and objects;
//   - per class: uid, category_uid, profiles (as a set), constraints,
//     deprecation; per object: profiles, constraints, observable,
//     deprecation;
//   - per class and object, the set of attributes, and per attribute: type,
//     type_name, object_type, is_array, requirement, group, profiles (as a
//     set; nil means not profile-gated), enum keys, sibling, observable and
//     deprecation.
//
// Captions and descriptions are not compared. A nil schema compares as an
// empty one.
func Diff(want, got *Schema) []Difference {
	d := &differ{}
	if want == nil {
		want = &Schema{}
	}
	if got == nil {
		got = &Schema{}
	}
	d.value("/version", want.Version, got.Version)
	keyDiff(d, "/profiles", want.Profiles, got.Profiles)
	d.extensions(want.Extensions, got.Extensions)
	d.categories(want.Categories, got.Categories)
	d.dictionary(want.Dictionary, got.Dictionary)
	d.items("/classes", want.Classes, got.Classes, true)
	d.items("/objects", want.Objects, got.Objects, false)
	slices.SortFunc(d.out, func(a, b Difference) int { return strings.Compare(a.Path, b.Path) })
	return d.out
}

type differ struct{ out []Difference }

func (d *differ) value(path, want, got string) {
	if want != got {
		d.out = append(d.out, Difference{Path: path, Want: want, Got: got})
	}
}

// keyDiff compares the key sets of two maps and returns the keys in both.
func keyDiff[V any](d *differ, path string, want, got map[string]V) []string {
	var both []string
	for _, k := range sortedKeys(want) {
		if _, ok := got[k]; ok {
			both = append(both, k)
		} else {
			d.out = append(d.out, Difference{Path: path + ptr(k), Want: present, Got: absent})
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok {
			d.out = append(d.out, Difference{Path: path + ptr(k), Want: absent, Got: present})
		}
	}
	return both
}

func (d *differ) extensions(want, got map[string]*Extension) {
	for _, k := range keyDiff(d, "/extensions", want, got) {
		d.value("/extensions"+ptr(k, "uid"), strconv.Itoa(want[k].UID), strconv.Itoa(got[k].UID))
	}
}

func (d *differ) categories(want, got *Categories) {
	var w, g map[string]*Category
	if want != nil {
		w = want.Attributes
	}
	if got != nil {
		g = got.Attributes
	}
	for _, k := range keyDiff(d, "/categories/attributes", w, g) {
		d.value("/categories/attributes"+ptr(k, "uid"), strconv.Itoa(w[k].UID), strconv.Itoa(g[k].UID))
	}
}

func (d *differ) dictionary(want, got *Dictionary) {
	var wa, ga map[string]*Attribute
	var wt, gt map[string]*Type
	if want != nil {
		wa = want.Attributes
		if want.Types != nil {
			wt = want.Types.Attributes
		}
	}
	if got != nil {
		ga = got.Attributes
		if got.Types != nil {
			gt = got.Types.Attributes
		}
	}
	for _, k := range keyDiff(d, "/dictionary/attributes", wa, ga) {
		p := "/dictionary/attributes" + ptr(k)
		w, g := wa[k], ga[k]
		if w == nil || g == nil {
			d.value(p, presence(w != nil), presence(g != nil))
			continue
		}
		d.value(p+"/type", w.Type, g.Type)
		d.value(p+"/object_type", w.ObjectType, g.ObjectType)
		d.value(p+"/is_array", strconv.FormatBool(w.IsArray), strconv.FormatBool(g.IsArray))
		d.value(p+"/enum", enumKeys(w.Enum), enumKeys(g.Enum))
		d.value(p+"/sibling", w.Sibling, g.Sibling)
	}
	for _, k := range keyDiff(d, "/dictionary/types/attributes", wt, gt) {
		w, g := wt[k], gt[k]
		if w == nil || g == nil {
			d.value("/dictionary/types/attributes"+ptr(k), presence(w != nil), presence(g != nil))
			continue
		}
		d.value("/dictionary/types/attributes"+ptr(k, "type"), w.Base, g.Base)
	}
}

func (d *differ) items(path string, want, got map[string]*Class, classes bool) {
	for _, name := range keyDiff(d, path, want, got) {
		p := path + ptr(name)
		w, g := want[name], got[name]
		if w == nil || g == nil {
			d.value(p, presence(w != nil), presence(g != nil))
			continue
		}
		if classes {
			d.value(p+"/uid", strconv.Itoa(w.UID), strconv.Itoa(g.UID))
			d.value(p+"/category_uid", strconv.Itoa(w.CategoryUID), strconv.Itoa(g.CategoryUID))
		} else {
			d.value(p+"/observable", strconv.Itoa(w.Observable), strconv.Itoa(g.Observable))
		}
		d.value(p+"/profiles", set(w.Profiles), set(g.Profiles))
		d.value(p+"/constraints", constraints(w.Constraints), constraints(g.Constraints))
		d.value(p+"/@deprecated", deprecation(w.Deprecated), deprecation(g.Deprecated))
		for _, a := range keyDiff(d, p+"/attributes", w.Attributes, g.Attributes) {
			d.attribute(p+"/attributes"+ptr(a), w.Attributes[a], g.Attributes[a])
		}
	}
}

func (d *differ) attribute(p string, w, g *Attribute) {
	if w == nil || g == nil {
		d.value(p, presence(w != nil), presence(g != nil))
		return
	}
	d.value(p+"/type", w.Type, g.Type)
	d.value(p+"/type_name", w.TypeName, g.TypeName)
	d.value(p+"/object_type", w.ObjectType, g.ObjectType)
	d.value(p+"/is_array", strconv.FormatBool(w.IsArray), strconv.FormatBool(g.IsArray))
	d.value(p+"/requirement", w.Requirement, g.Requirement)
	d.value(p+"/group", w.Group, g.Group)
	d.value(p+"/profiles", profileSet(w.Profiles), profileSet(g.Profiles))
	d.value(p+"/enum", enumKeys(w.Enum), enumKeys(g.Enum))
	d.value(p+"/sibling", w.Sibling, g.Sibling)
	d.value(p+"/observable", strconv.Itoa(w.Observable), strconv.Itoa(g.Observable))
	d.value(p+"/@deprecated", deprecation(w.Deprecated), deprecation(g.Deprecated))
}

func presence(ok bool) string {
	if ok {
		return present
	}
	return absent
}

// set renders a string slice as a sorted, de-duplicated set.
func set(ss []string) string {
	s := slices.Clone(ss)
	slices.Sort(s)
	return "[" + strings.Join(slices.Compact(s), " ") + "]"
}

// profileSet renders attribute profiles: nil (not gated) is "null".
func profileSet(ss []string) string {
	if ss == nil {
		return "null"
	}
	return set(ss)
}

// enumKeys renders the keys of an enum as a set; integer keys sort
// numerically. No enum renders as "".
func enumKeys(e map[string]*EnumItem) string {
	if e == nil {
		return ""
	}
	keys := sortedKeys(e)
	slices.SortStableFunc(keys, func(a, b string) int {
		ai, aerr := strconv.ParseInt(a, 10, 64)
		bi, berr := strconv.ParseInt(b, 10, 64)
		switch {
		case aerr == nil && berr == nil:
			return cmpInt(ai, bi)
		case aerr == nil:
			return -1
		case berr == nil:
			return 1
		default:
			return strings.Compare(a, b)
		}
	})
	return "[" + strings.Join(keys, " ") + "]"
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// constraints renders constraints deterministically, e.g.
// "at_least_one=[name uid]". Member order is kept: it is the source order.
func constraints(c map[string][]string) string {
	var parts []string
	for _, k := range sortedKeys(c) {
		parts = append(parts, k+"=["+strings.Join(c[k], " ")+"]")
	}
	return strings.Join(parts, " ")
}

func deprecation(dep *Deprecation) string {
	if dep == nil {
		return ""
	}
	return "since " + dep.Since
}
