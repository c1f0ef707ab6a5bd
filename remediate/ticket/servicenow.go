package ticket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
)

// ServiceNowOptions configure [NewServiceNow].
type ServiceNowOptions struct {
	Options
	// BaseURL is the instance, "https://example.service-now.com". Required.
	BaseURL string
	// Username and Password authenticate with Basic auth.
	Username string
	Password Secret
	// BearerToken authenticates with an OAuth access token instead. Set
	// exactly one of Password and BearerToken.
	BearerToken Secret
	// Table is the table records go to (default "incident"). Any table
	// extending task works (it needs correlation_id and work_notes).
	Table string
	// CorrelationDisplay is written to correlation_display (default
	// "ocsfhub").
	CorrelationDisplay string
	// Fields are more fields of the create request ("category": "security",
	// "assignment_group": "<sys_id>", "caller_id": …). They cannot replace
	// short_description, description, correlation_id or correlation_display.
	Fields map[string]string
	// ImpactUrgency maps a finding severity to the impact and urgency
	// values ("1" high to "3" low). Default: Critical and Fatal 1/1, High
	// 2/1, Medium 2/2, Low 3/2, others 3/3 (ServiceNow's default priority
	// matrix makes these P1, P2, P3, P4 and P5).
	ImpactUrgency func(ocsf.SeverityID) (impact, urgency string)
	// ResolvedState is the state value that resolves a record (default "6",
	// Resolved).
	ResolvedState string
	// InactiveStates are the state values of records that are no longer
	// worked on (default "6", "7", "8": Resolved, Closed, Canceled); a
	// finding's record is the newest one in another state.
	InactiveStates []string
	// CloseCode is the resolution code (default "Solution provided").
	CloseCode string
	// JournalCheck makes the remediator look for a generation's work note
	// in sys_journal_field (it needs read access to that table) in addition
	// to the state, so a work note is not repeated after a restart without
	// durable state.
	JournalCheck bool
}

// NewServiceNow returns a remediator keeping one ServiceNow record
// (incident by default) per finding, through the Table API:
//
//   - it finds the finding's record by correlation_id = the deduplication
//     key, newest first, among records not in an inactive state
//     (GET /api/now/table/incident?sysparm_query=correlation_id=…);
//   - with none, it creates one (POST /api/now/table/incident) with
//     short_description, description, impact, urgency, correlation_id and
//     correlation_display;
//   - for a new generation of the finding, it adds a work note (PATCH
//     …/incident/{sys_id} with work_notes);
//   - to resolve, it sets state, close_code and close_notes (PATCH).
func NewServiceNow(opts ServiceNowOptions) (*Remediator, error) {
	const sys = "servicenow"
	o, err := opts.Options.withDefaults(sys)
	if err != nil {
		return nil, err
	}
	base, err := parseBaseURL(sys, "BaseURL", opts.BaseURL)
	if err != nil {
		return nil, err
	}
	s := &serviceNow{base: base.String(), table: opts.Table, display: opts.CorrelationDisplay, fields: opts.Fields,
		impactUrgency: opts.ImpactUrgency, resolvedState: opts.ResolvedState, inactive: slices.Clone(opts.InactiveStates),
		closeCode: opts.CloseCode, journal: opts.JournalCheck}
	if s.table == "" {
		s.table = "incident"
	}
	if !validID(s.table) {
		return nil, configErr(sys, "table %q is not a table name", s.table)
	}
	if s.display == "" {
		s.display = "ocsfhub"
	}
	if s.impactUrgency == nil {
		s.impactUrgency = defaultImpactUrgency
	}
	if s.resolvedState == "" {
		s.resolvedState = "6"
	}
	if s.inactive == nil {
		s.inactive = []string{"6", "7", "8"}
	}
	for _, st := range append([]string{s.resolvedState}, s.inactive...) {
		if !validID(st) {
			return nil, configErr(sys, "state %q is not a state value", st)
		}
	}
	if !slices.Contains(s.inactive, s.resolvedState) {
		s.inactive = append(s.inactive, s.resolvedState)
	}
	if s.closeCode == "" {
		s.closeCode = "Solution provided"
	}
	for k := range opts.Fields {
		switch k {
		case "short_description", "description", "correlation_id", "correlation_display":
			return nil, configErr(sys, "Fields cannot set %q", k)
		}
	}
	auth, secrets, err := basicOrBearer(sys, "Username", "Password", opts.Username, opts.Password, opts.BearerToken)
	if err != nil {
		return nil, err
	}
	s.auth = auth
	s.c = newHTTPClient(sys, o, secrets...)
	s.c.errorText = serviceNowErrorText
	return newRemediator(o, s), nil
}

func defaultImpactUrgency(s ocsf.SeverityID) (string, string) {
	switch s {
	case ocsf.SeverityIDCritical, ocsf.SeverityIDFatal:
		return "1", "1"
	case ocsf.SeverityIDHigh:
		return "2", "1"
	case ocsf.SeverityIDMedium:
		return "2", "2"
	case ocsf.SeverityIDLow:
		return "3", "2"
	}
	return "3", "3"
}

type serviceNow struct {
	c             *httpClient
	base          string
	auth          Secret
	table         string
	display       string
	fields        map[string]string
	impactUrgency func(ocsf.SeverityID) (string, string)
	resolvedState string
	inactive      []string
	closeCode     string
	journal       bool
}

func (s *serviceNow) system() string { return "servicenow" }

// snRecord is the part of a record we read. ServiceNow returns every value
// as a string.
type snRecord struct {
	SysID       string `json:"sys_id"`
	Number      string `json:"number"`
	State       string `json:"state"`
	Description string `json:"description"`
}

const snFields = "sys_id,number,state,description"

func (s *serviceNow) call(ctx context.Context, op, method, path string, q url.Values, body []byte) (*response, error) {
	return s.c.call(ctx, s.base, s.auth, op, method, path, q, body)
}

func (s *serviceNow) recordPath(sysID string) string {
	return "/api/now/table/" + s.table + "/" + url.PathEscape(sysID)
}

func (s *serviceNow) active(rec *snRecord) bool { return !slices.Contains(s.inactive, rec.State) }

// parseSNResult decodes {"result": {...}} or {"result": [...]}.
func parseSNResult(b []byte) ([]snRecord, error) {
	var out struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, errors.New("response is not JSON")
	}
	r := bytes.TrimSpace(out.Result)
	var recs []snRecord
	switch {
	case len(r) > 0 && r[0] == '[':
		if err := json.Unmarshal(r, &recs); err != nil {
			return nil, errors.New("result is not a list of records")
		}
	case len(r) > 0 && r[0] == '{':
		var one snRecord
		if err := json.Unmarshal(r, &one); err != nil {
			return nil, errors.New("result is not a record")
		}
		recs = []snRecord{one}
	default:
		return nil, errors.New("no result")
	}
	for _, rec := range recs {
		if !validID(rec.SysID) {
			return nil, errors.New("record without a valid sys_id")
		}
	}
	return recs, nil
}

// get reads a record; nil when it does not exist.
func (s *serviceNow) get(ctx context.Context, sysID string) (*snRecord, error) {
	resp, err := s.call(ctx, "get record", http.MethodGet, s.recordPath(sysID), url.Values{"sysparm_fields": {snFields}}, nil)
	if isStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	recs, err := parseSNResult(resp.body)
	if err != nil || len(recs) != 1 {
		return nil, badResponse("servicenow", "get record", "no record")
	}
	return &recs[0], nil
}

// query returns the newest active record correlated with key, or nil.
func (s *serviceNow) query(ctx context.Context, key string) (*snRecord, error) {
	q := "correlation_id=" + key + "^stateNOT IN" + strings.Join(s.inactive, ",") + "^ORDERBYDESCsys_created_on"
	resp, err := s.call(ctx, "query records", http.MethodGet, "/api/now/table/"+s.table, url.Values{
		"sysparm_query": {q}, "sysparm_limit": {"1"}, "sysparm_fields": {snFields},
	}, nil)
	if err != nil {
		return nil, err
	}
	recs, err := parseSNResult(resp.body)
	if err != nil {
		return nil, badResponse("servicenow", "query records", err.Error())
	}
	for i := range recs {
		if s.active(&recs[i]) {
			return &recs[i], nil
		}
	}
	return nil, nil
}

func (s *serviceNow) find(ctx context.Context, r *Remediator, key string) (*snRecord, entry, error) {
	e, ok, err := r.loadEntry(ctx, key)
	if err != nil {
		return nil, e, err
	}
	if ok && e.Ticket != "" && e.State != "resolved" {
		rec, err := s.get(ctx, e.Ticket)
		if err != nil {
			return nil, e, err
		}
		if rec != nil && s.active(rec) {
			return rec, e, nil
		}
	}
	rec, err := s.query(ctx, key)
	if err != nil || rec == nil {
		return nil, e, err
	}
	if e.Ticket != rec.SysID {
		e = entry{}
	}
	return rec, e, nil
}

// recorded reports whether the record holds the generation's work note (or
// was created for it).
func (s *serviceNow) recorded(ctx context.Context, rec *snRecord, e entry, gen, marker string) (bool, error) {
	if strings.Contains(rec.Description, marker) || (e.Ticket == rec.SysID && e.hasGen(gen)) {
		return true, nil
	}
	if !s.journal {
		return false, nil
	}
	q := "element_id=" + rec.SysID + "^element=work_notes^valueLIKE" + marker
	resp, err := s.call(ctx, "query journal", http.MethodGet, "/api/now/table/sys_journal_field", url.Values{
		"sysparm_query": {q}, "sysparm_limit": {"1"}, "sysparm_fields": {"sys_id"},
	}, nil)
	if err != nil {
		return false, err
	}
	recs, err := parseSNResult(resp.body)
	if err != nil {
		return false, badResponse("servicenow", "query journal", err.Error())
	}
	return len(recs) > 0, nil
}

func (s *serviceNow) createBody(v *view) map[string]string {
	body := make(map[string]string, len(s.fields)+6)
	for k, val := range s.fields {
		body[k] = val
	}
	impact, urgency := s.impactUrgency(ocsf.SeverityID(v.Ref.SeverityID))
	if impact != "" {
		body["impact"] = impact
	}
	if urgency != "" {
		body["urgency"] = urgency
	}
	body["short_description"] = oneLine(v.title(), 160)
	body["description"] = v.descriptionBlock().text()
	body["correlation_id"] = v.Key
	body["correlation_display"] = s.display
	return body
}

func (s *serviceNow) plan(ctx context.Context, r *Remediator, v *view, in intent) (*planned, error) {
	rec, e, err := s.find(ctx, r, v.Key)
	if err != nil {
		return nil, err
	}
	pl := &planned{data: planData{System: "servicenow", Key: v.Key, Gen: v.Gen, Intent: in}}
	if in == intentResolve {
		if rec == nil {
			return nil, r.notApplicable("no open ServiceNow record for finding %s", v.Key)
		}
		pl.data.Ticket, pl.data.Number = rec.SysID, rec.Number
		c, err := change("resolve", "servicenow:ResolveRecord", s.table+"/"+rec.SysID,
			"resolve "+rec.Number+" (state "+s.resolvedState+", "+s.closeCode+")",
			map[string]string{"state": s.resolvedState, "close_code": s.closeCode, "close_notes": v.resolveBlock().text()})
		if err != nil {
			return nil, err
		}
		pl.changes = []remediate.Change{c}
		pl.summary = "resolve ServiceNow " + s.table + " " + rec.Number
		return pl, nil
	}
	if rec == nil {
		c, err := change("create", "servicenow:CreateRecord", s.table,
			"create a "+s.table+" record: "+oneLine(v.title(), 160), s.createBody(v))
		if err != nil {
			return nil, err
		}
		pl.changes = []remediate.Change{c}
		pl.summary = "create a ServiceNow " + s.table + " record"
		return pl, nil
	}
	pl.data.Ticket, pl.data.Number = rec.SysID, rec.Number
	rec2, err := s.recorded(ctx, rec, e, v.Gen, v.marker())
	if err != nil {
		return nil, err
	}
	if rec2 {
		return nil, r.notApplicable("ServiceNow record %s already records generation %s", rec.Number, v.Gen)
	}
	c, err := change("work-note", "servicenow:AddWorkNote", s.table+"/"+rec.SysID, "add a work note to "+rec.Number,
		map[string]string{"work_notes": v.updateBlock().text()})
	if err != nil {
		return nil, err
	}
	pl.changes = []remediate.Change{c}
	pl.summary = "add a work note to ServiceNow " + s.table + " " + rec.Number
	return pl, nil
}

func (s *serviceNow) apply(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	switch c.Action {
	case "servicenow:CreateRecord":
		return s.applyCreate(ctx, r, d, c)
	case "servicenow:AddWorkNote":
		return s.applyWorkNote(ctx, r, d, c)
	case "servicenow:ResolveRecord":
		return s.applyResolve(ctx, r, d, c)
	}
	return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: servicenow: unknown change action " + c.Action))
}

func (s *serviceNow) applyCreate(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	rec, e, err := s.find(ctx, r, d.Key)
	if err != nil {
		return remediate.Outcome{}, err
	}
	if rec != nil {
		d.Ticket, d.Number = rec.SysID, rec.Number
		e.Ticket, e.Number, e.State = rec.SysID, rec.Number, "open"
		if err := r.saveEntry(ctx, d.Key, e); err != nil {
			return remediate.Outcome{}, err
		}
		return remediate.Outcome{Status: remediate.OutcomeAlreadyDone, Detail: "ServiceNow record " + rec.Number + " already exists"}, nil
	}
	resp, err := s.call(ctx, "create record", http.MethodPost, "/api/now/table/"+s.table,
		url.Values{"sysparm_fields": {snFields}}, c.Params)
	if err != nil {
		return remediate.Outcome{}, err
	}
	recs, err := parseSNResult(resp.body)
	if err != nil || len(recs) != 1 {
		return remediate.Outcome{}, badResponse("servicenow", "create record", "no record")
	}
	created := recs[0]
	if err := r.noteCreated(ctx, d, created.SysID, created.Number); err != nil {
		return remediate.Outcome{}, err
	}
	r.log.Info("ticket: ServiceNow record created", "remediator", r.name, "number", created.Number, "key", d.Key)
	return remediate.Outcome{Status: remediate.OutcomeApplied, Detail: "created ServiceNow record " + created.Number}, nil
}

func (s *serviceNow) existing(ctx context.Context, d *planData) (*snRecord, error) {
	if !validID(d.Ticket) {
		return nil, remediate.Permanent(errors.New("ticket: servicenow: plan names no record"))
	}
	rec, err := s.get(ctx, d.Ticket)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, remediate.Permanent(&Error{System: "servicenow", Op: "get record", StatusCode: http.StatusNotFound,
			Message: "record " + d.Number + " no longer exists", class: remediate.ClassPermanent})
	}
	return rec, nil
}

func (s *serviceNow) applyWorkNote(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	rec, err := s.existing(ctx, d)
	if err != nil {
		return remediate.Outcome{}, err
	}
	e, _, err := r.loadEntry(ctx, d.Key)
	if err != nil {
		return remediate.Outcome{}, err
	}
	rec2, err := s.recorded(ctx, rec, e, d.Gen, d.marker())
	if err != nil {
		return remediate.Outcome{}, err
	}
	if rec2 {
		return remediate.Outcome{Status: remediate.OutcomeAlreadyDone, Detail: "ServiceNow record " + rec.Number + " already has the work note"}, nil
	}
	if _, err := s.call(ctx, "add work note", http.MethodPatch, s.recordPath(rec.SysID), url.Values{"sysparm_fields": {snFields}}, c.Params); err != nil {
		return remediate.Outcome{}, err
	}
	if e.Ticket != rec.SysID {
		e = entry{Ticket: rec.SysID, Number: rec.Number}
	}
	e.State = "open"
	e.addGen(d.Gen)
	if err := r.saveEntry(ctx, d.Key, e); err != nil {
		return remediate.Outcome{}, err
	}
	return remediate.Outcome{Status: remediate.OutcomeApplied, Detail: "added a work note to ServiceNow record " + rec.Number}, nil
}

func (s *serviceNow) applyResolve(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	rec, err := s.existing(ctx, d)
	if err != nil {
		return remediate.Outcome{}, err
	}
	if !s.active(rec) {
		if err := r.noteResolved(ctx, d.Key, rec.SysID, rec.Number); err != nil {
			return remediate.Outcome{}, err
		}
		return remediate.Outcome{Status: remediate.OutcomeAlreadyDone, Detail: "ServiceNow record " + rec.Number + " is already resolved"}, nil
	}
	if _, err := s.call(ctx, "resolve record", http.MethodPatch, s.recordPath(rec.SysID), url.Values{"sysparm_fields": {snFields}}, c.Params); err != nil {
		return remediate.Outcome{}, err
	}
	if err := r.noteResolved(ctx, d.Key, rec.SysID, rec.Number); err != nil {
		return remediate.Outcome{}, err
	}
	r.log.Info("ticket: ServiceNow record resolved", "remediator", r.name, "number", rec.Number, "key", d.Key)
	return remediate.Outcome{Status: remediate.OutcomeApplied, Detail: "resolved ServiceNow record " + rec.Number}, nil
}

// serviceNowErrorText reads ServiceNow's error body:
// {"error": {"message": "…", "detail": "…"}, "status": "failure"}.
func serviceNowErrorText(body []byte) (string, string) {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Detail  string `json:"detail"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || (e.Error.Message == "" && e.Error.Detail == "") {
		return genericErrorText(body)
	}
	msg := e.Error.Message
	if e.Error.Detail != "" {
		if msg != "" {
			msg += ": "
		}
		msg += e.Error.Detail
	}
	return "", excerpt(msg)
}
