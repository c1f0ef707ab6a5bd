package ocsf_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

func TestDecodeDispatch(t *testing.T) {
	tests := []struct {
		class ocsf.ClassUID
		want  any
	}{
		{2001, &ocsf.SecurityFinding{}},
		{2002, &ocsf.VulnerabilityFinding{}},
		{2003, &ocsf.ComplianceFinding{}},
		{2004, &ocsf.DetectionFinding{}},
		{2005, &ocsf.IncidentFinding{}},
		{2006, &ocsf.DataSecurityFinding{}},
		{2007, &ocsf.ApplicationSecurityPostureFinding{}},
		{2008, &ocsf.IAMAnalysisFinding{}},
		{2009, &ocsf.OtherEvent{}},
		{1001, &ocsf.OtherEvent{}},
	}
	for _, tt := range tests {
		t.Run(tt.class.String(), func(t *testing.T) {
			data := []byte(`{"metadata":{"version":"1.6.0"},"class_uid":` + strconv.Itoa(int(tt.class)) + `}`)
			f, err := ocsf.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(f) != reflect.TypeOf(tt.want) {
				t.Fatalf("Decode gave %T, want %T", f, tt.want)
			}
			if f.ClassUID() != tt.class {
				t.Errorf("ClassUID() = %d, want %d", f.ClassUID(), tt.class)
			}
			if got := f.Summary().ClassUID; got != tt.class {
				t.Errorf("Summary().ClassUID = %d, want %d", got, tt.class)
			}
			if got := f.Summary().Version; got != "1.6.0" {
				t.Errorf("Summary().Version = %q", got)
			}
		})
	}
}

func TestDecodeOtherEventKeepsBytes(t *testing.T) {
	in := `{"class_uid": 2009, "class_name": "Future Finding", "category_uid": 2,
	  "finding_info": {"uid": "f-1", "title": "t"}, "severity_id": 4, "cloud": {"account": {"uid": "111122223333"}}}`
	f, err := ocsf.Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	o, ok := f.(*ocsf.OtherEvent)
	if !ok {
		t.Fatalf("got %T", f)
	}
	if string(o.Raw) != in {
		t.Errorf("Raw changed:\n%s", o.Raw)
	}
	out, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if d := semanticDiff(t, []byte(in), out); d != "" {
		t.Error(d)
	}
	s := o.Summary()
	if s.ClassUID != 2009 || s.ClassName != "Future Finding" || s.UID != "f-1" || s.Title != "t" ||
		s.SeverityID != ocsf.SeverityIDHigh || s.AccountUID != "111122223333" || s.CategoryUID != 2 {
		t.Errorf("Summary = %+v", s)
	}
}

func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		name, in, pointer string
	}{
		{"empty", ``, ""},
		{"unterminated object", `{"class_uid":2004`, ""},
		{"missing value", `{"class_uid":2004,"message":}`, "/message"},
		{"bad nested array", `{"class_uid":2004,"resources":[{"uid":"a"},}]}`, "/resources/1"},
		{"bad deep value", `{"class_uid":2004,"finding_info":{"analytic":{"name":tru}}}`, "/finding_info/analytic/name"},
		{"trailing data", `{"class_uid":2004} {}`, ""},
		{"control character", "{\"class_uid\":2004,\"message\":\"a\x01b\"}", "/message"},
		{"bad escape", `{"class_uid":2004,"message":"\q"}`, "/message"},
		{"bad number", `{"class_uid":2004,"count":01}`, ""},
		{"unknown member", `{"class_uid":2004,"future":[1,2,}`, "/future/2"},
		{"before class_uid", `{"message":"x",,"class_uid":2004}`, ""},
		{"other class", `{"class_uid":9999,"x":{"y":[nul]}}`, "/x/y/0"},
		{"pointer escaping", `{"class_uid":2004,"a/b~c":[}`, "/a~1b~0c/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ocsf.Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode succeeded: %T", f)
			}
			var se *json.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *json.SyntaxError", err, err)
			}
			var de *ocsf.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			if de.Pointer != tt.pointer {
				t.Errorf("Pointer = %q, want %q (%v)", de.Pointer, tt.pointer, err)
			}
			if de.Offset != se.Offset {
				t.Errorf("Offset = %d, SyntaxError.Offset = %d", de.Offset, se.Offset)
			}
			if json.Valid([]byte(tt.in)) {
				t.Errorf("encoding/json accepts the input")
			}
		})
	}
}

func TestDecodeNotAnObject(t *testing.T) {
	for _, in := range []string{`[]`, `"finding"`, `2004`, `true`, `null`} {
		_, err := ocsf.Decode([]byte(in))
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			t.Errorf("Decode(%s) error = %v, want a *json.UnmarshalTypeError", in, err)
		}
	}
}

// TestDecodeKeepsWrongTypes checks the documented choice: a value of the
// wrong JSON type leaves the field zero and is kept verbatim.
func TestDecodeKeepsWrongTypes(t *testing.T) {
	in := `{"class_uid":2004,"severity_id":"High","message":null,"count":1.5,
		"finding_info":{"uid":5,"title":"ok","types":["a",1]},"resources":[{"uid":"i-1","provider":"AWS"}],
		"confidence_score":99999999999999999999}`
	f, err := ocsf.Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	d := f.(*ocsf.DetectionFinding)
	if d.SeverityID != 0 || d.Message != "" || d.Count != 0 || d.ConfidenceScore != 0 {
		t.Errorf("typed fields set from wrong types: %+v", d)
	}
	for name, want := range map[string]string{
		"severity_id": `"High"`, "message": `null`, "count": `1.5`, "confidence_score": `99999999999999999999`,
	} {
		if got, ok := d.Extra(name); !ok || string(got) != want {
			t.Errorf("Extra(%q) = %s, %v; want %s", name, got, ok, want)
		}
	}
	if d.FindingInfo.Title != "ok" || d.FindingInfo.UID != "" || d.FindingInfo.Types != nil {
		t.Errorf("finding_info = %+v", d.FindingInfo)
	}
	if got, _ := d.FindingInfo.Extra("types"); string(got) != `["a",1]` {
		t.Errorf("finding_info types kept as %s", got)
	}
	if got, _ := d.Resources[0].Extra("provider"); string(got) != `"AWS"` {
		t.Errorf("resources[0].provider kept as %s", got)
	}
	if got := d.Resources[0].ExtraNames(); !reflect.DeepEqual(got, []string{"provider"}) {
		t.Errorf("ExtraNames = %v", got)
	}
}

func TestSetExtra(t *testing.T) {
	r := ocsf.ResourceDetails{UID: "i-1"}
	r.SetExtra("provider", json.RawMessage(`"AWS"`))
	r.SetExtra("uid", json.RawMessage(`"ignored: the typed field wins"`))
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if d := semanticDiff(t, []byte(`{"uid":"i-1","provider":"AWS"}`), out); d != "" {
		t.Error(d)
	}
	r.SetExtra("provider", nil)
	r.SetExtra("bad", json.RawMessage(`{`))
	if _, err := json.Marshal(r); err == nil {
		t.Error("marshalling an invalid raw value succeeded")
	}
}

// TestUnmarshalJSON checks that the generated types work inside a caller's
// own struct through encoding/json.
func TestUnmarshalJSON(t *testing.T) {
	var doc struct {
		Resource ocsf.ResourceDetails   `json:"resource"`
		Finding  *ocsf.DetectionFinding `json:"finding"`
		Other    string                 `json:"other"`
	}
	in := `{"resource":{"uid":"i-1","type":"AWS::EC2::Instance","provider":"AWS"},
		"finding":{"class_uid":2004,"severity_id":4,"future":1},"other":"x"}`
	if err := json.Unmarshal([]byte(in), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Resource.UID != "i-1" || doc.Finding.SeverityID != ocsf.SeverityIDHigh || doc.Other != "x" {
		t.Errorf("decoded %+v", doc)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if d := semanticDiff(t, []byte(in), out); d != "" {
		t.Error(d)
	}
	var r ocsf.ResourceDetails
	if err := json.Unmarshal([]byte(`null`), &r); err != nil || r.UID != "" {
		t.Errorf("null: %v %+v", err, r)
	}
	if err := r.UnmarshalJSON([]byte(`[1]`)); err == nil {
		t.Error("UnmarshalJSON of an array succeeded")
	}
}
