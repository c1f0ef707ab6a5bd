package ocsfschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxSourceFileSize bounds one schema source file. The largest file of the
// official schema (dictionary.json) is well under 1 MiB.
const maxSourceFileSize = 64 << 20

// readObjectFile reads a JSON file whose top-level value must be an object.
func readObjectFile(path string) (jobj, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &SourceError{File: path, Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSourceFileSize+1))
	if err != nil {
		return nil, &SourceError{File: path, Err: err}
	}
	if len(data) > maxSourceFileSize {
		return nil, srcErr(path, "", ErrMalformed, "file is larger than %d bytes", maxSourceFileSize)
	}
	return decodeObject(path, data)
}

// decodeObject decodes data as one JSON object.
func decodeObject(path string, data []byte) (jobj, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(path, data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, srcErr(path, "", ErrMalformed, "unexpected data after the top-level JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, srcErr(path, "", ErrMalformed, "top-level value is a JSON %s, want an object", jsonTypeName(v))
	}
	return m, nil
}

// syntaxError turns a JSON decoding error into a *SourceError with a line
// and column when the decoder reports an offset.
func syntaxError(path string, data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		return &SourceError{File: path, Err: fmt.Errorf("%w: invalid JSON at line %d, column %d: %w", ErrMalformed, line, col, err)}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &SourceError{File: path, Err: fmt.Errorf("%w: truncated or empty JSON: %w", ErrMalformed, err)}
	}
	return &SourceError{File: path, Err: fmt.Errorf("%w: %w", ErrMalformed, err)}
}

func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col = 1, 1
	for _, b := range data[:offset] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// jsonFiles lists the *.json files under dir, recursively, in lexical
// order. A missing directory has no files.
func jsonFiles(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !st.IsDir()) {
		return nil, nil
	}
	if err != nil {
		return nil, &SourceError{File: dir, Err: err}
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return &SourceError{File: path, Err: err}
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".json") {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}

// ---------------------------------------------------------------------------
// Shape validation. Each source file is checked once, right after reading,
// for the JSON types of every key the compiler interprets. The compile
// steps that follow can then rely on those shapes.

// itemRole says which kind of source file an item comes from.
type itemRole int

const (
	roleClass itemRole = iota
	roleObject
	roleProfile
	roleInclude // a non-profile file pulled in by "$include"
)

type shapeChecker struct {
	file string
}

func (c shapeChecker) fail(pointer, format string, args ...any) error {
	return srcErr(c.file, pointer, ErrMalformed, format, args...)
}

func (c shapeChecker) want(pointer string, v any, what string) error {
	return c.fail(pointer, "got a JSON %s, want %s", jsonTypeName(v), what)
}

func (c shapeChecker) str(m jobj, key, at string) error {
	if v, ok := m[key]; ok {
		if _, ok := v.(string); !ok {
			return c.want(at+ptr(key), v, "a string")
		}
	}
	return nil
}

func (c shapeChecker) integer(m jobj, key, at string) error {
	if v, ok := m[key]; ok {
		if _, ok := intOf(v); !ok {
			return c.want(at+ptr(key), v, "an integer")
		}
	}
	return nil
}

func (c shapeChecker) boolean(m jobj, key, at string) error {
	if v, ok := m[key]; ok {
		if _, ok := v.(bool); !ok {
			return c.want(at+ptr(key), v, "a boolean")
		}
	}
	return nil
}

func (c shapeChecker) object(m jobj, key, at string) (jobj, error) {
	v, ok := m[key]
	if !ok {
		return nil, nil
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, c.want(at+ptr(key), v, "an object")
	}
	return o, nil
}

func (c shapeChecker) stringArray(v any, at string) error {
	a, ok := v.([]any)
	if !ok {
		return c.want(at, v, "an array of strings")
	}
	for i, e := range a {
		if _, ok := e.(string); !ok {
			return c.want(at+ptr(strconv.Itoa(i)), e, "a string")
		}
	}
	return nil
}

// objectOfObjects checks that m[key], when present, is an object whose
// values are all objects.
func (c shapeChecker) objectOfObjects(m jobj, key, at string) (jobj, error) {
	o, err := c.object(m, key, at)
	if err != nil || o == nil {
		return o, err
	}
	for _, k := range sortedKeys(o) {
		if _, ok := o[k].(map[string]any); !ok {
			return nil, c.want(at+ptr(key, k), o[k], "an object")
		}
	}
	return o, nil
}

func (c shapeChecker) strings(m jobj, at string, keys ...string) error {
	for _, k := range keys {
		if err := c.str(m, k, at); err != nil {
			return err
		}
	}
	return nil
}

// checkItem validates a class, object, profile or patch file.
func checkItem(file string, m jobj, role itemRole) error {
	c := shapeChecker{file: file}
	if err := c.strings(m, "", "name", "extends", "caption", "description", "category", "meta", "category_name", "extension"); err != nil {
		return err
	}
	for _, k := range []string{"uid", "observable", "category_uid", "extension_id"} {
		if err := c.integer(m, k, ""); err != nil {
			return err
		}
	}
	if v, ok := m["profiles"]; ok {
		if err := c.stringArray(v, ptr("profiles")); err != nil {
			return err
		}
	}
	for _, key := range []string{"constraints", "associations"} {
		o, err := c.object(m, key, "")
		if err != nil {
			return err
		}
		for _, k := range sortedKeys(o) {
			if err := c.stringArray(o[k], ptr(key, k)); err != nil {
				return err
			}
		}
	}
	obs, err := c.object(m, "observables", "")
	if err != nil {
		return err
	}
	for _, k := range sortedKeys(obs) {
		if _, ok := intOf(obs[k]); !ok {
			return c.want(ptr("observables", k), obs[k], "an integer")
		}
	}
	if err := c.common(m, ""); err != nil {
		return err
	}
	ann, err := c.object(m, "annotations", "")
	if err != nil {
		return err
	}
	for _, k := range sortedKeys(ann) {
		if err := c.str(ann, k, ptr("annotations")); err != nil {
			return err
		}
	}
	attrs, err := c.object(m, "attributes", "")
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(attrs) {
		at := ptr("attributes", name)
		v := attrs[name]
		if name == "$include" {
			if role == roleProfile {
				return c.fail(at, `"$include" is not supported in profile attributes`)
			}
			if _, ok := v.(string); ok {
				continue
			}
			if err := c.stringArray(v, at); err != nil {
				return c.want(at, v, "a string or an array of strings")
			}
			continue
		}
		a, ok := v.(map[string]any)
		if !ok {
			return c.want(at, v, "an object")
		}
		if err := checkAttribute(c, a, at, role); err != nil {
			return err
		}
	}
	return nil
}

// common checks "@deprecated" and "references", which classes, objects,
// attributes, enum values and types all may carry.
func (c shapeChecker) common(m jobj, at string) error {
	dep, err := c.object(m, "@deprecated", at)
	if err != nil {
		return err
	}
	if err := c.strings(dep, at+ptr("@deprecated"), "message", "since"); err != nil {
		return err
	}
	v, ok := m["references"]
	if !ok || v == nil {
		return nil
	}
	refs, ok := v.([]any)
	if !ok {
		return c.want(at+ptr("references"), v, "an array of objects")
	}
	for i, e := range refs {
		ref, ok := e.(map[string]any)
		at := at + ptr("references", strconv.Itoa(i))
		if !ok {
			return c.want(at, e, "an object")
		}
		if err := c.strings(ref, at, "description", "url"); err != nil {
			return err
		}
	}
	return nil
}

// enum checks an enum: an object of enum values.
func (c shapeChecker) enum(a jobj, at string) error {
	enum, err := c.objectOfObjects(a, "enum", at)
	if err != nil {
		return err
	}
	for _, k := range sortedKeys(enum) {
		item := enum[k].(map[string]any)
		iat := at + ptr("enum", k)
		if err := c.strings(item, iat, "caption", "description"); err != nil {
			return err
		}
		if err := c.integer(item, "uid", iat); err != nil {
			return err
		}
		if err := c.common(item, iat); err != nil {
			return err
		}
	}
	return nil
}

// typedAttribute checks the attribute keys the compiled model decodes.
func (c shapeChecker) typedAttribute(a jobj, at string) error {
	if err := c.strings(a, at, "type", "type_name", "object_type", "object_name", "caption", "description",
		"group", "sibling", "source", "extension", "$include"); err != nil {
		return err
	}
	if err := c.boolean(a, "is_array", at); err != nil {
		return err
	}
	for _, k := range []string{"observable", "extension_id"} {
		if err := c.integer(a, k, at); err != nil {
			return err
		}
	}
	if v, ok := a["suppress_checks"]; ok && v != nil {
		if err := c.stringArray(v, at+ptr("suppress_checks")); err != nil {
			return err
		}
	}
	if v, ok := a["requirement"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return c.want(at+ptr("requirement"), v, "a string")
		}
		if requirementRank(s) == 0 {
			return c.fail(at+ptr("requirement"), "unknown requirement %q (want required, recommended or optional)", s)
		}
	}
	if err := c.enum(a, at); err != nil {
		return err
	}
	return c.common(a, at)
}

// requirementRank ranks a requirement: required 3, recommended 2,
// optional 1; anything else (absent, null, unknown) 0.
func requirementRank(v any) int {
	switch v {
	case "required":
		return 3
	case "recommended":
		return 2
	case "optional":
		return 1
	}
	return 0
}

// checkAttribute validates one attribute of a class, object or profile.
func checkAttribute(c shapeChecker, a jobj, at string, role itemRole) error {
	if err := c.typedAttribute(a, at); err != nil {
		return err
	}
	if role == roleInclude {
		// Included attribute sets are taken as they are, like the official
		// compiler does; only "profiles" must still fit the compiled model.
		return c.optionalStrings(a, "profiles", at)
	}
	if _, ok := a["profiles"]; ok {
		return c.fail(at+ptr("profiles"), `"profiles" is not allowed in a source attribute; use "profile"`)
	}
	if v, ok := a["profile"]; ok {
		if role == roleProfile {
			return c.fail(at+ptr("profile"), `a profile attribute must not have a "profile"`)
		}
		if _, ok := v.(string); !ok && v != nil {
			return c.want(at+ptr("profile"), v, "a string or null")
		}
	}
	return nil
}

// optionalStrings checks that m[key], when present and not null, is an
// array of strings.
func (c shapeChecker) optionalStrings(m jobj, key, at string) error {
	if v, ok := m[key]; ok && v != nil {
		return c.stringArray(v, at+ptr(key))
	}
	return nil
}

// checkDictionary validates dictionary.json (base or extension).
func checkDictionary(file string, m jobj) error {
	c := shapeChecker{file: file}
	if err := c.strings(m, "", "caption", "description", "name"); err != nil {
		return err
	}
	attrs, err := c.objectOfObjects(m, "attributes", "")
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(attrs) {
		a := attrs[name].(map[string]any)
		at := ptr("attributes", name)
		if err := c.typedAttribute(a, at); err != nil {
			return err
		}
		if err := c.optionalStrings(a, "profiles", at); err != nil {
			return err
		}
	}
	types, err := c.object(m, "types", "")
	if err != nil {
		return err
	}
	if err := c.strings(types, ptr("types"), "caption", "description"); err != nil {
		return err
	}
	typeAttrs, err := c.objectOfObjects(types, "attributes", ptr("types"))
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(typeAttrs) {
		t := typeAttrs[name].(map[string]any)
		at := ptr("types", "attributes", name)
		if err := c.strings(t, at, "type", "type_name", "caption", "description", "regex", "extension"); err != nil {
			return err
		}
		for _, k := range []string{"observable", "max_len", "extension_id"} {
			if err := c.integer(t, k, at); err != nil {
				return err
			}
		}
		if v, ok := t["range"]; ok && v != nil {
			r, ok := v.([]any)
			if !ok {
				return c.want(at+ptr("range"), v, "an array of numbers")
			}
			for i, e := range r {
				if _, ok := e.(float64); !ok {
					return c.want(at+ptr("range", strconv.Itoa(i)), e, "a number")
				}
			}
		}
		if v, ok := t["values"]; ok && v != nil {
			if _, ok := v.([]any); !ok {
				return c.want(at+ptr("values"), v, "an array")
			}
		}
		if err := c.common(t, at); err != nil {
			return err
		}
	}
	return nil
}

// checkCategories validates categories.json (base or extension).
func checkCategories(file string, m jobj) error {
	c := shapeChecker{file: file}
	if err := c.strings(m, "", "caption", "description", "name"); err != nil {
		return err
	}
	attrs, err := c.objectOfObjects(m, "attributes", "")
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(attrs) {
		cat := attrs[name].(map[string]any)
		at := ptr("attributes", name)
		if _, ok := cat["uid"]; !ok {
			return c.fail(at, `category has no "uid"`)
		}
		if err := c.integer(cat, "uid", at); err != nil {
			return err
		}
		if err := c.strings(cat, at, "caption", "description", "extension"); err != nil {
			return err
		}
		if err := c.integer(cat, "extension_id", at); err != nil {
			return err
		}
	}
	return nil
}
