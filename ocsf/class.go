package ocsf

import "strconv"

// ClassUID identifies an OCSF event class: category_uid*1000 + the class's
// uid within its category. 2001 to 2008 are the findings classes of OCSF
// 1.6.0; any other value is a class this package does not generate types
// for, and [Decode] returns such findings as [*OtherEvent].
type ClassUID int32

// The findings classes of OCSF 1.6.0 (category 2, "Findings").
const (
	// ClassSecurityFinding is Security Finding (deprecated since OCSF 1.1.0).
	ClassSecurityFinding ClassUID = 2001
	// ClassVulnerabilityFinding is Vulnerability Finding (Amazon Inspector).
	ClassVulnerabilityFinding ClassUID = 2002
	// ClassComplianceFinding is Compliance Finding (Security Hub CSPM controls).
	ClassComplianceFinding ClassUID = 2003
	// ClassDetectionFinding is Detection Finding (GuardDuty, exposure findings).
	ClassDetectionFinding ClassUID = 2004
	// ClassIncidentFinding is Incident Finding.
	ClassIncidentFinding ClassUID = 2005
	// ClassDataSecurityFinding is Data Security Finding (Amazon Macie).
	ClassDataSecurityFinding ClassUID = 2006
	// ClassApplicationSecurityPostureFinding is Application Security Posture
	// Finding (new in OCSF 1.5.0).
	ClassApplicationSecurityPostureFinding ClassUID = 2007
	// ClassIAMAnalysisFinding is IAM Analysis Finding (new in OCSF 1.6.0).
	ClassIAMAnalysisFinding ClassUID = 2008
)

// String returns the class caption ("Detection Finding"), or the decimal
// value for a class this package does not know.
func (c ClassUID) String() string {
	if s, ok := c.caption(); ok {
		return s
	}
	return strconv.FormatInt(int64(c), 10)
}

// Known reports whether c is one of the classes this package generates types
// for (2001 to 2008).
func (c ClassUID) Known() bool {
	_, ok := c.caption()
	return ok
}

// Category returns the category of the class: class_uid / 1000 (2,
// [CategoryUIDFindings], for the findings classes).
func (c ClassUID) Category() CategoryUID { return CategoryUID(c / 1000) }

// TypeUID returns the type_uid of an event of this class with the given
// activity: class_uid*100 + activity_id.
func (c ClassUID) TypeUID(activity ActivityID) TypeUID {
	return TypeUID(int64(c)*100 + int64(activity))
}
