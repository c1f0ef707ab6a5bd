package ocsfschema_test

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"

	"github.com/ocsfhub/ocsfhub/internal/ocsfschema"
)

// writeExampleSchema writes a tiny OCSF schema source tree: a base event,
// one login class in the "iam" category, a user object, and the cloud and
// datetime profiles. Real checkouts have the same layout.
func writeExampleSchema() (string, error) {
	dir, err := os.MkdirTemp("", "ocsf-example-")
	if err != nil {
		return "", err
	}
	files := map[string]string{
		"version.json":    `{"version": "1.6.0"}`,
		"categories.json": `{"attributes": {"iam": {"uid": 3, "caption": "Identity & Access Management"}}}`,
		"dictionary.json": `{
		  "types": {"attributes": {
		    "string_t": {"caption": "String"}, "integer_t": {"caption": "Integer"}, "long_t": {"caption": "Long"},
		    "timestamp_t": {"caption": "Timestamp", "type": "long_t", "type_name": "Long"},
		    "datetime_t": {"caption": "Datetime", "type": "string_t", "type_name": "String"}}},
		  "attributes": {
		    "activity_id": {"caption": "Activity ID", "type": "integer_t",
		                    "enum": {"0": {"caption": "Unknown"}, "99": {"caption": "Other"}}},
		    "class_uid": {"caption": "Class ID", "type": "integer_t"},
		    "class_name": {"caption": "Class", "type": "string_t"},
		    "category_uid": {"caption": "Category ID", "type": "integer_t"},
		    "category_name": {"caption": "Category", "type": "string_t"},
		    "type_uid": {"caption": "Type ID", "type": "long_t"},
		    "time": {"caption": "Event Time", "type": "timestamp_t"},
		    "region": {"caption": "Region", "type": "string_t"},
		    "name": {"caption": "Name", "type": "string_t"},
		    "user": {"caption": "User", "type": "user"}}}`,
		"profiles/cloud.json":    `{"meta": "profile", "name": "cloud", "caption": "Cloud", "attributes": {"region": {"requirement": "required"}}}`,
		"profiles/datetime.json": `{"meta": "profile", "name": "datetime", "caption": "Date/Time", "attributes": {}}`,
		"events/base_event.json": `{"name": "base_event", "caption": "Base Event", "category": "other",
		  "profiles": ["cloud", "datetime"],
		  "attributes": {"$include": ["profiles/cloud.json", "profiles/datetime.json"],
		    "activity_id": {"requirement": "required", "enum": {"0": {"caption": "Unknown"}, "99": {"caption": "Other"}}},
		    "class_uid": {"requirement": "required"},
		    "category_uid": {"requirement": "required"}, "type_uid": {"requirement": "required"},
		    "time": {"requirement": "required"}}}`,
		"events/iam/login.json": `{"name": "login", "caption": "Login", "category": "iam", "extends": "base_event", "uid": 2,
		  "attributes": {"activity_id": {"enum": {"1": {"caption": "Logon"}, "2": {"caption": "Logoff"}}},
		    "user": {"requirement": "required"}}}`,
		"objects/user.json": `{"name": "user", "caption": "User", "attributes": {"name": {"requirement": "recommended"}}}`,
	}
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func ExampleCompile() {
	dir, err := writeExampleSchema()
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// A real checkout works the same way, for example
	// Options{SchemaDir: "ocsf-schema", ExtensionDirs: []string{"ocsf-aws-extension"}}.
	schema, err := ocsfschema.Compile(ocsfschema.Options{SchemaDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	login := schema.Classes["login"]
	fmt.Println("classes:", keys(schema.Classes))
	fmt.Println("login uid:", login.UID, "category_uid:", login.CategoryUID, "profiles:", login.Profiles)
	fmt.Println("type_uid values:", keys(login.Attributes["type_uid"].Enum))
	fmt.Println("region profiles:", login.Attributes["region"].Profiles, login.Attributes["region"].Requirement)
	fmt.Println("user profiles:", login.Attributes["user"].Profiles, login.Attributes["user"].ObjectType)
	fmt.Println("time_dt:", login.Attributes["time_dt"].Type, login.Attributes["time_dt"].Profiles)
	// Output:
	// classes: [base_event login]
	// login uid: 3002 category_uid: 3 profiles: [cloud datetime]
	// type_uid values: [300200 300201 300202 300299]
	// region profiles: [cloud] required
	// user profiles: [] user
	// time_dt: datetime_t [datetime]
}

func ExampleCompile_errors() {
	dir, err := writeExampleSchema()
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bad := `{"name": "user", "attributes": {"name": {"requirement": "mandatory"}}}`
	if err := os.WriteFile(filepath.Join(dir, "objects", "user.json"), []byte(bad), 0o644); err != nil {
		log.Fatal(err)
	}

	_, err = ocsfschema.Compile(ocsfschema.Options{SchemaDir: dir})
	var se *ocsfschema.SourceError
	if errors.As(err, &se) {
		rel, _ := filepath.Rel(dir, se.File)
		fmt.Println(filepath.ToSlash(rel), se.Pointer, errors.Is(err, ocsfschema.ErrMalformed))
	}
	// Output:
	// objects/user.json /attributes/name/requirement true
}

func ExampleCompileJSON() {
	dir, err := writeExampleSchema()
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	data, err := ocsfschema.CompileJSON(ocsfschema.Options{SchemaDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	// The output is the official compiled format, which Load reads back.
	schema, err := ocsfschema.Load(bytes.NewReader(data))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(schema.Version, schema.CompileVersion, keys(schema.Objects))
	// Output:
	// 1.6.0 1 [user]
}

func ExampleDiff() {
	dir, err := writeExampleSchema()
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	want, err := ocsfschema.Compile(ocsfschema.Options{SchemaDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	got, err := ocsfschema.Compile(ocsfschema.Options{SchemaDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	got.Classes["login"].Attributes["user"].Requirement = "optional"
	delete(got.Objects["user"].Attributes, "name")

	for _, d := range ocsfschema.Diff(want, got) {
		fmt.Println(d)
	}
	// Output:
	// /classes/login/attributes/user/requirement: want required, got optional
	// /objects/user/attributes/name: want present, got absent
}
