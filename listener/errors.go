package listener

import "errors"

// Configuration errors returned by [New], [NewAuthenticator] and
// [NewTokenIssuer].
var (
	// ErrNoCredentials: no authentication method is configured. The
	// listener fails closed rather than accept anonymous requests.
	ErrNoCredentials = errors.New("listener: no credentials configured")
	// ErrWeakSecret: a secret is empty or shorter than the minimum.
	ErrWeakSecret = errors.New("listener: secret too short")
	// ErrInvalidOptions: an option has an invalid value.
	ErrInvalidOptions = errors.New("listener: invalid options")
)

// Request errors.
var (
	// ErrUnauthenticated: the request carries no valid credential.
	ErrUnauthenticated = errors.New("listener: unauthenticated")
	// ErrRejected is the sentinel a [Sink] wraps to reject a finding
	// permanently (it will never be accepted, retrying is pointless). The
	// listener answers 422 and keeps the request in the dead-letter store.
	// A Sink that cannot import this package may instead return an error
	// (anywhere in its chain) with a method Permanent() bool returning true.
	// Any other Sink error is treated as transient and answered with a
	// status EventBridge retries.
	ErrRejected = errors.New("listener: finding rejected")
	// ErrDeadLetterNotFound: no dead letter has that id.
	ErrDeadLetterNotFound = errors.New("listener: dead letter not found")
)
