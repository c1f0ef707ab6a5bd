// Package eventbridge implements Amazon EventBridge's event pattern
// language: parsing, validating and rendering patterns, building the
// patterns of Security Hub rules, and matching events locally exactly as
// EventBridge does, so that rules can be tested offline and findings routed
// in-process with the language users already write in AWS.
//
// It depends on the standard library only.
//
// # Patterns
//
// [ParsePattern] reads a pattern's JSON into a typed [Pattern]; errors are
// a *[PatternError] naming the JSON Pointer of the offending element and
// the operator, or a *[LimitError]. [Pattern.MarshalJSON] renders compact,
// deterministic JSON (keys sorted), and parsing that rendering gives back
// an equal pattern. EventBridge's limits are enforced: at most
// [MaxPatternSize] (4,096) characters, with [Pattern.Warnings] reporting
// patterns above the default quota of [DefaultPatternSizeQuota] (2,048),
// and at most [MaxOrCombinations] (1,000) $or combinations, counted as
// Event Ruler counts them ([Pattern.Combinations]).
//
// # Security Hub rules
//
// [NewSecurityHubRule] builds the pattern of a rule for Security Hub's OCSF
// findings: source "aws.securityhub", detail-type "Findings Imported V2"
// ([DetailTypeFindingsImportedV2]), and typed filters on the finding inside
// detail.findings (severity, class, product, types, status, account,
// region, resource type, compliance status, or any path with any operator).
//
// The autobotAI integration guide prints the detail-type
// "Security Hub Findings Imported V2" ([MisleadingDetailType]). AWS never
// sends that value, so a rule using it matches nothing: the builder refuses
// it with [ErrDetailTypeNeverSent], and [Pattern.Warnings] flags it in a
// parsed pattern.
//
//	p, err := eventbridge.NewSecurityHubRule().
//		Severity("High", "Critical").
//		ProductName("GuardDuty").
//		ResourceType("AWS::EC2::Instance").
//		Pattern()
//
// # Matching
//
// [Compile] turns a pattern into a [Matcher]; [NewRuleSet] compiles many
// named patterns into a [RuleSet], which reads each event once and returns
// the names of the rules that match. Both are immutable and safe for
// concurrent use, and match raw JSON (Match), decoded values (MatchValue)
// and bare findings (MatchFinding, which presents a finding as
// detail.findings[0] of a "Findings Imported V2" event, so one pattern
// serves EventBridge events and the findings a remediation engine holds).
//
// The semantics are EventBridge's, as implemented by its open-source
// engine, Event Ruler:
//
//   - All fields named in a pattern must match; within a field's list, any
//     one value or operator may match. Fields the pattern does not name are
//     ignored. Keys join with dots: {"a":{"b":…}} ≡ {"a.b":…}.
//   - Exact values compare strings character by character and numbers by
//     their string form, as EventBridge documents (300 does not match
//     300.0; current Event Ruler versions also compare them numerically,
//     which this package does only for numeric and anything-but); [""]
//     matches the empty string only and [null] null only. An
//     exact string that is an IP address matches the same address however
//     it is written, as in Event Ruler.
//   - prefix, suffix (both also with equals-ignore-case), equals-ignore-case
//     and wildcard match strings only; numeric matches numbers only, as
//     float64; cidr matches IP address strings (IPv4 and IPv6; like Event
//     Ruler, the block runs from the address as written to the top of its
//     mask, and mask bits must be below 32 or 128).
//   - anything-but matches any value of the field except those its list or
//     operator (prefix, suffix, equals-ignore-case, wildcard) excludes,
//     including values of another type; the field must be present.
//   - exists:true matches a field present as a leaf (any scalar, null
//     included); exists:false matches a field that is absent, holds an
//     object, or an empty array.
//   - Arrays: a field matches when any element matches (the intersection of
//     the pattern's and the event's values is non-empty), and arrays nest
//     freely. Fields read from objects inside an array must all come from
//     the same element (Event Ruler's array consistency): {"d":{"a":[1],
//     "b":[2]}} does not match {"d":[{"a":1},{"b":2}]}. An exists:false
//     field holds when no leaf at its path is consistent with the elements
//     the other fields were matched in. (Event Ruler checks absence against
//     the fields it has matched so far, in key order; the two agree when the
//     exists:false key sorts last, as in its test data, and this package's
//     rule does not depend on key order.)
//   - $or: the object's branches are alternatives; branches may nest further
//     $or keys.
//
// Matching reads the event once, checking its syntax everywhere but keeping
// only the values at the paths the patterns use. It takes time linear in
// the event for patterns without exists:false; a pattern combining
// exists:false with other fields inside large nested arrays can need a
// search, which is bounded and reports [ErrMatchTooComplex] if exhausted.
//
// Patterns and matching are checked against Event Ruler's own test vectors
// (see the package tests) and against the examples of the EventBridge user
// guide.
package eventbridge
