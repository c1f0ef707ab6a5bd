package ocsfgen

import (
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/ocsfschema"
)

func enumOf(pairs ...string) map[string]*ocsfschema.EnumItem {
	m := map[string]*ocsfschema.EnumItem{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = &ocsfschema.EnumItem{Caption: pairs[i+1]}
	}
	return m
}

// tinySchema has two findings classes and a few objects that exercise the
// naming rules.
func tinySchema() *ocsfschema.Schema {
	str := func(d string) *ocsfschema.Attribute { return &ocsfschema.Attribute{Type: "string_t", Description: d} }
	obj := func(o string, array bool) *ocsfschema.Attribute {
		return &ocsfschema.Attribute{Type: "object_t", ObjectType: o, IsArray: array}
	}
	class := func(name string, uid int, status map[string]*ocsfschema.EnumItem) *ocsfschema.Class {
		return &ocsfschema.Class{
			Name: name, Caption: name, UID: uid, Category: "findings", CategoryUID: 2,
			Description: "A <b>class</b> &amp; more.<br>Second line.",
			Attributes: map[string]*ocsfschema.Attribute{
				"class_uid":    {Type: "integer_t", Enum: enumOf(itoa(uid), name), Sibling: "class_name", Requirement: "required"},
				"class_name":   str("class"),
				"status_id":    {Type: "integer_t", Enum: status, Sibling: "status"},
				"status":       str("status"),
				"device":       obj("device", false),
				"resources":    obj("resource_details", true),
				"unmapped":     obj("object", false),
				"ip_list":      {Type: "ip_t", IsArray: true},
				"raw":          {Type: "json_t"},
				"score":        {Type: "float_t"},
				"when":         {Type: "timestamp_t"},
				"is_ok":        {Type: "boolean_t"},
				"marshal_json": str("collides with a method"),
			},
		}
	}
	findingStatus := enumOf("0", "Unknown", "1", "New", "99", "Other")
	return &ocsfschema.Schema{
		Version: "9.9.9",
		Dictionary: &ocsfschema.Dictionary{Types: &ocsfschema.Types{Attributes: map[string]*ocsfschema.Type{
			"string_t": {}, "integer_t": {}, "long_t": {}, "float_t": {}, "boolean_t": {}, "json_t": {},
			"ip_t": {Base: "string_t"}, "timestamp_t": {Base: "long_t"},
		}}},
		Classes: map[string]*ocsfschema.Class{
			"alpha_finding": class("alpha_finding", 2001, findingStatus),
			"beta_finding":  class("beta_finding", 2002, findingStatus),
			"other_event":   {Name: "other_event", UID: 1001, Category: "system", CategoryUID: 1, Attributes: map[string]*ocsfschema.Attribute{}},
		},
		Objects: map[string]*ocsfschema.Class{
			"object": {Name: "object", Attributes: map[string]*ocsfschema.Attribute{}},
			"device": {Name: "device", Caption: "Device", Attributes: map[string]*ocsfschema.Attribute{
				"type_id":   {Type: "integer_t", Enum: enumOf("0", "Unknown", "1", "Server", "99", "Other"), Sibling: "type", Requirement: "required"},
				"type":      str("t"),
				"status_id": {Type: "integer_t", Enum: enumOf("0", "Unknown", "1", "Up")},
				"flag_ids":  {Type: "integer_t", IsArray: true, Enum: enumOf("1", "AA", "2", "TC")},
				"parent":    obj("device", false),
			}},
			"resource_details": {Name: "resource_details", Attributes: map[string]*ocsfschema.Attribute{
				"type_id": {Type: "integer_t", Enum: enumOf("0", "Unknown", "1", "Bucket")},
				"uid":     str("id"),
			}},
			"unreached": {Name: "unreached", Attributes: map[string]*ocsfschema.Attribute{"x": str("x")}},
		},
	}
}

func TestGenerateSynthetic(t *testing.T) {
	files, err := Generate(tinySchema(), Options{Package: "tiny"})
	if err != nil {
		t.Fatal(err)
	}
	all := string(files["classes_gen.go"]) + string(files["objects_gen.go"]) + string(files["enums_gen.go"]) + string(files["codec_gen.go"])
	for _, s := range []string{
		"package tiny",
		"// Source: OCSF 9.9.9",
		"type AlphaFinding struct {", "type BetaFinding struct {",
		"type Device struct {", "type ResourceDetails struct {",
		"\tParent *Device `json:\"parent,omitempty\"`",
		"\tUnmapped map[string]any",
		"\tIPList []string `json:\"ip_list,omitempty\"`",
		"\tRaw json.RawMessage",
		"\tScore float64", "\tWhen int64", "\tIsOk *bool",
		"\tMarshalJSONAttr string `json:\"marshal_json,omitempty\"`",
		"\tClass ClassUID `json:\"class_uid,omitempty\"`",
		// Same values in both classes: one type named after the shared suffix.
		"type FindingStatusID int32",
		// Different values on objects: named after the owner.
		"type DeviceStatusID int32", "type DeviceTypeID int32", "type ResourceDetailsTypeID int32",
		// An array of ids: one id per element.
		"type FlagID int32", "\tFlagIDs []FlagID",
		"// AlphaFinding is the OCSF event class \"alpha_finding\"",
		"A class & more. Second line.",
		"\tx.zero.set(", // required enum marked present in fill
	} {
		if !strings.Contains(all, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	for _, s := range []string{"OtherEvent struct", "Unreached", "<b>", "&amp;"} {
		if strings.Contains(all, s) {
			t.Errorf("output contains %q", s)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := map[string]func(*ocsfschema.Schema) Options{
		"unknown class": func(*ocsfschema.Schema) Options { return Options{Classes: []string{"nope"}} },
		"no classes": func(s *ocsfschema.Schema) Options {
			s.Classes = map[string]*ocsfschema.Class{}
			return Options{}
		},
		"reserved name": func(*ocsfschema.Schema) Options { return Options{ReservedNames: []string{"Device"}} },
		"unknown object": func(s *ocsfschema.Schema) Options {
			s.Objects["device"].Attributes["gone"] = &ocsfschema.Attribute{Type: "object_t", ObjectType: "gone"}
			return Options{}
		},
		"unsupported type": func(s *ocsfschema.Schema) Options {
			s.Objects["device"].Attributes["odd"] = &ocsfschema.Attribute{Type: "mystery_t"}
			return Options{}
		},
		"too many attributes": func(s *ocsfschema.Schema) Options {
			for i := range 130 {
				s.Objects["device"].Attributes["a"+itoa(i+1)] = &ocsfschema.Attribute{Type: "string_t"}
			}
			return Options{}
		},
		"field clash": func(s *ocsfschema.Schema) Options {
			s.Objects["device"].Attributes["Type"] = &ocsfschema.Attribute{Type: "string_t"}
			return Options{}
		},
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			s := tinySchema()
			if _, err := Generate(s, mutate(s)); err == nil {
				t.Error("Generate succeeded")
			}
		})
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"resource_details": "ResourceDetails", "type_uid": "TypeUID", "http_request": "HTTPRequest",
		"ja4_fingerprint": "JA4Fingerprint", "created_time_dt": "CreatedTimeDt", "uid_alt": "UIDAlt",
		"aws/cloud_function": "AWSCloudFunction", "cis_csc": "CISCSC", "ip_addresses": "IPAddresses",
	} {
		if got := goName(in); got != want {
			t.Errorf("goName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"In Progress": "InProgress", "Learning (ML/DL)": "LearningMLDL", "SHA-512/224": "SHA512224",
		"server_name": "ServerName", "macOS": "MacOS", "Detection Finding: Close": "DetectionFindingClose",
		"AWS Account": "AWSAccount",
	} {
		if got := captionName(in); got != want {
			t.Errorf("captionName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestText(t *testing.T) {
	if got := plainText("The <code>x</code>&nbsp;value.<br>See <a href='u'>this</a>.<p>More</p>"); got != "The x value. See this. More" {
		t.Errorf("plainText = %q", got)
	}
	c := comment("\t", strings.Repeat("word ", 40), "", "Second.")
	for _, line := range strings.Split(strings.TrimSuffix(c, "\n"), "\n") {
		if !strings.HasPrefix(line, "\t//") || len(line) > 82 {
			t.Errorf("bad comment line %q", line)
		}
	}
	if !strings.Contains(c, "\t//\n\t// Second.") {
		t.Errorf("paragraphs not separated:\n%s", c)
	}
}
