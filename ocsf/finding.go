package ocsf

import "encoding/json"

// Finding is one decoded OCSF finding. It is implemented by the generated
// class types *SecurityFinding, *VulnerabilityFinding, *ComplianceFinding,
// *DetectionFinding, *IncidentFinding, *DataSecurityFinding,
// *ApplicationSecurityPostureFinding and *IAMAnalysisFinding, and by
// *OtherEvent for any other class_uid. Callers switch on the type for the
// class-specific attributes and use Summary for what all findings share.
type Finding interface {
	// ClassUID returns the class of the finding.
	ClassUID() ClassUID
	// Summary returns the attributes every finding shares.
	Summary() Summary
	// MarshalJSON encodes the finding. For a decoded finding the result is
	// the same JSON value as the input (attributes may be reordered, white
	// space dropped and numbers rewritten in their shortest form).
	json.Marshaler
}

// Compile-time checks that every class implements Finding.
var (
	_ Finding = (*SecurityFinding)(nil)
	_ Finding = (*VulnerabilityFinding)(nil)
	_ Finding = (*ComplianceFinding)(nil)
	_ Finding = (*DetectionFinding)(nil)
	_ Finding = (*IncidentFinding)(nil)
	_ Finding = (*DataSecurityFinding)(nil)
	_ Finding = (*ApplicationSecurityPostureFinding)(nil)
	_ Finding = (*IAMAnalysisFinding)(nil)
	_ Finding = (*OtherEvent)(nil)
)

// OtherEvent is an event whose class_uid is not one of the classes this
// package generates (a class from a later OCSF release, another category, or
// a missing or non-integer class_uid). It is kept exactly as received.
type OtherEvent struct {
	// Class is the event's class_uid, or 0 when it is absent or not an
	// integer.
	Class ClassUID
	// Raw is the event exactly as received.
	Raw json.RawMessage

	summary Summary
}

// ClassUID returns the event's class_uid (0 when absent or not an integer).
func (o *OtherEvent) ClassUID() ClassUID { return o.Class }

// Summary returns the attributes every finding shares, read from Raw with
// the layout of the findings classes (metadata, finding_info, cloud,
// resources ...), which later OCSF findings classes keep.
func (o *OtherEvent) Summary() Summary { return o.summary }

// MarshalJSON returns Raw (null when Raw is empty).
func (o OtherEvent) MarshalJSON() ([]byte, error) {
	if len(o.Raw) == 0 {
		return []byte("null"), nil
	}
	return o.Raw, nil
}
