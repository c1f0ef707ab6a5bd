package cloudformation

import (
	"errors"
	"strings"
)

// Sentinel errors. A [*ConfigError] wraps one [*FieldError] per problem, and
// each FieldError wraps one of these, so errors.Is(err, ErrNotHTTPS) works on
// the error [WriteTemplate] returns.
var (
	// ErrInvalidTemplate reports a template model that cannot be rendered:
	// a dangling Ref or GetAtt, a duplicate logical name, a malformed intrinsic.
	ErrInvalidTemplate = errors.New("cloudformation: invalid template")

	// ErrRequired reports a missing required value.
	ErrRequired = errors.New("required")
	// ErrNotHTTPS reports an endpoint that is not an absolute https:// URL.
	ErrNotHTTPS = errors.New("not an https URL")
	// ErrInvalidURL reports an endpoint CloudFormation or EventBridge would reject.
	ErrInvalidURL = errors.New("invalid URL")
	// ErrMissingSecret reports a credential with neither a NoEcho parameter nor a
	// Secrets Manager reference.
	ErrMissingSecret = errors.New("missing secret: use a NoEcho parameter or a Secrets Manager reference")
	// ErrInvalidSecretRef reports a malformed Secrets Manager reference.
	ErrInvalidSecretRef = errors.New("invalid Secrets Manager reference")
	// ErrOutOfRange reports a number outside its allowed range.
	ErrOutOfRange = errors.New("out of range")
	// ErrInvalidHeaderName reports an HTTP header name that is not a token, or
	// one EventBridge removes or forbids.
	ErrInvalidHeaderName = errors.New("invalid header name")
	// ErrInvalidHeaderValue reports a header or parameter value EventBridge rejects.
	ErrInvalidHeaderValue = errors.New("invalid header value")
	// ErrInvalidName reports a resource, parameter or policy name that the
	// resource type does not accept.
	ErrInvalidName = errors.New("invalid name")
	// ErrInvalidPattern reports an event pattern that is not a non-empty JSON object.
	ErrInvalidPattern = errors.New("invalid event pattern")
	// ErrPatternTooLarge reports an event pattern above EventBridge's 4,096
	// character maximum.
	ErrPatternTooLarge = errors.New("event pattern too large")
	// ErrWrongDetailType reports the detail-type "Security Hub Findings Imported V2"
	// (from the autobotAI guide), which AWS never sends; the value is
	// "Findings Imported V2".
	ErrWrongDetailType = errors.New(`detail-type "Security Hub Findings Imported V2" matches no event; Security Hub sends "Findings Imported V2"`)
	// ErrEnvelopeFilter reports a filter on the envelope's account or region in
	// delegated-administrator home-region mode, where those are the home
	// account and Region, not the finding's.
	ErrEnvelopeFilter = errors.New("filters the envelope account/region, which in the home Region are the administrator's, not the finding's")
	// ErrConflict reports options that cannot be combined.
	ErrConflict = errors.New("conflicting options")
	// ErrInvalidTag reports a tag key or value the resources do not accept.
	ErrInvalidTag = errors.New("invalid tag")
	// ErrInvalidRegion reports a malformed AWS Region name.
	ErrInvalidRegion = errors.New("invalid Region")
	// ErrInvalidAccount reports an AWS account ID that is not 12 digits.
	ErrInvalidAccount = errors.New("invalid account ID")
)

// FieldError is one problem with one field of a [Config]. Field is the Go
// path of the field, such as "Auth.TokenEndpoint" or "Retry.MaximumEventAge".
// Err wraps a sentinel such as [ErrNotHTTPS]. Neither ever holds a secret.
type FieldError struct {
	Field string
	Err   error
}

// Error returns "Field: problem".
func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// ConfigError lists every problem found in a [Config].
type ConfigError struct {
	Problems []*FieldError
}

// Error lists every problem on one line, separated by "; ".
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("cloudformation: invalid config: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so that errors.Is and errors.As see each one.
func (e *ConfigError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Fields returns the Field of each problem, in order.
func (e *ConfigError) Fields() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Field
	}
	return out
}
