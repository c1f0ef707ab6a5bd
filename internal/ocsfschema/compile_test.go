package ocsfschema

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func keysOf[V any](m map[string]V) string { return strings.Join(sortedKeys(m), " ") }

func TestCompileClassesUIDsAndGeneratedEnums(t *testing.T) {
	s := mustCompile(t, Options{SchemaDir: writeTree(t, miniSchema())})

	if got := keysOf(s.Classes); got != "base_event thing_finding" {
		t.Errorf("classes = %s; want base_event thing_finding (abstract finding dropped)", got)
	}
	if s.Version != "9.9.9" || s.CompileVersion != 1 {
		t.Errorf("version %q compile_version %d", s.Version, s.CompileVersion)
	}
	tf := class(t, s, "thing_finding")
	if tf.UID != 2007 || tf.CategoryUID != 2 || tf.CategoryName != "Findings" {
		t.Errorf("thing_finding uid %d category_uid %d category_name %q; want 2007 2 Findings", tf.UID, tf.CategoryUID, tf.CategoryName)
	}
	typeUID := attr(t, tf, "type_uid")
	if got := enumKeys(typeUID.Enum); got != "[200700 200701 200702 200799]" {
		t.Errorf("type_uid enum = %s", got)
	}
	if c := typeUID.Enum["200701"]; c.Caption != "Thing Finding: Create" || c.Description != "Created." {
		t.Errorf("type_uid 200701 = %+v", c)
	}
	if c := typeUID.Enum["200700"].Caption; c != "Thing Finding: Unknown" {
		t.Errorf("type_uid 200700 caption = %q", c)
	}
	if got := enumKeys(attr(t, tf, "class_uid").Enum); got != "[2007]" {
		t.Errorf("class_uid enum = %s", got)
	}
	catEnum := attr(t, tf, "category_uid").Enum
	if got := enumKeys(catEnum); got != "[2]" || catEnum["2"].UID != 2 || catEnum["2"].Caption != "Findings" {
		t.Errorf("category_uid enum = %s %+v; want only the class's category", got, catEnum["2"])
	}
	if d := attr(t, tf, "class_name").Description; d != "The event class name, as defined by class_uid value: <code>Thing Finding</code>." {
		t.Errorf("class_name description = %q", d)
	}

	be := class(t, s, "base_event")
	if be.UID != 0 || be.CategoryUID != 0 {
		t.Errorf("base_event uid %d category_uid %d; want 0 0", be.UID, be.CategoryUID)
	}
	if got := enumKeys(attr(t, be, "category_uid").Enum); got != "[0]" {
		t.Errorf("base_event category_uid enum = %s; want its own [0]", got)
	}
	if got := enumKeys(attr(t, be, "type_uid").Enum); got != "[0 99]" {
		t.Errorf("base_event type_uid enum = %s", got)
	}
}

func TestCompileInclude(t *testing.T) {
	s := mustCompile(t, Options{SchemaDir: writeTree(t, withFiles(map[string]string{
		"enums/status.json": `{"description": "from include", "enum": {"5": {"caption": "Five"}}}`,
		"events/findings/thing_finding.json": `{"caption": "Thing Finding", "category": "findings", "extends": "finding",
			"name": "thing_finding", "uid": 7,
			"attributes": {
				"activity_id": {"enum": {"1": {"caption": "Create"}}},
				"region": {"requirement": "recommended"},
				"status_id": {"$include": "enums/status.json", "description": "own"}}}`,
	}))})
	be := class(t, s, "base_event")
	cloud := attr(t, be, "cloud")
	if !slices.Equal(cloud.Profiles, []string{"cloud"}) || cloud.Group != "primary" || cloud.Requirement != "required" {
		t.Errorf("base_event.cloud = profiles %v group %q requirement %q; want [cloud] primary required", cloud.Profiles, cloud.Group, cloud.Requirement)
	}
	if cloud.Type != "object_t" || cloud.ObjectType != "cloud" || cloud.ObjectName != "Cloud" {
		t.Errorf("base_event.cloud type %q object_type %q object_name %q", cloud.Type, cloud.ObjectType, cloud.ObjectName)
	}
	region := attr(t, be, "region")
	if !slices.Equal(region.Profiles, []string{"cloud"}) || region.Group != "context" || region.Requirement != "optional" {
		t.Errorf("base_event.region = %v %q %q; want [cloud], the profile annotation group context, optional", region.Profiles, region.Group, region.Requirement)
	}

	tf := class(t, s, "thing_finding")
	// The item's own detail wins over the included profile's; the profile gating stays.
	if r := attr(t, tf, "region"); r.Requirement != "recommended" || !slices.Equal(r.Profiles, []string{"cloud"}) {
		t.Errorf("thing_finding.region = %q %v; want recommended [cloud]", r.Requirement, r.Profiles)
	}
	// Attribute-detail include is merged under the attribute: the attribute wins.
	st := attr(t, tf, "status_id")
	if st.Description != "own" || enumKeys(st.Enum) != "[0 1 2 5 99]" || st.Enum["5"].Caption != "Five" {
		t.Errorf("thing_finding.status_id = %q %s", st.Description, enumKeys(st.Enum))
	}
}

func TestCompileExtendsAndHiddenItems(t *testing.T) {
	s := mustCompile(t, Options{SchemaDir: writeTree(t, miniSchema())})
	tf := class(t, s, "thing_finding")
	for _, a := range []string{"time", "activity_id", "status_id", "device", "file", "cloud", "region", "observables"} {
		attr(t, tf, a)
	}
	if tf.Extends != "finding" {
		t.Errorf("extends = %q", tf.Extends)
	}
	// "profile": null in finding makes device core, even though no profile gates it here.
	if d := attr(t, tf, "device"); d.Profiles != nil || d.Requirement != "recommended" {
		t.Errorf("device profiles %v requirement %q; want nil recommended", d.Profiles, d.Requirement)
	}
	// constraints are replaced by the child, not merged.
	if got := constraints(tf.Constraints); got != "just_one=[device file]" {
		t.Errorf("constraints = %s", got)
	}
	// Enum: dictionary values, plus the class's, whose captions win.
	st := attr(t, tf, "status_id")
	if enumKeys(st.Enum) != "[0 1 2 99]" || st.Enum["1"].Caption != "New" || st.Enum["0"].Caption != "Unknown" {
		t.Errorf("status_id enum %s, 1=%q", enumKeys(st.Enum), st.Enum["1"].Caption)
	}
	if st.Sibling != "status" || st.Type != "integer_t" || st.TypeName != "Integer" {
		t.Errorf("status_id sibling %q type %q type_name %q", st.Sibling, st.Type, st.TypeName)
	}

	if _, ok := s.Objects["_entity"]; ok {
		t.Error("hidden object _entity kept")
	}
	dev := object(t, s, "device")
	if got := keysOf(dev.Attributes); got != "created_time created_time_dt name region tags uid" {
		t.Errorf("device attributes = %s", got)
	}
	if got := constraints(dev.Constraints); got != "at_least_one=[name uid]" {
		t.Errorf("device constraints = %q (inherited from _entity)", got)
	}
	if tags := attr(t, dev, "tags"); !tags.IsArray {
		t.Error("tags is_array must come from the dictionary")
	}
	if p := attr(t, object(t, s, "file"), "path"); p.Type != "file_path_t" || p.TypeName != "String" {
		// The official compiler keeps the dictionary type_name for refined types.
		t.Errorf("file.path type %q type_name %q; want file_path_t String", p.Type, p.TypeName)
	}
}

func TestCompileProfiles(t *testing.T) {
	s := mustCompile(t, Options{SchemaDir: writeTree(t, withFiles(map[string]string{
		"profiles/extra.json": `{"caption": "Extra", "meta": "profile", "name": "extra",
			"attributes": {"zone": {"requirement": "recommended"}}}`,
		"objects/cloud.json": `{"caption": "Cloud", "name": "cloud", "attributes": {
			"$include": "profiles/extra.json",
			"region": {"requirement": "required"},
			"zone": {"profile": "cloud", "requirement": "optional"}}}`,
	}))})
	dev := object(t, s, "device")
	if r := attr(t, dev, "region"); !slices.Equal(r.Profiles, []string{"cloud"}) || r.Requirement != "recommended" {
		t.Errorf("device.region = %v %q; want [cloud] recommended", r.Profiles, r.Requirement)
	}
	if n := attr(t, dev, "name"); n.Profiles != nil {
		t.Errorf("device.name profiles = %v; want nil (core)", n.Profiles)
	}
	// Gated by two profiles: the union, and the stronger requirement.
	zone := attr(t, object(t, s, "cloud"), "zone")
	if !slices.Equal(zone.Profiles, []string{"cloud", "extra"}) || zone.Requirement != "recommended" {
		t.Errorf("cloud.zone = %v %q; want [cloud extra] recommended", zone.Profiles, zone.Requirement)
	}
	// Item profiles: own plus those of every reachable object, plus datetime.
	if got := set(dev.Profiles); got != "[datetime]" {
		t.Errorf("device profiles = %s", got)
	}
	if p := object(t, s, "file").Profiles; p != nil {
		t.Errorf("file profiles = %v; want none", p)
	}
	if got := set(class(t, s, "thing_finding").Profiles); got != "[cloud datetime]" {
		t.Errorf("thing_finding profiles = %s", got)
	}
	if got := keysOf(s.Profiles); got != "cloud datetime extra" {
		t.Errorf("profiles = %s", got)
	}
	if s.Profiles["cloud"].Attributes != nil {
		t.Error("profile attributes must be dropped from the output")
	}
}

func TestCompileDatetime(t *testing.T) {
	s := mustCompile(t, Options{SchemaDir: writeTree(t, miniSchema())})
	tf := class(t, s, "thing_finding")
	dt := attr(t, tf, "time_dt")
	if dt.Type != "datetime_t" || dt.TypeName != "Datetime" || dt.Requirement != "optional" ||
		!slices.Equal(dt.Profiles, []string{"datetime"}) || dt.Caption != "Event Time" {
		t.Errorf("time_dt = %+v", dt)
	}
	if attr(t, tf, "time").Requirement != "required" {
		t.Error("time must stay required")
	}
	for _, a := range []string{"time_dt", "created_time_dt"} {
		if d := s.Dictionary.Attributes[a]; d == nil || d.Type != "datetime_t" {
			t.Errorf("dictionary %s = %+v", a, d)
		}
	}
	if d := attr(t, object(t, s, "device"), "created_time_dt"); !slices.Equal(d.Profiles, []string{"datetime"}) {
		t.Errorf("device.created_time_dt profiles = %v", d.Profiles)
	}

	// Without the datetime profile and type, no siblings are added.
	noDT := withFiles(map[string]string{
		"profiles/datetime.json": "",
		"events/base_event.json": strings.Replace(strings.Replace(miniSchema()["events/base_event.json"],
			`"profiles": ["cloud", "datetime"],`, `"profiles": ["cloud"],`, 1),
			`"$include": ["profiles/cloud.json", "profiles/datetime.json"],`, `"$include": ["profiles/cloud.json"],`, 1),
		"dictionary.json": strings.Replace(miniSchema()["dictionary.json"],
			`"datetime_t":  {"caption": "Datetime", "type": "string_t", "type_name": "String"},`, "", 1),
	})
	s = mustCompile(t, Options{SchemaDir: writeTree(t, noDT)})
	if _, ok := class(t, s, "thing_finding").Attributes["time_dt"]; ok {
		t.Error("time_dt added without the datetime profile")
	}
	if _, ok := s.Dictionary.Attributes["time_dt"]; ok {
		t.Error("dictionary time_dt added without the datetime profile")
	}
}

func TestCompileObservables(t *testing.T) {
	s := mustCompile(t, Options{SchemaDir: writeTree(t, miniSchema())})
	typeID := attr(t, object(t, s, "observable"), "type_id")
	if got := enumKeys(typeID.Enum); got != "[0 20 30 45 99]" {
		t.Errorf("observable.type_id enum = %s", got)
	}
	for k, want := range map[string]string{"20": "Device", "30": "File Object: path", "45": "File Path", "0": "Unknown"} {
		if got := typeID.Enum[k].Caption; got != want {
			t.Errorf("type_id %s caption = %q; want %q", k, got, want)
		}
	}
	if dev := object(t, s, "device"); dev.Observable != 20 {
		t.Errorf("device observable = %d", dev.Observable)
	}
	if p := attr(t, object(t, s, "file"), "path"); p.Observable != 30 {
		t.Errorf("file.path observable = %d", p.Observable)
	}
}

// extensionTree returns a non-platform extension "acme" (uid 5).
func extensionTree() map[string]string {
	return map[string]string{
		"extension.json": `{"uid": 5, "name": "acme", "caption": "Acme", "description": "Acme things.", "version": "0.1.0"}`,
		"dictionary.json": `{"attributes": {
			"gadget": {"caption": "Gadget", "type": "gadget"},
			"serial": {"caption": "Serial", "type": "string_t"},
			"region": {"description": "The Acme region."}}}`,
		"profiles/gadgetry.json": `{"caption": "Gadgetry", "meta": "profile", "name": "gadgetry",
			"attributes": {"serial": {"requirement": "recommended"}}}`,
		"objects/gadget.json": `{"caption": "Gadget", "name": "gadget", "extends": "_entity",
			"attributes": {"serial": {"requirement": "required"}}}`,
		"objects/device.json": `{"extends": "device", "profiles": ["gadgetry"], "attributes": {
			"$include": ["profiles/gadgetry.json"],
			"gadget": {"profile": "gadgetry", "requirement": "optional"}}}`,
		"objects/entity_patch.json": `{"name": "_entity", "extends": "_entity", "constraints": {}}`,
		"objects/cloud.json":        `{"extends": "cloud", "constraints": {"just_one": ["region", "zone"]}}`,
		"events/gizmo_activity.json": `{"caption": "Gizmo Activity", "category": "findings", "extends": "base_event",
			"name": "gizmo_activity", "uid": 3,
			"attributes": {"activity_id": {"enum": {"1": {"caption": "Spin"}}}, "gadget": {"requirement": "required"}}}`,
	}
}

// platformExtension is a platform extension "plat" (uid 1) under extensions/.
func platformExtension() map[string]string {
	return map[string]string{
		"extensions/plat/extension.json":      `{"uid": 1, "name": "plat", "caption": "Platform"}`,
		"extensions/plat/dictionary.json":     `{"attributes": {"kernel_name": {"caption": "Kernel", "type": "string_t"}}}`,
		"extensions/plat/objects/device.json": `{"extends": "device", "attributes": {"kernel_name": {"requirement": "recommended"}}}`,
	}
}

func TestCompileExtensions(t *testing.T) {
	root := writeTree(t, withFiles(platformExtension()))
	ext := writeTree(t, extensionTree())
	s := mustCompile(t, Options{SchemaDir: root, ExtensionDirs: []string{ext}})

	if got := keysOf(s.Extensions); got != "acme plat" {
		t.Fatalf("extensions = %s", got)
	}
	if e := s.Extensions["acme"]; e.UID != 5 || e.Version != "0.1.0" || e.PlatformExtension || e.Caption != "Acme" {
		t.Errorf("acme = %+v", e)
	}
	if e := s.Extensions["plat"]; e.UID != 1 || e.Version != "9.9.9" || !e.PlatformExtension {
		t.Errorf("plat = %+v (a platform extension without version takes the schema version)", e)
	}

	// New extension class: uid scoped by extension and category.
	g := class(t, s, "gizmo_activity")
	if g.UID != 502003 || g.CategoryUID != 2 || g.Extension != "acme" || g.ExtensionID != 5 {
		t.Errorf("gizmo_activity uid %d category_uid %d extension %q/%d; want 502003 2 acme/5", g.UID, g.CategoryUID, g.Extension, g.ExtensionID)
	}
	if got := enumKeys(attr(t, g, "type_uid").Enum); got != "[50200300 50200301 50200399]" {
		t.Errorf("gizmo type_uid enum = %s", got)
	}
	if a := attr(t, g, "gadget"); a.Type != "object_t" || a.ObjectType != "gadget" || a.Extension != "acme" {
		t.Errorf("gizmo.gadget = %+v", a)
	}

	// Patched base object: scoped extension profile, include of the extension's profile.
	dev := object(t, s, "device")
	if a := attr(t, dev, "gadget"); !slices.Equal(a.Profiles, []string{"acme/gadgetry"}) || a.Requirement != "optional" {
		t.Errorf("device.gadget = %v %q", a.Profiles, a.Requirement)
	}
	if a := attr(t, dev, "serial"); !slices.Equal(a.Profiles, []string{"acme/gadgetry"}) || a.Requirement != "recommended" {
		t.Errorf("device.serial = %v %q", a.Profiles, a.Requirement)
	}
	if a := attr(t, dev, "kernel_name"); a.Profiles != nil || a.Requirement != "recommended" || a.Extension != "plat" {
		t.Errorf("device.kernel_name = %+v", a)
	}
	if got := set(dev.Profiles); got != "[acme/gadgetry datetime]" {
		t.Errorf("device profiles = %s", got)
	}
	if dev.Extension != "" {
		t.Errorf("a patched object keeps its origin; extension = %q", dev.Extension)
	}
	// An empty constraints patch removes the constraints (here of _entity, so of all its children).
	if dev.Constraints != nil || object(t, s, "gadget").Constraints != nil {
		t.Errorf("constraints after empty patch: device %v gadget %v", dev.Constraints, object(t, s, "gadget").Constraints)
	}
	if got := constraints(object(t, s, "cloud").Constraints); got != "just_one=[region zone]" {
		t.Errorf("cloud constraints = %q", got)
	}
	// Class profiles reach the extension profile through device.
	if got := set(class(t, s, "thing_finding").Profiles); got != "[acme/gadgetry cloud datetime]" {
		t.Errorf("thing_finding profiles = %s", got)
	}
	p := s.Profiles["acme/gadgetry"]
	if p == nil || p.Name != "gadgetry" || p.Extension != "acme" || p.ExtensionID != 5 {
		t.Errorf("profile acme/gadgetry = %+v", p)
	}
	// An extension may extend an existing dictionary attribute.
	if r := s.Dictionary.Attributes["region"]; r.Description != "The Acme region." || r.Type != "string_t" {
		t.Errorf("dictionary region = %+v", r)
	}

	// Without platform extensions.
	s = mustCompile(t, Options{SchemaDir: root, ExtensionDirs: []string{ext}, SkipPlatformExtensions: true})
	if got := keysOf(s.Extensions); got != "acme" {
		t.Errorf("extensions = %s", got)
	}
	if _, ok := object(t, s, "device").Attributes["kernel_name"]; ok {
		t.Error("platform extension applied although skipped")
	}

	// A directory that holds extensions (rather than being one) is searched.
	parent := t.TempDir()
	writeFiles(t, parent, prefixed("acme/", extensionTree()))
	s = mustCompile(t, Options{SchemaDir: root, ExtensionDirs: []string{parent}})
	class(t, s, "gizmo_activity")
}

func prefixed(prefix string, files map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		out[prefix+k] = v
	}
	return out
}

func TestCompileJSONDeterministicAndLoadable(t *testing.T) {
	opts := Options{SchemaDir: writeTree(t, miniSchema())}
	a, err := CompileJSON(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := CompileJSON(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("CompileJSON is not deterministic")
	}
	text := string(a)
	order := []string{`"categories"`, `"classes"`, `"compile_version"`, `"dictionary"`, `"extensions"`, `"objects"`, `"profiles"`, `"version"`}
	last := -1
	for _, k := range order {
		i := strings.Index(text, "\n  "+k+":")
		if i <= last {
			t.Fatalf("top-level key %s out of order or missing", k)
		}
		last = i
	}
	if !strings.Contains(text, "<code>Thing Finding</code>") || !strings.HasSuffix(text, "}\n") {
		t.Error("output must not HTML-escape and must end with a newline")
	}
	loaded, err := Load(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	compiled := mustCompile(t, opts)
	if d := Diff(compiled, loaded); len(d) != 0 {
		t.Errorf("Load(CompileJSON) differs from Compile: %v", d)
	}
}

func TestMergeAttributeDetail(t *testing.T) {
	tests := []struct {
		name      string
		dest, src jobj
		want      jobj
	}{
		{"new key copied", jobj{"a": "x"}, jobj{"b": "y"}, jobj{"a": "x", "b": "y"}},
		{"scalar overwritten", jobj{"requirement": "optional"}, jobj{"requirement": "required"}, jobj{"requirement": "required"}},
		{"null profiles ungate", jobj{"profiles": []any{"cloud"}}, jobj{"profiles": nil}, jobj{"profiles": nil}},
		{"profiles union sorted", jobj{"profiles": []any{"x", "cloud"}}, jobj{"profiles": []any{"b", "x"}},
			jobj{"profiles": []any{"b", "cloud", "x"}}},
		{"profiles onto ungated", jobj{"profiles": nil}, jobj{"profiles": []any{"p"}}, jobj{"profiles": []any{"p"}}},
		{"requirement max when both gated",
			jobj{"requirement": "required", "profiles": []any{"a"}},
			jobj{"requirement": "optional", "profiles": []any{"b"}},
			jobj{"requirement": "required", "profiles": []any{"a", "b"}}},
		{"requirement overwritten when dest not gated yet",
			jobj{"requirement": "required"},
			jobj{"requirement": "optional", "profiles": []any{"b"}},
			jobj{"requirement": "optional", "profiles": []any{"b"}}},
		{"objects deep-merged", jobj{"enum": jobj{"0": jobj{"caption": "Unknown"}, "1": jobj{"caption": "A"}}},
			jobj{"enum": jobj{"1": jobj{"caption": "B"}, "2": jobj{"caption": "C"}}},
			jobj{"enum": jobj{"0": jobj{"caption": "Unknown"}, "1": jobj{"caption": "B"}, "2": jobj{"caption": "C"}}}},
		{"arrays replaced", jobj{"x": []any{"a", "b"}}, jobj{"x": []any{"c"}}, jobj{"x": []any{"c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := mergeAttributeDetail(tt.dest, tt.src, "f.json", "/attributes/a"); err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(tt.dest, tt.want) {
				t.Errorf("got %s, want %s", short(tt.dest), short(tt.want))
			}
		})
	}
}
