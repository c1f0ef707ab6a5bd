package listener

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// Handler is the EventBridge API-destination endpoint: an [http.Handler]
// that authenticates, bounds, decodes and validates each request, hands its
// findings to the [Sink] and answers with a status chosen for EventBridge's
// retry rules (see the package doc). Create it with [New]; it is safe for
// concurrent use.
type Handler struct {
	o           Options
	auth        *Authenticator
	sem         chan struct{} // nil when unlimited
	detailTypes map[string]bool
	retryAfter  string
	challenges  []string

	mu       sync.Mutex
	inflight int
	draining bool
	idle     chan struct{}
	claimed  map[string]struct{} // delivery keys being processed
}

// New validates opts and returns a Handler. It fails closed: without a
// credential it returns an error wrapping [ErrNoCredentials].
func New(opts Options) (*Handler, error) {
	auth, err := NewAuthenticator(opts.Credentials)
	if err != nil {
		return nil, err
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	h := &Handler{o: o, auth: auth, detailTypes: map[string]bool{}, claimed: map[string]struct{}{}}
	if o.MaxInFlight > 0 {
		h.sem = make(chan struct{}, o.MaxInFlight)
	}
	for _, dt := range o.DetailTypes {
		h.detailTypes[dt] = true
	}
	h.retryAfter = strconv.Itoa(int((o.RetryAfter + time.Second - 1) / time.Second))
	if auth.OAuthEnabled() {
		h.challenges = append(h.challenges, `Bearer realm="ocsfhub"`)
	}
	if len(auth.basic) > 0 {
		h.challenges = append(h.challenges, `Basic realm="ocsfhub", charset="UTF-8"`)
	}
	if len(auth.apiKeys) > 0 {
		h.challenges = append(h.challenges, `APIKey realm="ocsfhub"`)
	}
	return h, nil
}

// HandoffTimeout returns the per-request budget in effect, for sizing the
// shutdown grace period (see the package doc).
func (h *Handler) HandoffTimeout() time.Duration { return h.o.HandoffTimeout }

// request is one delivery, from HTTP or from a dead letter being replayed.
type request struct {
	start       time.Time
	body        []byte
	idemKey     string
	contentType string
	replay      bool
}

// result is how processing a request ended.
type result struct {
	outcome   Outcome
	status    int
	reason    string   // short, safe to log and to answer
	problems  []string // validation problems
	err       error    // the underlying error, for the log only
	eventID   string
	ev        *ocsf.Event
	summaries []ocsf.Summary
	warnings  int
	warnCodes []string // distinct codes of the warnings
	dlID      string
	auth      AuthMethod
}

func (r *result) deadLettered() bool {
	switch r.outcome {
	case OutcomeMalformed, OutcomeInvalid, OutcomeRejected:
		return true
	}
	return false
}

// ServeHTTP handles one EventBridge delivery. The steps, each answered as in
// the package-doc table: method, credentials (before the body is touched),
// media type, declared size, a processing slot, the Idempotency-Key
// duplicate check, the bounded body read, nesting, the envelope, each
// finding's decoding and validation, the event-id duplicate check, and the
// hand-off of every finding to the Sink under the deadline.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !h.enter() {
		h.finish(r.Context(), w, r, start, &result{outcome: OutcomeOverloaded, status: http.StatusServiceUnavailable, reason: "shutting down"})
		return
	}
	// leave only after the answer is written: Drain waits for it.
	defer h.leave()
	res := h.serve(w, r, start)
	h.finish(r.Context(), w, r, start, res)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, start time.Time) *result {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return &result{outcome: OutcomeMethodNotAllowed, status: http.StatusMethodNotAllowed, reason: "use POST"}
	}
	method, err := h.auth.Authenticate(r.Header)
	if err != nil {
		var ae *AuthError
		tried := AuthNone
		if errors.As(err, &ae) {
			tried = ae.Method
		}
		status := h.o.StaticAuthFailureStatus
		if tried == AuthBearer || (tried == AuthNone && h.auth.OAuthEnabled()) || !h.auth.StaticEnabled() {
			status = http.StatusUnauthorized
		}
		if status == http.StatusUnauthorized {
			for _, c := range h.challenges {
				if tried == AuthBearer && strings.HasPrefix(c, "Bearer ") {
					c += `, error="invalid_token"`
				}
				w.Header().Add("WWW-Authenticate", c)
			}
		}
		return &result{outcome: OutcomeUnauthenticated, status: status, reason: "authentication required", err: err, auth: tried}
	}
	res := &result{auth: method}
	if !acceptableMediaType(r.Header.Get("Content-Type")) {
		res.outcome, res.status, res.reason = OutcomeUnsupportedMedia, http.StatusUnsupportedMediaType, "Content-Type must be application/json (UTF-8)"
		return res
	}
	if r.ContentLength > h.o.MaxBodyBytes {
		res.outcome, res.status, res.reason = OutcomeTooLarge, http.StatusRequestEntityTooLarge, "body over "+strconv.FormatInt(h.o.MaxBodyBytes, 10)+" bytes"
		return res
	}
	deadline := start.Add(h.o.HandoffTimeout)
	// Everything after this point runs under a context that outlives the
	// client's connection (so a durable write that has begun is finished,
	// never abandoned half-way) but not the hand-off budget.
	ctx, cancel := context.WithDeadline(context.WithoutCancel(r.Context()), deadline)
	defer cancel()
	if !h.acquire(ctx) {
		w.Header().Set("Retry-After", h.retryAfter)
		res.outcome, res.status, res.reason = OutcomeOverloaded, http.StatusServiceUnavailable, "too many requests in flight"
		return res
	}
	defer h.release()

	in := &request{start: start, contentType: r.Header.Get("Content-Type")}
	if k := r.Header.Get("Idempotency-Key"); k != "" && len(k) <= maxIdempotencyKey {
		in.idemKey = k
		if seen, err := h.o.Seen.Seen(ctx, "idem:"+k); err != nil {
			h.o.Logger.LogAttrs(ctx, slog.LevelWarn, "seen store lookup failed", slog.String("error", err.Error()))
		} else if seen {
			res.outcome, res.status, res.reason = OutcomeDuplicate, http.StatusOK, "already accepted"
			return res
		}
	}
	_ = http.NewResponseController(w).SetReadDeadline(deadline) // not supported by every ResponseWriter
	body, err := readBody(http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			res.outcome, res.status, res.reason = OutcomeTooLarge, http.StatusRequestEntityTooLarge, "body over "+strconv.FormatInt(h.o.MaxBodyBytes, 10)+" bytes"
			return res
		}
		// The client went away or was too slow; it will retry. Nothing
		// complete arrived, so there is nothing to keep.
		// 504, not 408: EventBridge does not retry 408.
		res.outcome, res.status, res.reason, res.err = OutcomeTimeout, http.StatusGatewayTimeout, "body could not be read in time", err
		return res
	}
	in.body = body
	pres := h.process(ctx, in)
	pres.auth = method
	return pres
}

// finish writes the answer, the log record and the observation.
func (h *Handler) finish(ctx context.Context, w http.ResponseWriter, r *http.Request, start time.Time, res *result) {
	switch res.status {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", h.retryAfter)
	}
	writeJSON(w, res.status, h.answer(res))
	h.report(ctx, start, res, r.RemoteAddr, false)
}

// answer is the JSON body of a response: small, and free of credentials.
func (h *Handler) answer(res *result) any {
	type answer struct {
		Status     Outcome  `json:"status"`
		EventID    string   `json:"event_id,omitempty"`
		Findings   int      `json:"findings,omitempty"`
		Error      string   `json:"error,omitempty"`
		Problems   []string `json:"problems,omitempty"`
		DeadLetter string   `json:"dead_letter,omitempty"`
	}
	a := answer{Status: res.outcome, EventID: res.eventID, DeadLetter: res.dlID}
	if res.outcome == OutcomeAccepted || res.outcome == OutcomeDuplicate {
		a.Findings = len(res.summaries)
	} else {
		a.Error = res.reason
		a.Problems = res.problems
		if len(a.Problems) > 20 {
			a.Problems = append(a.Problems[:20:20], fmt.Sprintf("... and %d more", len(res.problems)-20))
		}
	}
	return a
}

// report logs one record and notifies the Observer.
func (h *Handler) report(ctx context.Context, start time.Time, res *result, remote string, replay bool) {
	lat := time.Since(start)
	if h.o.Observer != nil {
		h.o.Observer.Observe(Observation{Outcome: res.outcome, Status: res.status, Auth: res.auth, EventID: res.eventID,
			Findings: len(res.summaries), Latency: lat, Replay: replay})
	}
	level := slog.LevelInfo
	switch {
	case res.status >= 500:
		level = slog.LevelError
	case res.status >= 400:
		level = slog.LevelWarn
	}
	if !h.o.Logger.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("outcome", string(res.outcome)),
		slog.Int("status", res.status),
		slog.Duration("latency", lat))
	if res.auth != AuthNone {
		attrs = append(attrs, slog.String("auth", string(res.auth)))
	}
	if res.eventID != "" {
		attrs = append(attrs, slog.String("event_id", res.eventID))
	}
	if res.ev != nil && res.ev.Account != "" {
		attrs = append(attrs, slog.String("account", res.ev.Account))
	}
	switch len(res.summaries) {
	case 0:
	case 1:
		s := res.summaries[0]
		attrs = append(attrs, slog.String("finding_uid", s.UID), slog.Int("class_uid", int(s.ClassUID)))
		if res.ev == nil || res.ev.Account == "" {
			attrs = append(attrs, slog.String("account", s.AccountUID))
		}
	default:
		uids := make([]string, len(res.summaries))
		classes := make([]int, len(res.summaries))
		for i, s := range res.summaries {
			uids[i], classes[i] = s.UID, int(s.ClassUID)
		}
		attrs = append(attrs, slog.Any("finding_uid", uids), slog.Any("class_uid", classes))
	}
	if res.warnings > 0 {
		attrs = append(attrs, slog.Int("warnings", res.warnings), slog.Any("warning_codes", res.warnCodes))
	}
	if res.outcome != OutcomeAccepted && res.outcome != OutcomeDuplicate {
		attrs = append(attrs, slog.String("reason", res.reason))
		if len(res.problems) > 0 {
			attrs = append(attrs, slog.Any("problems", res.problems[:min(len(res.problems), 5)]))
		}
		if res.err != nil {
			attrs = append(attrs, slog.String("error", res.err.Error()))
		}
	}
	if res.dlID != "" {
		attrs = append(attrs, slog.String("dead_letter", res.dlID))
	}
	if replay {
		attrs = append(attrs, slog.Bool("replay", true))
	} else if remote != "" {
		attrs = append(attrs, slog.String("remote_addr", remote))
	}
	h.o.Logger.LogAttrs(ctx, level, "eventbridge delivery", attrs...)
}

// process decodes, validates, deduplicates and hands off one delivery, and
// dead-letters it when it is refused permanently. It never reads the
// request's own context: ctx is detached from the client and bounded by the
// hand-off deadline.
func (h *Handler) process(ctx context.Context, in *request) *result {
	res := h.decideAndHandOff(ctx, in)
	if res.deadLettered() && !in.replay {
		dl := &DeadLetter{Received: in.start.UTC(), Status: res.status, Outcome: res.outcome, Reason: res.reason,
			Problems: res.problems, EventID: res.eventID, IdempotencyKey: in.idemKey, ContentType: in.contentType, Body: in.body}
		// A fresh deadline: the letter must be written even if the budget
		// is spent, or the request would be lost (4xx is not retried).
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.o.HandoffTimeout)
		id, err := h.o.DeadLetters.Put(dctx, dl)
		cancel()
		if err != nil {
			// Not kept: answer 500 so that EventBridge retries (and finally
			// uses its own dead-letter queue) instead of dropping it.
			res.err = errors.Join(res.err, err)
			res.reason = res.reason + "; dead letter not stored"
			res.outcome, res.status = OutcomeInternalError, http.StatusInternalServerError
		} else {
			res.dlID = id
		}
	}
	return res
}

func (h *Handler) decideAndHandOff(ctx context.Context, in *request) *result {
	res := &result{}
	refuse := func(o Outcome, status int, reason string, err error) *result {
		res.outcome, res.status, res.reason, res.err = o, status, reason, err
		return res
	}
	scan := scanJSON(in.body, h.o.MaxDepth)
	if scan.tooDeep {
		return refuse(OutcomeMalformed, http.StatusBadRequest, "JSON nested deeper than "+strconv.Itoa(h.o.MaxDepth), nil)
	}
	if !scan.object {
		if !json.Valid(in.body) {
			return refuse(OutcomeMalformed, http.StatusBadRequest, "malformed JSON", nil)
		}
		return refuse(OutcomeInvalid, http.StatusUnprocessableEntity, "body is not a JSON object", nil)
	}
	if !scan.hasDetail && !scan.hasFindings {
		// Keys spelled with escapes, or neither key: ask encoding/json.
		var probe struct {
			Detail   json.RawMessage `json:"detail"`
			Findings json.RawMessage `json:"findings"`
		}
		if err := json.Unmarshal(in.body, &probe); err != nil {
			return refuse(OutcomeMalformed, http.StatusBadRequest, "malformed JSON", err)
		}
		scan.hasDetail, scan.hasFindings = probe.Detail != nil, probe.Findings != nil
	}
	var ev *ocsf.Event
	switch {
	case scan.hasDetail:
		var err error
		ev, err = ocsf.DecodeEvent(in.body)
		if err != nil {
			return refuse(decodeOutcome(err), decodeStatus(err), "envelope does not decode", err)
		}
		res.eventID = ev.ID
		res.ev = ev
		switch {
		case ev.ID == "":
			return refuse(OutcomeInvalid, http.StatusUnprocessableEntity, "envelope has no id", nil)
		case ev.Source != SecurityHubSource:
			return refuse(OutcomeInvalid, http.StatusUnprocessableEntity, "envelope source is not "+SecurityHubSource, nil)
		case !h.detailTypes[ev.DetailType]:
			return refuse(OutcomeInvalid, http.StatusUnprocessableEntity, "detail-type "+strconv.Quote(truncate(ev.DetailType, 64))+" is not accepted", nil)
		}
	case scan.hasFindings:
		// Only the detail: the envelope fields stay empty.
		ev = &ocsf.Event{}
		if err := json.Unmarshal(in.body, &ev.Detail); err != nil {
			return refuse(decodeOutcome(err), decodeStatus(err), "detail does not decode", err)
		}
		res.ev = ev
	default:
		return refuse(OutcomeInvalid, http.StatusUnprocessableEntity, "neither an EventBridge event nor a detail with findings", nil)
	}
	raws := ev.Detail.Findings
	switch {
	case len(raws) == 0:
		return refuse(OutcomeInvalid, http.StatusUnprocessableEntity, "no findings", nil)
	case len(raws) > h.o.MaxFindings:
		return refuse(OutcomeInvalid, http.StatusUnprocessableEntity, "more than "+strconv.Itoa(h.o.MaxFindings)+" findings", nil)
	}

	// Keys under which this delivery is remembered.
	var keys []string
	if ev.ID != "" {
		keys = append(keys, "event:"+ev.ID)
	}
	if in.idemKey != "" {
		keys = append(keys, "idem:"+in.idemKey)
	}
	if len(keys) == 0 {
		sum := sha256.Sum256(in.body)
		keys = append(keys, "body:"+hex.EncodeToString(sum[:]))
	}
	for _, k := range keys {
		if h.seen(ctx, k) {
			res.outcome, res.status, res.reason = OutcomeDuplicate, http.StatusOK, "already accepted"
			return res
		}
	}
	// A redelivery that arrives while the first delivery is still being
	// handed over (EventBridge gave up waiting and retried) must not reach
	// the Sink a second time: 409 makes EventBridge retry it later, when it
	// will be a duplicate (or, if the first failed, the one that succeeds).
	release, ok := h.claim(keys)
	if !ok {
		return refuse(OutcomeInProgress, http.StatusConflict, "the same event is being processed", nil)
	}
	defer release()

	// Decode and validate every finding before handing over any, so that an
	// invalid second finding does not leave the first half-accepted.
	findings := make([]ocsf.Finding, len(raws))
	res.summaries = make([]ocsf.Summary, len(raws))
	for i, raw := range raws {
		f, err := ocsf.Decode(raw)
		if err != nil {
			res.summaries = res.summaries[:i]
			return refuse(OutcomeInvalid, http.StatusUnprocessableEntity, fmt.Sprintf("finding %d does not decode", i), err)
		}
		findings[i] = f
		res.summaries[i] = f.Summary()
		vr := h.o.Validator.Validate(raw)
		for _, p := range vr.Errors() {
			res.problems = append(res.problems, fmt.Sprintf("findings/%d%s: %s: %s", i, p.Pointer, p.Code, p.Message))
		}
		for _, p := range vr.Warnings() {
			res.warnings++
			if !slices.Contains(res.warnCodes, p.Code) {
				res.warnCodes = append(res.warnCodes, p.Code)
			}
		}
	}
	if len(res.problems) > 0 {
		return refuse(OutcomeInvalid, http.StatusUnprocessableEntity, "finding does not validate", nil)
	}

	for i, f := range findings {
		// For several findings, remember each one handed over, so a retry
		// after a failure part-way does not hand the first ones over again.
		var partKey string
		if len(findings) > 1 {
			partKey = keys[0] + "#" + strconv.Itoa(i)
			if h.seen(ctx, partKey) {
				continue
			}
		}
		if err := ctx.Err(); err != nil {
			return refuse(OutcomeTimeout, http.StatusGatewayTimeout, "hand-off budget exhausted", err)
		}
		if err := h.o.Sink.Accept(ctx, ev, f); err != nil {
			switch {
			case isPermanent(err):
				return refuse(OutcomeRejected, http.StatusUnprocessableEntity, fmt.Sprintf("finding %d rejected by the sink", i), err)
			case ctx.Err() != nil && errors.Is(err, ctx.Err()):
				return refuse(OutcomeTimeout, http.StatusGatewayTimeout, "sink did not accept in time", err)
			default:
				return refuse(OutcomeSinkError, http.StatusServiceUnavailable, "sink failed", err)
			}
		}
		if partKey != "" {
			h.markSeen(ctx, partKey)
		}
	}
	for _, k := range keys {
		h.markSeen(ctx, k)
	}
	res.outcome, res.status = OutcomeAccepted, http.StatusOK
	return res
}

func (h *Handler) seen(ctx context.Context, key string) bool {
	ok, err := h.o.Seen.Seen(ctx, key)
	if err != nil {
		h.o.Logger.LogAttrs(ctx, slog.LevelWarn, "seen store lookup failed", slog.String("error", err.Error()))
		return false
	}
	return ok
}

func (h *Handler) markSeen(ctx context.Context, key string) {
	// The Sink has the finding; a failure here only weakens duplicate
	// detection, so it is logged, not answered.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := h.o.Seen.MarkSeen(mctx, key, h.o.DedupeTTL); err != nil {
		h.o.Logger.LogAttrs(ctx, slog.LevelWarn, "seen store update failed", slog.String("error", err.Error()))
	}
}

// isPermanent reports whether a Sink error rejects the finding for good:
// it wraps ErrRejected, or an error with a Permanent() bool method that
// returns true (so a Sink in a package that may not import listener, such as
// the remediation engine, can say so structurally).
func isPermanent(err error) bool {
	if errors.Is(err, ErrRejected) {
		return true
	}
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// decodeOutcome tells malformed JSON (400) from well-formed JSON of the
// wrong shape (422).
func decodeOutcome(err error) Outcome {
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
		return OutcomeMalformed
	}
	return OutcomeInvalid
}

func decodeStatus(err error) int {
	if decodeOutcome(err) == OutcomeMalformed {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// acceptableMediaType accepts application/json and application/*+json, with
// no charset or a UTF-8 one (JSON is UTF-8, RFC 8259 §8.1).
func acceptableMediaType(ct string) bool {
	if ct == "" {
		return false
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return false
	}
	return true
}

// readBody reads r to the end into one buffer sized from Content-Length.
func readBody(r io.Reader, contentLength int64) ([]byte, error) {
	size := int64(16 << 10)
	if contentLength > 0 {
		size = contentLength + 1 // +1 so that a correct length ends with EOF, not a copy
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// claim marks keys as being processed; it fails if one already is.
func (h *Handler) claim(keys []string) (release func(), ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range keys {
		if _, busy := h.claimed[k]; busy {
			return nil, false
		}
	}
	for _, k := range keys {
		h.claimed[k] = struct{}{}
	}
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, k := range keys {
			delete(h.claimed, k)
		}
	}, true
}

// enter registers a request; it fails once Drain has begun.
func (h *Handler) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.draining {
		return false
	}
	h.inflight++
	return true
}

func (h *Handler) leave() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.inflight--
	if h.draining && h.inflight == 0 && h.idle != nil {
		close(h.idle)
		h.idle = nil
	}
}

// Drain makes the Handler answer every new request 503 with Retry-After
// (EventBridge retries it, for instance against another replica) and waits
// until the requests already inside have finished, or ctx is done. It does
// not stop the server; see the package doc for the shutdown sequence. After
// Drain the Handler stays draining.
func (h *Handler) Drain(ctx context.Context) error {
	h.mu.Lock()
	h.draining = true
	if h.inflight == 0 {
		h.mu.Unlock()
		return nil
	}
	if h.idle == nil {
		h.idle = make(chan struct{})
	}
	idle := h.idle
	h.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("listener: drain: %w", context.Cause(ctx))
	}
}

func (h *Handler) acquire(ctx context.Context) bool {
	if h.sem == nil {
		return true
	}
	select {
	case h.sem <- struct{}{}:
		return true
	default:
	}
	if h.o.QueueWait <= 0 {
		return false
	}
	t := time.NewTimer(h.o.QueueWait)
	defer t.Stop()
	select {
	case h.sem <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (h *Handler) release() {
	if h.sem != nil {
		<-h.sem
	}
}

var _ http.Handler = (*Handler)(nil)
