package remediate

import (
	"context"
	"errors"
	"strings"
)

// Sentinel errors of the engine and its stores.
var (
	// ErrNotFound is returned by stores and the engine for an unknown id.
	ErrNotFound = errors.New("remediate: not found")
	// ErrNotPending is returned when approving or denying an approval that is
	// no longer pending (already decided, expired or done).
	ErrNotPending = errors.New("remediate: approval is not pending")
	// ErrKilled is returned when an action is refused because the kill switch
	// is engaged.
	ErrKilled = errors.New("remediate: kill switch engaged")
	// ErrLeased is returned by [IdempotencyStore.AcquireTask] when another
	// worker holds a live lease on the key.
	ErrLeased = errors.New("remediate: task is leased by another worker")
	// ErrLeaseLost is returned by stores when the caller's lease (on a task or
	// a queue message) expired and was taken by someone else.
	ErrLeaseLost = errors.New("remediate: lease lost")
	// ErrClosed is returned by stores after Close and by the engine after it
	// stopped.
	ErrClosed = errors.New("remediate: closed")
	// ErrEmptyToken is returned by [NewHandler] when no bearer token is set.
	ErrEmptyToken = errors.New("remediate: empty bearer token")
)

// ErrorClass tells the engine whether an error is worth retrying.
type ErrorClass int

// Error classes.
const (
	// ClassUnknown: nothing in the error says. The engine retries unknown
	// errors like transient ones, up to the attempt limit, then dead-letters.
	ClassUnknown ErrorClass = iota
	// ClassTransient: throttling, 5xx, timeouts. Retried with exponential
	// backoff and jitter.
	ClassTransient
	// ClassPermanent: access denied, invalid input, not found. Not retried;
	// the message goes to the dead-letter list with the reason.
	ClassPermanent
)

// String returns "unknown", "transient" or "permanent".
func (c ErrorClass) String() string {
	switch c {
	case ClassTransient:
		return "transient"
	case ClassPermanent:
		return "permanent"
	default:
		return "unknown"
	}
}

// ClassError is an error with an explicit class, made by [Transient] and
// [Permanent].
type ClassError struct {
	Class ErrorClass
	Err   error
}

// Error returns the wrapped error's message.
func (e *ClassError) Error() string {
	if e.Err == nil {
		return "remediate: " + e.Class.String() + " error"
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *ClassError) Unwrap() error { return e.Err }

// Permanent reports whether the error is permanent. It lets callers that do
// not import this package tell a permanent failure from a transient one: the
// listener answers a Sink error with Permanent() true by refusing the event
// (422, kept as a dead letter) instead of asking EventBridge to retry it.
func (e *ClassError) Permanent() bool { return e.Class == ClassPermanent }

// Transient marks err as transient (retried). It returns nil for nil.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &ClassError{Class: ClassTransient, Err: err}
}

// Permanent marks err as permanent (dead-lettered, not retried). It returns
// nil for nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &ClassError{Class: ClassPermanent, Err: err}
}

// Classify decides whether err is transient or permanent, looking through the
// wrap chain for, in order:
//
//   - a [*ClassError] (from [Transient] or [Permanent]);
//   - [ErrNotApplicable], [ErrKilled] (permanent) and
//     [context.DeadlineExceeded] (transient);
//   - a RetryableError() bool or Retryable() bool method (the AWS SDK's
//     retryable errors);
//   - an ErrorCode() string method (smithy.APIError and every AWS SDK typed
//     error), classified by [ClassifyCode];
//   - an HTTPStatusCode() int method (the SDK's HTTP response errors),
//     classified by [ClassifyHTTPStatus];
//   - Timeout() bool or Temporary() bool returning true (net.Error).
//
// Anything else is [ClassUnknown].
func Classify(err error) ErrorClass {
	if err == nil {
		return ClassUnknown
	}
	var ce *ClassError
	if errors.As(err, &ce) && ce.Class != ClassUnknown {
		return ce.Class
	}
	switch {
	case errors.Is(err, ErrNotApplicable), errors.Is(err, ErrKilled):
		return ClassPermanent
	case errors.Is(err, context.DeadlineExceeded):
		return ClassTransient
	}
	var re interface{ RetryableError() bool }
	if errors.As(err, &re) {
		if re.RetryableError() {
			return ClassTransient
		}
	}
	var r2 interface{ Retryable() bool }
	if errors.As(err, &r2) {
		if r2.Retryable() {
			return ClassTransient
		}
		return ClassPermanent
	}
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		if c := ClassifyCode(coded.ErrorCode()); c != ClassUnknown {
			return c
		}
	}
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		if c := ClassifyHTTPStatus(hs.HTTPStatusCode()); c != ClassUnknown {
			return c
		}
	}
	var to interface{ Timeout() bool }
	if errors.As(err, &to) && to.Timeout() {
		return ClassTransient
	}
	var tmp interface{ Temporary() bool }
	if errors.As(err, &tmp) && tmp.Temporary() {
		return ClassTransient
	}
	return ClassUnknown
}

// ClassifyCode classifies an AWS-style API error code (the value of
// smithy.APIError.ErrorCode) without importing the SDK: throttling, internal
// and unavailability codes are transient; access-denied, validation,
// "Invalid…", "….NotFound", "….Malformed" and "NoSuch…" codes are permanent;
// other codes are unknown.
func ClassifyCode(code string) ErrorClass {
	switch code {
	case "":
		return ClassUnknown
	case "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
		"RequestThrottled", "TooManyRequestsException", "ProvisionedThroughputExceededException",
		"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
		"SlowDown", "PriorRequestNotComplete", "EC2ThrottledException", "RequestTimeout",
		"RequestTimeoutException", "InternalError", "InternalFailure", "InternalServerError",
		"InternalServerException", "InternalServiceError", "ServiceUnavailable",
		"ServiceUnavailableException", "Unavailable", "ServiceException", "IDPCommunicationError",
		"ConcurrentModification", "ConcurrentModificationException", "ConflictException",
		"OperationAborted", "ExpiredToken", "ExpiredTokenException", "RequestExpired",
		"Server.InternalError", "Server.ServiceUnavailable":
		return ClassTransient
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
		"AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "ValidationException",
		"ValidationError", "MissingParameter", "MissingAction", "MalformedPolicyDocument",
		"OptInRequired", "UnsupportedOperation", "UnrecognizedClientException",
		"ResourceNotFoundException", "NotFound", "NotFoundException",
		"LimitExceeded", "LimitExceededException", "InvalidInput", "UnauthorizedException",
		"ForbiddenException", "BadRequestException":
		return ClassPermanent
	}
	switch {
	case strings.HasPrefix(code, "Invalid"), strings.HasPrefix(code, "NoSuch"),
		strings.HasSuffix(code, ".NotFound"), strings.HasSuffix(code, ".Malformed"),
		strings.HasSuffix(code, ".Duplicate"), strings.HasPrefix(code, "Client."):
		return ClassPermanent
	case strings.Contains(code, "Throttl"), strings.HasPrefix(code, "Server."):
		return ClassTransient
	}
	return ClassUnknown
}

// ClassifyHTTPStatus classifies an HTTP status code: 408, 425, 429 and 5xx
// are transient; other 4xx are permanent; anything else is unknown.
func ClassifyHTTPStatus(code int) ErrorClass {
	switch {
	case code == 408 || code == 425 || code == 429 || (code >= 500 && code <= 599):
		return ClassTransient
	case code >= 400 && code <= 499:
		return ClassPermanent
	}
	return ClassUnknown
}
