package ticket_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

// finding loads a golden finding from the repository's testdata.
func finding(tb testing.TB, name string) ocsf.Finding {
	tb.Helper()
	return remediatetest.FindingFile(tb, filepath.Join("..", "..", "testdata", "findings", name))
}

// guardDuty is the GuardDuty SSH brute-force finding.
func guardDuty(tb testing.TB) ocsf.Finding {
	return finding(tb, "guardduty-ec2-unauthorized-access.json")
}

// generation returns f with another modified time, status and comment
// (comment "" removes it).
func generation(tb testing.TB, f ocsf.Finding, modified time.Time, status int, comment string) ocsf.Finding {
	tb.Helper()
	return remediatetest.Mutate(tb, f, func(m map[string]any) {
		remediatetest.Set(m, "finding_info.modified_time", modified.UnixMilli())
		delete(m["finding_info"].(map[string]any), "modified_time_dt")
		m["status_id"] = status
		m["status"] = map[int]string{1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved", 5: "Archived"}[status]
		if comment == "" {
			delete(m, "comment")
		} else {
			m["comment"] = comment
		}
	})
}

// call is one request a fake received.
type call struct {
	Method string
	Path   string // with the query string, decoded
	Header http.Header
	Body   string
}

func (c call) String() string { return c.Method + " " + c.Path }

// recorder records requests; handlers embed it.
type recorder struct {
	mu    sync.Mutex
	calls []call
	// faults are answered (status, body, Retry-After) instead of handling,
	// per "METHOD path-prefix", once each.
	faults map[string][]fault
}

type fault struct {
	status     int
	body       string
	retryAfter string
}

func (r *recorder) record(req *http.Request) (call, []byte) {
	body, _ := io.ReadAll(req.Body)
	path := req.URL.Path
	if req.URL.RawQuery != "" {
		q, _ := urlUnescape(req.URL.RawQuery)
		path += "?" + q
	}
	c := call{Method: req.Method, Path: path, Header: req.Header.Clone(), Body: string(body)}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	return c, body
}

func urlUnescape(s string) (string, error) {
	s = strings.ReplaceAll(s, "+", " ")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

// inject makes the next request matching "METHOD /path-prefix" fail.
func (r *recorder) inject(match string, f fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.faults == nil {
		r.faults = map[string][]fault{}
	}
	r.faults[match] = append(r.faults[match], f)
}

// fault answers an injected fault for req, if one matches.
func (r *recorder) fault(w http.ResponseWriter, req *http.Request) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for match, fs := range r.faults {
		m, p, _ := strings.Cut(match, " ")
		if len(fs) == 0 || m != req.Method || !strings.HasPrefix(req.URL.Path, p) {
			continue
		}
		f := fs[0]
		r.faults[match] = fs[1:]
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.body)
		return true
	}
	return false
}

// Calls returns the requests so far.
func (r *recorder) Calls() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// writes returns the requests that change something (not GET, not search).
func (r *recorder) writes() []call {
	var out []call
	for _, c := range r.Calls() {
		if c.Method != http.MethodGet && !strings.HasSuffix(strings.SplitN(c.Path, "?", 2)[0], "/search/jql") {
			out = append(out, c)
		}
	}
	return out
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.calls = nil
	r.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ---------------------------------------------------------------- Jira

type fakeIssue struct {
	ID, Key     string
	Labels      []string
	Done        bool
	Description json.RawMessage
	Fields      map[string]json.RawMessage
	Comments    []json.RawMessage
	// Hidden issues are not returned by search yet (search is eventually
	// consistent).
	Hidden bool
}

// fakeJira is an in-memory Jira Cloud speaking the few REST v3 calls used.
type fakeJira struct {
	recorder
	auth string
	// HideNew hides created issues from search.
	HideNew bool
	// NoDoneTransition removes the transition to Done.
	NoDoneTransition bool

	mu     sync.Mutex
	issues []*fakeIssue
	srv    *httptest.Server
}

var jqlLabel = regexp.MustCompile(`^labels = "([^"]+)" AND statusCategory != Done ORDER BY created DESC$`)

func newFakeJira(t testing.TB, auth string) *fakeJira {
	f := &fakeJira{auth: auth}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /rest/api/3/search/jql", f.search)
	mux.HandleFunc("POST /rest/api/3/issue", f.create)
	mux.HandleFunc("GET /rest/api/3/issue/{key}", f.get)
	mux.HandleFunc("GET /rest/api/3/issue/{key}/comment", f.comments)
	mux.HandleFunc("POST /rest/api/3/issue/{key}/comment", f.addComment)
	mux.HandleFunc("GET /rest/api/3/issue/{key}/transitions", f.transitions)
	mux.HandleFunc("POST /rest/api/3/issue/{key}/transitions", f.transition)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, body := f.record(r)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.Header.Get("Authorization") != f.auth {
			writeJSON(w, 401, map[string]any{"errorMessages": []string{"You are not authenticated."}, "errors": map[string]string{}})
			return
		}
		if f.fault(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeJira) URL() string { return f.srv.URL }

func (f *fakeJira) issue(key string) *fakeIssue {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, i := range f.issues {
		if i.Key == key {
			return i
		}
	}
	return nil
}

// Issues returns a snapshot of the issues.
func (f *fakeJira) Issues() []fakeIssue {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]fakeIssue, len(f.issues))
	for i, is := range f.issues {
		out[i] = *is
		out[i].Comments = slices.Clone(is.Comments)
	}
	return out
}

func (f *fakeJira) reveal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, i := range f.issues {
		i.Hidden = false
	}
}

func (f *fakeJira) view(i *fakeIssue) map[string]any {
	cat, name := "new", "To Do"
	if i.Done {
		cat, name = "done", "Done"
	}
	return map[string]any{"id": i.ID, "key": i.Key, "fields": map[string]any{
		"status":      map[string]any{"name": name, "statusCategory": map[string]any{"key": cat}},
		"description": i.Description,
	}}
}

func (f *fakeJira) search(w http.ResponseWriter, r *http.Request) {
	var q struct {
		JQL        string   `json:"jql"`
		MaxResults int      `json:"maxResults"`
		Fields     []string `json:"fields"`
	}
	if json.NewDecoder(r.Body).Decode(&q) != nil {
		writeJSON(w, 400, map[string]any{"errorMessages": []string{"bad body"}})
		return
	}
	m := jqlLabel.FindStringSubmatch(q.JQL)
	if m == nil {
		writeJSON(w, 400, map[string]any{"errorMessages": []string{"unsupported JQL " + q.JQL}})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	issues := []map[string]any{}
	for i := len(f.issues) - 1; i >= 0; i-- {
		is := f.issues[i]
		if is.Hidden || is.Done || !slices.Contains(is.Labels, m[1]) {
			continue
		}
		if q.MaxResults > 0 && len(issues) == q.MaxResults {
			break
		}
		issues = append(issues, f.view(is))
	}
	writeJSON(w, 200, map[string]any{"issues": issues, "isLast": true})
}

func (f *fakeJira) create(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || body.Fields["summary"] == nil {
		writeJSON(w, 400, map[string]any{"errorMessages": []string{}, "errors": map[string]string{"summary": "You must specify a summary of the issue."}})
		return
	}
	var labels []string
	_ = json.Unmarshal(body.Fields["labels"], &labels)
	f.mu.Lock()
	n := len(f.issues) + 1
	is := &fakeIssue{ID: strconv.Itoa(10000 + n), Key: "SEC-" + strconv.Itoa(n), Labels: labels,
		Description: body.Fields["description"], Fields: body.Fields, Hidden: f.HideNew}
	f.issues = append(f.issues, is)
	f.mu.Unlock()
	writeJSON(w, 201, map[string]any{"id": is.ID, "key": is.Key, "self": f.srv.URL + "/rest/api/3/issue/" + is.ID})
}

func (f *fakeJira) notFound(w http.ResponseWriter) {
	writeJSON(w, 404, map[string]any{"errorMessages": []string{"Issue does not exist or you do not have permission to see it."}, "errors": map[string]string{}})
}

func (f *fakeJira) get(w http.ResponseWriter, r *http.Request) {
	is := f.issue(r.PathValue("key"))
	if is == nil {
		f.notFound(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	writeJSON(w, 200, f.view(is))
}

func (f *fakeJira) comments(w http.ResponseWriter, r *http.Request) {
	is := f.issue(r.PathValue("key"))
	if is == nil {
		f.notFound(w)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cs := []map[string]any{}
	for i := len(is.Comments) - 1; i >= 0; i-- { // orderBy=-created
		cs = append(cs, map[string]any{"id": strconv.Itoa(20000 + i), "body": is.Comments[i]})
	}
	writeJSON(w, 200, map[string]any{"comments": cs, "startAt": 0, "maxResults": 100, "total": len(cs)})
}

func (f *fakeJira) addComment(w http.ResponseWriter, r *http.Request) {
	is := f.issue(r.PathValue("key"))
	if is == nil {
		f.notFound(w)
		return
	}
	var body struct {
		Body json.RawMessage `json:"body"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || len(body.Body) == 0 {
		writeJSON(w, 400, map[string]any{"errorMessages": []string{"Comment body can not be empty!"}})
		return
	}
	f.mu.Lock()
	is.Comments = append(is.Comments, body.Body)
	n := len(is.Comments)
	f.mu.Unlock()
	writeJSON(w, 201, map[string]any{"id": strconv.Itoa(20000 + n - 1)})
}

func (f *fakeJira) transitionList() []map[string]any {
	ts := []map[string]any{
		{"id": "21", "name": "In Progress", "to": map[string]any{"name": "In Progress", "statusCategory": map[string]any{"key": "indeterminate"}}},
	}
	if !f.NoDoneTransition {
		ts = append(ts, map[string]any{"id": "31", "name": "Done", "to": map[string]any{"name": "Done", "statusCategory": map[string]any{"key": "done"}}})
	}
	return ts
}

func (f *fakeJira) transitions(w http.ResponseWriter, r *http.Request) {
	if f.issue(r.PathValue("key")) == nil {
		f.notFound(w)
		return
	}
	writeJSON(w, 200, map[string]any{"transitions": f.transitionList()})
}

func (f *fakeJira) transition(w http.ResponseWriter, r *http.Request) {
	is := f.issue(r.PathValue("key"))
	if is == nil {
		f.notFound(w)
		return
	}
	var body struct {
		Transition struct {
			ID string `json:"id"`
		} `json:"transition"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	switch body.Transition.ID {
	case "31":
		if f.NoDoneTransition {
			break
		}
		f.mu.Lock()
		is.Done = true
		f.mu.Unlock()
		w.WriteHeader(204)
		return
	case "21":
		w.WriteHeader(204)
		return
	}
	writeJSON(w, 400, map[string]any{"errorMessages": []string{"Transition id '" + body.Transition.ID + "' is not valid for this issue."}})
}

// ---------------------------------------------------------------- ServiceNow

type fakeRecord struct {
	SysID, Number, State string
	Fields               map[string]string
	WorkNotes            []string
}

type fakeServiceNow struct {
	recorder
	auth string

	mu      sync.Mutex
	records []*fakeRecord
	srv     *httptest.Server
}

var snQuery = regexp.MustCompile(`^correlation_id=([^^]+)\^stateNOT IN([0-9,]+)\^ORDERBYDESCsys_created_on$`)
var snJournalQuery = regexp.MustCompile(`^element_id=([^^]+)\^element=work_notes\^valueLIKE(.+)$`)

func newFakeServiceNow(t testing.TB, auth string) *fakeServiceNow {
	f := &fakeServiceNow{auth: auth}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/now/table/incident", f.query)
	mux.HandleFunc("POST /api/now/table/incident", f.create)
	mux.HandleFunc("GET /api/now/table/incident/{id}", f.get)
	mux.HandleFunc("PATCH /api/now/table/incident/{id}", f.patch)
	mux.HandleFunc("GET /api/now/table/sys_journal_field", f.journal)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, body := f.record(r)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.Header.Get("Authorization") != f.auth {
			writeJSON(w, 401, map[string]any{"error": map[string]string{"message": "User Not Authenticated", "detail": "Required to provide Auth information"}, "status": "failure"})
			return
		}
		if f.fault(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServiceNow) URL() string { return f.srv.URL }

func (f *fakeServiceNow) Records() []fakeRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]fakeRecord, len(f.records))
	for i, r := range f.records {
		out[i] = *r
		out[i].WorkNotes = slices.Clone(r.WorkNotes)
	}
	return out
}

func (f *fakeServiceNow) view(r *fakeRecord) map[string]string {
	return map[string]string{"sys_id": r.SysID, "number": r.Number, "state": r.State, "description": r.Fields["description"]}
}

func (f *fakeServiceNow) find(id string) *fakeRecord {
	for _, r := range f.records {
		if r.SysID == id {
			return r
		}
	}
	return nil
}

func (f *fakeServiceNow) query(w http.ResponseWriter, r *http.Request) {
	m := snQuery.FindStringSubmatch(r.URL.Query().Get("sysparm_query"))
	if m == nil || r.URL.Query().Get("sysparm_limit") != "1" {
		writeJSON(w, 400, map[string]any{"error": map[string]string{"message": "unsupported query"}, "status": "failure"})
		return
	}
	inactive := strings.Split(m[2], ",")
	f.mu.Lock()
	defer f.mu.Unlock()
	res := []map[string]string{}
	for i := len(f.records) - 1; i >= 0; i-- {
		rec := f.records[i]
		if rec.Fields["correlation_id"] == m[1] && !slices.Contains(inactive, rec.State) {
			res = append(res, f.view(rec))
			break
		}
	}
	writeJSON(w, 200, map[string]any{"result": res})
}

func (f *fakeServiceNow) create(w http.ResponseWriter, r *http.Request) {
	var fields map[string]string
	if json.NewDecoder(r.Body).Decode(&fields) != nil {
		writeJSON(w, 400, map[string]any{"error": map[string]string{"message": "Exception while reading request", "detail": "Cannot decode"}, "status": "failure"})
		return
	}
	f.mu.Lock()
	n := len(f.records) + 1
	rec := &fakeRecord{SysID: fmt.Sprintf("%032x", n), Number: fmt.Sprintf("INC%07d", n), State: "1", Fields: fields}
	f.records = append(f.records, rec)
	v := f.view(rec)
	f.mu.Unlock()
	w.Header().Set("Location", f.srv.URL+"/api/now/table/incident/"+rec.SysID)
	writeJSON(w, 201, map[string]any{"result": v})
}

func (f *fakeServiceNow) get(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := f.find(r.PathValue("id"))
	if rec == nil {
		writeJSON(w, 404, map[string]any{"error": map[string]string{"message": "No Record found", "detail": "Record doesn't exist or ACL restricts the record retrieval"}, "status": "failure"})
		return
	}
	writeJSON(w, 200, map[string]any{"result": f.view(rec)})
}

func (f *fakeServiceNow) patch(w http.ResponseWriter, r *http.Request) {
	var fields map[string]string
	if json.NewDecoder(r.Body).Decode(&fields) != nil {
		writeJSON(w, 400, map[string]any{"error": map[string]string{"message": "bad body"}, "status": "failure"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := f.find(r.PathValue("id"))
	if rec == nil {
		writeJSON(w, 404, map[string]any{"error": map[string]string{"message": "No Record found"}, "status": "failure"})
		return
	}
	for k, v := range fields {
		switch k {
		case "work_notes":
			rec.WorkNotes = append(rec.WorkNotes, v)
		case "state":
			rec.State = v
		default:
			rec.Fields[k] = v
		}
	}
	writeJSON(w, 200, map[string]any{"result": f.view(rec)})
}

func (f *fakeServiceNow) journal(w http.ResponseWriter, r *http.Request) {
	m := snJournalQuery.FindStringSubmatch(r.URL.Query().Get("sysparm_query"))
	if m == nil {
		writeJSON(w, 400, map[string]any{"error": map[string]string{"message": "unsupported query"}, "status": "failure"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := []map[string]string{}
	if rec := f.find(m[1]); rec != nil {
		for i, n := range rec.WorkNotes {
			if strings.Contains(n, m[2]) {
				res = append(res, map[string]string{"sys_id": fmt.Sprintf("%032x", 900+i)})
				break
			}
		}
	}
	writeJSON(w, 200, map[string]any{"result": res})
}

// ---------------------------------------------------------------- PagerDuty

type fakeAlert struct {
	DedupKey string
	Open     bool
	Acked    bool
	Events   int
}

type fakePagerDuty struct {
	recorder
	routingKey string

	mu     sync.Mutex
	alerts []*fakeAlert
	srv    *httptest.Server
}

func newFakePagerDuty(t testing.TB, routingKey string) *fakePagerDuty {
	f := &fakePagerDuty{routingKey: routingKey}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, body := f.record(r)
		if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" {
			http.NotFound(w, r)
			return
		}
		if f.fault(w, r) {
			return
		}
		var ev struct {
			RoutingKey  string          `json:"routing_key"`
			EventAction string          `json:"event_action"`
			DedupKey    string          `json:"dedup_key"`
			Payload     json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(body, &ev) != nil || ev.RoutingKey != f.routingKey || ev.DedupKey == "" {
			writeJSON(w, 400, map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": []string{"'routing_key' is invalid"}})
			return
		}
		f.mu.Lock()
		var open *fakeAlert
		for _, a := range f.alerts {
			if a.DedupKey == ev.DedupKey && a.Open {
				open = a
			}
		}
		switch ev.EventAction {
		case "trigger":
			if open == nil {
				open = &fakeAlert{DedupKey: ev.DedupKey, Open: true}
				f.alerts = append(f.alerts, open)
			}
			open.Events++
		case "acknowledge":
			if open != nil {
				open.Acked = true
				open.Events++
			}
		case "resolve":
			if open != nil {
				open.Open = false
				open.Events++
			}
		}
		f.mu.Unlock()
		writeJSON(w, 202, map[string]any{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePagerDuty) URL() string { return f.srv.URL }

func (f *fakePagerDuty) Alerts() []fakeAlert {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]fakeAlert, len(f.alerts))
	for i, a := range f.alerts {
		out[i] = *a
	}
	return out
}

// ---------------------------------------------------------------- Slack

type fakeMessage struct {
	Channel, TS, Text string
	Blocks            json.RawMessage
	Metadata          json.RawMessage
	Edits             int
}

type fakeSlack struct {
	recorder
	token   string
	channel string

	mu       sync.Mutex
	messages []*fakeMessage
	webhook  []string // bodies posted to the incoming webhook
	srv      *httptest.Server
}

const slackHookPath = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"

func newFakeSlack(t testing.TB, token, channel string) *fakeSlack {
	f := &fakeSlack{token: token, channel: channel}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", f.post)
	mux.HandleFunc("POST /api/chat.update", f.update)
	mux.HandleFunc("GET /api/conversations.history", f.history)
	mux.HandleFunc("POST "+slackHookPath, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(body, &m) != nil || m.Text == "" {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, "invalid_payload")
			return
		}
		f.mu.Lock()
		f.webhook = append(f.webhook, string(body))
		f.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, body := f.record(r)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if f.fault(w, r) {
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") && r.Header.Get("Authorization") != "Bearer "+f.token {
			writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) Messages() []fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]fakeMessage, len(f.messages))
	for i, m := range f.messages {
		out[i] = *m
	}
	return out
}

func (f *fakeSlack) WebhookPosts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.webhook)
}

type slackBody struct {
	Channel  string          `json:"channel"`
	TS       string          `json:"ts"`
	Text     string          `json:"text"`
	Blocks   json.RawMessage `json:"blocks"`
	Metadata json.RawMessage `json:"metadata"`
}

func (f *fakeSlack) post(w http.ResponseWriter, r *http.Request) {
	var b slackBody
	if json.NewDecoder(r.Body).Decode(&b) != nil {
		writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_json"})
		return
	}
	if b.Channel != f.channel {
		writeJSON(w, 200, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	f.mu.Lock()
	m := &fakeMessage{Channel: b.Channel, TS: fmt.Sprintf("1700000000.%06d", len(f.messages)+1), Text: b.Text, Blocks: b.Blocks, Metadata: b.Metadata}
	f.messages = append(f.messages, m)
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "message": map[string]any{"text": m.Text}})
}

func (f *fakeSlack) update(w http.ResponseWriter, r *http.Request) {
	var b slackBody
	if json.NewDecoder(r.Body).Decode(&b) != nil {
		writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_json"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.messages {
		if m.Channel == b.Channel && m.TS == b.TS {
			m.Text, m.Blocks, m.Metadata = b.Text, b.Blocks, b.Metadata
			m.Edits++
			writeJSON(w, 200, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text})
			return
		}
	}
	writeJSON(w, 200, map[string]any{"ok": false, "error": "message_not_found"})
}

func (f *fakeSlack) history(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("channel") != f.channel {
		writeJSON(w, 200, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	start, _ := strconv.Atoi(q.Get("cursor"))
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []*fakeMessage
	for i := len(f.messages) - 1; i >= 0; i-- {
		all = append(all, f.messages[i])
	}
	end := min(len(all), start+limit)
	msgs := []map[string]any{}
	for _, m := range all[start:end] {
		mm := map[string]any{"type": "message", "ts": m.TS, "text": m.Text}
		if q.Get("include_all_metadata") == "true" && m.Metadata != nil {
			mm["metadata"] = m.Metadata
		}
		msgs = append(msgs, mm)
	}
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	writeJSON(w, 200, map[string]any{"ok": true, "messages": msgs, "has_more": next != "", "response_metadata": map[string]string{"next_cursor": next}})
}

// ---------------------------------------------------------------- webhook

type fakeReceiver struct {
	recorder
	srv *httptest.Server
}

func newFakeReceiver(t testing.TB, status int) *fakeReceiver {
	f := &fakeReceiver{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.record(r)
		if f.fault(w, r) {
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// sortedKeys is for stable test output.
func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
