package ocsf_test

import (
	"encoding/json"
	"testing"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// TestMarshalBuiltFinding checks that a finding built in Go marshals to
// consistent OCSF: class, category and type uids agree and every enum
// caption string is filled, at every depth.
func TestMarshalBuiltFinding(t *testing.T) {
	f := &ocsf.DetectionFinding{
		ActivityID: ocsf.ActivityIDCreate,
		SeverityID: ocsf.SeverityIDHigh,
		StatusID:   ocsf.FindingStatusIDInProgress,
		Time:       1767225600000,
		IsAlert:    ocsf.Ptr(false),
		Metadata: &ocsf.Metadata{
			Version: "1.6.0",
			Product: &ocsf.Product{Name: "Example", VendorName: "Example Corp"},
		},
		FindingInfo: &ocsf.FindingInfo{UID: "f-1", Title: "Something happened"},
		Cloud: &ocsf.Cloud{
			Provider: "AWS",
			Account:  &ocsf.Account{UID: "111122223333", TypeID: ocsf.AccountTypeIDAWSAccount},
		},
		Observables: []ocsf.Observable{
			{Name: "src_endpoint.ip", Value: "192.0.2.1", TypeID: ocsf.ObservableTypeIDIPAddress},
			{Name: "weird", Value: "x"}, // type_id is required: Unknown (0) is written
		},
		Resources: []ocsf.ResourceDetails{{UID: "i-1", Type: ocsf.ResourceTypeEC2Instance}},
	}
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
		"activity_id": 1, "activity_name": "Create",
		"category_uid": 2, "category_name": "Findings",
		"class_uid": 2004, "class_name": "Detection Finding",
		"type_uid": 200401, "type_name": "Detection Finding: Create",
		"severity_id": 4, "severity": "High",
		"status_id": 2, "status": "In Progress",
		"time": 1767225600000, "is_alert": false,
		"metadata": {"version": "1.6.0", "product": {"name": "Example", "vendor_name": "Example Corp"}},
		"finding_info": {"uid": "f-1", "title": "Something happened"},
		"cloud": {"provider": "AWS", "account": {"uid": "111122223333", "type_id": 10, "type": "AWS Account"}},
		"observables": [
			{"name": "src_endpoint.ip", "value": "192.0.2.1", "type_id": 2, "type": "IP Address"},
			{"name": "weird", "value": "x", "type_id": 0, "type": "Unknown"}
		],
		"resources": [{"uid": "i-1", "type": "AWS::EC2::Instance"}]
	}`
	if d := semanticDiff(t, []byte(want), out); d != "" {
		t.Errorf("marshalled finding (-want +got):\n%s", d)
	}
	// Marshalling did not change the value.
	if f.Class != 0 || f.ActivityName != "" || f.Observables[0].Type != "" {
		t.Errorf("MarshalJSON changed the finding: %+v", f)
	}
	// The output decodes back to a consistent finding.
	back, err := ocsf.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	s := back.Summary()
	if s.ClassUID != ocsf.ClassDetectionFinding || s.TypeUID != 200401 || s.Severity != "High" || s.ActivityName != "Create" {
		t.Errorf("Summary = %+v", s)
	}
}

func TestMarshalBuiltOther(t *testing.T) {
	// Other (99) keeps the producer's own caption; an empty one becomes "Other".
	f := ocsf.ComplianceFinding{ActivityID: ocsf.ActivityIDOther, ActivityName: "Rescan", SeverityID: ocsf.SeverityIDOther}
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"activity_id":99,"activity_name":"Rescan","category_uid":2,"category_name":"Findings",
		"class_uid":2003,"class_name":"Compliance Finding","severity_id":99,"severity":"Other",
		"type_uid":200399,"type_name":"Compliance Finding: Other"}`
	if d := semanticDiff(t, []byte(want), out); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestNormalizeDecoded checks that a decoded finding is written back as
// read, and that Normalize makes it consistent after a change.
func TestNormalizeDecoded(t *testing.T) {
	in := []byte(`{"class_uid":2004,"activity_id":1,"activity_name":"Create","type_uid":200401,
		"severity_id":3,"severity":"MEDIUM","status_id":1,
		"cloud":{"account":{"uid":"1","type_id":10}}}`)
	f, err := ocsf.Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	d := f.(*ocsf.DetectionFinding)
	out, _ := json.Marshal(d)
	if diff := semanticDiff(t, in, out); diff != "" {
		t.Fatalf("decoded finding not written back as read:\n%s", diff)
	}
	d.ActivityID = ocsf.ActivityIDClose
	d.Normalize()
	out, _ = json.Marshal(d)
	want := `{"class_uid":2004,"class_name":"Detection Finding","category_uid":2,"category_name":"Findings",
		"activity_id":3,"activity_name":"Close","type_uid":200403,"type_name":"Detection Finding: Close",
		"severity_id":3,"severity":"Medium","status_id":1,"status":"New",
		"cloud":{"account":{"uid":"1","type_id":10,"type":"AWS Account"}}}`
	if diff := semanticDiff(t, []byte(want), out); diff != "" {
		t.Errorf("after Normalize (-want +got):\n%s", diff)
	}
}

func TestClassHelpers(t *testing.T) {
	if got := ocsf.ClassDetectionFinding.TypeUID(ocsf.ActivityIDClose); got != ocsf.TypeUIDDetectionFindingClose {
		t.Errorf("TypeUID = %d", got)
	}
	if ocsf.ClassIAMAnalysisFinding.Category() != ocsf.CategoryUIDFindings {
		t.Error("Category")
	}
	if !ocsf.ClassSecurityFinding.Known() || ocsf.ClassUID(2009).Known() {
		t.Error("Known")
	}
}
