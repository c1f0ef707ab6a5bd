package ocsfschema

// Reading the base schema and resolving $include.

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
)

func (c *compiler) readBaseSchema() error {
	versionFile := filepath.Join(c.root, "version.json")
	v, err := readObjectFile(versionFile)
	if err != nil {
		var se *SourceError
		if errors.As(err, &se) && errors.Is(se.Err, fs.ErrNotExist) {
			return srcErr(versionFile, "", ErrUndefined, "schema version file does not exist (is this a schema directory?)")
		}
		return err
	}
	version, ok := strAt(v, "version")
	if !ok {
		return srcErr(versionFile, ptr("version"), ErrMalformed, `"version" is missing or not a string`)
	}
	c.version = version

	catFile := filepath.Join(c.root, "categories.json")
	if c.categories, err = readObjectFile(catFile); err != nil {
		return err
	}
	if err := checkCategories(catFile, c.categories); err != nil {
		return err
	}
	for name := range objAt(c.categories, "attributes") {
		c.catSrc[name] = catFile
	}

	dictFile := filepath.Join(c.root, "dictionary.json")
	if c.dictionary, err = readObjectFile(dictFile); err != nil {
		return err
	}
	if err := checkDictionary(dictFile, c.dictionary); err != nil {
		return err
	}
	for name := range c.dictAttributes() {
		c.dictSrc[name] = dictFile
	}
	for name := range c.dictTypes() {
		c.typeSrc[name] = dictFile
	}

	if c.classes, err = c.readItems(c.root, "events", kindClass); err != nil {
		return err
	}
	if c.objects, err = c.readItems(c.root, "objects", kindObject); err != nil {
		return err
	}
	if c.baseProfiles, err = c.readProfiles(c.root, ""); err != nil {
		return err
	}
	if c.version == "1.0.0-rc.2" && !c.opts.SkipPlatformExtensions {
		return srcErr(versionFile, ptr("version"), ErrInvalid,
			"compiling 1.0.0-rc.2 with its platform extension is not supported (its overrides are errors today); set SkipPlatformExtensions")
	}

	// Profile attributes must be dictionary attributes.
	dict := c.dictAttributes()
	for _, pname := range sortedKeys(c.baseProfiles) {
		for _, a := range sortedKeys(objAt(c.baseProfiles[pname], "attributes")) {
			if _, ok := dict[a]; !ok {
				return srcErr(c.files["profile:"+pname], ptr("attributes", a), ErrUndefined,
					"attribute %q of profile %q is not a dictionary attribute", a, pname)
			}
		}
	}

	resolve := func(name string) string { return filepath.Join(c.root, filepath.FromSlash(name)) }
	for _, name := range sortedKeys(c.classes) {
		if err := c.resolveIncludes(kindClass, name, c.classes[name], c.fileOf(kindClass, name), resolve); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(c.objects) {
		if err := c.resolveIncludes(kindObject, name, c.objects[name], c.fileOf(kindObject, name), resolve); err != nil {
			return err
		}
	}
	return nil
}

func (c *compiler) dictAttributes() jobj {
	a, ok := c.dictionary["attributes"].(map[string]any)
	if !ok {
		a = jobj{}
		c.dictionary["attributes"] = a
	}
	return a
}

func (c *compiler) dictTypes() jobj {
	t, ok := c.dictionary["types"].(map[string]any)
	if !ok {
		t = jobj{}
		c.dictionary["types"] = t
	}
	a, ok := t["attributes"].(map[string]any)
	if !ok {
		a = jobj{}
		t["attributes"] = a
	}
	return a
}

// readItems reads the classes or objects of the base schema.
func (c *compiler) readItems(base, dir string, kind itemKind) (map[string]jobj, error) {
	files, err := jsonFiles(filepath.Join(base, dir))
	if err != nil {
		return nil, err
	}
	items := map[string]jobj{}
	for _, file := range files {
		m, err := readObjectFile(file)
		if err != nil {
			return nil, err
		}
		if err := checkItem(file, m, roleOf(kind)); err != nil {
			return nil, err
		}
		name, _ := strAt(m, "name")
		if name == "" {
			return nil, srcErr(file, ptr("name"), ErrMalformed, "%s file has no \"name\"", string(kind))
		}
		if _, dup := items[name]; dup {
			return nil, srcErr(file, ptr("name"), ErrCollision, "%s name %q is already defined in %s", string(kind), name, c.fileOf(kind, name))
		}
		upgradeAttributeProfiles(m)
		items[name] = m
		c.files[itemKey(kind, name)] = file
		c.setOrigins(kind, name, file, attributesOf(m))
	}
	return items, nil
}

func roleOf(kind itemKind) itemRole {
	if kind == kindClass {
		return roleClass
	}
	return roleObject
}

// readProfiles reads profiles/ under base. ext is the extension name, or ""
// for the base schema. Profiles are also cached for $include.
func (c *compiler) readProfiles(base, ext string) (map[string]jobj, error) {
	files, err := jsonFiles(filepath.Join(base, "profiles"))
	if err != nil {
		return nil, err
	}
	profiles := map[string]jobj{}
	for _, file := range files {
		m, err := readObjectFile(file)
		if err != nil {
			return nil, err
		}
		if err := checkItem(file, m, roleProfile); err != nil {
			return nil, err
		}
		name, _ := strAt(m, "name")
		if name == "" {
			return nil, srcErr(file, ptr("name"), ErrMalformed, "profile file has no \"name\"")
		}
		if ext == "" && strings.Contains(name, "/") {
			return nil, srcErr(file, ptr("name"), ErrMalformed, "profile name %q must not contain \"/\"", name)
		}
		if _, dup := profiles[name]; dup {
			return nil, srcErr(file, ptr("name"), ErrCollision, "profile name %q is defined twice", name)
		}
		profiles[name] = m
		c.includeCache[filepath.Clean(file)] = m
		key := name
		if ext != "" {
			key = ext + "/" + name
		}
		c.files["profile:"+key] = file
	}
	return profiles, nil
}

// upgradeAttributeProfiles turns the source form `"profile": p` of item
// attributes into the compiled form `"profiles": [p]`, and `"profile": null`
// into `"profiles": null` (the attribute is not profile-gated here).
func upgradeAttributeProfiles(item jobj) {
	for name, v := range attributesOf(item) {
		if name == "$include" {
			continue
		}
		a, ok := v.(map[string]any)
		if !ok {
			continue
		}
		p, ok := a["profile"]
		if !ok {
			continue
		}
		if s, ok := p.(string); ok {
			a["profiles"] = []any{s}
		} else {
			a["profiles"] = nil
		}
		delete(a, "profile")
	}
}

// ---------------------------------------------------------------------------
// $include.

// resolveIncludes resolves the attributes-level "$include" (profiles and
// other attribute sets) and attribute-detail "$include" of one item.
func (c *compiler) resolveIncludes(kind itemKind, name string, item jobj, file string, resolve func(string) string) error {
	attrs := attributesOf(item)
	if inc, ok := attrs["$include"]; ok {
		delete(attrs, "$include")
		var list []string
		var pointers []string
		if s, ok := inc.(string); ok {
			list = []string{s}
			pointers = []string{ptr("attributes", "$include")}
		} else {
			list, _ = stringsOf(inc)
			for i := range list {
				pointers = append(pointers, ptr("attributes", "$include", strconv.Itoa(i)))
			}
		}
		for i, rel := range list {
			path := resolve(rel)
			if path == "" {
				return srcErr(file, pointers[i], ErrUndefined, "$include %q was not found", rel)
			}
			if err := c.mergeAttributesInclude(kind, name, item, file, pointers[i], path); err != nil {
				return err
			}
		}
	}
	attrs = attributesOf(item)
	for _, aname := range sortedKeys(attrs) {
		a, ok := attrs[aname].(map[string]any)
		if !ok {
			continue
		}
		inc, ok := a["$include"]
		if !ok {
			continue
		}
		delete(a, "$include")
		rel, _ := inc.(string)
		at := ptr("attributes", aname, "$include")
		path := resolve(rel)
		if path == "" {
			return srcErr(file, at, ErrUndefined, "$include %q was not found", rel)
		}
		included, err := c.includeContents(file, at, path)
		if err != nil {
			return err
		}
		if err := checkAttribute(shapeChecker{file: path}, included, "", roleInclude); err != nil {
			return err
		}
		merged := copyObj(included)
		deepMerge(merged, a)
		attrs[aname] = merged
	}
	return nil
}

func (c *compiler) includeContents(file, pointer, path string) (jobj, error) {
	key := filepath.Clean(path)
	if m, ok := c.includeCache[key]; ok {
		return m, nil
	}
	m, err := readObjectFile(path)
	if err != nil {
		var se *SourceError
		if errors.As(err, &se) && errors.Is(se.Err, fs.ErrNotExist) {
			return nil, srcErr(file, pointer, ErrUndefined, "$include file does not exist: %s", path)
		}
		return nil, err
	}
	if err := checkItem(path, m, roleInclude); err != nil {
		return nil, err
	}
	c.includeCache[key] = m
	return m, nil
}

// mergeAttributesInclude merges the attributes of an included file under
// the item's own attributes: the item wins.
func (c *compiler) mergeAttributesInclude(kind itemKind, name string, item jobj, file, pointer, path string) error {
	inc, err := c.includeContents(file, pointer, path)
	if err != nil {
		return err
	}
	incAttrs, ok := inc["attributes"].(map[string]any)
	if !ok {
		c.log.Warn("include file has no attributes", "file", path, "included_by", file)
		return nil
	}
	attrs := copyObj(incAttrs)
	if meta, _ := strAt(inc, "meta"); meta == "profile" {
		pname, _ := strAt(inc, "name")
		if pname == "" {
			return srcErr(path, ptr("name"), ErrMalformed, "included profile has no \"name\"")
		}
		for _, a := range attrs {
			if ao, ok := a.(map[string]any); ok {
				ao["profiles"] = []any{pname}
			}
		}
	}
	if ann, ok := inc["annotations"].(map[string]any); ok {
		if _, bad := ann["profiles"]; bad {
			return srcErr(path, ptr("annotations", "profiles"), ErrMalformed, `"profiles" is not allowed in annotations`)
		}
		for _, a := range attrs {
			if ao, ok := a.(map[string]any); ok {
				for k, v := range ann {
					if _, has := ao[k]; !has {
						ao[k] = deepCopy(v)
					}
				}
			}
		}
	}
	own := attributesOf(item)
	for a := range incAttrs {
		if _, mine := own[a]; !mine {
			c.setOrigins(kind, name, path, jobj{a: nil})
		}
	}
	if err := c.mergeAttributes(attrs, own, file, ptr("attributes")); err != nil {
		return err
	}
	item["attributes"] = attrs
	return nil
}
