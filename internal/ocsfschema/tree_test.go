package ocsfschema

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// miniSchema is a tiny schema source tree in the official layout, small
// enough to read in one sitting, with one of each construct the compiler
// handles: profiles with annotations, $include, an abstract class, extends
// chains, hidden objects, constraints, enums, timestamps and observables.
func miniSchema() map[string]string {
	return map[string]string{
		"version.json": `{"version": "9.9.9"}`,
		"categories.json": `{"caption": "Categories", "attributes": {
			"findings": {"uid": 2, "caption": "Findings", "description": "Findings events."}}}`,
		"dictionary.json": `{"caption": "Attribute Dictionary", "name": "dictionary",
		 "types": {"caption": "Data Types", "attributes": {
			"string_t":    {"caption": "String"},
			"integer_t":   {"caption": "Integer"},
			"long_t":      {"caption": "Long"},
			"timestamp_t": {"caption": "Timestamp", "type": "long_t", "type_name": "Long"},
			"datetime_t":  {"caption": "Datetime", "type": "string_t", "type_name": "String"},
			"file_path_t": {"caption": "File Path", "type": "string_t", "type_name": "String", "observable": 45}}},
		 "attributes": {
			"activity_id":   {"caption": "Activity ID", "type": "integer_t", "sibling": "activity_name",
			                  "enum": {"0": {"caption": "Unknown"}, "99": {"caption": "Other"}}},
			"activity_name": {"caption": "Activity", "type": "string_t"},
			"category_uid":  {"caption": "Category ID", "type": "integer_t", "sibling": "category_name"},
			"category_name": {"caption": "Category", "type": "string_t"},
			"class_uid":     {"caption": "Class ID", "type": "integer_t", "sibling": "class_name"},
			"class_name":    {"caption": "Class", "type": "string_t"},
			"type_uid":      {"caption": "Type ID", "type": "long_t"},
			"time":          {"caption": "Event Time", "type": "timestamp_t"},
			"status_id":     {"caption": "Status ID", "type": "integer_t", "sibling": "status",
			                  "enum": {"0": {"caption": "Unknown"}, "1": {"caption": "Success"}, "99": {"caption": "Other"}}},
			"status":        {"caption": "Status", "type": "string_t"},
			"name":          {"caption": "Name", "type": "string_t"},
			"uid":           {"caption": "Unique ID", "type": "string_t"},
			"path":          {"caption": "Path", "type": "string_t"},
			"region":        {"caption": "Region", "type": "string_t"},
			"zone":          {"caption": "Zone", "type": "string_t"},
			"tags":          {"caption": "Tags", "type": "string_t", "is_array": true},
			"cloud":         {"caption": "Cloud", "type": "cloud"},
			"device":        {"caption": "Device", "type": "device"},
			"file":          {"caption": "File", "type": "file"},
			"observables":   {"caption": "Observables", "type": "observable", "is_array": true},
			"type_id":       {"caption": "Type ID", "type": "integer_t",
			                  "enum": {"0": {"caption": "Unknown"}, "99": {"caption": "Other"}}},
			"created_time":  {"caption": "Created Time", "type": "timestamp_t"}}}`,
		"profiles/cloud.json": `{"caption": "Cloud", "meta": "profile", "name": "cloud",
			"annotations": {"group": "context"},
			"attributes": {"cloud": {"group": "primary", "requirement": "required"},
			               "region": {"requirement": "optional"}}}`,
		"profiles/datetime.json": `{"caption": "Date/Time", "meta": "profile", "name": "datetime", "attributes": {}}`,
		"events/base_event.json": `{"caption": "Base Event", "category": "other", "name": "base_event",
			"profiles": ["cloud", "datetime"],
			"attributes": {
				"$include": ["profiles/cloud.json", "profiles/datetime.json"],
				"activity_id": {"group": "classification", "requirement": "required",
				                "enum": {"0": {"caption": "Unknown"}, "99": {"caption": "Other"}}},
				"activity_name": {"requirement": "optional"},
				"category_uid": {"requirement": "required", "enum": {"0": {"caption": "Uncategorized"}}},
				"category_name": {"requirement": "optional"},
				"class_uid": {"requirement": "required", "enum": {"0": {"caption": "Base Event"}}},
				"class_name": {"requirement": "optional"},
				"type_uid": {"requirement": "required"},
				"time": {"requirement": "required"},
				"observables": {"requirement": "recommended"},
				"status_id": {"requirement": "recommended"},
				"status": {}}}`,
		"events/findings/finding.json": `{"caption": "Finding", "category": "findings", "extends": "base_event", "name": "finding",
			"attributes": {
				"status_id": {"enum": {"1": {"caption": "New"}, "2": {"caption": "In Progress"}}},
				"device": {"profile": null, "requirement": "recommended"}},
			"constraints": {"at_least_one": ["device", "time"]}}`,
		"events/findings/thing_finding.json": `{"caption": "Thing Finding", "description": "A finding about a thing.",
			"category": "findings", "extends": "finding", "name": "thing_finding", "uid": 7,
			"attributes": {
				"activity_id": {"enum": {"1": {"caption": "Create", "description": "Created."}, "2": {"caption": "Close"}}},
				"file": {"requirement": "optional"}},
			"constraints": {"just_one": ["device", "file"]}}`,
		"objects/object.json":     `{"caption": "Object", "name": "object", "attributes": {}}`,
		"objects/_entity.json":    `{"caption": "Entity", "name": "_entity", "attributes": {"name": {"requirement": "recommended"}, "uid": {"requirement": "recommended"}}, "constraints": {"at_least_one": ["name", "uid"]}}`,
		"objects/cloud.json":      `{"caption": "Cloud", "name": "cloud", "attributes": {"region": {"requirement": "required"}, "zone": {"requirement": "optional"}}}`,
		"objects/device.json":     `{"caption": "Device", "name": "device", "extends": "_entity", "observable": 20, "attributes": {"region": {"profile": "cloud", "requirement": "recommended"}, "created_time": {"requirement": "optional"}, "tags": {"requirement": "optional"}}}`,
		"objects/file.json":       `{"caption": "File", "name": "file", "extends": "_entity", "attributes": {"path": {"type": "file_path_t", "requirement": "recommended", "observable": 30}}}`,
		"objects/observable.json": `{"caption": "Observable", "name": "observable", "attributes": {"name": {"requirement": "required"}, "type_id": {"requirement": "required"}}}`,
	}
}

// writeTree writes files (relative path -> content) under a new temporary
// directory and returns it.
func writeTree(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	writeFiles(tb, dir, files)
	return dir
}

func writeFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// withFiles returns miniSchema with files added, replaced, or (for an
// empty content) removed.
func withFiles(changes map[string]string) map[string]string {
	files := miniSchema()
	maps.Copy(files, changes)
	for k, v := range changes {
		if v == "" {
			delete(files, k)
		}
	}
	return files
}

// mustCompile compiles a tree and fails the test on error.
func mustCompile(tb testing.TB, opts Options) *Schema {
	tb.Helper()
	s, err := Compile(opts)
	if err != nil {
		tb.Fatalf("Compile: %v", err)
	}
	return s
}

func class(tb testing.TB, s *Schema, name string) *Class {
	tb.Helper()
	c, ok := s.Classes[name]
	if !ok {
		tb.Fatalf("class %q missing; have %v", name, sortedKeys(s.Classes))
	}
	return c
}

func object(tb testing.TB, s *Schema, name string) *Class {
	tb.Helper()
	o, ok := s.Objects[name]
	if !ok {
		tb.Fatalf("object %q missing; have %v", name, sortedKeys(s.Objects))
	}
	return o
}

func attr(tb testing.TB, c *Class, name string) *Attribute {
	tb.Helper()
	a, ok := c.Attributes[name]
	if !ok {
		tb.Fatalf("%s: attribute %q missing; have %v", c.Name, name, sortedKeys(c.Attributes))
	}
	return a
}
