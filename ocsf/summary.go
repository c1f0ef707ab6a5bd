package ocsf

import (
	"slices"
	"strings"
	"time"
)

// Summary is what every finding shares, whatever its class: identity,
// classification, severity, status, where it was found, who produced it,
// the affected resources and its times. Absent attributes leave fields at
// their zero value.
type Summary struct {
	ClassUID     ClassUID // class_uid
	ClassName    string   // class_name, or the class caption when absent
	CategoryUID  int32    // category_uid
	ActivityID   int32    // activity_id: 1 Create, 2 Update, 3 Close, ...
	ActivityName string   // activity_name
	TypeUID      int64    // type_uid

	Version     string   // metadata.version (the OCSF version the producer claims)
	Profiles    []string // metadata.profiles
	MetadataUID string   // metadata.uid: Security Hub's id of the finding record
	UID         string   // finding_info.uid (finding.uid for 2001, finding_info_list[0].uid for 2005)
	Title       string   // finding_info.title
	Types       []string // finding_info.types

	SeverityID SeverityID // severity_id
	Severity   string     // severity
	// StatusID and Status are status_id and status, the workflow status
	// (1 New, 2 In Progress, 3 Suppressed, 4 Resolved, ...). For the
	// deprecated Security Finding (2001) they are state_id and state, which
	// held the workflow state in that class.
	StatusID int32
	Status   string

	AccountUID string // cloud.account.uid
	Region     string // cloud.region
	Provider   string // cloud.provider

	ProductName string // metadata.product.name
	ProductUID  string // metadata.product.uid
	VendorName  string // metadata.product.vendor_name

	Resources []ResourceRef // resources[] (and the deprecated singular resource)

	// Times, in UTC: from the epoch-millisecond attribute, or from its
	// "_dt" sibling when only that is present.
	Time          time.Time // time
	CreatedTime   time.Time // finding_info.created_time
	ModifiedTime  time.Time // finding_info.modified_time
	FirstSeenTime time.Time // finding_info.first_seen_time
	LastSeenTime  time.Time // finding_info.last_seen_time
}

// ResourceRef is one affected resource of a finding.
type ResourceRef struct {
	// Type is resources[].type. Security Hub uses CloudFormation names
	// ("AWS::EC2::Instance"); older producers use ASFF names
	// ("AwsEc2Instance"): see [CanonicalResourceType].
	Type string
	// UID is resources[].uid. For AWS resources Security Hub puts the bare
	// id here ("i-0abc...", an access key id) and the ARN in UIDAlt; other
	// producers put the ARN here. [ResourceRef.ARN] looks in both.
	UID string
	// UIDAlt is resources[].uid_alt.
	UIDAlt string
	// Name is resources[].name.
	Name string
	// Region is resources[].region ("global" for IAM).
	Region string
	// Partition is resources[].cloud_partition ("aws").
	Partition string
	// AccountUID is resources[].owner.account.uid, or the finding's
	// cloud.account.uid when the resource names no owner account.
	AccountUID string
}

// FindingKey identifies a finding to Security Hub's BatchUpdateFindingsV2:
// either by MetadataUID (its MetadataUids parameter) or by the three other
// fields together (an OcsfFindingIdentifier).
type FindingKey struct {
	MetadataUID     string // metadata.uid
	CloudAccountUID string // cloud.account.uid
	FindingInfoUID  string // finding_info.uid
	ProductUID      string // metadata.product.uid
}

// Key returns the identifiers of the finding for BatchUpdateFindingsV2.
func (s Summary) Key() FindingKey {
	return FindingKey{
		MetadataUID:     s.MetadataUID,
		CloudAccountUID: s.AccountUID,
		FindingInfoUID:  s.UID,
		ProductUID:      s.ProductUID,
	}
}

// HasIdentifier reports whether the key holds a complete
// OcsfFindingIdentifier (account, finding and product uids).
func (k FindingKey) HasIdentifier() bool {
	return k.CloudAccountUID != "" && k.FindingInfoUID != "" && k.ProductUID != ""
}

// Valid reports whether Security Hub can identify the finding from the key:
// it has a metadata uid or a complete identifier.
func (k FindingKey) Valid() bool { return k.MetadataUID != "" || k.HasIdentifier() }

// ResourcesOfType returns the resources whose type is t, comparing
// canonical names (so "AwsEc2Instance" matches "AWS::EC2::Instance").
func (s Summary) ResourcesOfType(t string) []ResourceRef {
	var out []ResourceRef
	for _, r := range s.Resources {
		if r.Is(t) {
			out = append(out, r)
		}
	}
	return out
}

// summaryParts are the attributes a class contributes to its Summary.
type summaryParts struct {
	class        ClassUID
	className    string
	category     CategoryUID
	activity     ActivityID
	activityName string
	typeUID      TypeUID
	metadata     *Metadata
	info         *FindingInfo
	cloud        *Cloud
	resources    []ResourceDetails
	resource     *ResourceDetails
	severityID   SeverityID
	severity     string
	statusID     int32
	status       string
	time         int64
	timeDt       string
}

func (p summaryParts) build() Summary {
	s := Summary{
		ClassUID: p.class, ClassName: p.className, CategoryUID: int32(p.category),
		ActivityID: int32(p.activity), ActivityName: p.activityName, TypeUID: int64(p.typeUID),
		SeverityID: p.severityID, Severity: p.severity, StatusID: p.statusID, Status: p.status,
		Time: timeOf(p.time, p.timeDt),
	}
	if s.ClassName == "" && p.class.Known() {
		s.ClassName = p.class.String()
	}
	if m := p.metadata; m != nil {
		s.Version, s.Profiles, s.MetadataUID = m.Version, slices.Clone(m.Profiles), m.UID
		if pr := m.Product; pr != nil {
			s.ProductName, s.ProductUID, s.VendorName = pr.Name, pr.UID, pr.VendorName
		}
	}
	if fi := p.info; fi != nil {
		s.UID, s.Title, s.Types = fi.UID, fi.Title, slices.Clone(fi.Types)
		s.CreatedTime = timeOf(fi.CreatedTime, fi.CreatedTimeDt)
		s.ModifiedTime = timeOf(fi.ModifiedTime, fi.ModifiedTimeDt)
		s.FirstSeenTime = timeOf(fi.FirstSeenTime, fi.FirstSeenTimeDt)
		s.LastSeenTime = timeOf(fi.LastSeenTime, fi.LastSeenTimeDt)
	}
	if c := p.cloud; c != nil {
		s.Region, s.Provider = c.Region, c.Provider
		if c.Account != nil {
			s.AccountUID = c.Account.UID
		} else {
			// OCSF 1.0 had cloud.account_uid.
			s.AccountUID = extraString(&c.extState, "account_uid")
		}
	}
	for i := range p.resources {
		s.Resources = append(s.Resources, resourceRef(&p.resources[i], s.AccountUID))
	}
	if p.resource != nil {
		s.Resources = append(s.Resources, resourceRef(p.resource, s.AccountUID))
	}
	return s
}

func resourceRef(r *ResourceDetails, account string) ResourceRef {
	ref := ResourceRef{
		Type: r.Type, UID: r.UID, UIDAlt: r.UIDAlt, Name: r.Name, Region: r.Region,
		Partition: r.CloudPartition, AccountUID: account,
	}
	if r.Owner != nil && r.Owner.Account != nil && r.Owner.Account.UID != "" {
		ref.AccountUID = r.Owner.Account.UID
	}
	return ref
}

// timeOf converts an epoch-millisecond timestamp, or failing that its
// RFC 3339 "_dt" sibling, to a UTC time.
func timeOf(ms int64, dt string) time.Time {
	if ms != 0 {
		return time.UnixMilli(ms).UTC()
	}
	if dt != "" {
		if t, err := time.Parse(time.RFC3339Nano, strings.Replace(dt, " ", "T", 1)); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// extraString returns a kept attribute that is a JSON string.
func extraString(x *extState, name string) string {
	raw, ok := x.Extra(name)
	if !ok || len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	d := decoder{data: raw}
	s, err := d.readString()
	if err != nil {
		return ""
	}
	return s
}

// Summary returns the attributes every finding shares. The Security
// Finding class predates finding_info: UID, Title, Types and the times come
// from its finding object, and StatusID/Status from state_id/state.
func (x *SecurityFinding) Summary() Summary {
	var info *FindingInfo
	if f := x.Finding; f != nil {
		info = &FindingInfo{
			UID: f.UID, Title: f.Title, Types: f.Types,
			CreatedTime: f.CreatedTime, CreatedTimeDt: f.CreatedTimeDt,
			ModifiedTime: f.ModifiedTime, ModifiedTimeDt: f.ModifiedTimeDt,
			FirstSeenTime: f.FirstSeenTime, FirstSeenTimeDt: f.FirstSeenTimeDt,
			LastSeenTime: f.LastSeenTime, LastSeenTimeDt: f.LastSeenTimeDt,
		}
	}
	return summaryParts{
		class: ClassSecurityFinding, className: x.ClassName, category: x.CategoryUID,
		activity: x.ActivityID, activityName: x.ActivityName, typeUID: x.TypeUID,
		metadata: x.Metadata, info: info, cloud: x.Cloud, resources: x.Resources,
		severityID: x.SeverityID, severity: x.Severity, statusID: int32(x.StateID), status: x.State,
		time: x.Time, timeDt: x.TimeDt,
	}.build()
}

// Summary returns the attributes every finding shares.
func (x *VulnerabilityFinding) Summary() Summary {
	return summaryParts{
		class: ClassVulnerabilityFinding, className: x.ClassName, category: x.CategoryUID,
		activity: x.ActivityID, activityName: x.ActivityName, typeUID: x.TypeUID,
		metadata: x.Metadata, info: x.FindingInfo, cloud: x.Cloud, resources: x.Resources, resource: x.Resource,
		severityID: x.SeverityID, severity: x.Severity, statusID: int32(x.StatusID), status: x.Status,
		time: x.Time, timeDt: x.TimeDt,
	}.build()
}

// Summary returns the attributes every finding shares.
func (x *ComplianceFinding) Summary() Summary {
	return summaryParts{
		class: ClassComplianceFinding, className: x.ClassName, category: x.CategoryUID,
		activity: x.ActivityID, activityName: x.ActivityName, typeUID: x.TypeUID,
		metadata: x.Metadata, info: x.FindingInfo, cloud: x.Cloud, resources: x.Resources, resource: x.Resource,
		severityID: x.SeverityID, severity: x.Severity, statusID: int32(x.StatusID), status: x.Status,
		time: x.Time, timeDt: x.TimeDt,
	}.build()
}

// Summary returns the attributes every finding shares.
func (x *DetectionFinding) Summary() Summary { return x.summary() }

func (x *DetectionFinding) summary() Summary {
	return summaryParts{
		class: ClassDetectionFinding, className: x.ClassName, category: x.CategoryUID,
		activity: x.ActivityID, activityName: x.ActivityName, typeUID: x.TypeUID,
		metadata: x.Metadata, info: x.FindingInfo, cloud: x.Cloud, resources: x.Resources,
		severityID: x.SeverityID, severity: x.Severity, statusID: int32(x.StatusID), status: x.Status,
		time: x.Time, timeDt: x.TimeDt,
	}.build()
}

// Summary returns the attributes every finding shares. An Incident Finding
// aggregates findings in finding_info_list; UID, Title, Types and the times
// come from its first element.
func (x *IncidentFinding) Summary() Summary {
	var info *FindingInfo
	if len(x.FindingInfoList) > 0 {
		info = &x.FindingInfoList[0]
	}
	return summaryParts{
		class: ClassIncidentFinding, className: x.ClassName, category: x.CategoryUID,
		activity: x.ActivityID, activityName: x.ActivityName, typeUID: x.TypeUID,
		metadata: x.Metadata, info: info, cloud: x.Cloud,
		severityID: x.SeverityID, severity: x.Severity, statusID: int32(x.StatusID), status: x.Status,
		time: x.Time, timeDt: x.TimeDt,
	}.build()
}

// Summary returns the attributes every finding shares.
func (x *DataSecurityFinding) Summary() Summary {
	return summaryParts{
		class: ClassDataSecurityFinding, className: x.ClassName, category: x.CategoryUID,
		activity: x.ActivityID, activityName: x.ActivityName, typeUID: x.TypeUID,
		metadata: x.Metadata, info: x.FindingInfo, cloud: x.Cloud, resources: x.Resources,
		severityID: x.SeverityID, severity: x.Severity, statusID: int32(x.StatusID), status: x.Status,
		time: x.Time, timeDt: x.TimeDt,
	}.build()
}

// Summary returns the attributes every finding shares.
func (x *ApplicationSecurityPostureFinding) Summary() Summary {
	return summaryParts{
		class: ClassApplicationSecurityPostureFinding, className: x.ClassName, category: x.CategoryUID,
		activity: x.ActivityID, activityName: x.ActivityName, typeUID: x.TypeUID,
		metadata: x.Metadata, info: x.FindingInfo, cloud: x.Cloud, resources: x.Resources,
		severityID: x.SeverityID, severity: x.Severity, statusID: int32(x.StatusID), status: x.Status,
		time: x.Time, timeDt: x.TimeDt,
	}.build()
}

// Summary returns the attributes every finding shares.
func (x *IAMAnalysisFinding) Summary() Summary {
	return summaryParts{
		class: ClassIAMAnalysisFinding, className: x.ClassName, category: x.CategoryUID,
		activity: x.ActivityID, activityName: x.ActivityName, typeUID: x.TypeUID,
		metadata: x.Metadata, info: x.FindingInfo, cloud: x.Cloud, resources: x.Resources,
		severityID: x.SeverityID, severity: x.Severity, statusID: int32(x.StatusID), status: x.Status,
		time: x.Time, timeDt: x.TimeDt,
	}.build()
}
