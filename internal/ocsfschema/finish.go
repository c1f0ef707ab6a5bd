package ocsfschema

// Profiles, datetime siblings, requirements and final attributes.

import (
	"slices"
	"strings"
)

func (c *compiler) validateItemProfiles(kind itemKind, items map[string]jobj) error {
	for _, name := range sortedKeys(items) {
		ps, _ := stringsOf(items[name]["profiles"])
		for _, p := range ps {
			_, base := c.baseProfiles[p]
			_, ext := c.extProfiles[p]
			if !base && !ext {
				return srcErr(c.fileOf(kind, name), ptr("profiles"), ErrUndefined, "%s %q uses undefined profile %q", string(kind), name, p)
			}
		}
	}
	return nil
}

// objectTypeOf returns the object type of an item attribute (from the
// dictionary), or "" for a scalar.
func (c *compiler) objectTypeOf(kind itemKind, item, attr string) (string, error) {
	d, ok := c.dictAttributes()[attr].(map[string]any)
	if !ok {
		return "", c.notInDictionary(kind, item, attr)
	}
	ot, _ := strAt(d, "object_type")
	return ot, nil
}

// notInDictionary reports an item attribute missing from the dictionary.
func (c *compiler) notInDictionary(kind itemKind, item, attr string) error {
	f, p := c.attrOrigin(kind, item, attr)
	hint := ""
	if kind == kindClass && isGeneratedClassAttribute(attr) {
		hint = " (the compiler adds it to every class, so the dictionary must define it)"
	}
	return srcErr(f, p, ErrUndefined, "attribute %q of %s %q is not a dictionary attribute%s", attr, string(kind), item, hint)
}

// isGeneratedClassAttribute reports whether enrichClasses sets attr on every class.
func isGeneratedClassAttribute(attr string) bool {
	switch attr {
	case "type_uid", "class_uid", "class_name", "category_uid", "category_name":
		return true
	}
	return false
}

// objRef is an attribute of an item whose type is an object.
type objRef struct {
	attr, object string
}

// objectRefs returns the object-typed attributes of an item, in attribute
// name order. For objects the result is cached: consolidation visits each
// object many times, and object attributes do not change between the
// object and class passes (datetime siblings are never objects).
func (c *compiler) objectRefs(kind itemKind, name string, item jobj, cache map[string][]objRef) ([]objRef, error) {
	if kind == kindObject {
		if refs, ok := cache[name]; ok {
			return refs, nil
		}
	}
	attrs := attributesOf(item)
	var refs []objRef
	for _, a := range sortedKeys(attrs) {
		ot, err := c.objectTypeOf(kind, name, a)
		if err != nil {
			return nil, err
		}
		if ot != "" {
			refs = append(refs, objRef{attr: a, object: ot})
		}
	}
	if kind == kindObject {
		cache[name] = refs
	}
	return refs, nil
}

// consolidateProfiles sets each item's profiles to the union of its own
// and those of every object reachable from it.
func (c *compiler) consolidateProfiles(kind itemKind, items map[string]jobj) error {
	if c.refCache == nil {
		c.refCache = map[string][]objRef{}
	}
	for _, name := range sortedKeys(items) {
		item := items[name]
		seen := map[string]bool{}
		var all []string
		// visit walks the objects reachable from refs (depth first).
		var visit func(from string, fromKind itemKind, refs []objRef) error
		visit = func(from string, fromKind itemKind, refs []objRef) error {
			for _, r := range refs {
				if seen[r.object] {
					continue
				}
				o, ok := c.objects[r.object]
				if !ok {
					f, p := c.attrOrigin(fromKind, from, r.attr)
					return srcErr(f, p, ErrUndefined, "object %q (reached from %s %q) is not defined or is hidden",
						r.object, string(fromKind), from)
				}
				seen[r.object] = true
				ps, _ := stringsOf(o["profiles"])
				all = append(all, ps...)
				next, err := c.objectRefs(kindObject, r.object, o, c.refCache)
				if err != nil {
					return err
				}
				if err := visit(r.object, kindObject, next); err != nil {
					return err
				}
			}
			return nil
		}
		var err error
		if kind == kindClass {
			ps, _ := stringsOf(item["profiles"])
			all = append(all, ps...)
			refs, rerr := c.objectRefs(kindClass, name, item, nil)
			if rerr != nil {
				return rerr
			}
			err = visit(name, kindClass, refs)
		} else {
			err = visit(name, kindObject, []objRef{{object: name}})
		}
		if err != nil {
			return err
		}
		if u := unionSorted(all, nil); len(u) > 0 {
			item["profiles"] = stringsToAny(u)
		}
	}
	return nil
}

// addDatetimeAttributes adds "<name>_dt" (datetime_t, profile "datetime",
// optional) beside every timestamp attribute, and "datetime" to the item's
// profiles when it gained one.
func (c *compiler) addDatetimeAttributes(kind itemKind, items map[string]jobj) error {
	types := c.dictTypes()
	_, hasProfile := c.baseProfiles["datetime"]
	_, hasDatetime := types["datetime_t"]
	addDT := hasProfile && hasDatetime
	dict := c.dictAttributes()
	for _, name := range sortedKeys(items) {
		item := items[name]
		attrs := attributesOf(item)
		additions := jobj{}
		for _, a := range sortedKeys(attrs) {
			ao, _ := attrs[a].(map[string]any)
			d, _ := dict[a].(map[string]any)
			if _, hasDesc := ao["description"]; !hasDesc {
				if desc, _ := strAt(d, "description"); strings.Contains(desc, "See specific usage") {
					c.log.Warn("attribute uses the generic dictionary description; give it a specific one",
						"kind", string(kind), "item", name, "attribute", a)
				}
			}
			if !addDT {
				continue
			}
			t, ok := strAt(ao, "type")
			if !ok {
				t, _ = strAt(d, "type")
			}
			if t == "timestamp_t" {
				dt := copyObj(ao)
				dt["profiles"] = []any{"datetime"}
				dt["requirement"] = "optional"
				additions[a+"_dt"] = dt
			}
		}
		if len(additions) == 0 {
			continue
		}
		for k, v := range additions {
			attrs[k] = v
		}
		ps, _ := stringsOf(item["profiles"])
		if !slices.Contains(ps, "datetime") {
			ps = append(ps, "datetime")
			slices.Sort(ps)
		}
		item["profiles"] = stringsToAny(ps)
	}
	return nil
}

// ensureRequirements defaults a missing requirement to "optional".
func (c *compiler) ensureRequirements() error {
	for _, group := range []struct {
		kind  string
		items map[string]jobj
	}{{"profile", c.baseProfiles}, {"profile", c.extProfiles}, {"class", c.classes}, {"object", c.objects}} {
		for _, name := range sortedKeys(group.items) {
			attrs := objAt(group.items[name], "attributes")
			var fixed []string
			for _, a := range sortedKeys(attrs) {
				ao, _ := attrs[a].(map[string]any)
				if ao != nil && ao["requirement"] == nil {
					ao["requirement"] = "optional"
					fixed = append(fixed, a)
				}
			}
			if len(fixed) > 0 {
				c.log.Warn("attributes without a requirement; using optional", "kind", group.kind, "item", name, "attributes", fixed)
			}
		}
	}
	return nil
}

// finishAttributes builds every class and object attribute as a copy of the
// dictionary attribute with the item's attribute details deep-merged on
// top, and drops the attributes of profiles (they live in the items now).
func (c *compiler) finishAttributes() error {
	for _, g := range []struct {
		kind  itemKind
		items map[string]jobj
	}{{kindClass, c.classes}, {kindObject, c.objects}} {
		for _, name := range sortedKeys(g.items) {
			item := g.items[name]
			attrs := attributesOf(item)
			finished := make(jobj, len(attrs))
			for _, a := range sortedKeys(attrs) {
				fa, err := c.finishAttribute(g.kind, name, a, attrs[a])
				if err != nil {
					return err
				}
				finished[a] = fa
			}
			item["attributes"] = finished
		}
	}
	for _, p := range c.baseProfiles {
		delete(p, "attributes")
	}
	for _, p := range c.extProfiles {
		delete(p, "attributes")
	}
	return nil
}

func (c *compiler) finishAttribute(kind itemKind, item, name string, v any) (jobj, error) {
	attr, _ := v.(map[string]any)
	dictAttr, ok := c.dictAttributes()[name].(map[string]any)
	if !ok {
		return nil, c.notInDictionary(kind, item, name)
	}
	out := copyObj(dictAttr)
	deepMerge(out, attr)
	if t, ok := strAt(attr, "type"); ok && t != asString(dictAttr["type"]) {
		f, p := c.attrOrigin(kind, item, name)
		refined, ok := c.dictTypes()[t].(map[string]any)
		if !ok {
			return nil, srcErr(f, p+ptr("type"), ErrInvalid,
				"attribute %q of %s %q refines its type to %q, which is not a dictionary type", name, string(kind), item, t)
		}
		if base, _ := strAt(refined, "type"); base != asString(dictAttr["type"]) {
			return nil, srcErr(f, p+ptr("type"), ErrInvalid,
				"attribute %q of %s %q refines its type to %q, which is not a subtype of %q", name, string(kind), item, t, dictAttr["type"])
		}
		// The official compiler 0.9.2 keeps the dictionary attribute's
		// type_name here (for example "String" for a file_path_t refinement
		// of a string_t attribute); this package does the same so its
		// output matches, byte for byte.
	}
	if ia, ok := attr["is_array"]; ok && !jsonEqual(ia, dictAttr["is_array"]) && !(ia == false && dictAttr["is_array"] == nil) {
		c.log.Warn("attribute is_array differs from the dictionary", "kind", string(kind), "item", item, "attribute", name)
	}
	return out, nil
}
