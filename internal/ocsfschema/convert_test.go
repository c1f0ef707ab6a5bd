package ocsfschema

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kitchenSink is miniSchema plus an extension, with at least one value for
// every field of the compiled model.
func kitchenSink(t *testing.T) Options {
	t.Helper()
	mini := miniSchema()
	files := withFiles(map[string]string{
		"categories.json": `{"caption": "Categories", "description": "All categories.", "name": "category", "attributes": {
			"findings": {"uid": 2, "caption": "Findings", "description": "Findings events."}}}`,
		"dictionary.json": strings.Replace(strings.Replace(strings.Replace(mini["dictionary.json"],
			`"name": "dictionary",`, `"name": "dictionary", "description": "All attributes.",`, 1),
			`"caption": "Data Types", "attributes": {`,
			`"caption": "Data Types", "description": "The types.", "attributes": {
			"port_t": {"caption": "Port", "description": "A TCP or UDP port.", "type": "integer_t", "type_name": "Integer", "range": [0, 65535], "max_len": 5,
			           "regex": "^[0-9]+$", "values": [1, "two", true], "references": [{"url": "https://example.com/port", "description": "Ports"}]},`, 1),
			`"zone":          {"caption": "Zone", "type": "string_t"},`,
			`"zone":          {"caption": "Zone", "type": "string_t", "source": "the zone", "suppress_checks": ["sibling_convention"],
			                  "@deprecated": {"message": "Use region.", "since": "1.1.0"}, "references": [{"url": "https://example.com/zone"}]},`, 1),
		"profiles/datetime.json": `{"caption": "Date/Time", "description": "Dates.", "meta": "profile", "name": "datetime",
			"@deprecated": {"message": "never", "since": "0.0.1"}, "attributes": {}}`,
		"events/findings/thing_finding.json": `{"caption": "Thing Finding", "description": "A finding about a thing.",
			"category": "findings", "extends": "finding", "name": "thing_finding", "uid": 7,
			"observables": {"device.name": 50}, "associations": {"device": ["file"]},
			"@deprecated": {"message": "Use gizmo_activity.", "since": "1.2.0"}, "references": [{"url": "https://example.com/thing"}],
			"attributes": {
				"activity_id": {"enum": {"1": {"caption": "Create", "description": "Created."}, "2": {"caption": "Close"}}},
				"status_id": {"enum": {"3": {"caption": "Three", "@deprecated": {"message": "x", "since": "1.0.0"},
				                              "references": [{"url": "https://example.com/3"}]}}},
				"zone": {"requirement": "optional", "group": "context"},
				"file": {"requirement": "optional"}},
			"constraints": {"just_one": ["device", "file"]}}`,
	})
	ext := extensionTree()
	ext["categories.json"] = `{"attributes": {"gizmos": {"uid": 4, "caption": "Gizmos"}}}`
	ext["dictionary.json"] = `{"types": {"attributes": {"serial_t": {"caption": "Serial", "type": "string_t", "type_name": "String"}}},
		"attributes": {"gadget": {"caption": "Gadget", "type": "gadget"}, "serial": {"caption": "Serial", "type": "serial_t"}}}`
	ext["events/gizmo_activity.json"] = strings.Replace(ext["events/gizmo_activity.json"], `"category": "findings"`, `"category": "gizmos"`, 1)
	return Options{SchemaDir: writeTree(t, withFiles(mergeFiles(files, platformExtension()))), ExtensionDirs: []string{writeTree(t, ext)}}
}

func mergeFiles(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestConvertMatchesLoad checks that Compile's direct conversion gives
// exactly what Load gives for the CompileJSON output, and that the fixture
// exercises every field of the model (so a field added to the model but not
// to the conversion fails here).
func TestConvertMatchesLoad(t *testing.T) {
	opts := kitchenSink(t)
	raw, err := compileRaw(opts)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := schemaFromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := encodeRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(bytes.NewReader(encoded))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(loaded, direct); d != "" {
		t.Fatalf("direct conversion differs from Load (-load +direct):\n%s", d)
	}

	// Gizmo uses a category of its own extension: that uid is already scoped.
	if g := direct.Classes["gizmo_activity"]; g.UID != 504003 || g.CategoryUID != 504 {
		t.Errorf("gizmo_activity uid %d category_uid %d; want 504003 504", g.UID, g.CategoryUID)
	}

	seen := map[string]bool{}
	markNonZero(reflect.ValueOf(direct), seen)
	// Profile.Attributes is never part of the output (the official format drops it).
	exempt := map[string]bool{"Profile.Attributes": true}
	for _, typ := range []any{Schema{}, Categories{}, Category{}, Dictionary{}, Types{}, Type{}, Class{}, Attribute{},
		EnumItem{}, Profile{}, Extension{}, Deprecation{}, Reference{}} {
		rt := reflect.TypeOf(typ)
		for i := range rt.NumField() {
			key := rt.Name() + "." + rt.Field(i).Name
			if !seen[key] && !exempt[key] {
				t.Errorf("no value for %s in the kitchen-sink schema: extend the fixture and schemaFromRaw", key)
			}
		}
	}
}

// markNonZero records "Type.Field" for every non-zero struct field reachable from v.
func markNonZero(v reflect.Value, seen map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			markNonZero(v.Elem(), seen)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			if !f.IsZero() {
				seen[v.Type().Name()+"."+v.Type().Field(i).Name] = true
			}
			markNonZero(f, seen)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			markNonZero(v.MapIndex(k), seen)
		}
	case reflect.Slice:
		for i := range v.Len() {
			markNonZero(v.Index(i), seen)
		}
	}
}
