package ticket_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/ticket"
)

// exampleFinding is a small GuardDuty detection finding.
func exampleFinding() ocsf.Finding {
	f, err := ocsf.Decode([]byte(`{"class_uid":2004,"category_uid":2,"activity_id":1,"type_uid":200401,
		"metadata":{"version":"1.6.0","uid":"finding-1","product":{"name":"GuardDuty","uid":"arn:aws:securityhub:us-east-1::productv2/aws/guardduty"}},
		"finding_info":{"uid":"f-1","title":"SSH brute force against i-0abc","modified_time":1770711277512},
		"severity_id":4,"severity":"High","status_id":1,"status":"New","time":1770711277512,
		"cloud":{"provider":"AWS","region":"us-east-1","account":{"uid":"111122223333"}},
		"resources":[{"type":"AWS::EC2::Instance","uid":"i-0abc"}]}`))
	if err != nil {
		log.Fatal(err)
	}
	return f
}

// A Jira Cloud project gets one issue per finding. Plan searches for the
// finding's issue by its label; Apply creates it.
func ExampleNewJira() {
	// A stand-in for https://example.atlassian.net.
	jira := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rest/api/3/search/jql":
			io.WriteString(w, `{"issues":[],"isLast":true}`)
		case "/rest/api/3/issue":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"10001","key":"SEC-1","self":"https://example.atlassian.net/rest/api/3/issue/10001"}`)
		}
	}))
	defer jira.Close()

	r, err := ticket.NewJira(ticket.JiraOptions{
		BaseURL:  jira.URL,
		Email:    "secops@example.com",
		APIToken: ticket.NewSecret("api-token"), // ticket.SecretFromEnv("JIRA_API_TOKEN") in real use
		Project:  "SEC",
		Priorities: map[ocsf.SeverityID]string{
			ocsf.SeverityIDCritical: "Highest", ocsf.SeverityIDHigh: "High",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	p, err := r.Plan(ctx, exampleFinding())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Summary)
	for _, c := range p.Changes {
		fmt.Println(c.Action, c.Resource)
	}
	res, err := r.Apply(ctx, p)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Summary)
	// Output:
	// ticket: create a Jira issue in project SEC
	// jira:CreateIssue project/SEC
	// ticket: created Jira issue SEC-1
}

// A ServiceNow incident per finding, found again by correlation_id.
func ExampleNewServiceNow() {
	sn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet: // the correlation_id query
			io.WriteString(w, `{"result":[]}`)
		case http.MethodPost:
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"result":{"sys_id":"9d385017c611228701d22104cc95c371","number":"INC0010001","state":"1"}}`)
		}
	}))
	defer sn.Close()

	r, err := ticket.NewServiceNow(ticket.ServiceNowOptions{
		BaseURL:  sn.URL,
		Username: "svc-ocsfhub",
		Password: ticket.NewSecret("password"),
		Fields:   map[string]string{"category": "security"},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	p, err := r.Plan(ctx, exampleFinding())
	if err != nil {
		log.Fatal(err)
	}
	var body map[string]string
	json.Unmarshal(p.Changes[0].Params, &body)
	fmt.Println(body["short_description"])
	fmt.Println("impact", body["impact"], "urgency", body["urgency"])
	res, err := r.Apply(ctx, p)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Summary)
	// Output:
	// [HIGH] GuardDuty: SSH brute force against i-0abc (111122223333/us-east-1)
	// impact 2 urgency 1
	// ticket: created ServiceNow record INC0010001
}

// PagerDuty alerts are deduplicated by dedup_key; the routing key stays out
// of the plan.
func ExampleNewPagerDuty() {
	pd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			EventAction string `json:"event_action"`
			Payload     struct {
				Severity string `json:"severity"`
			} `json:"payload"`
		}
		json.NewDecoder(r.Body).Decode(&ev)
		fmt.Println("received", ev.EventAction, ev.Payload.Severity)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"success","message":"Event processed","dedup_key":"x"}`)
	}))
	defer pd.Close()

	r, err := ticket.NewPagerDuty(ticket.PagerDutyOptions{
		RoutingKey: ticket.NewSecret("0123456789abcdef0123456789abcdef"),
		BaseURL:    pd.URL, // default https://events.pagerduty.com
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	p, err := r.Plan(ctx, exampleFinding())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := r.Apply(ctx, p); err != nil {
		log.Fatal(err)
	}
	// The same generation again: nothing to send.
	_, err = r.Plan(ctx, exampleFinding())
	fmt.Println(errors.Is(err, remediate.ErrNotApplicable))
	// Output:
	// received trigger error
	// true
}

// With an incoming webhook, Slack is told when a finding is first seen and
// when it is resolved; a bot token (BotToken, Channel) edits one message
// per finding instead.
func ExampleNewSlack() {
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			Text string `json:"text"`
		}
		json.NewDecoder(r.Body).Decode(&m)
		fmt.Println("posted:", m.Text)
		io.WriteString(w, "ok")
	}))
	defer slack.Close()

	r, err := ticket.NewSlack(ticket.SlackOptions{
		WebhookURL: ticket.NewSecret(slack.URL + "/services/T000/B000/XXXX"),
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	p, err := r.Plan(ctx, exampleFinding())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := r.Apply(ctx, p); err != nil {
		log.Fatal(err)
	}
	// Output:
	// posted: [HIGH] GuardDuty: SSH brute force against i-0abc (111122223333/us-east-1)
}

// A generic webhook receives signed JSON events; the receiver checks the
// signature with VerifySignature.
func ExampleNewWebhook() {
	secret := ticket.NewSecret("whsec-example")
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		err := ticket.VerifySignature(secret, r.Header.Get(ticket.HeaderTimestamp), r.Header.Get(ticket.HeaderSignature), body, time.Now(), 5*time.Minute)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var ev ticket.WebhookEvent
		json.Unmarshal(body, &ev)
		fmt.Println(ev.Type, ev.Severity, r.Header.Get(ticket.HeaderIdempotencyKey) == ev.ID)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	r, err := ticket.NewWebhook(ticket.WebhookOptions{URL: receiver.URL + "/ocsf", SigningSecret: secret})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	p, err := r.Plan(ctx, exampleFinding())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := r.Apply(ctx, p); err != nil {
		log.Fatal(err)
	}
	// Output:
	// finding.opened High true
}

// NewWriteBack closes tickets when another remediator fixes the finding:
// give it to the engine as its StatusWriter.
func ExampleNewWriteBack() {
	pd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			EventAction string `json:"event_action"`
		}
		json.NewDecoder(r.Body).Decode(&ev)
		fmt.Println("pagerduty:", ev.EventAction)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer pd.Close()
	pager, err := ticket.NewPagerDuty(ticket.PagerDutyOptions{RoutingKey: ticket.NewSecret("0123456789abcdef0123456789abcdef"), BaseURL: pd.URL})
	if err != nil {
		log.Fatal(err)
	}
	securityHub := remediate.StatusWriterFunc(func(ctx context.Context, u remediate.StatusUpdate) error {
		fmt.Println("security hub:", u.StatusID)
		return nil
	})
	wb, err := ticket.NewWriteBack(ticket.WriteBackOptions{Next: securityHub, Resolvers: []ticket.Resolver{pager}})
	if err != nil {
		log.Fatal(err)
	}
	// In a program: remediate.New(store, remediate.Options{StatusWriter: wb, ...}).
	// Here, the update the engine writes after an isolation plan:
	err = wb.WriteStatus(context.Background(), remediate.StatusUpdate{
		Finding:    remediate.RefOf(exampleFinding()),
		StatusID:   remediate.StatusResolved,
		Comment:    "[ocsfhub plan=p-1] Resolved (ec2-isolate): isolate i-0abc in 111122223333/us-east-1",
		PlanID:     "p-1",
		Remediator: "ec2-isolate",
		Effect:     remediate.EffectResolve,
		Stage:      remediate.StageApplied,
		Text:       "isolate i-0abc in 111122223333/us-east-1",
	})
	fmt.Println(err)
	// Output:
	// security hub: Resolved
	// pagerduty: resolve
	// <nil>
}

// DedupKey is the finding's key in every ticketing system.
func ExampleDedupKey() {
	s := exampleFinding().Summary()
	fmt.Println(ticket.DedupKey("ocsfhub-", s.Key()))
	// Output:
	// ocsfhub-db723054175606c22d88f72b13c8e9e9
}

// Secrets print as [REDACTED], whatever the verb.
func ExampleSecret() {
	tok := ticket.NewSecret("xoxb-123")
	fmt.Printf("%v %s %q %x %#v\n", tok, tok, tok, tok, tok)
	// Output:
	// [REDACTED] [REDACTED] [REDACTED] [REDACTED] ticket.Secret("[REDACTED]")
}

// VerifySignature is for the receiving side of NewWebhook.
func ExampleVerifySignature() {
	secret := ticket.NewSecret("whsec-example")
	body := []byte(`{"id":"ocsfhub-0.opened.g1","type":"finding.opened"}`)
	// The X-Ocsfhub-Timestamp and X-Ocsfhub-Signature headers as received.
	ts := "1770712000"
	sig := "v1=52015336174e854f8080448e7eba8174aa8ef909c5d7865985a4d356aa3f7cf2"
	now := time.Unix(1770712030, 0)
	fmt.Println(ticket.VerifySignature(secret, ts, sig, body, now, 5*time.Minute))
	err := ticket.VerifySignature(secret, ts, sig, append(body, ' '), now, 5*time.Minute)
	fmt.Println(errors.Is(err, ticket.ErrBadSignature))
	err = ticket.VerifySignature(secret, ts, sig, body, now.Add(time.Hour), 5*time.Minute)
	fmt.Println(errors.Is(err, ticket.ErrStaleTimestamp))
	// Output:
	// <nil>
	// true
	// true
}

// Resolve closes a finding's ticket on demand, for example from an operator
// tool; it does nothing when the finding has no open ticket.
func ExampleRemediator_Resolve() {
	pd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	defer pd.Close()
	r, err := ticket.NewPagerDuty(ticket.PagerDutyOptions{RoutingKey: ticket.NewSecret("0123456789abcdef0123456789abcdef"), BaseURL: pd.URL})
	if err != nil {
		log.Fatal(err)
	}
	ref := remediate.RefOf(exampleFinding())
	res, err := r.Resolve(context.Background(), ref, "fixed by hand")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Summary)
	res, err = r.Resolve(context.Background(), ref, "fixed by hand")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Summary)
	// Output:
	// ticket: sent PagerDuty resolve for ocsfhub-db723054175606c22d88f72b13c8e9e9
	// ticket: nothing to resolve
}

// Factories lets a rule file configure ticket remediators. Credentials stay
// out of the file: it names the environment variables that hold them.
func ExampleFactories() {
	rules := []byte(`
remediators:
  pagerduty:
    routing_key_env: PD_ROUTING_KEY
    severity: {Medium: error}
  webhook:
    url: https://hooks.example.com/security
    signing_secret_env: HOOK_SIGNING_SECRET
rules:
  - name: page-critical
    remediator: pagerduty
    mode: automatic
    pattern: {severity_id: [5, 6]}
  - name: forward-everything
    remediator: webhook
    mode: automatic
`)
	// A program passes os.LookupEnv (the default); a map stands in here.
	env := map[string]string{"PD_ROUTING_KEY": "0123456789abcdef0123456789abcdef", "HOOK_SIGNING_SECRET": "whsec-example"}
	reg := ticket.Factories(ticket.FactoryOptions{
		LookupEnv: func(name string) (string, bool) { v, ok := env[name]; return v, ok },
	})
	rs, err := remediate.LoadRules("rules.yaml", rules, reg)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rs.Rules {
		fmt.Println(r.Name, "->", r.Remediator.Name(), r.Mode)
	}
	// A literal credential is refused, and not repeated in the error.
	_, err = remediate.LoadRules("bad.yaml", []byte("remediators:\n  pagerduty: {routing_key: 0123456789abcdef0123456789abcdef}\nrules:\n  - {name: page, remediator: pagerduty}\n"), reg)
	fmt.Println(err)
	// Output:
	// page-critical -> pagerduty automatic
	// forward-everything -> webhook automatic
	// bad.yaml:2:14: remediators.pagerduty: remediator "pagerduty": ticket: invalid configuration: pagerduty: routing_key: credentials are not read from rule files; set routing_key_env to the name of an environment variable holding it
}

// NewFactory configures more than one remediator of a system: here a Jira
// project per team, each under its own name in the rule file.
func ExampleNewFactory() {
	env := map[string]string{"JIRA_API_TOKEN": "token-from-a-secret-store"}
	opts := ticket.FactoryOptions{LookupEnv: func(name string) (string, bool) { v, ok := env[name]; return v, ok }}
	reg := ticket.Factories(opts)
	payments, err := ticket.NewFactory("jira", "jira-payments", opts)
	if err != nil {
		log.Fatal(err)
	}
	reg["jira-payments"] = payments
	rs, err := remediate.LoadRules("rules.yaml", []byte(`
remediators:
  jira:          {base_url: "https://example.atlassian.net", project: SEC, email: secops@example.com, api_token_env: JIRA_API_TOKEN}
  jira-payments: {base_url: "https://example.atlassian.net", project: PAY, email: secops@example.com, api_token_env: JIRA_API_TOKEN, key_prefix: pay-}
rules:
  - {name: security, remediator: jira, pattern: {severity_id: [4, 5, 6]}}
  - {name: payments, remediator: jira-payments, pattern: {cloud: {account: {uid: ["444455556666"]}}}}
`), reg)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rs.Rules {
		fmt.Println(r.Name, "->", r.Remediator.Name(), r.Mode)
	}
	// Output:
	// security -> jira dry-run
	// payments -> jira-payments dry-run
}
