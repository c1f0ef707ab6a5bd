package fakeaws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Finding is an OCSF finding held by Security Hub.
type Finding struct {
	// MetadataUID is metadata.uid, the key of BatchUpdateFindingsV2's
	// MetadataUids.
	MetadataUID string
	// FindingInfoUID, ProductUID and AccountUID are finding_info.uid,
	// metadata.product.uid and cloud.account.uid (the FindingIdentifiers key).
	FindingInfoUID, ProductUID, AccountUID string
	// StatusID/Status, SeverityID/Severity and Comment are the fields
	// BatchUpdateFindingsV2 changes.
	StatusID   int32
	Status     string
	SeverityID int32
	Severity   string
	Comment    string
	// Raw is the current finding JSON (what GetFindingsV2 returns).
	Raw json.RawMessage
	// Updates are the BatchUpdateFindingsV2 changes applied, oldest first.
	Updates []FindingUpdate
}

// FindingUpdate is one applied BatchUpdateFindingsV2 change.
type FindingUpdate struct {
	// Time is when the update was applied (server clock).
	Time time.Time
	// By is the caller's ARN.
	By string
	// StatusID, SeverityID and Comment are the values sent (nil when absent).
	StatusID   *int32
	SeverityID *int32
	Comment    *string
}

type hubFinding struct {
	doc                             map[string]any
	uid, infoUID, productUID, accID string
	updates                         []FindingUpdate
	rejectCode, rejectMsg           string
	rejectTimes                     int
}

type hubState struct {
	findings table[hubFinding]
}

// SecurityHub is the Security Hub (OCSF, V2) state of one account and
// region: the findings visible there (the delegated administrator's
// aggregation region in an Organization). Updates are accepted from any
// caller; the fake does not model member/administrator permissions.
type SecurityHub struct {
	s               *Server
	account, region string
}

// SecurityHub returns the Security Hub state of an account and region.
func (s *Server) SecurityHub(account, region string) *SecurityHub {
	mustAccount(account)
	return &SecurityHub{s: s, account: account, region: region}
}

// AddFinding stores an OCSF finding (its JSON); metadata.uid is required.
func (h *SecurityHub) AddFinding(raw []byte) Finding {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		panic(fmt.Sprintf("fakeaws: finding is not a JSON object: %v", err))
	}
	f := &hubFinding{doc: doc}
	f.uid = lookupString(doc, "metadata.uid")
	f.infoUID = lookupString(doc, "finding_info.uid")
	f.productUID = lookupString(doc, "metadata.product.uid")
	f.accID = lookupString(doc, "cloud.account.uid")
	if f.uid == "" {
		panic("fakeaws: finding has no metadata.uid")
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	st := h.s.reg(h.account, h.region).hub
	if _, ok := st.findings.get(f.uid); ok {
		panic(fmt.Sprintf("fakeaws: finding %s already exists", f.uid))
	}
	st.findings.put(f.uid, f)
	return findingView(f)
}

// Finding returns the current state of a finding by metadata.uid.
func (h *SecurityHub) Finding(metadataUID string) (Finding, bool) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	f, ok := h.s.reg(h.account, h.region).hub.findings.get(metadataUID)
	if !ok {
		return Finding{}, false
	}
	return findingView(f), true
}

// Findings returns every finding, in insertion order.
func (h *SecurityHub) Findings() []Finding {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	var out []Finding
	for _, f := range h.s.reg(h.account, h.region).hub.findings.all() {
		out = append(out, findingView(f))
	}
	return out
}

// RejectUpdates makes the next times BatchUpdateFindingsV2 updates of a
// finding come back in UnprocessedFindings with an error code
// ("ConflictException", "InternalServerException", ...) instead of being
// applied; times <= 0 means always.
func (h *SecurityHub) RejectUpdates(metadataUID, code, message string, times int) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	f, ok := h.s.reg(h.account, h.region).hub.findings.get(metadataUID)
	if !ok {
		panic(fmt.Sprintf("fakeaws: no finding %s", metadataUID))
	}
	if times <= 0 {
		times = -1
	}
	f.rejectCode, f.rejectMsg, f.rejectTimes = code, message, times
}

func findingView(f *hubFinding) Finding {
	raw, _ := json.Marshal(f.doc)
	v := Finding{MetadataUID: f.uid, FindingInfoUID: f.infoUID, ProductUID: f.productUID, AccountUID: f.accID,
		Status: lookupString(f.doc, "status"), Severity: lookupString(f.doc, "severity"),
		Comment: lookupString(f.doc, "comment"), Raw: raw, Updates: slices.Clone(f.updates)}
	if n, ok := lookupNumber(f.doc, "status_id"); ok {
		v.StatusID = int32(n)
	}
	if n, ok := lookupNumber(f.doc, "severity_id"); ok {
		v.SeverityID = int32(n)
	}
	return v
}

// lookup returns the values at a dotted OCSF path, descending into arrays.
func lookup(v any, path string) []any {
	cur := []any{v}
	for part := range strings.SplitSeq(path, ".") {
		var next []any
		for _, c := range cur {
			switch x := c.(type) {
			case map[string]any:
				if val, ok := x[part]; ok {
					if arr, ok := val.([]any); ok {
						next = append(next, arr...)
					} else {
						next = append(next, val)
					}
				}
			case []any:
				for _, e := range x {
					if m, ok := e.(map[string]any); ok {
						if val, ok := m[part]; ok {
							next = append(next, val)
						}
					}
				}
			}
		}
		cur = next
	}
	return cur
}

func lookupString(doc map[string]any, path string) string {
	for _, v := range lookup(doc, path) {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return ""
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

func lookupNumber(doc map[string]any, path string) (float64, bool) {
	for _, v := range lookup(doc, path) {
		if f, ok := toFloat(v); ok {
			return f, true
		}
	}
	return 0, false
}

var (
	statusNames   = map[int32]string{0: "Unknown", 1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved", 5: "Archived", 99: "Other"}
	severityNames = map[int32]string{0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical", 6: "Fatal", 99: "Other"}
)

// ---- wire ----

// securityHubRoute names a Security Hub operation. It reads no state.
func securityHubRoute(c *call) (string, *apiError) {
	switch {
	case c.r.Method == http.MethodPatch && c.r.URL.Path == "/findingsv2/batchupdatev2":
		return "BatchUpdateFindingsV2", nil
	case c.r.Method == http.MethodPost && c.r.URL.Path == "/findingsv2":
		return "GetFindingsV2", nil
	}
	return c.r.Method + " " + c.r.URL.Path, nil
}

type ocsfID struct {
	CloudAccountUID    string `json:"CloudAccountUid"`
	FindingInfoUID     string `json:"FindingInfoUid"`
	MetadataProductUID string `json:"MetadataProductUid"`
}

type bufv2Request struct {
	Comment            *string  `json:"Comment"`
	FindingIdentifiers []ocsfID `json:"FindingIdentifiers"`
	MetadataUids       []string `json:"MetadataUids"`
	SeverityID         *int32   `json:"SeverityId"`
	StatusID           *int32   `json:"StatusId"`
}

type bufv2Processed struct {
	FindingIdentifier *ocsfID `json:"FindingIdentifier,omitempty"`
	MetadataUID       *string `json:"MetadataUid,omitempty"`
}

type bufv2Unprocessed struct {
	ErrorCode         string  `json:"ErrorCode"`
	ErrorMessage      string  `json:"ErrorMessage"`
	FindingIdentifier *ocsfID `json:"FindingIdentifier,omitempty"`
	MetadataUID       *string `json:"MetadataUid,omitempty"`
}

type bufv2Response struct {
	ProcessedFindings   []bufv2Processed   `json:"ProcessedFindings"`
	UnprocessedFindings []bufv2Unprocessed `json:"UnprocessedFindings"`
}

func validation(format string, args ...any) *apiError {
	return errf(400, "ValidationException", format, args...)
}

// hubDispatch routes a Security Hub action. Callers hold mu.
func (s *Server) hubDispatch(c *call) (any, *apiError) {
	st := s.reg(c.account, c.region).hub
	switch c.action {
	case "BatchUpdateFindingsV2":
		return s.hubBatchUpdate(c, st)
	case "GetFindingsV2":
		return s.hubGetFindings(c, st)
	}
	return nil, unknownAction(c)
}

func decodeStrict(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errf(400, "SerializationException", "fakeaws: cannot decode the request body: %v", err)
	}
	return nil
}

func (s *Server) hubBatchUpdate(c *call, st *hubState) (any, *apiError) {
	var req bufv2Request
	if err := decodeStrict(c.body, &req); err != nil {
		return nil, err
	}
	switch {
	case len(req.MetadataUids) > 0 && len(req.FindingIdentifiers) > 0:
		return nil, validation("Customers cannot use MetadataUids together with FindingIdentifiers.")
	case len(req.MetadataUids) == 0 && len(req.FindingIdentifiers) == 0:
		return nil, validation("Either MetadataUids or FindingIdentifiers must be provided.")
	case len(req.MetadataUids) > 100 || len(req.FindingIdentifiers) > 100:
		return nil, validation("At most 100 findings can be updated in one request.")
	case req.Comment == nil && req.SeverityID == nil && req.StatusID == nil:
		return nil, validation("At least one of Comment, SeverityId or StatusId must be provided.")
	}
	if req.StatusID != nil {
		if _, ok := statusNames[*req.StatusID]; !ok {
			return nil, validation("Invalid StatusId %d: allowed values are [0, 1, 2, 3, 4, 5, 99].", *req.StatusID)
		}
	}
	if req.SeverityID != nil {
		if _, ok := severityNames[*req.SeverityID]; !ok {
			return nil, validation("Invalid SeverityId %d: allowed values are [0, 1, 2, 3, 4, 5, 6, 99].", *req.SeverityID)
		}
	}
	if req.Comment != nil {
		if n := utf8.RuneCountInString(*req.Comment); n < 1 || n > 512 {
			return nil, validation("Comment must be between 1 and 512 characters long (got %d).", n)
		}
	}
	for _, id := range req.FindingIdentifiers {
		if id.CloudAccountUID == "" || id.FindingInfoUID == "" || id.MetadataProductUID == "" {
			return nil, validation("FindingIdentifiers need CloudAccountUid, FindingInfoUid and MetadataProductUid.")
		}
	}
	out := &bufv2Response{ProcessedFindings: []bufv2Processed{}, UnprocessedFindings: []bufv2Unprocessed{}}
	apply := func(f *hubFinding, proc bufv2Processed) {
		if f == nil {
			out.UnprocessedFindings = append(out.UnprocessedFindings, bufv2Unprocessed{ErrorCode: "ResourceNotFoundException",
				ErrorMessage: "Finding not found", FindingIdentifier: proc.FindingIdentifier, MetadataUID: proc.MetadataUID})
			return
		}
		if f.rejectTimes != 0 {
			if f.rejectTimes > 0 {
				f.rejectTimes--
			}
			msg := f.rejectMsg
			if msg == "" {
				msg = "fakeaws: injected update failure"
			}
			out.UnprocessedFindings = append(out.UnprocessedFindings, bufv2Unprocessed{ErrorCode: f.rejectCode,
				ErrorMessage: msg, FindingIdentifier: proc.FindingIdentifier, MetadataUID: proc.MetadataUID})
			return
		}
		u := FindingUpdate{Time: s.now(), By: c.caller.arn}
		if req.StatusID != nil {
			v := *req.StatusID
			u.StatusID = &v
			f.doc["status_id"] = json.Number(strconv.Itoa(int(v)))
			f.doc["status"] = statusNames[v]
		}
		if req.SeverityID != nil {
			v := *req.SeverityID
			u.SeverityID = &v
			f.doc["severity_id"] = json.Number(strconv.Itoa(int(v)))
			f.doc["severity"] = severityNames[v]
		}
		if req.Comment != nil {
			v := *req.Comment
			u.Comment = &v
			f.doc["comment"] = v
		}
		f.updates = append(f.updates, u)
		out.ProcessedFindings = append(out.ProcessedFindings, proc)
	}
	for _, uid := range req.MetadataUids {
		f, _ := st.findings.get(uid)
		apply(f, bufv2Processed{MetadataUID: &uid})
	}
	for _, id := range req.FindingIdentifiers {
		var hit *hubFinding
		for _, f := range st.findings.all() {
			if f.accID == id.CloudAccountUID && f.infoUID == id.FindingInfoUID && f.productUID == id.MetadataProductUID {
				hit = f
				break
			}
		}
		apply(hit, bufv2Processed{FindingIdentifier: &id})
	}
	return out, nil
}

// ---- GetFindingsV2 ----

type hubStringFilter struct {
	FieldName string `json:"FieldName"`
	Filter    *struct {
		Comparison string `json:"Comparison"`
		Value      string `json:"Value"`
	} `json:"Filter"`
}

type hubNumberFilter struct {
	FieldName string `json:"FieldName"`
	Filter    *struct {
		Eq, Gt, Gte, Lt, Lte *float64
	} `json:"Filter"`
}

type hubBooleanFilter struct {
	FieldName string `json:"FieldName"`
	Filter    *struct {
		Value *bool `json:"Value"`
	} `json:"Filter"`
}

type hubComposite struct {
	StringFilters          []hubStringFilter  `json:"StringFilters"`
	NumberFilters          []hubNumberFilter  `json:"NumberFilters"`
	BooleanFilters         []hubBooleanFilter `json:"BooleanFilters"`
	DateFilters            []json.RawMessage  `json:"DateFilters"`
	IPFilters              []json.RawMessage  `json:"IpFilters"`
	MapFilters             []json.RawMessage  `json:"MapFilters"`
	NestedCompositeFilters []hubComposite     `json:"NestedCompositeFilters"`
	Operator               string             `json:"Operator"`
}

type hubGetFindingsRequest struct {
	Filters *struct {
		CompositeFilters  []hubComposite `json:"CompositeFilters"`
		CompositeOperator string         `json:"CompositeOperator"`
	} `json:"Filters"`
	SortCriteria []struct {
		Field     string `json:"Field"`
		SortOrder string `json:"SortOrder"`
	} `json:"SortCriteria"`
	MaxResults *int32 `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

type hubGetFindingsResponse struct {
	Findings  []json.RawMessage `json:"Findings"`
	NextToken string            `json:"NextToken,omitempty"`
}

func combine(op string, results []bool) bool {
	if len(results) == 0 {
		return true
	}
	if strings.EqualFold(op, "OR") {
		return slices.Contains(results, true)
	}
	return !slices.Contains(results, false)
}

func matchString(doc map[string]any, f hubStringFilter) (bool, *apiError) {
	if f.Filter == nil {
		return false, validation("StringFilter %s has no Filter", f.FieldName)
	}
	var vals []string
	for _, v := range lookup(doc, f.FieldName) {
		if s, ok := v.(string); ok {
			vals = append(vals, s)
		}
	}
	want := f.Filter.Value
	anyOf := func(pred func(string) bool) bool { return slices.ContainsFunc(vals, pred) }
	switch f.Filter.Comparison {
	case "EQUALS":
		return anyOf(func(v string) bool { return v == want }), nil
	case "NOT_EQUALS":
		return !anyOf(func(v string) bool { return v == want }), nil
	case "PREFIX":
		return anyOf(func(v string) bool { return strings.HasPrefix(v, want) }), nil
	case "PREFIX_NOT_EQUALS":
		return !anyOf(func(v string) bool { return strings.HasPrefix(v, want) }), nil
	case "CONTAINS":
		return anyOf(func(v string) bool { return strings.Contains(v, want) }), nil
	case "NOT_CONTAINS":
		return !anyOf(func(v string) bool { return strings.Contains(v, want) }), nil
	case "CONTAINS_WORD":
		return anyOf(func(v string) bool { return slices.Contains(strings.Fields(v), want) }), nil
	}
	return false, validation("Unknown string comparison %q", f.Filter.Comparison)
}

func matchComposite(doc map[string]any, cf hubComposite) (bool, *apiError) {
	if len(cf.DateFilters)+len(cf.IPFilters)+len(cf.MapFilters) > 0 {
		return false, validation("fakeaws: GetFindingsV2 supports String, Number and Boolean filters only")
	}
	var res []bool
	for _, f := range cf.StringFilters {
		ok, err := matchString(doc, f)
		if err != nil {
			return false, err
		}
		res = append(res, ok)
	}
	for _, f := range cf.NumberFilters {
		if f.Filter == nil {
			return false, validation("NumberFilter %s has no Filter", f.FieldName)
		}
		hit := false
		for _, v := range lookup(doc, f.FieldName) {
			n, ok := toFloat(v)
			if !ok {
				continue
			}
			p := f.Filter
			if (p.Eq == nil || n == *p.Eq) && (p.Gt == nil || n > *p.Gt) && (p.Gte == nil || n >= *p.Gte) &&
				(p.Lt == nil || n < *p.Lt) && (p.Lte == nil || n <= *p.Lte) {
				hit = true
			}
		}
		res = append(res, hit)
	}
	for _, f := range cf.BooleanFilters {
		if f.Filter == nil || f.Filter.Value == nil {
			return false, validation("BooleanFilter %s has no value", f.FieldName)
		}
		hit := false
		for _, v := range lookup(doc, f.FieldName) {
			if b, ok := v.(bool); ok && b == *f.Filter.Value {
				hit = true
			}
		}
		res = append(res, hit)
	}
	for _, n := range cf.NestedCompositeFilters {
		ok, err := matchComposite(doc, n)
		if err != nil {
			return false, err
		}
		res = append(res, ok)
	}
	return combine(cf.Operator, res), nil
}

func (s *Server) hubGetFindings(c *call, st *hubState) (any, *apiError) {
	var req hubGetFindingsRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return nil, err
	}
	if req.NextToken != "" {
		c.form.Set("NextToken", req.NextToken)
	}
	if req.MaxResults != nil {
		c.form.Set("MaxResults", strconv.Itoa(int(*req.MaxResults)))
	}
	var sel []*hubFinding
	for _, f := range st.findings.all() {
		ok := true
		if req.Filters != nil {
			var res []bool
			for _, cf := range req.Filters.CompositeFilters {
				m, err := matchComposite(f.doc, cf)
				if err != nil {
					return nil, err
				}
				res = append(res, m)
			}
			ok = combine(req.Filters.CompositeOperator, res)
		}
		if ok {
			sel = append(sel, f)
		}
	}
	for i := len(req.SortCriteria) - 1; i >= 0; i-- {
		sc := req.SortCriteria[i]
		desc := strings.EqualFold(sc.SortOrder, "desc")
		slices.SortStableFunc(sel, func(a, b *hubFinding) int {
			r := compareValues(lookup(a.doc, sc.Field), lookup(b.doc, sc.Field))
			if desc {
				return -r
			}
			return r
		})
	}
	page, next, err := paginate(s, c, sel, pageSpec{tokenKey: "NextToken", maxKey: "MaxResults", min: 1, max: 1000, def: 100})
	if err != nil {
		return nil, err
	}
	out := &hubGetFindingsResponse{Findings: []json.RawMessage{}, NextToken: next}
	for _, f := range page {
		raw, _ := json.Marshal(f.doc)
		out.Findings = append(out.Findings, raw)
	}
	return out, nil
}

// compareValues orders the first values of two lookups (numbers before
// strings, missing last).
func compareValues(a, b []any) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return 1
	case len(b) == 0:
		return -1
	}
	fa, na := toFloat(a[0])
	fb, nb := toFloat(b[0])
	if na && nb {
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return strings.Compare(fmt.Sprint(a[0]), fmt.Sprint(b[0]))
}
