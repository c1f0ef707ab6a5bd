package ticket_test

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/ticket"
)

const (
	webhookSigning = "whsec-factory-test-0123456789"
	webhookBearer  = "receiver-token-factory-42"
)

// env is a fake environment for the factories.
func envOf(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// Every system is configured from a rule file, with its credentials from
// the environment, and works against its fake.
func TestFactoriesFromRuleFile(t *testing.T) {
	fj := newFakeJira(t, jiraBasic)
	fsn := newFakeServiceNow(t, snBasic)
	fp := newFakePagerDuty(t, pdRoutingKey)
	fs := newFakeSlack(t, slackToken, slackChannel)
	fr := newFakeReceiver(t, http.StatusOK)
	env := map[string]string{
		"JIRA_API_TOKEN":    jiraToken,
		"SN_PASSWORD":       snPassword,
		"PD_ROUTING_KEY":    pdRoutingKey,
		"SLACK_BOT_TOKEN":   slackToken,
		"HOOK_SIGNING":      webhookSigning,
		"HOOK_BEARER_TOKEN": webhookBearer,
	}
	file := fmt.Sprintf(`
remediators:
  jira:
    base_url: %[1]s
    project: SEC
    email: %[2]s
    api_token_env: JIRA_API_TOKEN
    labels: [security-hub]
    priorities: {Low: Low, critical: Highest, "4": High}
    max_retries: 0
  jira-payments:
    base_url: %[1]s
    project: PAY
    email: %[2]s
    api_token_env: JIRA_API_TOKEN
    action: open
    key_prefix: pay-
  servicenow:
    base_url: %[3]s
    username: %[4]s
    password_env: SN_PASSWORD
    impact_urgency: {High: {impact: "1", urgency: "2"}}
  pagerduty:
    routing_key_env: PD_ROUTING_KEY
    base_url: %[5]s
    severity: {Low: warning}
    max_retry_wait: 2s
  slack:
    bot_token_env: SLACK_BOT_TOKEN
    channel: %[6]s
    api_url: %[7]s/api
  webhook:
    url: %[8]s/hooks/security
    signing_secret_env: HOOK_SIGNING
    bearer_token_env: HOOK_BEARER_TOKEN
rules:
  - {name: jira, remediator: jira, mode: automatic}
  - {name: jira-payments, remediator: jira-payments, mode: automatic}
  - {name: servicenow, remediator: servicenow, mode: automatic}
  - {name: pagerduty, remediator: pagerduty, mode: automatic}
  - {name: slack, remediator: slack, mode: automatic}
  - {name: webhook, remediator: webhook, mode: automatic}
`, fj.URL(), jiraEmail, fsn.URL(), snUser, fp.URL(), slackChannel, fs.srv.URL, fr.srv.URL)
	opts := ticket.FactoryOptions{LookupEnv: envOf(env)}
	reg := ticket.Factories(opts)
	if got := slices.Sorted(maps.Keys(reg)); strings.Join(got, ",") != "jira,pagerduty,servicenow,slack,webhook" {
		t.Fatalf("registry %v", got)
	}
	var err error
	if reg["jira-payments"], err = ticket.NewFactory("jira", "jira-payments", opts); err != nil {
		t.Fatal(err)
	}
	rs, err := remediate.LoadRules("rules.yaml", []byte(file), reg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Remediators) != 6 {
		t.Fatalf("remediators %v", slices.Sorted(maps.Keys(rs.Remediators)))
	}
	f := guardDuty(t)
	for _, name := range []string{"jira", "jira-payments", "servicenow", "pagerduty", "slack", "webhook"} {
		r := rs.Remediators[name]
		if r.Name() != name || r.Permissions() != nil {
			t.Errorf("%s: name %q, permissions %v", name, r.Name(), r.Permissions())
		}
		p := mustPlan(t, r, f)
		if p.Effect != remediate.EffectNotify {
			t.Errorf("%s: plan effect %q", name, p.Effect)
		}
		mustApply(t, r, p)
	}
	is := fj.Issues()
	if len(is) != 2 || !slices.ContainsFunc(is[1].Labels, func(l string) bool { return strings.HasPrefix(l, "pay-") }) {
		t.Fatalf("jira issues %+v", is)
	}
	if rs.Remediators["jira-payments"].(*ticket.Remediator).Key(f) == rs.Remediators["jira"].(*ticket.Remediator).Key(f) {
		t.Error("key_prefix was not applied")
	}
	if len(fsn.Records()) != 1 || len(fp.Alerts()) != 1 || len(fs.Messages()) != 1 {
		t.Fatalf("servicenow %d, pagerduty %d, slack %d", len(fsn.Records()), len(fp.Alerts()), len(fs.Messages()))
	}
	calls := fr.Calls()
	if len(calls) != 1 || calls[0].Header.Get("Authorization") != "Bearer "+webhookBearer {
		t.Fatalf("webhook calls %v", calls)
	}
	c := calls[0]
	if err := ticket.VerifySignature(ticket.NewSecret(webhookSigning), c.Header.Get(ticket.HeaderTimestamp), c.Header.Get(ticket.HeaderSignature), []byte(c.Body), time.Now(), 0); err != nil {
		t.Errorf("webhook signature: %v", err)
	}
	// Parameters reached the remediators: the Jira priority map (the
	// finding is Low).
	if !strings.Contains(jiraCreateBody(t, fj), `"priority":{"name":"Low"}`) {
		t.Errorf("jira create request without the configured priority: %s", jiraCreateBody(t, fj))
	}
}

func jiraCreateBody(t *testing.T, fj *fakeJira) string {
	t.Helper()
	for _, c := range fj.Calls() {
		if c.Method == http.MethodPost && strings.HasSuffix(c.Path, "/rest/api/3/issue") {
			return c.Body
		}
	}
	t.Fatal("no create request")
	return ""
}

// Rule-file mistakes are errors that name the parameter and never echo a
// credential.
func TestFactoryErrors(t *testing.T) {
	env := envOf(map[string]string{"JIRA_API_TOKEN": jiraToken, "PD_ROUTING_KEY": pdRoutingKey})
	for _, tc := range []struct {
		name, system, params, want string
	}{
		{"literal token", "jira", `{"base_url":"https://x.atlassian.net","project":"SEC","email":"a@b.c","api_token":"` + jiraToken + `"}`, "api_token: credentials are not read from rule files; set api_token_env"},
		{"literal routing key", "pagerduty", `{"routing_key":"` + pdRoutingKey + `"}`, "routing_key: credentials are not read"},
		{"literal slack webhook", "slack", `{"webhook_url":"https://hooks.slack.com/services/T0/B0/` + slackToken + `"}`, "webhook_url: credentials are not read"},
		{"token pasted into _env", "slack", `{"bot_token_env":"` + slackToken + `","channel":"C0123456789"}`, "bot_token_env must name an environment variable"},
		{"routing key pasted into _env", "pagerduty", `{"routing_key_env":"` + pdRoutingKey + `"}`, "routing_key_env must name an environment variable"},
		{"unset variable", "pagerduty", `{"routing_key_env":"PD_KEY_PROD"}`, "routing_key_env: environment variable PD_KEY_PROD is not set"},
		{"unknown parameter", "jira", `{"base_url":"https://x.atlassian.net","project":"SEC","bearer_token_env":"JIRA_API_TOKEN","projekt":"X"}`, `unknown field "projekt"`},
		{"missing project", "jira", `{"base_url":"https://x.atlassian.net","bearer_token_env":"JIRA_API_TOKEN"}`, "base_url and project are required"},
		{"both credentials", "jira", `{"base_url":"https://x.atlassian.net","project":"SEC","email":"a@b.c","api_token_env":"JIRA_API_TOKEN","bearer_token_env":"JIRA_API_TOKEN"}`, "set api_token_env (with email) or bearer_token_env"},
		{"bad action", "pagerduty", `{"routing_key_env":"PD_ROUTING_KEY","action":"close"}`, `action "close": want sync, open or resolve`},
		{"bad severity", "pagerduty", `{"routing_key_env":"PD_ROUTING_KEY","severity":{"Severe":"critical"}}`, `severity: "Severe" is not a severity`},
		{"bad pagerduty severity", "pagerduty", `{"routing_key_env":"PD_ROUTING_KEY","severity":{"High":"urgent"}}`, `"urgent" is not a PagerDuty severity`},
		{"bad duration", "pagerduty", `{"routing_key_env":"PD_ROUTING_KEY","max_retry_wait":"soon"}`, `max_retry_wait "soon"`},
		{"no parameters", "webhook", ``, "set url or url_env"},
		{"not a mapping", "webhook", `["https://example.com"]`, "parameters must be a mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ticket.NewFactory(tc.system, tc.system, ticket.FactoryOptions{LookupEnv: env})
			if err != nil {
				t.Fatal(err)
			}
			r, err := f([]byte(tc.params))
			if err == nil {
				t.Fatalf("built %v", r)
			}
			if !errors.Is(err, ticket.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to contain %q", err, tc.want)
			}
			for _, s := range []string{jiraToken, pdRoutingKey, slackToken} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error reveals a credential: %q", err)
				}
			}
		})
	}
	if _, err := ticket.NewFactory("opsgenie", "x", ticket.FactoryOptions{}); !errors.Is(err, ticket.ErrConfig) {
		t.Errorf("unknown system: %v", err)
	}
	if _, err := ticket.NewFactory("jira", "", ticket.FactoryOptions{}); !errors.Is(err, ticket.ErrConfig) {
		t.Errorf("empty name: %v", err)
	}
}

// Through LoadRules, a factory error names the file, line and section.
func TestFactoryErrorInRuleFile(t *testing.T) {
	reg := ticket.Factories(ticket.FactoryOptions{LookupEnv: envOf(nil)})
	_, err := remediate.LoadRules("rules.yaml", []byte("remediators:\n  pagerduty:\n    routing_key_env: PD_ROUTING_KEY\nrules:\n  - {name: page, remediator: pagerduty}\n"), reg)
	var ce *remediate.ConfigError
	if !errors.As(err, &ce) || ce.Line != 3 || ce.Path != "remediators.pagerduty" || !strings.Contains(err.Error(), "PD_ROUTING_KEY is not set") {
		t.Fatalf("error %v (%+v)", err, ce)
	}
}

// FuzzFactoryParams: rule-file parameters are operator input; building from
// them never panics, a built remediator has the registry name, and no error
// repeats the value of an environment variable.
func FuzzFactoryParams(f *testing.F) {
	const value = "env-value-7f3c9a1e5b"
	systems := []string{"jira", "servicenow", "pagerduty", "slack", "webhook"}
	f.Add(uint8(0), `{"base_url":"https://x.atlassian.net","project":"SEC","email":"a@b.c","api_token_env":"TOKEN"}`)
	f.Add(uint8(1), `{"base_url":"https://x.service-now.com","username":"u","password_env":"TOKEN","impact_urgency":{"High":{"impact":"1","urgency":"1"}}}`)
	f.Add(uint8(2), `{"routing_key_env":"TOKEN","severity":{"4":"error"},"max_retry_wait":"3s"}`)
	f.Add(uint8(3), `{"webhook_url_env":"TOKEN"}`)
	f.Add(uint8(4), `{"url_env":"TOKEN","bearer_token_env":"TOKEN"}`)
	f.Add(uint8(4), `{"url":"https://h.example.com/x","action":"resolve","resolve_statuses":[4]}`)
	f.Add(uint8(0), `{"api_token":"x"}`)
	f.Add(uint8(2), `null`)
	f.Fuzz(func(t *testing.T, sys uint8, params string) {
		name := systems[int(sys)%len(systems)]
		fac, err := ticket.NewFactory(name, name, ticket.FactoryOptions{LookupEnv: envOf(map[string]string{"TOKEN": value})})
		if err != nil {
			t.Fatal(err)
		}
		r, err := fac([]byte(params))
		if err != nil {
			if !strings.Contains(params, value) && strings.Contains(err.Error(), value) {
				t.Fatalf("error reveals the variable's value: %v", err)
			}
			return
		}
		if r.Name() != name {
			t.Fatalf("built %q, want %q", r.Name(), name)
		}
	})
}
