package ocsf_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ocsfhub/ocsfhub/ocsf"
)

func decodeSharedSample(t *testing.T, name string) ocsf.Finding {
	t.Helper()
	f, err := ocsf.Decode(sharedSample(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func epochMillis(v int64) time.Time { return time.UnixMilli(v).UTC() }

// TestSummaryGuardDutyClose checks the summary of the real GuardDuty Runtime
// Monitoring finding that Security Hub closed (activity Close, status New).
func TestSummaryGuardDutyClose(t *testing.T) {
	f := decodeSharedSample(t, "cruxstack-detection-2.json")
	if _, ok := f.(*ocsf.DetectionFinding); !ok {
		t.Fatalf("got %T", f)
	}
	want := ocsf.Summary{
		ClassUID: 2004, ClassName: "Detection Finding", CategoryUID: 2, ActivityID: 3, ActivityName: "Close", TypeUID: 200403,
		Version:     "1.6.0",
		Profiles:    []string{"cloud", "container", "datetime", "aws/cloud_resources"},
		MetadataUID: "5121a512c39d657e0dd78133fc41ad6bdd145b7cf5a306f52bda76f5883fa500",
		UID:         "arn:aws:guardduty:us-east-1:205014383633:detector/12cbda91026ae3393af947729d385166/finding/d6cd5459c241b902f2aaff9db607c941",
		Title:       "A container has mounted a host directory.",
		Types:       []string{"Threats", "PrivilegeEscalation:Runtime/ContainerMountsHostDirectory"},
		SeverityID:  ocsf.SeverityIDMedium, Severity: "Medium", StatusID: 1, Status: "New",
		AccountUID: "123456789012", Region: "us-east-1", Provider: "AWS",
		ProductName: "GuardDuty", ProductUID: "arn:aws:securityhub:us-east-1::productv2/aws/guardduty", VendorName: "AWS",
		Resources: []ocsf.ResourceRef{
			{Type: "AWS::Container::Container", UID: "287ae865fc4257511514453a78a03743c5c63a40ab2a2a2f81579745b1febf41",
				Name: "/default-control-plane", Region: "us-east-1", Partition: "aws", AccountUID: "123456789012"},
			{Type: "AWS::EC2::Instance", UID: "i-0d7663df710a0f17a", Region: "us-east-1", Partition: "aws", AccountUID: "123456789012"},
		},
		Time:          epochMillis(1763766928515),
		CreatedTime:   epochMillis(1763766928515),
		ModifiedTime:  epochMillis(1763766928515),
		FirstSeenTime: epochMillis(1763766647284),
		LastSeenTime:  epochMillis(1763766647284),
	}
	got := f.Summary()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Summary (-want +got):\n%s", d)
	}
	if got.Time.Format(time.RFC3339Nano) != "2025-11-21T23:15:28.515Z" {
		t.Errorf("Time = %v", got.Time)
	}
	if key := got.Key(); key != (ocsf.FindingKey{
		MetadataUID:     "5121a512c39d657e0dd78133fc41ad6bdd145b7cf5a306f52bda76f5883fa500",
		CloudAccountUID: "123456789012",
		FindingInfoUID:  "arn:aws:guardduty:us-east-1:205014383633:detector/12cbda91026ae3393af947729d385166/finding/d6cd5459c241b902f2aaff9db607c941",
		ProductUID:      "arn:aws:securityhub:us-east-1::productv2/aws/guardduty",
	}) || !key.Valid() || !key.HasIdentifier() {
		t.Errorf("Key = %+v", key)
	}
	if got := len(got.ResourcesOfType(ocsf.ResourceTypeEC2Instance)); got != 1 {
		t.Errorf("ResourcesOfType(EC2 instance) = %d resources", got)
	}
	// The class-specific view: the AWS-extension and container details.
	d := f.(*ocsf.DetectionFinding)
	if c := d.Resources[0].Device.Container; c == nil || c.Runtime != "docker" || c.Image.Name == "" {
		t.Errorf("resources[0].device.container = %+v", c)
	}
	if m := d.Metadata.Extensions; len(m) != 1 || m[0].Name != "aws" || m[0].UID != "998" {
		t.Errorf("metadata.extensions = %+v", m)
	}
	if p := d.Evidences[0].Actor.Process; p.PID != 2563 || p.ParentProcess.ParentProcess.UID != "e9714b77-3b27-8d9b-d9b5-a34c955e547b" || len(p.Ancestry) != 2 {
		t.Errorf("evidences[0].actor.process = %+v", p)
	}
}

func TestSummaryCompliance(t *testing.T) {
	f := decodeSharedSample(t, "cruxstack-compliance-1.json")
	c, ok := f.(*ocsf.ComplianceFinding)
	if !ok {
		t.Fatalf("got %T", f)
	}
	s := f.Summary()
	if s.SeverityID != ocsf.SeverityIDCritical || s.ActivityName != "Update" || s.TypeUID != 200302 ||
		s.ProductName != "Security Hub" || s.AccountUID != "123456789012" ||
		s.UID != "arn:aws:securityhub:us-east-1:123456789012:subscription/cis-aws-foundations-benchmark/v/1.2.0/2.5/finding/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa" {
		t.Errorf("Summary = %+v", s)
	}
	if len(s.Resources) != 1 || !s.Resources[0].Is(ocsf.ResourceTypeAccount) || s.Resources[0].UID != "123456789012" {
		t.Errorf("Resources = %+v", s.Resources)
	}
	if c.Compliance == nil || c.Compliance.StatusID != ocsf.ComplianceStatusIDFail || c.Compliance.Control == "" {
		t.Errorf("compliance = %+v", c.Compliance)
	}
}

// TestSummarySecurityLake checks the legacy Security Lake mappings: OCSF
// 1.0.0-rc.2 (class 2001, finding object, state, cloud.account_uid) and 1.1.0
// (ASFF resource types, no metadata.uid).
func TestSummarySecurityLake(t *testing.T) {
	s := decodeSharedSample(t, "securitylake-ocsf10rc2-securityfinding-1.json").Summary()
	if s.ClassUID != ocsf.ClassSecurityFinding || s.Version != "1.0.0-rc.2" || s.UID != "test" ||
		s.Title != "EC2.19 Security groups should not allow unrestricted access to ports with high risk" ||
		s.StatusID != 4 || s.Status != "Resolved" || s.AccountUID != "522536594833" ||
		s.SeverityID != ocsf.SeverityIDInformational || !s.CreatedTime.Equal(epochMillis(1635449619417)) {
		t.Errorf("Summary = %+v", s)
	}
	r := s.Resources[0]
	if !r.Is(ocsf.ResourceTypeEC2SecurityGroup) || r.ID() != "sg-0daf160f08dfed499" {
		t.Errorf("resource = %+v", r)
	}
	if a, ok := r.ARN(); !ok || a.AccountID != "522536594833" || a.ResourceType() != "security-group" {
		t.Errorf("ARN = %+v", a)
	}

	v := decodeSharedSample(t, "securitylake-ocsf11-vulnerability-1.json")
	vs := v.Summary()
	if vs.MetadataUID != "" || vs.Key().Valid() != vs.Key().HasIdentifier() || vs.Title != "CVE-2023-1255 - openssl" ||
		len(vs.Resources) != 1 || !vs.Resources[0].Is(ocsf.ResourceTypeECRContainerImage) {
		t.Errorf("Summary = %+v", vs)
	}
}

func TestSummaryFixturesMatchEnvelope(t *testing.T) {
	for _, p := range fixtureEnvelopePaths(t) {
		ev, err := ocsf.DecodeEvent(mustRead(t, p))
		if err != nil {
			t.Fatal(err)
		}
		fs, err := ev.Findings()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			s := f.Summary()
			if len(ev.Resources) != 1 || ev.Resources[0] != s.MetadataUID {
				t.Errorf("%s: envelope resources %v, metadata.uid %q", p, ev.Resources, s.MetadataUID)
			}
			if !s.Key().HasIdentifier() || s.ClassName != f.ClassUID().String() || s.TypeUID != int64(f.ClassUID())*100+int64(s.ActivityID) {
				t.Errorf("%s: summary %+v", p, s)
			}
		}
	}
}
