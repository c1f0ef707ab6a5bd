package ocsfschema

// Reading extensions and merging them into the base schema.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func (c *compiler) readAndMergeExtensions() error {
	var exts []*extension
	if !c.opts.SkipPlatformExtensions {
		found, err := c.findExtensions(filepath.Join(c.root, "extensions"), true)
		if err != nil {
			return err
		}
		exts = append(exts, found...)
	}
	for _, dir := range c.opts.ExtensionDirs {
		st, err := os.Stat(dir)
		if err != nil {
			return &SourceError{File: dir, Err: err}
		}
		if !st.IsDir() {
			return srcErr(dir, "", ErrUndefined, "extension path is not a directory")
		}
		found, err := c.findExtensions(dir, false)
		if err != nil {
			return err
		}
		exts = append(exts, found...)
	}
	// Platform extensions first, then by uid (the official order).
	slices.SortStableFunc(exts, func(a, b *extension) int {
		if a.platform != b.platform {
			if a.platform {
				return -1
			}
			return 1
		}
		return a.uid - b.uid
	})
	seen := map[string]string{}
	seenUID := map[int]string{}
	for _, e := range exts {
		if prev, ok := seen[e.name]; ok {
			return srcErr(filepath.Join(e.dir, "extension.json"), ptr("name"), ErrCollision,
				"extension name %q is also used by %s", e.name, prev)
		}
		seen[e.name] = e.dir
		if prev, ok := seenUID[e.uid]; ok {
			return srcErr(filepath.Join(e.dir, "extension.json"), ptr("uid"), ErrCollision,
				"extension uid %d is also used by %s", e.uid, prev)
		}
		seenUID[e.uid] = e.dir
		annotateExtension(e)
	}

	// Extension profile attributes must be dictionary attributes.
	baseDict := c.dictAttributes()
	for _, e := range exts {
		extDict := objAt(e.dictionary, "attributes")
		for _, pname := range sortedKeys(e.profiles) {
			for _, a := range sortedKeys(objAt(e.profiles[pname], "attributes")) {
				_, inBase := baseDict[a]
				_, inExt := extDict[a]
				if !inBase && !inExt {
					return srcErr(c.files["profile:"+e.name+"/"+pname], ptr("attributes", a), ErrUndefined,
						"attribute %q of extension %q profile %q is not a dictionary attribute", a, e.name, pname)
				}
			}
		}
	}

	for _, e := range exts {
		resolve := func(rel string) string {
			p := filepath.Join(e.dir, filepath.FromSlash(rel))
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
			p = filepath.Join(c.root, filepath.FromSlash(rel))
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
			return ""
		}
		for _, group := range []struct {
			items map[string]jobj
			kind  itemKind
		}{{e.classes, kindClass}, {e.classPatches, kindClass}, {e.objects, kindObject}, {e.objectPatches, kindObject}} {
			for _, name := range sortedKeys(group.items) {
				item := group.items[name]
				file := c.extItemFile(e, group.kind, name)
				if err := c.resolveIncludes(group.kind, name, item, file, resolve); err != nil {
					return err
				}
			}
		}
	}
	for _, e := range exts {
		if err := c.fixExtensionProfileUses(e); err != nil {
			return err
		}
	}

	for _, e := range exts {
		if err := c.mergeExtensionAttributes(e, c.categories, e.categories, "category", c.catSrc); err != nil {
			return err
		}
	}
	for _, e := range exts {
		if err := c.mergeExtensionItems(e, kindClass, e.classes, c.classes); err != nil {
			return err
		}
	}
	for _, e := range exts {
		if err := c.mergeExtensionItems(e, kindObject, e.objects, c.objects); err != nil {
			return err
		}
	}
	for _, e := range exts {
		if err := c.mergeExtensionAttributes(e, c.dictionary, e.dictionary, "dictionary", c.dictSrc); err != nil {
			return err
		}
	}
	for _, e := range exts {
		for _, pname := range sortedKeys(e.profiles) {
			if _, ok := c.baseProfiles[pname]; ok {
				return srcErr(c.files["profile:"+e.name+"/"+pname], ptr("name"), ErrCollision,
					"extension %q profile %q collides with the base schema profile of the same name", e.name, pname)
			}
			c.extProfiles[e.name+"/"+pname] = e.profiles[pname]
		}
	}
	for _, e := range exts {
		for _, name := range sortedKeys(e.classPatches) {
			c.classPatches[name] = append(c.classPatches[name], patch{ext: e.name, data: e.classPatches[name]})
		}
		for _, name := range sortedKeys(e.objectPatches) {
			c.objectPatches[name] = append(c.objectPatches[name], patch{ext: e.name, data: e.objectPatches[name]})
		}
	}
	for _, e := range exts {
		c.extensions[e.name] = jobj{
			"uid":                 float64(e.uid),
			"name":                e.name,
			"platform_extension?": e.platform,
			"caption":             e.caption,
			"description":         e.description,
			"version":             e.version,
		}
		c.platformExt[e.name] = e.platform
		c.log.Info("extension merged", "name", e.name, "uid", e.uid, "platform", e.platform, "dir", e.dir)
	}
	return nil
}

// extItemFile returns the file of an extension item or patch.
func (c *compiler) extItemFile(e *extension, kind itemKind, name string) string {
	if f, ok := c.files[fmt.Sprintf("%s:%s:%s", e.name, string(kind), name)]; ok {
		return f
	}
	return e.dir
}

// findExtensions finds every directory holding extension.json under dir
// (dir itself included). The search does not descend into an extension.
func (c *compiler) findExtensions(dir string, platform bool) ([]*extension, error) {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) && platform {
		return nil, nil
	}
	if err != nil {
		return nil, &SourceError{File: dir, Err: err}
	}
	if !st.IsDir() {
		return nil, nil
	}
	var found []*extension
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return &SourceError{File: path, Err: err}
		}
		if !d.IsDir() {
			return nil
		}
		if _, err := os.Stat(filepath.Join(path, "extension.json")); err != nil {
			return nil
		}
		e, err := c.readExtension(path, platform)
		if err != nil {
			return err
		}
		found = append(found, e)
		return filepath.SkipDir
	})
	return found, err
}

func (c *compiler) readExtension(dir string, platform bool) (*extension, error) {
	infoFile := filepath.Join(dir, "extension.json")
	info, err := readObjectFile(infoFile)
	if err != nil {
		return nil, err
	}
	uid, ok := intOf(info["uid"])
	if !ok {
		return nil, srcErr(infoFile, ptr("uid"), ErrMalformed, `extension "uid" must be an integer, got a JSON %s`, jsonTypeName(info["uid"]))
	}
	if uid < 0 || uid > maxExtensionUID {
		return nil, srcErr(infoFile, ptr("uid"), ErrInvalid, "extension uid %d is out of range 0..%d", uid, maxExtensionUID)
	}
	name, ok := strAt(info, "name")
	if !ok || name == "" {
		return nil, srcErr(infoFile, ptr("name"), ErrMalformed, `extension "name" must be a non-empty string`)
	}
	if strings.Contains(name, "/") {
		return nil, srcErr(infoFile, ptr("name"), ErrMalformed, `extension "name" must not contain "/"`)
	}
	for _, k := range []string{"caption", "description"} {
		if v, ok := info[k]; ok && v != nil {
			if _, ok := v.(string); !ok {
				return nil, srcErr(infoFile, ptr(k), ErrMalformed, "got a JSON %s, want a string", jsonTypeName(v))
			}
		}
	}
	e := &extension{dir: dir, uid: uid, name: name, platform: platform, caption: info["caption"], description: info["description"]}
	switch v, ok := info["version"]; {
	case ok:
		s, isStr := v.(string)
		if !isStr {
			return nil, srcErr(infoFile, ptr("version"), ErrMalformed, `extension "version" must be a string`)
		}
		e.version = s
	case platform:
		e.version = c.version
	default:
		return nil, srcErr(infoFile, "", ErrMalformed, `extension.json has no "version"`)
	}
	c.log.Info("reading extension", "name", name, "uid", uid, "platform", platform, "dir", dir)

	e.categories = jobj{}
	if p := filepath.Join(dir, "categories.json"); fileExists(p) {
		if e.categories, err = readObjectFile(p); err != nil {
			return nil, err
		}
		if err := checkCategories(p, e.categories); err != nil {
			return nil, err
		}
		for _, n := range sortedKeys(objAt(e.categories, "attributes")) {
			c.catSrc[n] = p
			// Extension category uids are scoped as extension uid * 100 + uid.
			if cu, _ := intOf(objAt(objAt(e.categories, "attributes"), n)["uid"]); cu < 0 || cu >= 100 {
				return nil, srcErr(p, ptr("attributes", n, "uid"), ErrInvalid, "extension category uid %d is out of range 0..99", cu)
			}
		}
	}
	e.dictionary = jobj{}
	if p := filepath.Join(dir, "dictionary.json"); fileExists(p) {
		if e.dictionary, err = readObjectFile(p); err != nil {
			return nil, err
		}
		if err := checkDictionary(p, e.dictionary); err != nil {
			return nil, err
		}
		for n := range objAt(e.dictionary, "attributes") {
			c.dictSrc[n] = p
		}
		if t := objAt(e.dictionary, "types"); t != nil {
			for n := range objAt(t, "attributes") {
				c.typeSrc[n] = p
			}
		}
	}
	if e.classes, e.classPatches, err = c.readPatchableItems(e, "events", kindClass); err != nil {
		return nil, err
	}
	if e.objects, e.objectPatches, err = c.readPatchableItems(e, "objects", kindObject); err != nil {
		return nil, err
	}
	if e.profiles, err = c.readProfiles(dir, name); err != nil {
		return nil, err
	}
	return e, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// readPatchableItems reads the classes or objects of an extension,
// separating new items from patches of existing ones.
func (c *compiler) readPatchableItems(e *extension, dir string, kind itemKind) (items, patches map[string]jobj, err error) {
	files, err := jsonFiles(filepath.Join(e.dir, dir))
	if err != nil {
		return nil, nil, err
	}
	items, patches = map[string]jobj{}, map[string]jobj{}
	for _, file := range files {
		m, err := readObjectFile(file)
		if err != nil {
			return nil, nil, err
		}
		if err := checkItem(file, m, roleOf(kind)); err != nil {
			return nil, nil, err
		}
		name, _ := strAt(m, "name")
		extends, _ := strAt(m, "extends")
		if name == "" && extends == "" {
			return nil, nil, srcErr(file, "", ErrMalformed, `extension %s file has neither "name" nor "extends"`, string(kind))
		}
		upgradeAttributeProfiles(m)
		if name == "" || name == extends {
			if _, dup := patches[extends]; dup {
				return nil, nil, srcErr(file, ptr("extends"), ErrCollision, "extension %q patches %s %q twice", e.name, string(kind), extends)
			}
			patches[extends] = m
			c.files[fmt.Sprintf("%s:%s:%s", e.name, string(kind), extends)] = file
			continue
		}
		if _, dup := items[name]; dup {
			return nil, nil, srcErr(file, ptr("name"), ErrCollision, "extension %q defines %s %q twice", e.name, string(kind), name)
		}
		items[name] = m
		c.files[fmt.Sprintf("%s:%s:%s", e.name, string(kind), name)] = file
	}
	return items, patches, nil
}

// annotateExtension records the extension on everything it defines and
// scopes its category uids (extension uid * 100 + category uid).
func annotateExtension(e *extension) {
	name, uid := e.name, float64(e.uid)
	for _, v := range objAt(e.categories, "attributes") {
		if cat, ok := v.(map[string]any); ok {
			if cu, ok := intOf(cat["uid"]); ok {
				cat["uid"] = float64(e.uid*100 + cu)
			}
			cat["extension"], cat["extension_id"] = name, uid
		}
	}
	for _, group := range []map[string]jobj{e.classes, e.classPatches, e.objects, e.objectPatches, e.profiles} {
		for _, item := range group {
			item["extension"], item["extension_id"] = name, uid
		}
	}
	for _, v := range objAt(e.dictionary, "attributes") {
		if a, ok := v.(map[string]any); ok {
			a["extension"], a["extension_id"] = name, uid
		}
	}
	if t := objAt(e.dictionary, "types"); t != nil {
		for _, v := range objAt(t, "attributes") {
			if a, ok := v.(map[string]any); ok {
				a["extension"], a["extension_id"] = name, uid
			}
		}
	}
}

// fixExtensionProfileUses validates the profile names an extension uses and
// scopes references to its own profiles as "<extension>/<profile>".
func (c *compiler) fixExtensionProfileUses(e *extension) error {
	for _, group := range []struct {
		items map[string]jobj
		kind  itemKind
	}{{e.classes, kindClass}, {e.classPatches, kindClass}, {e.objects, kindObject}, {e.objectPatches, kindObject}} {
		for _, name := range sortedKeys(group.items) {
			item := group.items[name]
			file := c.extItemFile(e, group.kind, name)
			if ps, ok := stringsOf(item["profiles"]); ok && len(ps) > 0 {
				fixed, err := c.fixExtensionProfiles(e, ps, file, ptr("profiles"))
				if err != nil {
					return err
				}
				item["profiles"] = stringsToAny(fixed)
			}
			attrs := attributesOf(item)
			for _, aname := range sortedKeys(attrs) {
				a, ok := attrs[aname].(map[string]any)
				if !ok {
					continue
				}
				if ps, ok := stringsOf(a["profiles"]); ok && len(ps) > 0 {
					fixed, err := c.fixExtensionProfiles(e, ps, file, ptr("attributes", aname, "profile"))
					if err != nil {
						return err
					}
					a["profiles"] = stringsToAny(fixed)
				}
			}
		}
	}
	return nil
}

func (c *compiler) fixExtensionProfiles(e *extension, names []string, file, pointer string) ([]string, error) {
	out := make([]string, len(names))
	for i, p := range names {
		if scope, rest, scoped := strings.Cut(p, "/"); scoped {
			if scope != e.name {
				return nil, srcErr(file, pointer, ErrInvalid, "extension %q uses profile %q, which is scoped to another extension", e.name, p)
			}
			if _, ok := e.profiles[rest]; !ok {
				return nil, srcErr(file, pointer, ErrUndefined, "extension %q uses undefined profile %q", e.name, p)
			}
			out[i] = p
			continue
		}
		if _, ok := e.profiles[p]; ok {
			out[i] = e.name + "/" + p
			continue
		}
		if _, ok := c.baseProfiles[p]; ok {
			out[i] = p
			continue
		}
		return nil, srcErr(file, pointer, ErrUndefined, "extension %q uses profile %q, defined neither in the extension nor in the base schema", e.name, p)
	}
	return out, nil
}

// mergeExtensionItems adds an extension's new classes or objects.
func (c *compiler) mergeExtensionItems(e *extension, kind itemKind, src, dest map[string]jobj) error {
	for _, name := range sortedKeys(src) {
		file := c.extItemFile(e, kind, name)
		if prev, ok := dest[name]; ok {
			where := "the base schema"
			if ext, ok := strAt(prev, "extension"); ok {
				where = fmt.Sprintf("extension %q", ext)
			}
			return srcErr(file, ptr("name"), ErrCollision, "extension %q %s %q collides with the %s of %s (%s)",
				e.name, string(kind), name, string(kind), where, c.fileOf(kind, name))
		}
		dest[name] = src[name]
		c.files[itemKey(kind, name)] = file
		c.setOrigins(kind, name, file, attributesOf(src[name]))
	}
	return nil
}

// mergeExtensionAttributes merges an extension's categories or dictionary
// (attributes and types) into the base. An existing attribute may be
// extended, but not changed in type or relaxed in requirement.
func (c *compiler) mergeExtensionAttributes(e *extension, base, ext jobj, kind string, src map[string]string) error {
	file := filepath.Join(e.dir, kind+".json")
	if kind == "category" {
		file = filepath.Join(e.dir, "categories.json")
	}
	baseAttrs, ok := base["attributes"].(map[string]any)
	if !ok {
		baseAttrs = jobj{}
		base["attributes"] = baseAttrs
	}
	extAttrs := objAt(ext, "attributes")
	for _, name := range sortedKeys(extAttrs) {
		ea, _ := extAttrs[name].(map[string]any)
		at := ptr("attributes", name)
		ba, exists := baseAttrs[name].(map[string]any)
		if !exists {
			baseAttrs[name] = ea
			src[name] = file
			continue
		}
		if other, ok := strAt(ba, "extension"); ok {
			return srcErr(file, at, ErrCollision, "extension %q %s attribute %q collides with the attribute from extension %q",
				e.name, kind, name, other)
		}
		if et, ok := ea["type"]; ok {
			if !jsonEqual(et, ba["type"]) {
				return srcErr(file, at+ptr("type"), ErrInvalid, "extension %q changes the type of %s attribute %q from %v to %v",
					e.name, kind, name, ba["type"], et)
			}
			if et == "object_t" && !jsonEqual(ea["object_type"], ba["object_type"]) {
				return srcErr(file, at+ptr("object_type"), ErrInvalid, "extension %q changes the object type of %s attribute %q",
					e.name, kind, name)
			}
		}
		if requirementRank(ea["requirement"]) < requirementRank(ba["requirement"]) {
			return srcErr(file, at+ptr("requirement"), ErrInvalid, "extension %q relaxes the requirement of %s attribute %q from %v to %v",
				e.name, kind, name, ba["requirement"], ea["requirement"])
		}
		c.log.Info("extension attribute merged over existing attribute", "extension", e.name, "kind", kind, "attribute", name)
		deepMerge(ba, ea)
	}
	if kind != "dictionary" {
		return nil
	}
	extTypes := objAt(objAt(ext, "types"), "attributes")
	if len(extTypes) == 0 {
		return nil
	}
	baseTypes := c.dictTypes()
	for _, name := range sortedKeys(extTypes) {
		if _, exists := baseTypes[name]; exists {
			return srcErr(file, ptr("types", "attributes", name), ErrCollision,
				"extension %q redefines dictionary type %q; modifying dictionary types is not supported", e.name, name)
		}
		baseTypes[name] = extTypes[name]
	}
	return nil
}
