package ocsf_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// exampleGuardDutyFinding is a shortened GuardDuty finding as Security Hub sends it. Its
// resource carries "provider", an attribute OCSF 1.6.0 does not define.
const exampleGuardDutyFinding = `{
  "activity_id": 1, "activity_name": "Create", "category_uid": 2, "class_uid": 2004,
  "cloud": {"account": {"uid": "111122223333"}, "provider": "AWS", "region": "us-east-1"},
  "finding_info": {
    "title": "SSH brute force against i-0a1b2c3d4e5f67890",
    "types": ["TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce"],
    "uid": "arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/f1"
  },
  "metadata": {
    "product": {"name": "GuardDuty", "uid": "arn:aws:securityhub:us-east-1::productv2/aws/guardduty"},
    "uid": "5b1047abee40b6bb4623a89e5571e5fae6b92a8c07f3aa5c52944a4294feb904",
    "version": "1.6.0"
  },
  "resources": [{"provider": "AWS", "type": "AWS::EC2::Instance", "uid": "i-0a1b2c3d4e5f67890"}],
  "severity": "High", "severity_id": 4, "status": "New", "status_id": 1,
  "time": 1770711279000, "type_uid": 200401
}`

func ExampleDecode() {
	f, err := ocsf.Decode([]byte(exampleGuardDutyFinding))
	if err != nil {
		log.Fatal(err)
	}
	switch f := f.(type) {
	case *ocsf.DetectionFinding:
		fmt.Println("detection:", f.FindingInfo.Title)
		// An attribute of a later OCSF version is kept, and written back.
		provider, _ := f.Resources[0].Extra("provider")
		fmt.Println("resources[0].provider:", string(provider))
	case *ocsf.ComplianceFinding:
		fmt.Println("compliance:", f.Compliance.Control)
	case *ocsf.OtherEvent:
		fmt.Println("class", f.ClassUID(), "kept raw")
	}
	s := f.Summary()
	fmt.Println(s.ClassName, s.Severity, s.Status, s.AccountUID, s.Region)
	fmt.Println(s.Time.Format("2006-01-02T15:04:05Z07:00"))
	// Output:
	// detection: SSH brute force against i-0a1b2c3d4e5f67890
	// resources[0].provider: "AWS"
	// Detection Finding High New 111122223333 us-east-1
	// 2026-02-10T08:14:39Z
}

func ExampleDecodeEvent() {
	event := `{"version": "0", "id": "fbb4e0df-de0c-4bc5-a640-04052920e7fb",
	  "detail-type": "Findings Imported V2", "source": "aws.securityhub",
	  "account": "111122223333", "time": "2026-02-10T08:14:39Z", "region": "us-east-1",
	  "resources": ["5b1047abee40b6bb4623a89e5571e5fae6b92a8c07f3aa5c52944a4294feb904"],
	  "detail": {"findings": [` + exampleGuardDutyFinding + `]}}`
	ev, err := ocsf.DecodeEvent([]byte(event))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ev.DetailType, ev.Region, ev.Time.Format("15:04:05"))
	findings, err := ev.Findings()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range findings {
		fmt.Printf("%T %s\n", f, f.Summary().Title)
	}
	// Output:
	// Findings Imported V2 us-east-1 08:14:39
	// *ocsf.DetectionFinding SSH brute force against i-0a1b2c3d4e5f67890
}

func ExampleSummary_Key() {
	f, err := ocsf.Decode([]byte(exampleGuardDutyFinding))
	if err != nil {
		log.Fatal(err)
	}
	key := f.Summary().Key()
	// Either identifier is enough for BatchUpdateFindingsV2.
	fmt.Println("MetadataUids:", key.MetadataUID)
	fmt.Println("FindingIdentifiers:", key.CloudAccountUID, key.FindingInfoUID, key.ProductUID)
	// Output:
	// MetadataUids: 5b1047abee40b6bb4623a89e5571e5fae6b92a8c07f3aa5c52944a4294feb904
	// FindingIdentifiers: 111122223333 arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/f1 arn:aws:securityhub:us-east-1::productv2/aws/guardduty
}

func ExampleSeverityID_AtLeast() {
	for _, s := range []ocsf.SeverityID{ocsf.SeverityIDMedium, ocsf.SeverityIDCritical, ocsf.SeverityIDOther} {
		fmt.Println(s, s.AtLeast(ocsf.SeverityIDHigh))
	}
	// Output:
	// Medium false
	// Critical true
	// Other false
}

// A finding built in Go is written with its derived attributes filled:
// class, category and type uids, and every caption string.
func ExampleDetectionFinding() {
	f := &ocsf.DetectionFinding{
		ActivityID:  ocsf.ActivityIDCreate,
		SeverityID:  ocsf.SeverityIDHigh,
		StatusID:    ocsf.FindingStatusIDNew,
		Time:        1770711279000,
		FindingInfo: &ocsf.FindingInfo{UID: "f-1", Title: "Test finding"},
		Metadata:    &ocsf.Metadata{Version: "1.6.0", Product: &ocsf.Product{Name: "my-scanner"}},
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
	// Output:
	// {
	//   "activity_id": 1,
	//   "activity_name": "Create",
	//   "category_name": "Findings",
	//   "category_uid": 2,
	//   "class_name": "Detection Finding",
	//   "class_uid": 2004,
	//   "finding_info": {
	//     "title": "Test finding",
	//     "uid": "f-1"
	//   },
	//   "metadata": {
	//     "product": {
	//       "name": "my-scanner"
	//     },
	//     "version": "1.6.0"
	//   },
	//   "severity": "High",
	//   "severity_id": 4,
	//   "status": "New",
	//   "status_id": 1,
	//   "time": 1770711279000,
	//   "type_name": "Detection Finding: Create",
	//   "type_uid": 200401
	// }
}

// After changing a decoded finding, Normalize brings its derived attributes
// in line.
func ExampleDetectionFinding_Normalize() {
	f, err := ocsf.Decode([]byte(exampleGuardDutyFinding))
	if err != nil {
		log.Fatal(err)
	}
	d := f.(*ocsf.DetectionFinding)
	d.ActivityID = ocsf.ActivityIDClose
	d.StatusID = ocsf.FindingStatusIDResolved
	d.Normalize()
	fmt.Println(int64(d.TypeUID), d.ActivityName, d.Status, d.TypeName)
	// Output:
	// 200403 Close Resolved Detection Finding: Close
}

func ExampleParseARN() {
	a, err := ocsf.ParseARN("arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f67890")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Service, a.Region, a.AccountID, a.ResourceType(), a.ResourceID())
	// Output:
	// ec2 us-east-1 111122223333 instance i-0a1b2c3d4e5f67890
}

func ExampleResourceRef_ID() {
	f, err := ocsf.Decode([]byte(exampleGuardDutyFinding))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range f.Summary().ResourcesOfType(ocsf.ResourceTypeEC2Instance) {
		fmt.Println(r.ID())
	}
	// Output:
	// i-0a1b2c3d4e5f67890
}
