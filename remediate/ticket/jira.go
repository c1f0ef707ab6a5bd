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

// JiraOptions configure [NewJira].
type JiraOptions struct {
	Options
	// BaseURL is the Jira Cloud site ("https://example.atlassian.net"), or
	// for an OAuth 2.0 (3LO) app "https://api.atlassian.com/ex/jira/<cloudId>".
	// Required.
	BaseURL string
	// Email and APIToken authenticate with Basic auth (an API token made at
	// id.atlassian.com for the account with that email).
	Email    string
	APIToken Secret
	// BearerToken authenticates an OAuth 2.0 app instead. Set exactly one of
	// APIToken and BearerToken.
	BearerToken Secret
	// Project is the key of the project issues are created in ("SEC").
	// Required.
	Project string
	// IssueType is the issue type's name (default "Task").
	IssueType string
	// Labels are added to every issue, besides the deduplication key, which
	// is always a label.
	Labels []string
	// Priorities maps finding severities to priority names ("Highest");
	// unmapped severities leave the project's default priority.
	Priorities map[ocsf.SeverityID]string
	// Fields are more fields of the create request, as the REST API takes
	// them ({"components": [{"name": "Security"}], "customfield_10010": …}).
	// They cannot replace project, issuetype, summary, description or
	// labels.
	Fields map[string]any
	// DoneTransition is the name of the transition that resolves an issue
	// (default: the first transition whose target status is in the "done"
	// category).
	DoneTransition string
}

// NewJira returns a remediator keeping one Jira Cloud issue per finding
// (REST API v3):
//
//   - it finds the finding's open issue by its label (the deduplication key)
//     with POST /rest/api/3/search/jql, after the issue remembered in the
//     state, since search is eventually consistent;
//   - with none, it creates one (POST /rest/api/3/issue) with the
//     description in Atlassian Document Format;
//   - for a new generation of the finding, it adds a comment (POST
//     /rest/api/3/issue/{key}/comment); the description and comments carry
//     a reference "[<key> <generation>]" that makes this idempotent;
//   - to resolve, it adds a closing comment and moves the issue through the
//     transition to a "done" status (POST /rest/api/3/issue/{key}/transitions).
func NewJira(opts JiraOptions) (*Remediator, error) {
	const sys = "jira"
	o, err := opts.Options.withDefaults(sys)
	if err != nil {
		return nil, err
	}
	base, err := parseBaseURL(sys, "BaseURL", opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if opts.Project == "" {
		return nil, configErr(sys, "Project is required")
	}
	j := &jira{base: base.String(), project: opts.Project, issueType: opts.IssueType, labels: opts.Labels,
		priorities: opts.Priorities, fields: opts.Fields, doneTransition: opts.DoneTransition}
	if j.issueType == "" {
		j.issueType = "Task"
	}
	for k := range opts.Fields {
		switch k {
		case "project", "issuetype", "summary", "description", "labels":
			return nil, configErr(sys, "Fields cannot set %q", k)
		}
	}
	for _, l := range opts.Labels {
		if l == "" || strings.ContainsAny(l, " \t\n") {
			return nil, configErr(sys, "label %q: labels cannot be empty or contain spaces", l)
		}
	}
	auth, secrets, err := basicOrBearer(sys, "Email", "APIToken", opts.Email, opts.APIToken, opts.BearerToken)
	if err != nil {
		return nil, err
	}
	j.auth = auth
	j.c = newHTTPClient(sys, o, secrets...)
	j.c.errorText = jiraErrorText
	return newRemediator(o, j), nil
}

type jira struct {
	c              *httpClient
	base           string
	auth           Secret
	project        string
	issueType      string
	labels         []string
	priorities     map[ocsf.SeverityID]string
	fields         map[string]any
	doneTransition string
}

func (j *jira) system() string { return "jira" }

// jiraIssue is the part of an issue we read.
type jiraIssue struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Status *struct {
			Name           string `json:"name"`
			StatusCategory *struct {
				Key string `json:"key"`
			} `json:"statusCategory"`
		} `json:"status"`
		Description json.RawMessage `json:"description"`
	} `json:"fields"`
}

func (i *jiraIssue) done() bool {
	s := i.Fields.Status
	return s != nil && s.StatusCategory != nil && s.StatusCategory.Key == "done"
}

type jiraTransition struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	To   *struct {
		Name           string `json:"name"`
		StatusCategory *struct {
			Key string `json:"key"`
		} `json:"statusCategory"`
	} `json:"to"`
}

func (j *jira) call(ctx context.Context, op, method, path string, q url.Values, body []byte) (*response, error) {
	return j.c.call(ctx, j.base, j.auth, op, method, path, q, body)
}

func isStatus(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == code
}

// get reads an issue's status and description; nil when it does not exist.
func (j *jira) get(ctx context.Context, key string) (*jiraIssue, error) {
	resp, err := j.call(ctx, "get issue", http.MethodGet, "/rest/api/3/issue/"+url.PathEscape(key),
		url.Values{"fields": {"status,description"}}, nil)
	if isStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var iss jiraIssue
	if err := json.Unmarshal(resp.body, &iss); err != nil || !validID(iss.Key) {
		return nil, badResponse("jira", "get issue", "no issue key")
	}
	return &iss, nil
}

// search returns the newest open issue labelled key, or nil.
func (j *jira) search(ctx context.Context, key string) (*jiraIssue, error) {
	body, err := marshal(map[string]any{
		"jql":        `labels = "` + key + `" AND statusCategory != Done ORDER BY created DESC`,
		"maxResults": 1,
		"fields":     []string{"status", "description"},
	})
	if err != nil {
		return nil, err
	}
	resp, err := j.call(ctx, "search issues", http.MethodPost, "/rest/api/3/search/jql", nil, body)
	if err != nil {
		return nil, err
	}
	issues, err := parseJiraSearch(resp.body)
	if err != nil {
		return nil, badResponse("jira", "search issues", err.Error())
	}
	for i := range issues {
		if !issues[i].done() {
			return &issues[i], nil
		}
	}
	return nil, nil
}

// parseJiraSearch decodes a search/jql response.
func parseJiraSearch(b []byte) ([]jiraIssue, error) {
	var out struct {
		Issues []jiraIssue `json:"issues"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, errors.New("search result is not JSON")
	}
	for _, iss := range out.Issues {
		if !validID(iss.Key) {
			return nil, errors.New("issue without a valid key")
		}
	}
	return out.Issues, nil
}

// find returns the finding's open issue: the one in the state if it is still
// open, else the newest open issue carrying the label.
func (j *jira) find(ctx context.Context, r *Remediator, key string) (*jiraIssue, error) {
	e, ok, err := r.loadEntry(ctx, key)
	if err != nil {
		return nil, err
	}
	if ok && e.Ticket != "" && e.State != "resolved" {
		iss, err := j.get(ctx, e.Ticket)
		if err != nil {
			return nil, err
		}
		if iss != nil && !iss.done() {
			return iss, nil
		}
	}
	return j.search(ctx, key)
}

// recorded reports whether the issue's description or comments hold marker.
func (j *jira) recorded(ctx context.Context, iss *jiraIssue, marker string) (bool, error) {
	if bytes.Contains(iss.Fields.Description, []byte(marker)) {
		return true, nil
	}
	resp, err := j.call(ctx, "list comments", http.MethodGet, "/rest/api/3/issue/"+url.PathEscape(iss.Key)+"/comment",
		url.Values{"orderBy": {"-created"}, "maxResults": {"100"}}, nil)
	if err != nil {
		return false, err
	}
	bodies, err := parseJiraComments(resp.body)
	if err != nil {
		return false, badResponse("jira", "list comments", err.Error())
	}
	for _, b := range bodies {
		if bytes.Contains(b, []byte(marker)) {
			return true, nil
		}
	}
	return false, nil
}

// parseJiraComments returns the bodies of a comment page.
func parseJiraComments(b []byte) ([]json.RawMessage, error) {
	var out struct {
		Comments []struct {
			Body json.RawMessage `json:"body"`
		} `json:"comments"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, errors.New("comment page is not JSON")
	}
	bodies := make([]json.RawMessage, len(out.Comments))
	for i, c := range out.Comments {
		bodies[i] = c.Body
	}
	return bodies, nil
}

// transitions lists the issue's available transitions.
func (j *jira) transitions(ctx context.Context, key string) ([]jiraTransition, error) {
	resp, err := j.call(ctx, "list transitions", http.MethodGet, "/rest/api/3/issue/"+url.PathEscape(key)+"/transitions", nil, nil)
	if err != nil {
		return nil, err
	}
	ts, err := parseJiraTransitions(resp.body)
	if err != nil {
		return nil, badResponse("jira", "list transitions", err.Error())
	}
	return ts, nil
}

func parseJiraTransitions(b []byte) ([]jiraTransition, error) {
	var out struct {
		Transitions []jiraTransition `json:"transitions"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, errors.New("transition list is not JSON")
	}
	return out.Transitions, nil
}

// pick chooses the resolving transition: the configured name, else the
// first whose target is in the "done" category.
func (j *jira) pick(ts []jiraTransition) (jiraTransition, bool) {
	for _, t := range ts {
		if t.ID == "" {
			continue
		}
		if j.doneTransition != "" {
			if strings.EqualFold(t.Name, j.doneTransition) {
				return t, true
			}
			continue
		}
		if t.To != nil && t.To.StatusCategory != nil && t.To.StatusCategory.Key == "done" {
			return t, true
		}
	}
	return jiraTransition{}, false
}

func (j *jira) noTransition(key string) error {
	what := `to a status in the "done" category`
	if j.doneTransition != "" {
		what = "named " + j.doneTransition
	}
	return remediate.Permanent(&Error{System: "jira", Op: "resolve issue", Message: "issue " + key + " has no transition " + what,
		class: remediate.ClassPermanent})
}

type jiraTransitionBody struct {
	Transition struct {
		ID string `json:"id"`
	} `json:"transition"`
}

func (j *jira) createBody(v *view) map[string]any {
	fields := make(map[string]any, len(j.fields)+6)
	for k, val := range j.fields {
		fields[k] = val
	}
	fields["project"] = map[string]string{"key": j.project}
	fields["issuetype"] = map[string]string{"name": j.issueType}
	fields["summary"] = oneLine(v.title(), 255)
	fields["labels"] = append(append([]string{}, j.labels...), v.Key)
	fields["description"] = adfDoc(v.descriptionBlock())
	if p := j.priorities[ocsf.SeverityID(v.Ref.SeverityID)]; p != "" {
		fields["priority"] = map[string]string{"name": p}
	}
	return map[string]any{"fields": fields}
}

func (j *jira) plan(ctx context.Context, r *Remediator, v *view, in intent) (*planned, error) {
	iss, err := j.find(ctx, r, v.Key)
	if err != nil {
		return nil, err
	}
	pl := &planned{data: planData{System: "jira", Key: v.Key, Gen: v.Gen, Intent: in}}
	if in == intentResolve {
		if iss == nil {
			return nil, r.notApplicable("no open Jira issue for finding %s", v.Key)
		}
		pl.data.Ticket, pl.data.Number = iss.Key, iss.ID
		rec, err := j.recorded(ctx, iss, v.resolveMarker())
		if err != nil {
			return nil, err
		}
		if !rec {
			c, err := change("comment", "jira:AddComment", iss.Key, "add the closing comment to "+iss.Key,
				map[string]any{"body": adfDoc(v.resolveBlock())})
			if err != nil {
				return nil, err
			}
			pl.changes = append(pl.changes, c)
		}
		ts, err := j.transitions(ctx, iss.Key)
		if err != nil {
			return nil, err
		}
		t, ok := j.pick(ts)
		if !ok {
			return nil, j.noTransition(iss.Key)
		}
		var body jiraTransitionBody
		body.Transition.ID = t.ID
		c, err := change("transition", "jira:TransitionIssue", iss.Key,
			"move "+iss.Key+" through transition "+oneLine(t.Name, 100)+" (id "+t.ID+")", body)
		if err != nil {
			return nil, err
		}
		pl.changes = append(pl.changes, c)
		pl.summary = "resolve Jira issue " + iss.Key
		return pl, nil
	}
	if iss == nil {
		c, err := change("create", "jira:CreateIssue", "project/"+j.project,
			"create a "+j.issueType+" in project "+j.project+": "+oneLine(v.title(), 255), j.createBody(v))
		if err != nil {
			return nil, err
		}
		pl.changes = []remediate.Change{c}
		pl.summary = "create a Jira issue in project " + j.project
		return pl, nil
	}
	pl.data.Ticket, pl.data.Number = iss.Key, iss.ID
	rec, err := j.recorded(ctx, iss, v.marker())
	if err != nil {
		return nil, err
	}
	if rec {
		return nil, r.notApplicable("Jira issue %s already records generation %s", iss.Key, v.Gen)
	}
	c, err := change("comment", "jira:AddComment", iss.Key, "comment on "+iss.Key+" with the finding's update",
		map[string]any{"body": adfDoc(v.updateBlock())})
	if err != nil {
		return nil, err
	}
	pl.changes = []remediate.Change{c}
	pl.summary = "comment on Jira issue " + iss.Key
	return pl, nil
}

func (j *jira) apply(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	switch c.Action {
	case "jira:CreateIssue":
		return j.applyCreate(ctx, r, d, c)
	case "jira:AddComment":
		return j.applyComment(ctx, r, d, c)
	case "jira:TransitionIssue":
		return j.applyTransition(ctx, r, d, c)
	}
	return remediate.Outcome{}, remediate.Permanent(errors.New("ticket: jira: unknown change action " + c.Action))
}

func (j *jira) applyCreate(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	iss, err := j.find(ctx, r, d.Key)
	if err != nil {
		return remediate.Outcome{}, err
	}
	if iss != nil {
		d.Ticket, d.Number = iss.Key, iss.ID
		if err := r.saveEntry(ctx, d.Key, entry{Ticket: iss.Key, Number: iss.ID, State: "open"}); err != nil {
			return remediate.Outcome{}, err
		}
		return remediate.Outcome{Status: remediate.OutcomeAlreadyDone, Detail: "Jira issue " + iss.Key + " already exists"}, nil
	}
	resp, err := j.call(ctx, "create issue", http.MethodPost, "/rest/api/3/issue", nil, c.Params)
	if err != nil {
		return remediate.Outcome{}, err
	}
	var created struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if json.Unmarshal(resp.body, &created) != nil || !validID(created.Key) {
		return remediate.Outcome{}, badResponse("jira", "create issue", "no issue key")
	}
	if err := r.noteCreated(ctx, d, created.Key, created.ID); err != nil {
		return remediate.Outcome{}, err
	}
	r.log.Info("ticket: Jira issue created", "remediator", r.name, "issue", created.Key, "key", d.Key)
	return remediate.Outcome{Status: remediate.OutcomeApplied, Detail: "created Jira issue " + created.Key}, nil
}

func (j *jira) existing(ctx context.Context, d *planData) (*jiraIssue, error) {
	if !validID(d.Ticket) {
		return nil, remediate.Permanent(errors.New("ticket: jira: plan names no issue"))
	}
	iss, err := j.get(ctx, d.Ticket)
	if err != nil {
		return nil, err
	}
	if iss == nil {
		return nil, remediate.Permanent(&Error{System: "jira", Op: "get issue", StatusCode: http.StatusNotFound,
			Message: "issue " + d.Ticket + " no longer exists", class: remediate.ClassPermanent})
	}
	return iss, nil
}

func (j *jira) applyComment(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	iss, err := j.existing(ctx, d)
	if err != nil {
		return remediate.Outcome{}, err
	}
	marker := d.marker()
	if d.Intent == intentResolve {
		marker = d.resolveMarker()
	}
	rec, err := j.recorded(ctx, iss, marker)
	if err != nil {
		return remediate.Outcome{}, err
	}
	if rec {
		return remediate.Outcome{Status: remediate.OutcomeAlreadyDone, Detail: "Jira issue " + iss.Key + " already has the comment"}, nil
	}
	if _, err := j.call(ctx, "add comment", http.MethodPost, "/rest/api/3/issue/"+url.PathEscape(iss.Key)+"/comment", nil, c.Params); err != nil {
		return remediate.Outcome{}, err
	}
	if d.Intent != intentResolve {
		e, _, err := r.loadEntry(ctx, d.Key)
		if err != nil {
			return remediate.Outcome{}, err
		}
		e.Ticket, e.Number, e.State = iss.Key, iss.ID, "open"
		e.addGen(d.Gen)
		if err := r.saveEntry(ctx, d.Key, e); err != nil {
			return remediate.Outcome{}, err
		}
	}
	return remediate.Outcome{Status: remediate.OutcomeApplied, Detail: "commented on Jira issue " + iss.Key}, nil
}

func (j *jira) applyTransition(ctx context.Context, r *Remediator, d *planData, c remediate.Change) (remediate.Outcome, error) {
	iss, err := j.existing(ctx, d)
	if err != nil {
		return remediate.Outcome{}, err
	}
	if iss.done() {
		if err := r.noteResolved(ctx, d.Key, iss.Key, iss.ID); err != nil {
			return remediate.Outcome{}, err
		}
		return remediate.Outcome{Status: remediate.OutcomeAlreadyDone, Detail: "Jira issue " + iss.Key + " is already done"}, nil
	}
	var want jiraTransitionBody
	_ = json.Unmarshal(c.Params, &want)
	ts, err := j.transitions(ctx, iss.Key)
	if err != nil {
		return remediate.Outcome{}, err
	}
	body := c.Params
	found := false
	for _, t := range ts {
		if t.ID != "" && t.ID == want.Transition.ID {
			found = true
		}
	}
	if !found {
		// The workflow changed since planning: choose again by the same rule.
		t, ok := j.pick(ts)
		if !ok {
			return remediate.Outcome{}, j.noTransition(iss.Key)
		}
		want.Transition.ID = t.ID
		if body, err = marshal(want); err != nil {
			return remediate.Outcome{}, err
		}
	}
	if _, err := j.call(ctx, "transition issue", http.MethodPost, "/rest/api/3/issue/"+url.PathEscape(iss.Key)+"/transitions", nil, body); err != nil {
		return remediate.Outcome{}, err
	}
	if err := r.noteResolved(ctx, d.Key, iss.Key, iss.ID); err != nil {
		return remediate.Outcome{}, err
	}
	r.log.Info("ticket: Jira issue resolved", "remediator", r.name, "issue", iss.Key, "key", d.Key)
	return remediate.Outcome{Status: remediate.OutcomeApplied, Detail: "resolved Jira issue " + iss.Key}, nil
}

// jiraErrorText reads Jira's error body:
// {"errorMessages": ["…"], "errors": {"field": "…"}}.
func jiraErrorText(body []byte) (string, string) {
	var e struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || (len(e.ErrorMessages) == 0 && len(e.Errors) == 0) {
		return genericErrorText(body)
	}
	parts := append([]string{}, e.ErrorMessages...)
	keys := make([]string, 0, len(e.Errors))
	for k := range e.Errors {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, k+": "+e.Errors[k])
	}
	return "", excerpt(strings.Join(parts, "; "))
}

// adfNode is a node of the Atlassian Document Format.
type adfNode struct {
	Type    string    `json:"type"`
	Version int       `json:"version,omitempty"`
	Text    string    `json:"text,omitempty"`
	Marks   []adfMark `json:"marks,omitempty"`
	Content []adfNode `json:"content,omitempty"`
}

type adfMark struct {
	Type  string            `json:"type"`
	Attrs map[string]string `json:"attrs,omitempty"`
}

func adfText(s string, marks ...adfMark) adfNode { return adfNode{Type: "text", Text: s, Marks: marks} }

func adfPara(nodes ...adfNode) adfNode { return adfNode{Type: "paragraph", Content: nodes} }

func adfList(items []adfNode) adfNode {
	list := adfNode{Type: "bulletList"}
	for _, it := range items {
		list.Content = append(list.Content, adfNode{Type: "listItem", Content: []adfNode{adfPara(it)}})
	}
	return list
}

// adfDoc renders a block as an ADF document: paragraphs, "label: value"
// bullet lists with the label in bold, titled bullet lists, a link and the
// reference line.
func adfDoc(b *block) adfNode {
	doc := adfNode{Type: "doc", Version: 1}
	strong := adfMark{Type: "strong"}
	for _, p := range b.Parts {
		switch {
		case p.Fields != nil:
			list := adfNode{Type: "bulletList"}
			for _, f := range p.Fields {
				item := adfPara(adfText(f[0]+": ", strong), adfText(f[1]))
				list.Content = append(list.Content, adfNode{Type: "listItem", Content: []adfNode{item}})
			}
			doc.Content = append(doc.Content, list)
		case p.Items != nil:
			doc.Content = append(doc.Content, adfPara(adfText(p.Title+":", strong)))
			items := make([]adfNode, len(p.Items))
			for i, it := range p.Items {
				items[i] = adfText(it)
			}
			doc.Content = append(doc.Content, adfList(items))
		default:
			doc.Content = append(doc.Content, adfPara(adfText(p.Text)))
		}
	}
	if b.Link != "" {
		doc.Content = append(doc.Content, adfPara(adfText("Open the finding", adfMark{Type: "link", Attrs: map[string]string{"href": b.Link}})))
	}
	if b.Marker != "" {
		doc.Content = append(doc.Content, adfPara(adfText("ref: "+b.Marker, adfMark{Type: "code"})))
	}
	return doc
}
