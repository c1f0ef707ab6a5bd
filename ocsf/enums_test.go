package ocsf_test

import (
	"testing"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

func TestEnumString(t *testing.T) {
	tests := []struct {
		v    interface{ String() string }
		want string
	}{
		{ocsf.SeverityIDHigh, "High"},
		{ocsf.SeverityIDUnknown, "Unknown"},
		{ocsf.SeverityIDOther, "Other"},
		{ocsf.SeverityID(42), "42"},
		{ocsf.ActivityIDClose, "Close"},
		{ocsf.ActivityID(4), "Suppressed"}, // data_security_finding's extra value
		{ocsf.FindingStatusIDInProgress, "In Progress"},
		{ocsf.IncidentFindingStatusIDOnHold, "On Hold"},
		{ocsf.ComplianceStatusIDFail, "Fail"},
		{ocsf.AccountTypeIDAWSAccount, "AWS Account"},
		{ocsf.AnalyticTypeIDLearningMLDL, "Learning (ML/DL)"},
		{ocsf.DatabucketTypeIDS3, "S3"},
		{ocsf.TypeUIDDetectionFindingClose, "Detection Finding: Close"},
		{ocsf.TypeUIDIAMAnalysisFindingCreate, "IAM Analysis Finding: Create"},
		{ocsf.CategoryUIDFindings, "Findings"},
		{ocsf.ClassDetectionFinding, "Detection Finding"},
		{ocsf.ClassApplicationSecurityPostureFinding, "Application Security Posture Finding"},
		{ocsf.ClassUID(6003), "6003"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%T(%v).String() = %q, want %q", tt.v, tt.v, got, tt.want)
		}
	}
}

func TestSeverityOrdering(t *testing.T) {
	order := []ocsf.SeverityID{
		ocsf.SeverityIDInformational, ocsf.SeverityIDLow, ocsf.SeverityIDMedium,
		ocsf.SeverityIDHigh, ocsf.SeverityIDCritical, ocsf.SeverityIDFatal,
	}
	for i, a := range order {
		for j, b := range order {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("%v.Compare(%v) = %d, want %d", a, b, got, want)
			}
			if got := a.AtLeast(b); got != (i >= j) {
				t.Errorf("%v.AtLeast(%v) = %v", a, b, got)
			}
		}
		if ocsf.SeverityIDUnknown.AtLeast(a) || ocsf.SeverityIDOther.AtLeast(a) || ocsf.SeverityID(42).AtLeast(a) {
			t.Errorf("an unranked severity is at least %v", a)
		}
		if !a.AtLeast(ocsf.SeverityIDUnknown) || a.Compare(ocsf.SeverityIDOther) != 1 {
			t.Errorf("%v does not rank above Unknown/Other", a)
		}
	}
	if !ocsf.SeverityIDOther.Known() || ocsf.SeverityID(7).Known() {
		t.Error("Known")
	}
	for in, want := range map[string]ocsf.SeverityID{"HIGH": ocsf.SeverityIDHigh, "critical": ocsf.SeverityIDCritical, "Other": ocsf.SeverityIDOther} {
		if got, ok := ocsf.ParseSeverityID(in); !ok || got != want {
			t.Errorf("ParseSeverityID(%q) = %v, %v", in, got, ok)
		}
	}
	if _, ok := ocsf.ParseSeverityID("Important"); ok {
		t.Error("ParseSeverityID accepted a vendor severity")
	}
}

func TestARN(t *testing.T) {
	a, err := ocsf.ParseARN("arn:aws:ec2:us-east-1:111122223333:instance/i-0abc")
	if err != nil {
		t.Fatal(err)
	}
	if a.Partition != "aws" || a.Service != "ec2" || a.Region != "us-east-1" || a.AccountID != "111122223333" ||
		a.ResourceType() != "instance" || a.ResourceID() != "i-0abc" {
		t.Errorf("ParseARN = %+v", a)
	}
	if a.String() != "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc" {
		t.Errorf("String = %s", a)
	}
	b, err := ocsf.ParseARN("arn:aws:s3:::my-bucket")
	if err != nil || b.ResourceType() != "" || b.ResourceID() != "my-bucket" {
		t.Errorf("S3 ARN = %+v, %v", b, err)
	}
	for _, bad := range []string{"", "i-0abc", "arn:aws:ec2", "arn::ec2:r:a:x", "arn:aws:ec2:r:a:"} {
		if _, err := ocsf.ParseARN(bad); err != ocsf.ErrInvalidARN {
			t.Errorf("ParseARN(%q) error = %v", bad, err)
		}
	}
	r := ocsf.ResourceRef{Type: "AwsEc2Instance", UID: "i-0abc", UIDAlt: "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc"}
	if got, ok := r.ARN(); !ok || got.ResourceID() != "i-0abc" {
		t.Errorf("ARN() = %v, %v", got, ok)
	}
	if r.ID() != "i-0abc" || !r.Is(ocsf.ResourceTypeEC2Instance) || r.Is(ocsf.ResourceTypeS3Bucket) {
		t.Errorf("ID/Is wrong for %+v", r)
	}
	if got := (ocsf.ResourceRef{UID: "arn:aws:iam::111122223333:user/ops/alice"}).ID(); got != "alice" {
		t.Errorf("ID of IAM user ARN = %q", got)
	}
	if ocsf.CanonicalResourceType("AWS::Foo::Bar") != "AWS::Foo::Bar" {
		t.Error("CanonicalResourceType changed an unknown name")
	}
}
