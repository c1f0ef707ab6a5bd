// Package listener is the HTTPS endpoint that an Amazon EventBridge API
// destination calls with AWS Security Hub findings (OCSF, detail-type
// "Findings Imported V2"). It authenticates each request with the
// credentials of the EventBridge connection, bounds and validates it, hands
// every finding to a [Sink] and answers 2xx only once the Sink has durably
// stored it. Everything else is answered with a status chosen for
// EventBridge's retry rules, and what can never succeed is kept in a
// dead-letter store for replay.
//
//	dead, _ := listener.NewDirDeadLetters("/var/lib/ocsfhub/dead-letters")
//	h, err := listener.New(listener.Options{
//		Sink:        engine, // anything with Accept(ctx, *ocsf.Event, ocsf.Finding) error
//		Credentials: listener.Credentials{APIKeys: []listener.Secret{key}},
//		DeadLetters: dead,
//	})
//	if err != nil { ... }
//	mux.Handle("POST /findings", h)
//
// # What is accepted
//
// The body is either the whole EventBridge event (the target's default
// input) or only its detail, {"findings":[...]}, for targets configured with
// InputPath "$.detail". An event must come from source "aws.securityhub" with
// an accepted detail-type ([Options.DetailTypes], default "Findings Imported
// V2") and a non-empty id. Every finding is decoded with ocsf.Decode and
// validated with an ocsf.Validator ([Options.ValidationMode], compatible by
// default); a finding with validation errors refuses the whole request,
// warnings are counted in the log. All findings are validated before the
// first is handed over, and a request is acknowledged only when all of them
// have been accepted (Security Hub sends one per event).
//
// # Status codes
//
// EventBridge retries 401, 407, 409, 429, 5xx and timeouts, with backoff,
// for up to 24 hours and 185 attempts by default, then drops the event or
// sends it to the rule's dead-letter queue; it does not retry other 4xx. It
// honours Retry-After (the longer of it and its own backoff). The answers:
//
//	status                    outcome            when                                          EventBridge     kept locally
//	200                       accepted           every finding accepted by the Sink            done            in the Sink
//	200                       duplicate          event id / Idempotency-Key / body seen before done            (already)
//	400                       malformed          not JSON, or nested deeper than MaxDepth      not retried     dead letter
//	401 + WWW-Authenticate    unauthenticated    no or wrong credential (see below)            retried         -
//	403                       unauthenticated    wrong API key / Basic, if chosen (see below)  not retried     -
//	405 + Allow: POST         method_not_allowed not POST                                      not retried     -
//	409                       in_progress        the same event (id / key) is being processed  retried         -
//	                                             by another request right now
//	413                       too_large          body over MaxBodyBytes (default 2 MiB)        not retried     -
//	415                       unsupported_media  not application/json or application/*+json,   not retried     -
//	                                             or a charset other than UTF-8
//	422                       invalid            envelope or finding invalid (source,          not retried     dead letter
//	                                             detail-type, id, no/too many findings,
//	                                             decoding, validation errors)
//	422                       rejected           the Sink returned an error wrapping           not retried     dead letter
//	                                             ErrRejected (or with Permanent() true)
//	500                       internal_error     the dead-letter store failed                  retried         -
//	503 + Retry-After         overloaded         MaxInFlight reached for QueueWait, or Drain   retried         -
//	503 + Retry-After         sink_error         the Sink failed (any other error)             retried         -
//	504                       timeout            HandoffTimeout spent (body read or Sink)      retried         -
//
// A 400/422 is answered only after its dead letter is durably written; if
// that write fails the answer is 500, so EventBridge retries instead of
// dropping the event. 413 and 415 are not dead-lettered (the body is not
// read); EventBridge sends those events to the rule's dead-letter queue if it
// has one. Responses are small JSON objects: {"status":"accepted",
// "event_id":"…","findings":1}, or {"status":"invalid","error":"…",
// "problems":[…],"dead_letter":"…"}; they never contain a credential.
//
// # Authentication, and 401 versus 403
//
// The three EventBridge connection types are supported at once, each with
// several values so that credentials rotate without downtime
// ([Credentials]): an API key in a header (default "x-secret-key"), Basic,
// and OAuth client credentials, for which [TokenIssuer] is both the token
// endpoint and the verifier of the short-lived HS256 tokens it issues.
// Values are compared through SHA-256 digests in constant time; [New] fails
// closed without any credential, and rejects secrets shorter than
// [MinSecretLength]. Credentials are checked before anything else of the
// request (except its method) is looked at: the body of an unauthenticated
// request is never read.
//
//	credential            failure answered   why
//	OAuth bearer          401 always         EventBridge refreshes its token on 401 (and 407) and retries;
//	                                         a 403 would drop the event instead of refreshing an expired token
//	API key / Basic       401 (default)      the static secret on the two sides disagrees, typically because it
//	                      or 403 (option)    was rotated on one side first. 401 is retried with backoff for up to
//	                                         24 h / 185 attempts, so once the secret matches again every event of
//	                                         the gap is still delivered: nothing is lost. The price is retry
//	                                         traffic (cheap here: rejected before the body is read) and a delay
//	                                         before events reach the rule's DLQ. StaticAuthFailureStatus=403
//	                                         fails fast instead: no retries, the events go to the rule's DLQ at
//	                                         once (or are dropped if it has none).
//	none presented        401                with one challenge per configured method
//
// # Duplicates
//
// EventBridge delivers at least once. A delivery is remembered, after the
// Sink accepted it, under its event id, its Idempotency-Key header (set it on
// the rule target with HttpParameters.HeaderParameters {"Idempotency-Key":
// "$.id"}; a known key is answered before the body is read), and, for a bare
// detail without either, the SHA-256 of the body. A remembered delivery is
// answered 200 "duplicate" without a second hand-off. For an event with
// several findings each one is remembered as it is accepted, so a retry after
// a failure part-way hands over only the rest. A redelivery that arrives while
// the same event is still being handed over is answered 409, which EventBridge
// retries. The [SeenStore] is in memory
// by default ([MemorySeenStore]); listener/boltstore persists it across
// restarts. Duplicate detection is best-effort (a crash between the Sink's
// write and the record, an expired key), so a Sink must be idempotent.
//
// # Time budget
//
// EventBridge waits 5 s for an answer, TLS and network included.
// [Options.HandoffTimeout] (default 3.5 s, at most 4.5 s) bounds a request
// from the start of ServeHTTP: it is the read deadline of the body and the
// deadline of the context given to the Sink. That context is detached from
// the request's: a client that disconnects, or a server shutting down, does
// not cancel a Sink write that has begun, so nothing is left half-written;
// only the budget ends it, and then the answer is a retried 504. The validator
// compiles a JSON Schema the first time it meets an (OCSF version, class,
// profiles) combination, which takes a few hundred milliseconds: pass an
// [Options.Validator] that has already validated sample findings of the
// classes you expect, so that this never happens inside a request's budget.
//
// # Dead letters and replay
//
// A [DeadLetterStore] keeps the raw body of each request refused for good,
// with its reason, validation problems, event id and Idempotency-Key (never
// credentials). [DirDeadLetters], the default implementation, writes one
// file per letter in a directory. After a fix, [Handler.Replay] runs letters
// through the pipeline again: accepted or duplicate ones are deleted, those
// still refused are kept with the new reason.
//
// # Observability
//
// Each request produces one log record on [Options.Logger] (discarded by
// default): outcome, status, latency, auth method, event id, account,
// finding uid(s) and class, warnings count, reason and dead-letter id —
// never a credential or a token. [Options.Observer] receives an
// [Observation] per request for counters by outcome and latency histograms;
// [Stats] is a ready-made one.
//
// # Graceful shutdown
//
// Stop the server first, then wait for handlers still running, then close
// the Sink:
//
//	ctx, cancel := context.WithTimeout(context.Background(), h.HandoffTimeout()+2*time.Second)
//	defer cancel()
//	_ = srv.Shutdown(ctx) // stops listening, waits for in-flight requests
//	if ctx.Err() != nil {
//		_ = srv.Close() // force; hand-offs already begun still finish, by their own deadline
//	}
//	_ = h.Drain(ctx)  // new requests get 503 + Retry-After; waits for every handler to return
//	_ = sink.Close()  // only now: no Accept is running
//
// Because each hand-off is bounded by HandoffTimeout and not cancelled by
// the server, a grace period of HandoffTimeout plus a margin lets every
// in-flight request either finish its hand-off and answer 2xx, or answer a
// retried status; nothing is acknowledged without having been stored, and a
// request cut off by the process exiting was never acknowledged, so
// EventBridge delivers it again. Drain alone also serves to take one replica
// out of a load balancer.
//
// Test helpers that build authenticated EventBridge requests from fixtures
// are in listener/listenertest; a durable file Sink is in listener/filesink
// and a persistent SeenStore in listener/boltstore.
package listener
