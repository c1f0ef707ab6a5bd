package ocsf_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// exampleFinding is a small Compliance Finding as Security Hub CSPM sends it.
const exampleFinding = `{
  "activity_id": 2, "activity_name": "Update",
  "category_uid": 2, "class_uid": 2003, "class_name": "Compliance Finding",
  "cloud": {"account": {"uid": "123456789012"}, "provider": "AWS", "region": "us-east-1"},
  "compliance": {"control": "S3.1", "status": "Fail", "status_id": 3},
  "finding_info": {"uid": "arn:aws:securityhub:us-east-1:123456789012:security-control/S3.1/finding/0f4e", "title": "S3 Block Public Access should be enabled"},
  "metadata": {"product": {"name": "Security Hub", "uid": "arn:aws:securityhub:us-east-1::productv2/aws/securityhub"},
               "profiles": ["cloud", "datetime"], "version": "1.6.0"},
  "severity": "Medium", "severity_id": 3,
  "time": 1767261600000, "time_dt": "2026-01-01T10:00:00Z",
  "type_uid": 200302
}`

func ExampleValidator_Validate() {
	v, err := ocsf.NewValidator(nil) // compatible mode
	if err != nil {
		panic(err)
	}
	res := v.Validate([]byte(exampleFinding))
	fmt.Println(res.ClassUID, res.SchemaVersion, res.Valid())

	// The same finding with a type_uid that does not match activity_id and
	// a severity string that is not the caption of severity_id.
	broken := strings.Replace(exampleFinding, `"type_uid": 200302`, `"type_uid": 200301`, 1)
	broken = strings.Replace(broken, `"severity": "Medium"`, `"severity": "MEDIUM"`, 1)
	for _, p := range v.Validate([]byte(broken)).Problems {
		fmt.Println(p.Severity, p.Pointer, p.Code)
	}
	// Output:
	// Compliance Finding 1.6.0 true
	// warning /severity enum_caption_mismatch
	// error /type_uid type_uid_mismatch
}

// A finding claiming a later OCSF version is checked against the newest
// embedded schema; what that schema does not know is a warning in the
// default mode and an error in strict mode.
func ExampleNewValidator() {
	later := strings.Replace(exampleFinding, `"version": "1.6.0"`, `"version": "1.9.0"`, 1)
	later = strings.Replace(later, `"control": "S3.1"`, `"control": "S3.1", "control_owner": "platform"`, 1)
	for _, mode := range []ocsf.Mode{ocsf.ModeCompatible, ocsf.ModeStrict} {
		v, err := ocsf.NewValidator(&ocsf.ValidatorOptions{Mode: mode})
		if err != nil {
			panic(err)
		}
		res := v.Validate([]byte(later))
		fmt.Printf("%s: checked against %s, valid %v\n", mode, res.SchemaVersion, res.Valid())
		for _, p := range res.Problems {
			fmt.Println(" ", p.Severity, p.Pointer, p.Code)
		}
	}
	// Output:
	// compatible: checked against 1.8.0, valid true
	//   warning /compliance/control_owner unknown_attribute
	//   warning /metadata/version version_newer
	// strict: checked against 1.8.0, valid false
	//   error /compliance/control_owner unknown_attribute
	//   error /metadata/version version_newer
}

// An attribute brought in by a profile is known only when metadata.profiles
// lists that profile.
func ExampleResult_Err() {
	v, err := ocsf.NewValidator(nil)
	if err != nil {
		panic(err)
	}
	noCloud := strings.Replace(exampleFinding, `"profiles": ["cloud", "datetime"]`, `"profiles": ["datetime"]`, 1)
	err = v.Validate([]byte(noCloud)).Err()
	var ve *ocsf.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p.Pointer, p.Code)
		}
	}
	// Output:
	// /cloud profile_inactive
}

func ExampleValidator_JSONSchema() {
	v, err := ocsf.NewValidator(nil)
	if err != nil {
		panic(err)
	}
	schema, err := v.JSONSchema("1.6.0", ocsf.ClassDetectionFinding, []string{"cloud", "datetime"})
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.Contains(string(schema), `"time_dt"`), strings.Contains(string(schema), `"osint"`))
	// Output:
	// true false
}
