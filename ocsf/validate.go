package ocsf

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ocsfhub/ocsfhub/ocsf/internal/validator"
)

// Mode selects how tolerant a [Validator] is.
type Mode int

const (
	// ModeCompatible, the default, is fit for real Security Hub feeds: what
	// real output does that is not a data-integrity problem is a warning
	// (attributes the schema version in use does not know, a later or
	// prerelease metadata.version, observables[].name values that are not
	// attribute paths, profile names the schema does not define).
	ModeCompatible Mode = iota
	// ModeStrict follows the OCSF server's validator: those are errors too.
	ModeStrict
)

// String returns "compatible" or "strict".
func (m Mode) String() string {
	switch m {
	case ModeCompatible:
		return "compatible"
	case ModeStrict:
		return "strict"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ProblemSeverity is the severity of a validation [Problem] (not the
// severity of a finding).
type ProblemSeverity int

const (
	// SeverityError marks a data-integrity problem: the finding does not conform.
	SeverityError ProblemSeverity = iota
	// SeverityWarning marks a deviation a consumer can tolerate.
	SeverityWarning
)

// String returns "error" or "warning".
func (s ProblemSeverity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return fmt.Sprintf("ProblemSeverity(%d)", int(s))
}

// MarshalText encodes the severity as its name.
func (s ProblemSeverity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Problem is one thing a [Validator] found.
type Problem struct {
	Severity ProblemSeverity `json:"severity"`
	// Pointer is an RFC 6901 JSON pointer into the validated finding ("" is
	// the finding itself), e.g. "/resources/0/provider".
	Pointer string `json:"pointer"`
	// Code is stable; see the Code constants.
	Code string `json:"code"`
	// Message explains the problem in plain words.
	Message string `json:"message"`
}

// Problem codes ([Problem.Code]). They are stable: callers may switch on
// them. Where the severity depends on the mode it says so; otherwise the
// code has the same severity in both modes.
const (
	CodeJSON                 = validator.CodeJSON                 // not well-formed JSON, or not an object (error)
	CodeLimitSize            = validator.CodeLimitSize            // larger than ValidatorOptions.MaxBytes (error)
	CodeLimitDepth           = validator.CodeLimitDepth           // nested deeper than ValidatorOptions.MaxDepth (error)
	CodeLimitValues          = validator.CodeLimitValues          // more values than ValidatorOptions.MaxValues (error)
	CodeLimitProblems        = validator.CodeLimitProblems        // over 1000 problems; the rest are not reported (error if an unreported one is)
	CodeClassUnknown         = validator.CodeClassUnknown         // class_uid names no class of the version in use (error; warning in compatible mode for a version later than every embedded one)
	CodeRequired             = validator.CodeRequired             // a required attribute is missing (error)
	CodeRecommended          = validator.CodeRecommended          // a recommended attribute is missing, with WarnMissingRecommended (warning)
	CodeType                 = validator.CodeType                 // wrong JSON type, or an integer written as 1.0 (error)
	CodeEnum                 = validator.CodeEnum                 // not a defined enum value (error; warning in compatible mode for a version later than every embedded one)
	CodeRange                = validator.CodeRange                // integer outside its type's range or outside 64 bits (error)
	CodeMaxLength            = validator.CodeMaxLength            // string longer than its type allows (error)
	CodeFormat               = validator.CodeFormat               // string does not match its type's pattern, e.g. datetime_t (warning)
	CodeUnknownAttribute     = validator.CodeUnknownAttribute     // attribute the version in use does not define (error in strict mode, warning in compatible mode)
	CodeProfileInactive      = validator.CodeProfileInactive      // attribute of a profile metadata.profiles does not list (error; warning in compatible mode for a version later than every embedded one)
	CodeProfileUnknown       = validator.CodeProfileUnknown       // metadata.profiles names an undefined profile (error in strict mode, warning in compatible mode)
	CodeTypeUIDMismatch      = validator.CodeTypeUIDMismatch      // type_uid != class_uid*100 + activity_id (error)
	CodeConstraintAtLeastOne = validator.CodeConstraintAtLeastOne // none of an at_least_one constraint's attributes is present (error)
	CodeConstraintJustOne    = validator.CodeConstraintJustOne    // not exactly one of a just_one constraint's attributes is present (error)
	CodeEnumCaptionMismatch  = validator.CodeEnumCaptionMismatch  // an enum's string sibling differs from the value's caption (warning)
	CodeObservableName       = validator.CodeObservableName       // observables[].name is not an attribute path of the class (error in strict mode, warning in compatible mode)
	CodeDeprecated           = validator.CodeDeprecated           // a deprecated class, object, attribute or enum value (warning)
	CodeDuplicateKey         = validator.CodeDuplicateKey         // the same key twice in one object (warning)
	CodeVersionInvalid       = validator.CodeVersionInvalid       // metadata.version is not a semantic version (error; "1.6" is a warning in compatible mode)
	CodeVersionNewer         = validator.CodeVersionNewer         // metadata.version later than the schema used (error in strict mode, warning in compatible mode)
	CodeVersionPrerelease    = validator.CodeVersionPrerelease    // metadata.version is a prerelease such as 1.8.0-dev (error in strict mode, warning in compatible mode)
	CodeVersionOlder         = validator.CodeVersionOlder         // metadata.version 1.5.x, checked against 1.6.0 (warning; error in strict mode for a prerelease)
	CodeVersionUnsupported   = validator.CodeVersionUnsupported   // metadata.version before 1.5.0, checked against 1.6.0 (warning; error in strict mode for a prerelease or 0.x)
	CodeSchema               = validator.CodeSchema               // any other schema violation (error)
)

// Result is the outcome of validating one finding.
type Result struct {
	// ClassUID is the finding's class_uid (0 when absent or not an integer).
	ClassUID ClassUID `json:"class_uid"`
	// Version is metadata.version as the finding claims it.
	Version string `json:"version"`
	// SchemaVersion is the embedded OCSF version the finding was checked
	// against: its own when embedded (1.6.0, 1.7.0, 1.8.0), otherwise the
	// nearest. Empty when validation stopped before choosing one.
	SchemaVersion string `json:"schema_version"`
	// Problems are ordered by pointer, then code; at most 1000 are
	// reported (the last one then has code limit_problems).
	Problems []Problem `json:"problems"`
}

// Errors returns the problems of severity error.
func (r *Result) Errors() []Problem { return r.filter(SeverityError) }

// Warnings returns the problems of severity warning.
func (r *Result) Warnings() []Problem { return r.filter(SeverityWarning) }

func (r *Result) filter(s ProblemSeverity) []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

// Valid reports whether the finding has no error (warnings allowed).
func (r *Result) Valid() bool {
	for _, p := range r.Problems {
		if p.Severity == SeverityError {
			return false
		}
	}
	return true
}

// Err returns nil when the finding is valid, otherwise a *ValidationError
// listing its errors.
func (r *Result) Err() error {
	if r.Valid() {
		return nil
	}
	return &ValidationError{ClassUID: r.ClassUID, SchemaVersion: r.SchemaVersion, Problems: r.Errors()}
}

// ValidationError reports that a finding does not conform. Get it with
// errors.As from [Result.Err].
type ValidationError struct {
	ClassUID      ClassUID
	SchemaVersion string
	Problems      []Problem // the errors, never empty
}

// Error lists the first few problems.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ocsf: invalid finding (class_uid %d, OCSF %s): %d error", e.ClassUID, e.SchemaVersion, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	for i, p := range e.Problems {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-i)
			break
		}
		ptr := p.Pointer
		if ptr == "" {
			ptr = "/"
		}
		fmt.Fprintf(&b, "; %s: %s: %s", ptr, p.Code, p.Message)
	}
	return b.String()
}

// ValidatorOptions configure a [Validator]. A nil or zero ValidatorOptions
// gives the defaults.
type ValidatorOptions struct {
	// Mode is ModeCompatible (the default) or ModeStrict.
	Mode Mode
	// Logger receives debug records (schema compilation); nil discards.
	Logger *slog.Logger
	// WarnMissingRecommended also reports missing recommended attributes,
	// as warnings (code recommended).
	WarnMissingRecommended bool
	// MaxBytes is the largest finding accepted, in bytes (default 1 MiB).
	MaxBytes int
	// MaxDepth is the deepest nesting of objects and arrays accepted
	// (default 64; the finding itself is depth 1).
	MaxDepth int
	// MaxValues is the largest number of JSON values accepted (default
	// 100,000).
	MaxValues int
	// CacheSize is how many compiled JSON Schemas are kept, one per (OCSF
	// version, class, active profiles) seen (default 64). A schema takes
	// about 0.4 MB and 40 ms of CPU to compile; a feed uses a handful
	// (Security Hub: four classes, one or two profile sets). Input that
	// cycles through many class and profile combinations makes the
	// Validator compile again once the cache is full.
	CacheSize int
}

// Validator checks findings against the OCSF version they claim, honouring
// metadata.profiles. Its zero value is not usable; call [NewValidator].
// A Validator is safe for concurrent use; share one.
//
// Versions. OCSF 1.6.0, 1.7.0 and 1.8.0 are embedded, each with the
// platform extensions and the AWS extension 1.0.0 (profile
// aws/cloud_resources). A finding is checked against its own
// metadata.version when embedded; a later one (1.9.0, 2.0.0, prereleases)
// against 1.8.0, forward-compatibly: in the default mode what 1.8.0 does not
// define is a warning. 1.5.x and older versions are checked against 1.6.0,
// with a version_older or version_unsupported warning, so expect their
// differences from 1.6.0 among the problems. A finding without a usable
// metadata.version is checked against 1.6.0.
//
// Profiles. An attribute that a profile brings in (cloud, the *_dt
// attributes of datetime, resources[].region, the AWS extension's
// resources[].image, ...) is known only when metadata.profiles lists that
// profile, at every level of the finding; profile-required attributes (cloud,
// osint) are required only then.
//
// Checks. A JSON Schema generated for each (version, class, active profiles)
// and compiled once with github.com/santhosh-tekuri/jsonschema/v5 checks the
// required attributes, JSON types, enum values and unknown attributes. The
// Validator then checks what a JSON Schema cannot express: type_uid =
// class_uid*100 + activity_id, the at_least_one and just_one constraints,
// enum caption siblings, string formats, type ranges and lengths,
// deprecation, observables[].name and metadata.version. Each problem has a
// severity, an RFC 6901 pointer and a stable code (the Code constants).
//
// Limits. Input over ValidatorOptions.MaxBytes (1 MiB), nested deeper than
// MaxDepth (64) or holding more than MaxValues (100,000) JSON values is
// rejected with one problem (limit_size, limit_depth, limit_values) where
// the limit was hit; one validation allocates at most about 120 bytes per
// JSON value it reads.
type Validator struct {
	engine *validator.Engine
}

// NewValidator returns a Validator. The embedded schemas are decoded, and
// each JSON Schema compiled, on first use, then cached.
func NewValidator(opts *ValidatorOptions) (*Validator, error) {
	if opts == nil {
		opts = &ValidatorOptions{}
	}
	var mode validator.Mode
	switch opts.Mode {
	case ModeCompatible:
		mode = validator.Compatible
	case ModeStrict:
		mode = validator.Strict
	default:
		return nil, fmt.Errorf("ocsf: unknown validation mode %d", int(opts.Mode))
	}
	if opts.MaxBytes < 0 || opts.MaxDepth < 0 || opts.MaxValues < 0 || opts.CacheSize < 0 {
		return nil, fmt.Errorf("ocsf: negative validator limit")
	}
	e, err := validator.New(validator.Options{
		Mode:                   mode,
		Limits:                 validator.Limits{MaxBytes: opts.MaxBytes, MaxDepth: opts.MaxDepth, MaxValues: opts.MaxValues},
		WarnMissingRecommended: opts.WarnMissingRecommended,
		CacheSize:              opts.CacheSize,
		Logger:                 opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("ocsf: %w", err)
	}
	return &Validator{engine: e}, nil
}

// Validate checks one bare finding (the JSON of one element of an
// EventBridge event's detail.findings). It never fails: unusable input is
// reported as problems (codes json and limit_*).
func (v *Validator) Validate(data []byte) *Result {
	rep := v.engine.Validate(data)
	res := &Result{Version: rep.Version, SchemaVersion: rep.SchemaVersion}
	if rep.HasClassUID && rep.ClassUID >= -1<<31 && rep.ClassUID < 1<<31 {
		res.ClassUID = ClassUID(rep.ClassUID)
	}
	if len(rep.Problems) > 0 {
		res.Problems = make([]Problem, len(rep.Problems))
		for i, p := range rep.Problems {
			sev := SeverityError
			if p.Severity == validator.Warning {
				sev = SeverityWarning
			}
			res.Problems[i] = Problem{Severity: sev, Pointer: p.Pointer, Code: p.Code, Message: p.Message}
		}
	}
	return res
}

// SchemaVersions returns the embedded OCSF versions, oldest first.
func (v *Validator) SchemaVersions() []string { return v.engine.Versions() }

// JSONSchema returns the Draft-07 JSON Schema the Validator uses for a class
// of an embedded OCSF version under a set of profiles, written with standard
// keywords only: the attributes known under those profiles (at every level),
// required = required attributes minus constraint members, closed objects
// (except the open "object" type of unmapped). The checks a JSON Schema
// cannot express (type_uid, constraints, captions, formats, version) are not
// in it.
func (v *Validator) JSONSchema(version string, class ClassUID, profiles []string) ([]byte, error) {
	if profiles == nil {
		profiles = []string{}
	}
	doc, err := v.engine.JSONSchemaFor(version, int64(class), profiles, validator.StyleValidator)
	if err != nil {
		return nil, fmt.Errorf("ocsf: %w", err)
	}
	return json.MarshalIndent(doc, "", "  ")
}
