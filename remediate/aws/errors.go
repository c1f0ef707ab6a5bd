package aws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// Sentinel errors.
var (
	// ErrNotRevoked is returned (wrapped) when AWS answered a revoke or a
	// change with success but a read-back shows the change did not happen:
	// the "silent no-op" of RevokeSecurityGroupIngress by rule properties,
	// or a key that is still Active after UpdateAccessKey.
	ErrNotRevoked = errors.New("remediate/aws: change not effective after a successful call")
	// ErrConfig is returned (wrapped) by constructors and factories for an
	// invalid configuration.
	ErrConfig = errors.New("remediate/aws: invalid configuration")
)

// Error is a failed AWS call: the IAM action that was attempted, the
// resource it was attempted on, and the SDK's error (a smithy.APIError
// carrying the AWS error code, a transport error, a context error).
//
// Errors returned by this package's remediators are *Error values wrapped
// in a [remediate.ClassError] that says whether the engine should retry
// them (see [ClassifyError]); use errors.As to get at either.
type Error struct {
	// Action is the IAM action, such as "ec2:ModifyNetworkInterfaceAttribute".
	Action string
	// Resource identifies what the call acted on ("eni-0abc", "sg-0abc").
	Resource string
	// Err is the underlying error.
	Err error
}

// Error returns "remediate/aws: <action> <resource>: <cause>".
func (e *Error) Error() string {
	if e.Resource == "" {
		return "remediate/aws: " + e.Action + ": " + e.Err.Error()
	}
	return "remediate/aws: " + e.Action + " " + e.Resource + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Code returns the AWS error code of the underlying error ("" when none).
func (e *Error) Code() string { return ErrorCode(e.Err) }

// ErrorCode returns the AWS error code in err's chain (the ErrorCode of a
// smithy.APIError), or "".
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Error codes this package classifies beyond [remediate.ClassifyCode].
var (
	transientCodes = map[string]bool{
		"ScalingActivityInProgress":             true, // Auto Scaling: retry later
		"ScalingActivityInProgressFault":        true,
		"ResourceContention":                    true, // Auto Scaling
		"ResourceContentionFault":               true,
		"EntityTemporarilyUnmodifiable":         true, // IAM
		"IncorrectState":                        true, // EC2: volume busy, ...
		"DependencyViolation":                   true, // EC2: group still in use while a change propagates
		"ConcurrentSnapshotLimitExceeded":       true,
		"SnapshotCreationPerVolumeRateExceeded": true,
		"OperationAborted":                      true, // S3: conflicting operation in progress
	}
	permanentCodes = map[string]bool{
		"UnmodifiableEntity":                   true, // IAM: service-linked role
		"OperationNotPermitted":                true, // EC2: termination/stop protection, ...
		"IncorrectInstanceState":               true, // EC2: terminated instance
		"NoSuchPublicAccessBlockConfiguration": true,
		"AccountNotFound":                      true,
		"DryRunOperation":                      true,
		"TargetGroupNotFound":                  true,
		"InvalidTarget":                        true,
		"AuthorizationHeaderMalformed":         true, // S3: wrong region
		"PermanentRedirect":                    true, // S3: wrong region
		"InvalidGroup.InUse":                   true,
		"InvalidSecurityGroupRuleId.NotFound":  true,
		"UnauthorizedOperation":                true,
		"Client.UnauthorizedOperation":         true,
		"RegionDisabledException":              true,
	}
)

// ClassifyError classifies an error of an AWS call for the engine:
// throttling, 5xx, contention and eventual-consistency codes are transient;
// access denied, validation, "not found" and other client errors are
// permanent. It knows the codes of the services this package calls (for
// example Auto Scaling's ScalingActivityInProgress, IAM's
// UnmodifiableEntity) and falls back on [remediate.Classify]. Use it as
// [remediate.Options.Classify] to classify errors of other AWS code the same
// way.
func ClassifyError(err error) remediate.ErrorClass {
	if err == nil {
		return remediate.ClassUnknown
	}
	var ce *remediate.ClassError
	if errors.As(err, &ce) && ce.Class != remediate.ClassUnknown {
		return ce.Class
	}
	if code := ErrorCode(err); code != "" {
		switch {
		case transientCodes[code]:
			return remediate.ClassTransient
		case permanentCodes[code]:
			return remediate.ClassPermanent
		}
	}
	return remediate.Classify(err)
}

// wrap turns an SDK error of one call into an *Error marked transient or
// permanent (unknown classes stay unmarked, so the engine treats them as
// retryable up to its attempt limit). Context errors are returned wrapped
// but unclassified, so errors.Is(err, context.Canceled) holds.
func wrap(action, resource string, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Action: action, Resource: resource, Err: err}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return e
	}
	switch ClassifyError(err) {
	case remediate.ClassTransient:
		return remediate.Transient(e)
	case remediate.ClassPermanent:
		return remediate.Permanent(e)
	}
	return e
}

// isCode reports whether err carries one of the AWS error codes.
func isCode(err error, codes ...string) bool {
	c := ErrorCode(err)
	if c == "" {
		return false
	}
	for _, x := range codes {
		if c == x {
			return true
		}
	}
	return false
}

// notApplicable wraps remediate.ErrNotApplicable with a reason.
func notApplicable(name, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", name, fmt.Sprintf(format, args...), remediate.ErrNotApplicable)
}

// notEffective reports a change that a read-back shows did not happen. It is
// transient: the engine applies the plan again (which re-checks live state)
// and dead-letters it after its attempt limit.
func notEffective(action, resource, format string, args ...any) error {
	return remediate.Transient(&Error{Action: action, Resource: resource,
		Err: fmt.Errorf("%w: %s", ErrNotRevoked, fmt.Sprintf(format, args...))})
}
