package listener

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// Defaults of [Options].
const (
	// DefaultMaxBodyBytes leaves headroom above EventBridge's 1 MiB entry cap
	// for the envelope fields EventBridge adds.
	DefaultMaxBodyBytes = 2 << 20
	// MinMaxBodyBytes is the smallest accepted [Options.MaxBodyBytes]:
	// EventBridge entries can be 1 MiB.
	MinMaxBodyBytes = 1 << 20
	// DefaultMaxDepth bounds JSON nesting; real Security Hub findings nest
	// about 12 levels inside the envelope.
	DefaultMaxDepth = 64
	// DefaultMaxFindings bounds findings per event (Security Hub sends one).
	DefaultMaxFindings = 100
	// DefaultHandoffTimeout is the budget from the start of a request to
	// the answer, well inside EventBridge's 5 s client timeout (which also
	// covers its TLS handshake and network time).
	DefaultHandoffTimeout = 3500 * time.Millisecond
	// DefaultMaxInFlight bounds requests processed at once.
	DefaultMaxInFlight = 256
	// DefaultQueueWait is how long a request waits for a processing slot
	// before it is answered 503.
	DefaultQueueWait = 100 * time.Millisecond
	// DefaultRetryAfter is the Retry-After of 503 answers.
	DefaultRetryAfter = 5 * time.Second
	// DefaultDedupeTTL covers EventBridge's maximum retry window (24 h)
	// with an hour to spare.
	DefaultDedupeTTL = 25 * time.Hour
	// SecurityHubSource is the only accepted envelope source.
	SecurityHubSource = "aws.securityhub"
	// DetailTypeFindingsImportedV2 is the detail-type of OCSF Security Hub findings.
	DetailTypeFindingsImportedV2 = ocsf.DetailTypeFindingsImportedV2
	// maxIdempotencyKey bounds the Idempotency-Key header used as a key.
	maxIdempotencyKey = 256
)

// Options configures a [Handler]. The zero value of every field means its
// default, except Sink, Credentials and DeadLetters, which must be set:
// [New] fails closed without credentials, and refuses to run without a
// place to keep what it rejects.
type Options struct {
	// Sink receives each accepted finding (required).
	Sink Sink
	// Credentials lists the accepted API keys, Basic users and the OAuth
	// token verifier (at least one required).
	Credentials Credentials
	// StaticAuthFailureStatus is the status for a missing or wrong API key or
	// Basic password: http.StatusUnauthorized (401, the default: EventBridge
	// retries it for up to 24 h, so a key rotated on one side first loses
	// nothing) or http.StatusForbidden (403: not retried, the event goes to
	// the rule's dead-letter queue at once). A failed bearer token is always
	// 401, which makes EventBridge fetch a new token. See the package doc.
	StaticAuthFailureStatus int
	// DeadLetters keeps the raw body of every authenticated request answered
	// 400 or 422 (required; [NewDirDeadLetters] is the file-based default).
	DeadLetters DeadLetterStore
	// Seen remembers accepted deliveries for duplicate detection. Default: a
	// [MemorySeenStore] with default options.
	Seen SeenStore
	// DedupeTTL is how long a delivery is remembered. Default [DefaultDedupeTTL].
	DedupeTTL time.Duration
	// Validator validates each finding. Default: ocsf.NewValidator with
	// ValidationMode and Logger.
	Validator *ocsf.Validator
	// ValidationMode is the mode of the default Validator
	// (ocsf.ModeCompatible, the zero value, or ocsf.ModeStrict).
	ValidationMode ocsf.Mode
	// DetailTypes are the accepted envelope detail-types. Default
	// [DetailTypeFindingsImportedV2]. The source must be [SecurityHubSource].
	DetailTypes []string
	// MaxBodyBytes is the largest accepted body; larger ones get 413.
	// Default [DefaultMaxBodyBytes]; at least [MinMaxBodyBytes].
	MaxBodyBytes int64
	// MaxDepth bounds JSON nesting (400 above it). Default [DefaultMaxDepth].
	MaxDepth int
	// MaxFindings bounds findings per request (422 above it). Default [DefaultMaxFindings].
	MaxFindings int
	// HandoffTimeout is the budget from the start of a request to its answer:
	// reading the body, validation and the Sink. Default [DefaultHandoffTimeout];
	// at most 4.5 s.
	HandoffTimeout time.Duration
	// MaxInFlight bounds authenticated requests processed at once; more wait
	// up to QueueWait, then get 503 with Retry-After. Default
	// [DefaultMaxInFlight]; negative means unlimited.
	MaxInFlight int
	// QueueWait is how long a request waits for a slot. Default [DefaultQueueWait].
	QueueWait time.Duration
	// RetryAfter is sent with 503 answers (whole seconds). Default [DefaultRetryAfter].
	RetryAfter time.Duration
	// Logger receives one record per request and never a secret. Default: discard.
	Logger *slog.Logger
	// Observer receives one [Observation] per request. Default: none.
	Observer Observer
}

// maxHandoffTimeout keeps the budget below EventBridge's 5 s.
const maxHandoffTimeout = 4500 * time.Millisecond

// withDefaults validates o and fills in defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Sink == nil {
		return o, fmt.Errorf("%w: Options.Sink is required", ErrInvalidOptions)
	}
	if o.DeadLetters == nil {
		return o, fmt.Errorf("%w: Options.DeadLetters is required (see NewDirDeadLetters)", ErrInvalidOptions)
	}
	switch o.StaticAuthFailureStatus {
	case 0:
		o.StaticAuthFailureStatus = http.StatusUnauthorized
	case http.StatusUnauthorized, http.StatusForbidden:
	default:
		return o, fmt.Errorf("%w: StaticAuthFailureStatus must be 401 or 403", ErrInvalidOptions)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Seen == nil {
		o.Seen = NewMemorySeenStore(MemorySeenOptions{})
	}
	if o.DedupeTTL == 0 {
		o.DedupeTTL = DefaultDedupeTTL
	} else if o.DedupeTTL < 0 {
		return o, fmt.Errorf("%w: negative DedupeTTL", ErrInvalidOptions)
	}
	if len(o.DetailTypes) == 0 {
		o.DetailTypes = []string{DetailTypeFindingsImportedV2}
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	} else if o.MaxBodyBytes < MinMaxBodyBytes {
		return o, fmt.Errorf("%w: MaxBodyBytes %d is below %d (EventBridge entries reach 1 MiB)", ErrInvalidOptions, o.MaxBodyBytes, MinMaxBodyBytes)
	}
	if o.MaxDepth == 0 {
		o.MaxDepth = DefaultMaxDepth
	} else if o.MaxDepth < 16 {
		return o, fmt.Errorf("%w: MaxDepth %d is too small for OCSF findings", ErrInvalidOptions, o.MaxDepth)
	}
	if o.MaxFindings == 0 {
		o.MaxFindings = DefaultMaxFindings
	} else if o.MaxFindings < 1 {
		return o, fmt.Errorf("%w: MaxFindings must be positive", ErrInvalidOptions)
	}
	if o.HandoffTimeout == 0 {
		o.HandoffTimeout = DefaultHandoffTimeout
	} else if o.HandoffTimeout < 0 || o.HandoffTimeout > maxHandoffTimeout {
		return o, fmt.Errorf("%w: HandoffTimeout %v is outside (0, %v]", ErrInvalidOptions, o.HandoffTimeout, maxHandoffTimeout)
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.QueueWait == 0 {
		o.QueueWait = DefaultQueueWait
	} else if o.QueueWait < 0 {
		o.QueueWait = 0
	}
	if o.RetryAfter == 0 {
		o.RetryAfter = DefaultRetryAfter
	} else if o.RetryAfter < time.Second {
		return o, fmt.Errorf("%w: RetryAfter must be at least 1s", ErrInvalidOptions)
	}
	if o.Validator == nil {
		v, err := ocsf.NewValidator(&ocsf.ValidatorOptions{Mode: o.ValidationMode, Logger: o.Logger})
		if err != nil {
			return o, fmt.Errorf("listener: validator: %w", err)
		}
		o.Validator = v
	}
	return o, nil
}
