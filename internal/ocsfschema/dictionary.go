package ocsfschema

// Enriching and validating the dictionary.

import (
	"path/filepath"
	"strings"
)

// enrichDictionaryObjectTypes turns a dictionary attribute whose type is
// not a dictionary type into type "object_t" with "object_type".
func (c *compiler) enrichDictionaryObjectTypes() error {
	types := c.dictTypes()
	dict := c.dictAttributes()
	for _, name := range sortedKeys(dict) {
		a, _ := dict[name].(map[string]any)
		t, ok := strAt(a, "type")
		if !ok {
			return srcErr(c.dictSrc[name], ptr("attributes", name), ErrMalformed, "dictionary attribute %q has no \"type\"", name)
		}
		if _, isType := types[t]; isType {
			continue
		}
		if _, isObject := c.objects[t]; !isObject {
			return srcErr(c.dictSrc[name], ptr("attributes", name, "type"), ErrUndefined,
				"dictionary attribute %q uses undefined type or object %q", name, t)
		}
		a["type"] = "object_t"
		a["object_type"] = t
	}
	return nil
}

// enrichAndValidateDictionary checks the dictionary types, adds type_name
// and object_name to dictionary attributes, and adds the "<name>_dt"
// datetime siblings of timestamp attributes.
func (c *compiler) enrichAndValidateDictionary() error {
	types := c.dictTypes()
	for _, name := range sortedKeys(types) {
		t, _ := types[name].(map[string]any)
		at := ptr("types", "attributes", name)
		if _, ok := t["caption"]; !ok {
			return srcErr(c.typeSrc[name], at, ErrMalformed, "dictionary type %q has no \"caption\"", name)
		}
		base, hasBase := strAt(t, "type")
		_, hasBaseName := t["type_name"]
		switch {
		case hasBase:
			if _, ok := types[base]; !ok {
				return srcErr(c.typeSrc[name], at+ptr("type"), ErrUndefined, "dictionary type %q uses undefined base type %q", name, base)
			}
			if !hasBaseName {
				return srcErr(c.typeSrc[name], at, ErrMalformed, "dictionary type %q defines \"type\" without \"type_name\"", name)
			}
		case hasBaseName:
			if c.version == "1.0.0-rc.2" {
				t["type"] = "string_t"
				break
			}
			return srcErr(c.typeSrc[name], at, ErrMalformed, "dictionary type %q defines \"type_name\" without \"type\"", name)
		}
	}
	dict := c.dictAttributes()
	for _, name := range sortedKeys(dict) {
		a, _ := dict[name].(map[string]any)
		t, _ := strAt(a, "type")
		if t == "object_t" {
			ot, _ := strAt(a, "object_type")
			obj, ok := c.objects[ot]
			if !ok {
				return srcErr(c.dictSrc[name], ptr("attributes", name, "type"), ErrUndefined,
					"dictionary attribute %q uses undefined or hidden object %q", name, ot)
			}
			caption, ok := obj["caption"]
			if !ok {
				caption = ""
			}
			a["object_name"] = caption
			continue
		}
		dt, ok := types[t].(map[string]any)
		if !ok {
			return srcErr(c.dictSrc[name], ptr("attributes", name, "type"), ErrUndefined,
				"dictionary attribute %q uses undefined type %q", name, t)
		}
		caption, ok := dt["caption"]
		if !ok {
			caption = ""
		}
		a["type_name"] = caption
	}

	_, hasProfile := c.baseProfiles["datetime"]
	_, hasDatetime := types["datetime_t"]
	_, hasTimestamp := types["timestamp_t"]
	switch {
	case hasProfile && hasDatetime && hasTimestamp:
		additions := jobj{}
		for name, v := range dict {
			a, _ := v.(map[string]any)
			if a["type"] == "timestamp_t" {
				sib := copyObj(a)
				sib["type"] = "datetime_t"
				sib["type_name"] = "Datetime"
				additions[name+"_dt"] = sib
			}
		}
		for name, v := range additions {
			dict[name] = v
			c.dictSrc[name] = c.dictSrc[strings.TrimSuffix(name, "_dt")]
		}
	case hasProfile:
		return srcErr(c.fileOfProfile("datetime"), "", ErrUndefined, `the "datetime" profile is defined but dictionary type "datetime_t" is not`)
	case hasDatetime:
		return srcErr(c.typeSrc["datetime_t"], ptr("types", "attributes", "datetime_t"), ErrUndefined,
			`dictionary type "datetime_t" is defined but the "datetime" profile is not`)
	}
	return nil
}

func (c *compiler) fileOfProfile(name string) string {
	if f, ok := c.files["profile:"+name]; ok {
		return f
	}
	return filepath.Join(c.root, "profiles")
}
