package listener

import (
	"context"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// Sink receives the findings the listener accepts. The remediation engine
// implements it; so can any user code.
//
// Contract:
//   - Accept returns nil only once f is durably stored (on disk, in a queue):
//     the listener then answers 2xx and EventBridge forgets the event.
//   - An error means "not stored". Unless it wraps [ErrRejected], the
//     listener answers a status EventBridge retries (503, or 504 when ctx
//     expired), so Accept will be called again with the same finding.
//   - An error wrapping [ErrRejected], or one whose chain holds an error with
//     a method Permanent() bool returning true (for Sinks in packages that
//     do not import listener), rejects f permanently: the listener answers
//     422 and keeps the request in its dead-letter store.
//   - Accept must be idempotent: EventBridge delivers at least once, and the
//     listener's duplicate detection is best-effort (a crash between the
//     Sink's write and the listener recording the event id, or a seen-id
//     store that expired, lets a duplicate through).
//   - ctx carries the hand-off deadline (a few seconds, well inside
//     EventBridge's 5 s). It is not cancelled when the client disconnects
//     or the server begins shutting down, so a write that has begun can
//     finish; Accept should still return promptly when ctx is done.
//   - ev is the EventBridge envelope; for a request that carried only the
//     detail (target InputPath $.detail) its envelope fields are empty.
//     Neither ev nor f may be modified; both stay valid after Accept returns.
//   - Accept is called concurrently from many requests. Findings of one
//     event are handed over in order, one at a time.
type Sink interface {
	Accept(ctx context.Context, ev *ocsf.Event, f ocsf.Finding) error
}

// SinkFunc adapts a function to the [Sink] interface.
type SinkFunc func(ctx context.Context, ev *ocsf.Event, f ocsf.Finding) error

// Accept calls fn(ctx, ev, f).
func (fn SinkFunc) Accept(ctx context.Context, ev *ocsf.Event, f ocsf.Finding) error {
	return fn(ctx, ev, f)
}

var _ Sink = SinkFunc(nil)
