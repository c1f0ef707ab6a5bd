package ocsfschema

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	mini := miniSchema()
	tests := []struct {
		name    string
		changes map[string]string // applied to miniSchema; "" removes a file
		ext     map[string]string // an extra extension, if any
		kind    error
		file    string // path relative to the schema (or extension) dir
		pointer string
		msg     string // a fragment of the message
	}{
		{name: "invalid JSON", changes: map[string]string{"objects/device.json": "{\n  \"name\": \"device\",\n  oops\n}"},
			kind: ErrMalformed, file: "objects/device.json", msg: "line 3"},
		{name: "truncated JSON", changes: map[string]string{"objects/device.json": `{"name": "device"`},
			kind: ErrMalformed, file: "objects/device.json"},
		{name: "top-level array", changes: map[string]string{"objects/device.json": `[1, 2]`},
			kind: ErrMalformed, file: "objects/device.json", msg: "want an object"},
		{name: "trailing data", changes: map[string]string{"objects/device.json": `{"name": "device"} {}`},
			kind: ErrMalformed, file: "objects/device.json"},
		{name: "uid is a string", changes: map[string]string{"events/findings/thing_finding.json": strings.Replace(
			mini["events/findings/thing_finding.json"], `"uid": 7`, `"uid": "7"`, 1)},
			kind: ErrMalformed, file: "events/findings/thing_finding.json", pointer: "/uid"},
		{name: "unknown requirement", changes: map[string]string{"objects/cloud.json": `{"name": "cloud", "caption": "Cloud",
			"attributes": {"region": {"requirement": "mandatory"}}}`},
			kind: ErrMalformed, file: "objects/cloud.json", pointer: "/attributes/region/requirement"},
		{name: "attribute is not an object", changes: map[string]string{"objects/cloud.json": `{"name": "cloud", "attributes": {"region": true}}`},
			kind: ErrMalformed, file: "objects/cloud.json", pointer: "/attributes/region"},
		{name: "profiles in a source attribute", changes: map[string]string{"objects/cloud.json": `{"name": "cloud",
			"attributes": {"region": {"profiles": ["cloud"]}}}`},
			kind: ErrMalformed, file: "objects/cloud.json", pointer: "/attributes/region/profiles"},
		{name: "no name", changes: map[string]string{"objects/cloud.json": `{"caption": "Cloud", "attributes": {}}`},
			kind: ErrMalformed, file: "objects/cloud.json", pointer: "/name"},
		{name: "duplicate name", changes: map[string]string{"objects/cloud2.json": `{"name": "cloud", "attributes": {}}`},
			kind: ErrCollision, file: "objects/cloud2.json", pointer: "/name"},
		{name: "missing version.json", changes: map[string]string{"version.json": ""},
			kind: ErrUndefined, file: "version.json"},
		{name: "version not a string", changes: map[string]string{"version.json": `{"version": 1}`},
			kind: ErrMalformed, file: "version.json", pointer: "/version"},
		{name: "category without uid", changes: map[string]string{"categories.json": `{"attributes": {"findings": {"caption": "F"}}}`},
			kind: ErrMalformed, file: "categories.json", pointer: "/attributes/findings"},
		{name: "extends undefined", changes: map[string]string{"objects/cloud.json": `{"name": "cloud", "extends": "nimbus", "attributes": {}}`},
			kind: ErrUndefined, file: "objects/cloud.json", pointer: "/extends", msg: `"nimbus"`},
		{name: "extends cycle", changes: map[string]string{
			"objects/a.json": `{"name": "a", "extends": "b", "attributes": {}}`,
			"objects/b.json": `{"name": "b", "extends": "a", "attributes": {}}`},
			kind: ErrInvalid, file: "objects/a.json", pointer: "/extends", msg: "cycle"},
		{name: "attribute not in dictionary", changes: map[string]string{"objects/cloud.json": `{"name": "cloud", "caption": "Cloud",
			"attributes": {"nimbus": {"requirement": "optional"}}}`},
			kind: ErrUndefined, file: "objects/cloud.json", pointer: "/attributes/nimbus"},
		{name: "inherited attribute not in dictionary", changes: map[string]string{"objects/_entity.json": `{"name": "_entity",
			"attributes": {"nimbus": {"requirement": "optional"}}}`},
			kind: ErrUndefined, file: "objects/_entity.json", pointer: "/attributes/nimbus"},
		{name: "dictionary attribute of undefined type", changes: map[string]string{"dictionary.json": strings.Replace(
			mini["dictionary.json"], `"type": "cloud"`, `"type": "nimbus"`, 1)},
			kind: ErrUndefined, file: "dictionary.json", pointer: "/attributes/cloud/type"},
		{name: "dictionary attribute of a hidden object", changes: map[string]string{"dictionary.json": strings.Replace(
			mini["dictionary.json"], `"type": "cloud"`, `"type": "_entity"`, 1)},
			kind: ErrUndefined, file: "dictionary.json", pointer: "/attributes/cloud/type"},
		{name: "missing include", changes: map[string]string{"objects/cloud.json": `{"name": "cloud",
			"attributes": {"$include": ["profiles/cloud.json", "profiles/nope.json"]}}`},
			kind: ErrUndefined, file: "objects/cloud.json", pointer: "/attributes/$include/1", msg: "nope.json"},
		{name: "undefined item profile", changes: map[string]string{"objects/cloud.json": `{"name": "cloud", "profiles": ["nope"], "attributes": {}}`},
			kind: ErrUndefined, file: "objects/cloud.json", pointer: "/profiles"},
		{name: "profile attribute not in dictionary", changes: map[string]string{"profiles/cloud.json": `{"meta": "profile", "name": "cloud",
			"attributes": {"nimbus": {"requirement": "optional"}}}`},
			kind: ErrUndefined, file: "profiles/cloud.json", pointer: "/attributes/nimbus"},
		{name: "class without activity enum", changes: map[string]string{"events/base_event.json": strings.Replace(
			mini["events/base_event.json"], `"enum": {"0": {"caption": "Unknown"}, "99": {"caption": "Other"}}}`, `"type": "integer_t"}`, 1)},
			kind: ErrInvalid, file: "events/base_event.json", pointer: "/attributes/activity_id"},
		{name: "activity id not an integer", changes: map[string]string{"events/findings/thing_finding.json": strings.Replace(
			mini["events/findings/thing_finding.json"], `"2": {"caption": "Close"}`, `"two": {"caption": "Close"}`, 1)},
			kind: ErrInvalid, file: "events/findings/thing_finding.json", pointer: "/attributes/activity_id/enum/two"},
		{name: "class uid out of range", changes: map[string]string{"events/findings/thing_finding.json": strings.Replace(
			mini["events/findings/thing_finding.json"], `"uid": 7`, `"uid": 1000`, 1)},
			kind: ErrInvalid, file: "events/findings/thing_finding.json", pointer: "/uid"},
		{name: "duplicate class uid", changes: map[string]string{"events/findings/other.json": `{"name": "other_finding",
			"caption": "Other", "category": "findings", "extends": "finding", "uid": 7}`},
			kind: ErrCollision, pointer: "/uid", msg: "uid 2007"},
		{name: "undefined category", changes: map[string]string{"events/findings/thing_finding.json": strings.Replace(
			mini["events/findings/thing_finding.json"], `"category": "findings"`, `"category": "nope"`, 1)},
			kind: ErrUndefined, file: "events/findings/thing_finding.json", pointer: "/category"},
		{name: "observable collision", changes: map[string]string{"objects/cloud.json": `{"name": "cloud", "caption": "Cloud",
			"observable": 45, "attributes": {"region": {"requirement": "required"}}}`},
			kind: ErrCollision, file: "dictionary.json", pointer: "/types/attributes/file_path_t/observable", msg: "45"},
		{name: "refined type is not a subtype", changes: map[string]string{"objects/cloud.json": `{"name": "cloud", "caption": "Cloud",
			"attributes": {"region": {"type": "long_t"}}}`},
			kind: ErrInvalid, file: "objects/cloud.json", pointer: "/attributes/region/type"},
		{name: "datetime_t without the datetime profile", changes: map[string]string{"profiles/datetime.json": "",
			"events/base_event.json": strings.Replace(strings.Replace(mini["events/base_event.json"],
				`"profiles": ["cloud", "datetime"],`, `"profiles": ["cloud"],`, 1), `, "profiles/datetime.json"`, ``, 1)},
			kind: ErrUndefined, file: "dictionary.json", pointer: "/types/attributes/datetime_t"},
		{name: "extension without version", ext: map[string]string{"extension.json": `{"uid": 5, "name": "acme"}`},
			kind: ErrMalformed, file: "extension.json"},
		{name: "extension uid not an integer", ext: map[string]string{"extension.json": `{"uid": "5", "name": "acme", "version": "1"}`},
			kind: ErrMalformed, file: "extension.json", pointer: "/uid"},
		{name: "extension patches undefined object", ext: map[string]string{
			"extension.json":      `{"uid": 5, "name": "acme", "version": "1"}`,
			"objects/nimbus.json": `{"extends": "nimbus", "attributes": {}}`},
			kind: ErrUndefined, file: "objects/nimbus.json", pointer: "/extends"},
		{name: "extension shadows a base object", ext: map[string]string{
			"extension.json":     `{"uid": 5, "name": "acme", "version": "1"}`,
			"objects/cloud.json": `{"name": "cloud", "extends": "_entity", "attributes": {}}`},
			kind: ErrCollision, file: "objects/cloud.json", pointer: "/name"},
		{name: "extension changes a dictionary type", ext: map[string]string{
			"extension.json":  `{"uid": 5, "name": "acme", "version": "1"}`,
			"dictionary.json": `{"attributes": {"name": {"type": "integer_t"}}}`},
			kind: ErrInvalid, file: "dictionary.json", pointer: "/attributes/name/type"},
		{name: "extension uses another extension's profile", ext: map[string]string{
			"extension.json":      `{"uid": 5, "name": "acme", "version": "1"}`,
			"objects/device.json": `{"extends": "device", "attributes": {"name": {"profile": "other/p"}}}`},
			kind: ErrInvalid, file: "objects/device.json", pointer: "/attributes/name/profile"},
		{name: "extension uses an undefined profile", ext: map[string]string{
			"extension.json":      `{"uid": 5, "name": "acme", "version": "1"}`,
			"objects/device.json": `{"extends": "device", "profiles": ["nope"]}`},
			kind: ErrUndefined, file: "objects/device.json", pointer: "/profiles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, withFiles(tt.changes))
			opts := Options{SchemaDir: root}
			base := root
			if tt.ext != nil {
				base = writeTree(t, tt.ext)
				opts.ExtensionDirs = []string{base}
			}
			s, err := Compile(opts)
			if err == nil {
				t.Fatalf("Compile succeeded with %d classes; want an error", len(s.Classes))
			}
			var se *SourceError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *SourceError", err, err)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %v is not %v", err, tt.kind)
			}
			if tt.file != "" && se.File != filepath.Join(base, filepath.FromSlash(tt.file)) {
				t.Errorf("File = %q; want %s", se.File, tt.file)
			}
			if se.Pointer != tt.pointer {
				t.Errorf("Pointer = %q; want %q (error: %v)", se.Pointer, tt.pointer, err)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "ocsfschema: ") {
				t.Errorf("message %q lacks %q", err.Error(), tt.msg)
			}
			// The same failure through CompileJSON.
			if _, err := CompileJSON(opts); !errors.Is(err, tt.kind) {
				t.Errorf("CompileJSON error = %v", err)
			}
		})
	}
}

func TestCompileBadOptions(t *testing.T) {
	if _, err := Compile(Options{}); !errors.Is(err, ErrUndefined) {
		t.Errorf("empty SchemaDir: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Compile(Options{SchemaDir: missing}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing SchemaDir: %v", err)
	}
	root := writeTree(t, miniSchema())
	if _, err := Compile(Options{SchemaDir: root, ExtensionDirs: []string{missing}}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing extension dir: %v", err)
	}
	if _, err := Compile(Options{SchemaDir: filepath.Join(root, "version.json")}); !errors.Is(err, ErrUndefined) {
		t.Errorf("SchemaDir is a file: %v", err)
	}
}

func TestSourceErrorText(t *testing.T) {
	e := srcErr("a/b.json", ptr("attributes", "x/y", "t~"), ErrMalformed, "bad %s", "thing")
	want := "ocsfschema: a/b.json#/attributes/x~1y/t~0: malformed schema source: bad thing"
	if e.Error() != want {
		t.Errorf("got %q\nwant %q", e.Error(), want)
	}
	if !errors.Is(e, ErrMalformed) || errors.Is(e, ErrUndefined) {
		t.Error("errors.Is classification is wrong")
	}
	if got := (&SourceError{File: "f"}).Error(); got != "ocsfschema: f: unknown error" {
		t.Errorf("nil cause: %q", got)
	}
}
