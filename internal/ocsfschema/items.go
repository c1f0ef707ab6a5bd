package ocsfschema

// Patches, extends, hidden items, class uids and observables.

import (
	"fmt"
	"strconv"
	"strings"
)

// processClasses collects class observables, applies patches, flattens
// extends, drops abstract classes and computes uids and generated enums.
func (c *compiler) processClasses() error {
	if err := c.observablesFromItems(kindClass, c.classes, c.classPatches); err != nil {
		return err
	}
	if err := c.resolvePatches(kindClass, c.classes, c.classPatches); err != nil {
		return err
	}
	if err := c.resolveExtends(kindClass, c.classes); err != nil {
		return err
	}
	for name, cls := range c.classes {
		if isHiddenClass(name, cls) {
			delete(c.classes, name)
		}
	}
	return c.enrichClasses()
}

// processObjects collects object observables, applies patches, flattens
// extends and drops hidden objects.
func (c *compiler) processObjects() error {
	if err := c.observablesFromItems(kindObject, c.objects, c.objectPatches); err != nil {
		return err
	}
	if err := c.resolvePatches(kindObject, c.objects, c.objectPatches); err != nil {
		return err
	}
	if err := c.resolveExtends(kindObject, c.objects); err != nil {
		return err
	}
	for name := range c.objects {
		if isHiddenObject(name) {
			delete(c.objects, name)
		}
	}
	return nil
}

// isHiddenClass reports whether a class is abstract: it has no uid (except
// base_event, whose uid is 0).
func isHiddenClass(name string, cls jobj) bool {
	_, hasUID := cls["uid"]
	return name != "base_event" && !hasUID
}

// isHiddenObject reports whether an object is hidden (name starts with "_").
func isHiddenObject(name string) bool { return strings.HasPrefix(name, "_") }

func (c *compiler) resolvePatches(kind itemKind, items map[string]jobj, patches map[string][]patch) error {
	for _, name := range sortedKeys(patches) {
		for _, p := range patches[name] {
			file := c.files[fmt.Sprintf("%s:%s:%s", p.ext, string(kind), name)]
			base, ok := items[name]
			if !ok {
				return srcErr(file, ptr("extends"), ErrUndefined, "extension %q patches undefined %s %q", p.ext, string(kind), name)
			}
			from := "base schema"
			if ext, ok := strAt(base, "extension"); ok {
				if !c.platformExt[ext] {
					return srcErr(file, ptr("extends"), ErrInvalid,
						"extension %q patches %s %q of extension %q; only the base schema and platform extensions may be patched",
						p.ext, string(kind), name, ext)
				}
				from = "extension " + ext
			}
			c.log.Info("patch", "extension", p.ext, "kind", string(kind), "name", name, "from", from)
			mergeItemProfiles(base, p.data)
			patchAttrs := attributesOf(p.data)
			baseAttrs := attributesOf(base)
			for a := range patchAttrs {
				if _, exists := baseAttrs[a]; !exists {
					c.setOrigins(kind, name, file, jobj{a: nil})
				}
			}
			if err := c.mergeAttributes(baseAttrs, patchAttrs, file, ptr("attributes")); err != nil {
				return err
			}
			for _, k := range []string{"observable", "observables", "references", "associations"} {
				if v, ok := p.data[k]; ok && v != nil {
					base[k] = v
				}
			}
			if cons, ok := p.data["constraints"]; ok {
				if m, ok := cons.(map[string]any); ok && len(m) > 0 {
					base["constraints"] = m
				} else {
					delete(base, "constraints")
				}
			}
		}
	}
	return nil
}

// resolveExtends flattens "extends": each item becomes a copy of its
// (flattened) parent with the item's own keys on top. Attributes merge per
// attribute, profiles merge as a set, any other key replaces the parent's.
func (c *compiler) resolveExtends(kind itemKind, items map[string]jobj) error {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var resolve func(name string, chain []string) error
	resolve = func(name string, chain []string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return srcErr(c.fileOf(kind, name), ptr("extends"), ErrInvalid, "%s extends cycle: %s", string(kind),
				strings.Join(append(chain, name), " -> "))
		}
		item := items[name]
		parentName, ok := strAt(item, "extends")
		if !ok {
			state[name] = done
			return nil
		}
		if _, ok := items[parentName]; !ok {
			return srcErr(c.fileOf(kind, name), ptr("extends"), ErrUndefined, "%s %q extends undefined %s %q",
				string(kind), name, string(kind), parentName)
		}
		state[name] = visiting
		if err := resolve(parentName, append(chain, name)); err != nil {
			return err
		}
		flat := copyObj(items[parentName])
		for _, k := range sortedKeys(item) {
			switch k {
			case "attributes":
				src, _ := item[k].(map[string]any)
				if err := c.mergeAttributes(attributesOf(flat), src, c.fileOf(kind, name), ptr("attributes")); err != nil {
					return err
				}
			case "profiles":
				mergeItemProfiles(flat, item)
			default:
				flat[k] = item[k]
			}
		}
		items[name] = flat
		if po := c.origins[itemKey(kind, parentName)]; po != nil {
			o := c.origins[itemKey(kind, name)]
			if o == nil {
				o = map[string]string{}
				c.origins[itemKey(kind, name)] = o
			}
			for a, f := range po {
				if _, own := o[a]; !own {
					o[a] = f
				}
			}
		}
		state[name] = done
		return nil
	}
	for _, name := range sortedKeys(items) {
		if err := resolve(name, nil); err != nil {
			return err
		}
	}
	return nil
}

// enrichClasses computes class uids and the generated type_uid, class_uid
// and category_uid enums.
func (c *compiler) enrichClasses() error {
	cats := objAt(c.categories, "attributes")
	for _, name := range sortedKeys(c.classes) {
		cls := c.classes[name]
		file := c.fileOf(kindClass, name)
		var category jobj
		categoryUID := 0
		categoryKey, hasCategory := strAt(cls, "category")
		if hasCategory && categoryKey != "" {
			category = objAt(cats, categoryKey)
			if category != nil {
				cls["category_name"] = category["caption"]
				categoryUID, _ = intOf(category["uid"])
				if categoryUID < 0 || categoryUID > maxCategoryUID {
					return srcErr(c.catSrc[categoryKey], ptr("attributes", categoryKey, "uid"), ErrInvalid,
						"category uid %d is out of range 0..%d", categoryUID, maxCategoryUID)
				}
			}
		}
		localUID, _ := intOf(cls["uid"])
		if localUID < 0 || localUID >= 1000 {
			return srcErr(file, ptr("uid"), ErrInvalid, "class uid %d is out of range 0..999", localUID)
		}
		var classUID int
		if extID, ok := intOf(cls["extension_id"]); ok {
			scoped := categoryUID
			if category == nil || !hasKey(category, "extension_id") {
				// A base-schema category: scope it with the extension uid.
				if categoryUID < 0 || categoryUID >= 100 {
					return srcErr(file, ptr("category"), ErrInvalid, "category uid %d is out of range 0..99", categoryUID)
				}
				scoped = extID*100 + categoryUID
			}
			classUID = scoped*1000 + localUID
		} else {
			classUID = categoryUID*1000 + localUID
		}
		cls["uid"] = float64(classUID)

		attrs := attributesOf(cls)
		caption, ok := cls["caption"]
		if !ok {
			caption = "UNKNOWN"
		}
		captionStr := fmt.Sprint(caption)
		activity := objAt(attrs, "activity_id")
		activityEnum := objAt(activity, "enum")
		if activityEnum == nil {
			f, p := c.attrOrigin(kindClass, name, "activity_id")
			return srcErr(f, p, ErrInvalid, "class %q has no \"activity_id\" enum", name)
		}
		typeEnum := jobj{}
		for _, key := range sortedKeys(activityEnum) {
			id, err := strconv.Atoi(strings.TrimSpace(key))
			if err != nil || id >= 100 || id < -maxCategoryUID {
				f, p := c.attrOrigin(kindClass, name, "activity_id")
				return srcErr(f, p+ptr("enum", key), ErrInvalid, "activity_id enum key %q is not an integer below 100", key)
			}
			item := copyObj(objAt(activityEnum, key))
			if item == nil {
				item = jobj{}
			}
			actCaption, ok := activityEnum[key].(map[string]any)["caption"]
			if !ok {
				actCaption = "<unknown>"
			}
			item["caption"] = captionStr + ": " + fmt.Sprint(actCaption)
			typeEnum[strconv.Itoa(classUID*100+id)] = item
		}
		typeEnum[strconv.Itoa(classUID*100)] = jobj{"caption": captionStr + ": Unknown"}
		setDefaultObj(attrs, "type_uid")["enum"] = typeEnum

		description, ok := cls["description"]
		if !ok {
			description = ""
		}
		setDefaultObj(attrs, "class_uid")["enum"] = jobj{
			strconv.Itoa(classUID): jobj{"caption": caption, "description": description},
		}
		setDefaultObj(attrs, "class_name")["description"] =
			"The event class name, as defined by class_uid value: <code>" + captionStr + "</code>."

		switch {
		case category != nil:
			cls["category_uid"] = float64(categoryUID)
			setDefaultObj(attrs, "category_uid")["enum"] = jobj{strconv.Itoa(categoryUID): copyObj(category)}
			catCaption, _ := category["caption"].(string)
			setDefaultObj(attrs, "category_name")["description"] =
				"The event category name, as defined by category_uid value: <code>" + catCaption + "</code>."
		case categoryKey == "other":
			cls["category_uid"] = float64(0)
		case !hasCategory:
			return srcErr(file, "", ErrUndefined, "class %q has no category", name)
		default:
			return srcErr(file, ptr("category"), ErrUndefined, "class %q has undefined category %q", name, categoryKey)
		}
	}
	return nil
}

// setDefaultObj returns m[k] as an object, creating it when absent.
func setDefaultObj(m jobj, k string) jobj {
	if o, ok := m[k].(map[string]any); ok {
		return o
	}
	o := jobj{}
	m[k] = o
	return o
}

func (c *compiler) validateUniqueClassUIDs() error {
	seen := map[int]string{}
	for _, name := range sortedKeys(c.classes) {
		uid, _ := intOf(c.classes[name]["uid"])
		if other, ok := seen[uid]; ok {
			return srcErr(c.fileOf(kindClass, name), ptr("uid"), ErrCollision, "classes %q and %q both have uid %d", other, name, uid)
		}
		seen[uid] = name
	}
	return nil
}

// ---------------------------------------------------------------------------
// Observables.

// observablesFromItems validates observable definitions of classes or
// objects (and their patches) and collects their type IDs.
func (c *compiler) observablesFromItems(kind itemKind, items map[string]jobj, patches map[string][]patch) error {
	for _, name := range sortedKeys(items) {
		item := items[name]
		file := c.fileOf(kind, name)
		if err := c.validateItemObservables(kind, name, item, file, false); err != nil {
			return err
		}
		caption, description := c.itemCaption(items, name, item)
		if kind == kindObject {
			if v, ok := item["observable"]; ok {
				if err := c.addObservable(v, jobj{"caption": caption, "description": "Observable by Object.<br>" + description},
					file, ptr("observable")); err != nil {
					return err
				}
			}
		}
		if err := c.observablesFromAttributes(kind, name, caption, item, file); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(patches) {
		for _, p := range patches[name] {
			file := c.files[fmt.Sprintf("%s:%s:%s", p.ext, string(kind), name)]
			if err := c.validateItemObservables(kind, name, p.data, file, true); err != nil {
				return err
			}
			caption, description := name, name
			if base, ok := items[name]; ok {
				caption, description = c.itemCaption(items, name, base)
			}
			if kind == kindObject {
				if v, ok := p.data["observable"]; ok {
					if err := c.addObservable(v, jobj{"caption": caption, "description": "Observable by Object.<br>" + description},
						file, ptr("observable")); err != nil {
						return err
					}
				}
			}
			if err := c.observablesFromAttributes(kind, name, caption, p.data, file); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *compiler) validateItemObservables(kind itemKind, name string, item jobj, file string, isPatch bool) error {
	if kind == kindClass {
		if _, ok := item["observable"]; ok {
			return srcErr(file, ptr("observable"), ErrInvalid,
				"class-level \"observable\" is not supported (use class_uid); class %q", name)
		}
		if !isPatch && isHiddenClass(name, item) {
			for _, a := range sortedKeys(attributesOf(item)) {
				if hasKey(objAt(attributesOf(item), a), "observable") {
					return srcErr(file, ptr("attributes", a, "observable"), ErrInvalid,
						"observable attribute in abstract class %q; define observables in its concrete children", name)
				}
			}
			if _, ok := item["observables"]; ok {
				return srcErr(file, ptr("observables"), ErrInvalid,
					"\"observables\" in abstract class %q; define observables in its concrete children", name)
			}
		}
		return nil
	}
	if _, ok := item["observables"]; ok {
		return srcErr(file, ptr("observables"), ErrInvalid, "object-specific attribute path observables are not supported (object %q)", name)
	}
	if !isPatch && isHiddenObject(name) {
		for _, a := range sortedKeys(attributesOf(item)) {
			if hasKey(objAt(attributesOf(item), a), "observable") {
				return srcErr(file, ptr("attributes", a, "observable"), ErrInvalid,
					"observable attribute in hidden object %q; define observables in its children", name)
			}
		}
		if _, ok := item["observable"]; ok {
			return srcErr(file, ptr("observable"), ErrInvalid, "\"observable\" in hidden object %q; define it in its children", name)
		}
	}
	return nil
}

// itemCaption returns the caption and description of an item, inherited
// from the nearest ancestor that has a caption.
func (c *compiler) itemCaption(items map[string]jobj, name string, item jobj) (string, string) {
	seen := map[string]bool{}
	cur := item
	for cur != nil && !seen[name] {
		seen[name] = true
		if caption, ok := strAt(cur, "caption"); ok {
			description, ok := strAt(cur, "description")
			if !ok {
				description = caption
			}
			return caption, description
		}
		parent, ok := strAt(cur, "extends")
		if !ok {
			break
		}
		name, cur = parent, items[parent]
	}
	return name, name
}

func (c *compiler) observablesFromAttributes(kind itemKind, name, caption string, item jobj, file string) error {
	attrs := attributesOf(item)
	for _, a := range sortedKeys(attrs) {
		ao, _ := attrs[a].(map[string]any)
		v, ok := ao["observable"]
		if !ok {
			continue
		}
		entry := jobj{
			"caption": caption + " " + kind.title() + ": " + a,
			"description": "Observable by " + kind.title() + "-Specific Attribute.<br>" + kind.title() +
				"-specific attribute \"" + a + "\" for the " + caption + " " + kind.title() + ".",
		}
		if err := c.addObservable(v, entry, file, ptr("attributes", a, "observable")); err != nil {
			return err
		}
	}
	if kind != kindClass {
		return nil
	}
	obs := objAt(item, "observables")
	for _, path := range sortedKeys(obs) {
		entry := jobj{
			"caption": caption + " Class: " + path,
			"description": "Observable by Class-Specific Attribute.<br>Class-specific attribute \"" + path +
				"\" for the " + caption + " Class.",
		}
		if err := c.addObservable(obs[path], entry, file, ptr("observables", path)); err != nil {
			return err
		}
	}
	return nil
}

func (c *compiler) addObservable(id any, entry jobj, file, pointer string) error {
	key := intString(id)
	if prev, ok := c.observables[key].(map[string]any); ok {
		return srcErr(file, pointer, ErrCollision, "observable type_id %s of %q is already used by %q",
			key, entry["caption"], prev["caption"])
	}
	c.observables[key] = entry
	return nil
}

func (c *compiler) observablesFromDictionary() error {
	types := c.dictTypes()
	for _, name := range sortedKeys(types) {
		t, _ := types[name].(map[string]any)
		if v, ok := t["observable"]; ok {
			entry := jobj{"caption": asString(t["caption"]), "description": "Observable by Dictionary Type.<br>" + asString(t["description"])}
			if err := c.addObservable(v, entry, c.typeSrc[name], ptr("types", "attributes", name, "observable")); err != nil {
				return err
			}
		}
	}
	dict := c.dictAttributes()
	for _, name := range sortedKeys(dict) {
		a, _ := dict[name].(map[string]any)
		if v, ok := a["observable"]; ok {
			entry := jobj{"caption": asString(a["caption"]), "description": "Observable by Dictionary Attribute.<br>" + asString(a["description"])}
			if err := c.addObservable(v, entry, c.dictSrc[name], ptr("attributes", strings.TrimSuffix(name, "_dt"), "observable")); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *compiler) updateObservableEnum() error {
	obs, ok := c.objects["observable"]
	if !ok {
		return nil
	}
	typeID := setDefaultObj(attributesOf(obs), "type_id")
	enum := setDefaultObj(typeID, "enum")
	for _, key := range sortedKeys(c.observables) {
		if _, dup := enum[key]; dup {
			f, p := c.attrOrigin(kindObject, "observable", "type_id")
			return srcErr(f, p+ptr("enum", key), ErrCollision, "observable type_id %s is defined by the observable object and by %q",
				key, objAt(c.observables, key)["caption"])
		}
		enum[key] = c.observables[key]
	}
	return nil
}
