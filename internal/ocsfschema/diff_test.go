package ocsfschema

import (
	"slices"
	"testing"
)

func TestDiff(t *testing.T) {
	opts := Options{SchemaDir: writeTree(t, miniSchema())}
	want := mustCompile(t, opts)
	got := mustCompile(t, opts)
	if d := Diff(want, got); len(d) != 0 {
		t.Fatalf("two compiles of the same tree differ: %v", d)
	}

	tf := got.Classes["thing_finding"]
	tf.UID = 1
	slices.Reverse(tf.Profiles) // order does not matter
	tf.Attributes["time"].Requirement = "optional"
	tf.Attributes["status_id"].Enum["7"] = &EnumItem{Caption: "Seven"}
	tf.Attributes["status_id"].Enum["1"].Caption = "Renamed" // captions are not compared
	delete(got.Classes, "base_event")
	got.Objects["cloud"].Attributes["region"].Profiles = []string{"cloud"}
	delete(got.Objects["device"].Attributes, "tags")
	got.Objects["file"].Attributes["zone"] = &Attribute{Type: "string_t"}

	wantDiffs := []Difference{
		{Path: "/classes/base_event", Want: "present", Got: "absent"},
		{Path: "/classes/thing_finding/attributes/status_id/enum", Want: "[0 1 2 99]", Got: "[0 1 2 7 99]"},
		{Path: "/classes/thing_finding/attributes/time/requirement", Want: "required", Got: "optional"},
		{Path: "/classes/thing_finding/uid", Want: "2007", Got: "1"},
		{Path: "/objects/cloud/attributes/region/profiles", Want: "null", Got: "[cloud]"},
		{Path: "/objects/device/attributes/tags", Want: "present", Got: "absent"},
		{Path: "/objects/file/attributes/zone", Want: "absent", Got: "present"},
	}
	if d := Diff(want, got); !slices.Equal(d, wantDiffs) {
		t.Errorf("Diff =\n%v\nwant\n%v", d, wantDiffs)
	}
	if s := wantDiffs[3].String(); s != "/classes/thing_finding/uid: want 2007, got 1" {
		t.Errorf("String() = %q", s)
	}
}

func TestDiffNilAndEmpty(t *testing.T) {
	if d := Diff(nil, nil); len(d) != 0 {
		t.Errorf("Diff(nil, nil) = %v", d)
	}
	s := mustCompile(t, Options{SchemaDir: writeTree(t, miniSchema())})
	d := Diff(s, nil)
	if len(d) == 0 || d[0].Path != "/categories/attributes/findings" {
		t.Errorf("Diff(s, nil) = %v", d)
	}
	if !slices.ContainsFunc(d, func(x Difference) bool { return x.Path == "/version" && x.Want == "9.9.9" && x.Got == "" }) {
		t.Error("version difference missing")
	}
}

func TestEnumKeysOrder(t *testing.T) {
	e := map[string]*EnumItem{"10": nil, "2": nil, "-1": nil, "b": nil, "a": nil}
	if got := enumKeys(e); got != "[-1 2 10 a b]" {
		t.Errorf("enumKeys = %s", got)
	}
	if got := enumKeys(nil); got != "" {
		t.Errorf("enumKeys(nil) = %q", got)
	}
}
