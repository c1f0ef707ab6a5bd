// Package ocsf decodes, builds and validates the OCSF findings that AWS
// Security Hub sends through Amazon EventBridge.
//
// The finding classes of OCSF 1.6.0 (2001 Security Finding to 2008 IAM
// Analysis Finding) and every object they reach are Go types generated from
// the official schema, AWS extension (uid 998) included. Decoding loses
// nothing: attributes that 1.6.0 does not define, such as those added by
// later OCSF releases, are kept and written back on encoding.
//
// # Decoding
//
// [DecodeEvent] reads a whole EventBridge event (detail-type "Findings
// Imported V2"); [Decode] reads one bare finding of any class and returns a
// [Finding], which a caller switches on:
//
//	f, err := ocsf.Decode(data)
//	if err != nil { ... }
//	switch f := f.(type) {
//	case *ocsf.DetectionFinding:
//		...
//	case *ocsf.ComplianceFinding:
//		...
//	}
//
// Decoding never fails on content, only on syntax: an attribute the
// generated types do not define, a null, a value of the wrong JSON type or
// an integer too large for its field is kept verbatim in its object (see
// each type's Extra method) and written back by MarshalJSON, so decode,
// encode, decode is the identity. Reporting such values is the
// [Validator]'s job. A decoded finding is re-encoded exactly as read; a
// finding built in Go is normalised when marshalled (class_uid,
// category_uid and type_uid made to agree, caption siblings such as
// severity and class_name filled); call Normalize after changing a decoded
// finding to get the same.
//
// Every finding also offers a [Summary]: the attributes all findings share
// (identity, title, severity, status, account, region, product, resources,
// types and times), and [Summary.Key] gives the identifiers Security Hub's
// BatchUpdateFindingsV2 takes.
//
// # Validation
//
// A [Validator] checks a finding against the OCSF version it claims (1.6.0,
// 1.7.0 and 1.8.0 are embedded), honouring metadata.profiles, and reports
// each problem with a severity, a JSON pointer and a stable code. The default
// mode is fit for real Security Hub feeds; the strict mode follows the OCSF
// server's validator.
//
// Importing this package pulls in neither the AWS SDK nor any storage or YAML
// library.
package ocsf
