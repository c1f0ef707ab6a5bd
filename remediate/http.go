package remediate

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HandlerOptions configure [NewHandler].
type HandlerOptions struct {
	// Token is the bearer token every request must present
	// ("Authorization: Bearer <token>"). Required; it is never logged.
	Token string
	// MaxBodyBytes caps request bodies (default 64 KiB).
	MaxBodyBytes int64
	// Logger receives request errors (default: discarded).
	Logger *slog.Logger
}

// NewHandler returns the engine's operator API, an http.Handler serving
// (paths relative to where it is mounted; use http.StripPrefix):
//
//	GET  /approvals[?state=pending|approved|denied|expired|done|all]
//	GET  /approvals/{id}                 the approval, with its plan as text
//	POST /approvals/{id}/approve         {"actor": "...", "note": "..."}      → 202
//	POST /approvals/{id}/deny            {"actor": "...", "reason": "..."}
//	GET  /journal?finding=&plan=&decision=&since=&after=&limit=   JSON lines
//	GET  /kill-switch
//	POST /kill-switch                    {"engaged": true, "reason": "...", "actor": "..."}
//	GET  /dead-letters
//	POST /dead-letters/{id}/replay       {"actor": "..."}
//	GET  /stats
//	GET  /permissions                    IAM actions the configuration needs
//
// Every request needs the bearer token (401 otherwise; compared in constant
// time). Errors are JSON {"error": "...", "code": "..."}: 404 not_found,
// 409 not_pending or killed, 400 bad_request, 500 internal. The actor is
// whatever the caller states; put an authenticating proxy in front when
// several people share the API.
func NewHandler(e *Engine, opts HandlerOptions) (http.Handler, error) {
	if e == nil {
		return nil, errors.New("remediate: nil engine")
	}
	if opts.Token == "" {
		return nil, ErrEmptyToken
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 64 << 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{e: e, opts: opts, token: sha256.Sum256([]byte(opts.Token))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /approvals", h.listApprovals)
	mux.HandleFunc("GET /approvals/{id}", h.getApproval)
	mux.HandleFunc("POST /approvals/{id}/approve", h.approve)
	mux.HandleFunc("POST /approvals/{id}/deny", h.deny)
	mux.HandleFunc("GET /journal", h.journal)
	mux.HandleFunc("GET /kill-switch", h.getKill)
	mux.HandleFunc("POST /kill-switch", h.setKill)
	mux.HandleFunc("GET /dead-letters", h.deadLetters)
	mux.HandleFunc("POST /dead-letters/{id}/replay", h.replay)
	mux.HandleFunc("GET /stats", h.stats)
	mux.HandleFunc("GET /permissions", h.permissions)
	h.mux = mux
	return h, nil
}

type handler struct {
	e     *Engine
	opts  HandlerOptions
	token [sha256.Size]byte
	mux   *http.ServeMux
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ocsfhub-remediate"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token")
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *handler) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], h.token[:]) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": msg, "code": code})
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, ErrNotPending):
		writeError(w, http.StatusConflict, "not_pending", err.Error())
	case errors.Is(err, ErrKilled):
		writeError(w, http.StatusConflict, "killed", err.Error())
	default:
		h.opts.Logger.Error("remediate: api", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

// decode reads an optional JSON body into v.
func (h *handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body := http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var mbe *http.MaxBytesError
	switch {
	case err == nil, errors.Is(err, io.EOF): // an empty body is allowed
		return true
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "request body too large")
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "invalid JSON body: "+err.Error())
	}
	return false
}

func (h *handler) listApprovals(w http.ResponseWriter, r *http.Request) {
	var states []ApprovalState
	switch s := r.URL.Query().Get("state"); s {
	case "", "pending":
		states = []ApprovalState{ApprovalPending}
	case "all":
		states = []ApprovalState{ApprovalPending, ApprovalApproved, ApprovalDenied, ApprovalExpired, ApprovalDone}
	case "approved", "denied", "expired", "done":
		states = []ApprovalState{ApprovalState(s)}
	default:
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("unknown state %q", s))
		return
	}
	as, err := h.e.Approvals(r.Context(), states...)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]approvalView, 0, len(as))
	for _, a := range as {
		out = append(out, viewOf(a, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"approvals": out})
}

type approvalView struct {
	Approval
	PlanText string `json:"plan_text,omitempty"`
}

func viewOf(a Approval, full bool) approvalView {
	v := approvalView{Approval: a}
	if !full {
		v.FindingJSON = nil
	}
	if a.Plan != nil {
		v.PlanText = a.Plan.String()
	}
	return v
}

func (h *handler) getApproval(w http.ResponseWriter, r *http.Request) {
	a, err := h.e.Approval(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(a, true))
}

type decisionBody struct {
	Actor  string `json:"actor"`
	Note   string `json:"note"`
	Reason string `json:"reason"`
}

func actorOf(b decisionBody) string {
	if b.Actor == "" {
		return "http"
	}
	return b.Actor
}

func (h *handler) approve(w http.ResponseWriter, r *http.Request) {
	var b decisionBody
	if !h.decode(w, r, &b) {
		return
	}
	id := r.PathValue("id")
	if err := h.e.Approve(r.Context(), id, actorOf(b), b.Note); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "state": string(ApprovalApproved)})
}

func (h *handler) deny(w http.ResponseWriter, r *http.Request) {
	var b decisionBody
	if !h.decode(w, r, &b) {
		return
	}
	id := r.PathValue("id")
	reason := b.Reason
	if reason == "" {
		reason = b.Note
	}
	if err := h.e.Deny(r.Context(), id, actorOf(b), reason); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "state": string(ApprovalDenied)})
}

func (h *handler) journal(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	q := Query{FindingID: qv.Get("finding"), PlanID: qv.Get("plan")}
	for _, d := range qv["decision"] {
		q.Decisions = append(q.Decisions, Decision(d))
	}
	if s := qv.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "since: want RFC 3339 time")
			return
		}
		q.Since = t
	}
	for name, dst := range map[string]*int{"limit": &q.Limit} {
		if s := qv.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				writeError(w, http.StatusBadRequest, "bad_request", name+": want a non-negative integer")
				return
			}
			*dst = n
		}
	}
	if s := qv.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "after: want a sequence number")
			return
		}
		q.AfterSeq = n
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	if err := h.e.ExportJournal(r.Context(), w, q); err != nil {
		h.opts.Logger.Error("remediate: export journal", "err", err)
	}
}

func (h *handler) getKill(w http.ResponseWriter, r *http.Request) {
	ks, err := h.e.KillSwitch(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ks)
}

func (h *handler) setKill(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Engaged *bool  `json:"engaged"`
		Reason  string `json:"reason"`
		Actor   string `json:"actor"`
	}
	if !h.decode(w, r, &b) {
		return
	}
	if b.Engaged == nil {
		writeError(w, http.StatusBadRequest, "bad_request", `body needs "engaged": true or false`)
		return
	}
	actor := actorOf(decisionBody{Actor: b.Actor})
	var err error
	if *b.Engaged {
		err = h.e.Kill(r.Context(), actor, b.Reason)
	} else {
		err = h.e.Resume(r.Context(), actor)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.getKill(w, r)
}

func (h *handler) deadLetters(w http.ResponseWriter, r *http.Request) {
	dl, err := h.e.DeadLetters(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if dl == nil {
		dl = []DeadLetter{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": dl})
}

func (h *handler) replay(w http.ResponseWriter, r *http.Request) {
	var b decisionBody
	if !h.decode(w, r, &b) {
		return
	}
	id := r.PathValue("id")
	if err := h.e.Replay(r.Context(), id, actorOf(b)); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "state": "queued"})
}

func (h *handler) stats(w http.ResponseWriter, r *http.Request) {
	qs, err := h.e.store.QueueStats(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"engine": h.e.Stats(), "queue": qs})
}

func (h *handler) permissions(w http.ResponseWriter, r *http.Request) {
	p := h.e.Permissions()
	if p == nil {
		p = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"permissions": p})
}
