package cloudformation

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestRenderedTemplatesValidate renders every golden configuration (not the
// files) and validates it, so a change shows up even before -update.
func TestRenderedTemplatesValidate(t *testing.T) {
	schemas := schemasDir(t)
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := parseTemplate(render(t, tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			validateTemplate(t, tpl, defaultEnv, schemas)
		})
	}
}

func getPath(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func getAtt(res, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{res, attr}}
}

// TestStackInvariants checks, on the parsed (unresolved) template of every
// configuration, the security properties the stack promises.
func TestStackInvariants(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := parseTemplate(render(t, tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			res := func(id string) map[string]any {
				m, _ := getPath(tpl, "Resources", id, "Properties").(map[string]any)
				return m
			}
			params, _ := tpl["Parameters"].(map[string]any)

			// Secrets: NoEcho without default, or a dynamic reference.
			for name, p := range params {
				pm := p.(map[string]any)
				if pm["NoEcho"] == true && pm["Default"] != nil {
					t.Errorf("NoEcho parameter %s has a default", name)
				}
			}
			auth := getPath(res(idConnection), "AuthParameters").(map[string]any)
			var secret any
			for _, p := range [][]string{{"ApiKeyAuthParameters", "ApiKeyValue"}, {"BasicAuthParameters", "Password"}, {"OAuthParameters", "ClientParameters", "ClientSecret"}} {
				if v := getPath(auth, p...); v != nil {
					secret = v
				}
			}
			switch s := secret.(type) {
			case map[string]any:
				name, _ := s["Ref"].(string)
				if getPath(params, name, "NoEcho") != true {
					t.Errorf("secret %v is not a NoEcho parameter", s)
				}
			case string:
				if !dynamicRef.MatchString(s) || dynamicRef.FindString(s) != s {
					t.Errorf("secret %q is a literal, not a dynamic reference", s)
				}
			default:
				t.Errorf("no secret found in %v", auth)
			}

			// Role: trusted by EventBridge only, may only invoke this destination.
			role := res(idRole)
			trust := getPath(role, "AssumeRolePolicyDocument", "Statement").([]any)
			wantTrust := []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": []any{"events.amazonaws.com"}}, "Action": []any{"sts:AssumeRole"}}}
			if !reflect.DeepEqual(trust, wantTrust) {
				t.Errorf("trust policy = %v", trust)
			}
			pols := role["Policies"].([]any)
			if len(pols) != 1 {
				t.Fatalf("role has %d inline policies", len(pols))
			}
			stmts := getPath(pols[0], "PolicyDocument", "Statement").([]any)
			wantStmt := []any{map[string]any{"Effect": "Allow", "Action": []any{"events:InvokeApiDestination"}, "Resource": []any{getAtt(idDestination, "Arn")}}}
			if !reflect.DeepEqual(stmts, wantStmt) {
				t.Errorf("role policy = %v", stmts)
			}
			if role["ManagedPolicyArns"] != nil {
				t.Error("role has managed policies")
			}

			// Dead-letter queue policy scoped to the rule.
			qp := res(idQueuePolicy)
			if !reflect.DeepEqual(qp["Queues"], []any{map[string]any{"Ref": idQueue}}) {
				t.Errorf("queue policy Queues = %v", qp["Queues"])
			}
			qs := getPath(qp, "PolicyDocument", "Statement").([]any)
			if len(qs) != 1 {
				t.Fatalf("queue policy has %d statements", len(qs))
			}
			st := qs[0].(map[string]any)
			if !reflect.DeepEqual(st["Principal"], map[string]any{"Service": []any{"events.amazonaws.com"}}) ||
				!reflect.DeepEqual(st["Action"], []any{"sqs:SendMessage"}) ||
				!reflect.DeepEqual(st["Resource"], []any{getAtt(idQueue, "Arn")}) ||
				!reflect.DeepEqual(st["Condition"], map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": getAtt(idRule, "Arn")}}) {
				t.Errorf("queue policy statement = %v", st)
			}

			// Rule target.
			rule := res(idRule)
			targets := rule["Targets"].([]any)
			if len(targets) != 1 {
				t.Fatalf("%d targets", len(targets))
			}
			tg := targets[0].(map[string]any)
			if !reflect.DeepEqual(tg["Arn"], getAtt(idDestination, "Arn")) || !reflect.DeepEqual(tg["RoleArn"], getAtt(idRole, "Arn")) ||
				!reflect.DeepEqual(getPath(tg, "DeadLetterConfig", "Arn"), getAtt(idQueue, "Arn")) {
				t.Errorf("target = %v", tg)
			}
			if getPath(tg, "RetryPolicy", "MaximumRetryAttempts") == nil || getPath(tg, "RetryPolicy", "MaximumEventAgeInSeconds") == nil {
				t.Errorf("target has no full retry policy: %v", tg["RetryPolicy"])
			}
			idem := getPath(tg, "HttpParameters", "HeaderParameters", DefaultIdempotencyHeader)
			if tc.cfg.NoIdempotencyHeader {
				if idem != nil {
					t.Errorf("idempotency header present although disabled")
				}
			} else if idem != "$.id" {
				t.Errorf("Idempotency-Key = %v, want $.id", idem)
			}
			if rule["EventBusName"] != nil {
				t.Error("rule is not on the default bus")
			}
			if getPath(res(idDestination), "HttpMethod") != "POST" {
				t.Error("destination method is not POST")
			}

			// Outputs the user needs next.
			outs, _ := tpl["Outputs"].(map[string]any)
			for _, name := range []string{"RuleArn", "ApiDestinationArn", "ConnectionArn", "ConnectionSecretArn", "DeadLetterQueueUrl", "InvokeRoleArn"} {
				if outs[name] == nil {
					t.Errorf("missing output %s", name)
				}
			}
		})
	}
}

// canonicalJSON re-encodes v with sorted keys; numbers keep their text.
func canonicalJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func decodeNumbers(t testing.TB, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return m
}

// renderedPattern returns the EventPattern of a rendered template as JSON
// text with sorted keys, and the account value CloudFormation would insert.
func renderedPattern(t testing.TB, data []byte) string {
	t.Helper()
	tpl, err := parseTemplate(data)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, data)
	}
	ep := getPath(tpl, "Resources", idRule, "Properties", "EventPattern")
	switch x := ep.(type) {
	case string:
		return canonicalJSON(t, decodeNumbers(t, []byte(x)))
	case map[string]any:
		if sub, ok := x["Fn::Sub"].(string); ok && len(x) == 1 {
			text := strings.ReplaceAll(sub, "${AWS::AccountId}", "<account>")
			if strings.Contains(strings.ReplaceAll(text, "${!", ""), "${") {
				t.Fatalf("Sub pattern has an unescaped variable: %s", sub)
			}
			return canonicalJSON(t, decodeNumbers(t, []byte(strings.ReplaceAll(text, "${!", "${"))))
		}
		var walk func(v any) any
		walk = func(v any) any {
			switch y := v.(type) {
			case map[string]any:
				if len(y) == 1 && y["Ref"] == "AWS::AccountId" {
					return "<account>"
				}
				out := map[string]any{}
				for k, e := range y {
					out[k] = walk(e)
				}
				return out
			case []any:
				out := []any{}
				for _, e := range y {
					out = append(out, walk(e))
				}
				return out
			case int64:
				return json.Number(strings.TrimSpace(string(must(json.Marshal(y)))))
			}
			return v
		}
		return canonicalJSON(t, walk(x))
	}
	t.Fatalf("EventPattern is %T", ep)
	return ""
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// expectedPattern is the configured pattern as the rule must carry it.
func expectedPattern(t testing.TB, cfg Config) string {
	t.Helper()
	raw := []byte(DefaultPattern)
	if cfg.Pattern != nil {
		raw = must(cfg.Pattern.MarshalJSON())
	}
	m := decodeNumbers(t, raw)
	if cfg.OwnAccountOnly {
		m["account"] = []any{"<account>"}
	}
	return canonicalJSON(t, m)
}

func TestPatternRoundTrip(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := renderedPattern(t, render(t, tc.cfg))
			if want := expectedPattern(t, tc.cfg); got != want {
				t.Errorf("EventPattern\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestPatternForms(t *testing.T) {
	tests := []struct {
		name, pattern string
		yaml          bool
	}{
		{"integers", `{"source":["aws.securityhub"],"detail":{"findings":{"severity_id":[4,5]}}}`, true},
		{"decimal", `{"source":["aws.securityhub"],"detail":{"x":[7.50]}}`, false},
		{"exponent", `{"source":["aws.securityhub"],"detail":{"x":[3.0e2]}}`, false},
		{"negative zero", `{"source":["aws.securityhub"],"detail":{"x":[-0]}}`, false},
		{"long integer", `{"source":["aws.securityhub"],"detail":{"x":[12345678901234567]}}`, false},
		{"intrinsic-looking key", `{"source":["aws.securityhub"],"detail":{"Ref":["x"]}}`, false},
		{"Fn key", `{"source":["aws.securityhub"],"detail":{"Fn::Sub":["x"]}}`, false},
		{"Ref among other keys", `{"source":["aws.securityhub"],"detail":{"Ref":["x"],"y":["z"]}}`, true},
		{"yaml-looking strings", `{"source":["aws.securityhub"],"detail":{"a":["yes","on","1e3","2024-01-01","~","null",""," x","#c"]}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Auth: Auth{Secret: SecretParameter()}, Pattern: json.RawMessage(tt.pattern)}
			out := render(t, cfg)
			tpl, err := parseTemplate(out)
			if err != nil {
				t.Fatal(err)
			}
			_, isString := getPath(tpl, "Resources", idRule, "Properties", "EventPattern").(string)
			if isString == tt.yaml {
				t.Errorf("rendered as string = %v, want YAML mapping = %v", isString, tt.yaml)
			}
			if got, want := renderedPattern(t, out), expectedPattern(t, cfg); got != want {
				t.Errorf("round trip\n got %s\nwant %s", got, want)
			}
		})
	}
}

// recordHandler records log messages.
type recordHandler struct{ msgs *[]string }

func (recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	*h.msgs = append(*h.msgs, r.Message)
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

func TestLargePatternWarns(t *testing.T) {
	var names []string
	for i := range 160 {
		names = append(names, "Product-"+strings.Repeat("x", 5)+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	p := must(json.Marshal(map[string]any{"source": []string{"aws.securityhub"}, "detail-type": []string{"Findings Imported V2"},
		"detail": map[string]any{"findings": map[string]any{"metadata": map[string]any{"product": map[string]any{"name": names}}}}}))
	if n := len(p); n <= PatternSizeDefaultLimit || n > PatternSizeMax {
		t.Fatalf("test pattern has %d characters, want 2049..4096", n)
	}
	var msgs []string
	logger := slog.New(recordHandler{&msgs})
	var buf bytes.Buffer
	if err := WriteTemplate(&buf, Config{Auth: Auth{Secret: SecretParameter()}, Pattern: json.RawMessage(p)}, func(o *Options) { o.Logger = logger }); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, "Service Quotas") }) {
		t.Errorf("no size warning logged: %q", msgs)
	}
	if !strings.Contains(buf.String(), "# WARNING: the event pattern has") {
		t.Errorf("no size warning in the template header")
	}
}

func BenchmarkWriteTemplate(b *testing.B) {
	cfg := goldenCases()[1].cfg // API key, Secrets Manager, filters, headers, tags
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := WriteTemplate(&buf, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
