package cloudformation

import (
	"encoding/json"
	"strings"
	"testing"
)

// These tests show the schema checker fails where CloudFormation would: each
// case starts from a valid resolved resource and breaks one thing.

func resolvedResources(t *testing.T, schemas map[string]*cfnSchema, cfg Config) map[string]map[string]any {
	t.Helper()
	tpl, err := parseTemplate(render(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	return validateTemplate(t, tpl, defaultEnv, schemas)
}

// clone deep-copies a JSON-like value.
func clone(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b := must(json.Marshal(v))
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return fixInts(out).(map[string]any)
}

// fixInts turns integral float64s back into int64s, as parseTemplate gives.
func fixInts(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = fixInts(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fixInts(e)
		}
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	}
	return v
}

func TestSchemaCheckerRejects(t *testing.T) {
	schemas := schemasDir(t)
	apiKey := resolvedResources(t, schemas, goldenCases()[0].cfg)
	oauth := resolvedResources(t, schemas, Config{Endpoint: "https://r.example.com/x",
		Auth: Auth{Type: AuthOAuthClientCredentials, TokenEndpoint: "https://a.example.com/t", Secret: SecretParameter()}})

	tests := []struct {
		name     string
		id       string
		from     map[string]map[string]any
		mutate   func(p map[string]any)
		wantPath string
		wantText string
	}{
		{"retry attempts above 185", idRule, apiKey, func(p map[string]any) {
			getPath(p, "Targets").([]any)[0].(map[string]any)["RetryPolicy"].(map[string]any)["MaximumRetryAttempts"] = int64(200)
		}, "/Targets/0/RetryPolicy/MaximumRetryAttempts", "maximum 185"},
		{"event age below 60", idRule, apiKey, func(p map[string]any) {
			getPath(p, "Targets").([]any)[0].(map[string]any)["RetryPolicy"].(map[string]any)["MaximumEventAgeInSeconds"] = int64(30)
		}, "/Targets/0/RetryPolicy/MaximumEventAgeInSeconds", "minimum 60"},
		{"retry attempts as string", idRule, apiKey, func(p map[string]any) {
			getPath(p, "Targets").([]any)[0].(map[string]any)["RetryPolicy"].(map[string]any)["MaximumRetryAttempts"] = "3"
		}, "/Targets/0/RetryPolicy/MaximumRetryAttempts", "not of type integer"},
		{"the CFN guide's ClientId spelling", idConnection, oauth, func(p map[string]any) {
			cp := getPath(p, "AuthParameters", "OAuthParameters", "ClientParameters").(map[string]any)
			cp["ClientId"] = cp["ClientID"]
			delete(cp, "ClientID")
		}, "/AuthParameters/OAuthParameters/ClientParameters", "ClientID"},
		{"two auth kinds", idConnection, apiKey, func(p map[string]any) {
			getPath(p, "AuthParameters").(map[string]any)["BasicAuthParameters"] = map[string]any{"Username": "u", "Password": "p"}
		}, "/AuthParameters", "oneOf"},
		{"unknown authorization type", idConnection, apiKey, func(p map[string]any) { p["AuthorizationType"] = "TOKEN" }, "/AuthorizationType", "not one of"},
		{"control character in API key", idConnection, apiKey, func(p map[string]any) {
			getPath(p, "AuthParameters", "ApiKeyAuthParameters").(map[string]any)["ApiKeyValue"] = "a\x01b"
		}, "/AuthParameters/ApiKeyAuthParameters/ApiKeyValue", "pattern"},
		{"missing HttpMethod", idDestination, apiKey, func(p map[string]any) { delete(p, "HttpMethod") }, "/", "HttpMethod"},
		{"CONNECT method", idDestination, apiKey, func(p map[string]any) { p["HttpMethod"] = "CONNECT" }, "/HttpMethod", "not one of"},
		{"rate limit 0", idDestination, apiKey, func(p map[string]any) { p["InvocationRateLimitPerSecond"] = int64(0) }, "/InvocationRateLimitPerSecond", "minimum 1"},
		{"connection name instead of ARN", idDestination, apiKey, func(p map[string]any) { p["ConnectionArn"] = "my-connection" }, "/ConnectionArn", "pattern"},
		{"space in endpoint", idDestination, apiKey, func(p map[string]any) { p["InvocationEndpoint"] = "https://x.example.com/a b" }, "/InvocationEndpoint", "pattern"},
		{"read-only Arn set", idDestination, apiKey, func(p map[string]any) { p["Arn"] = "arn:aws:events:us-east-1:123456789012:api-destination/x/y" }, "/properties/Arn", "read-only"},
		{"unknown property", idRule, apiKey, func(p map[string]any) { p["Priority"] = int64(1) }, "/", `"Priority" is not allowed`},
		{"header name without letters", idRule, apiKey, func(p map[string]any) {
			getPath(p, "Targets").([]any)[0].(map[string]any)["HttpParameters"].(map[string]any)["HeaderParameters"] = map[string]any{"-": "x"}
		}, "/Targets/0/HttpParameters/HeaderParameters", `"-" is not allowed`},
		{"no targets", idRule, apiKey, func(p map[string]any) { p["Targets"] = []any{} }, "/Targets", "minItems"},
		{"no pattern nor schedule", idRule, apiKey, func(p map[string]any) { delete(p, "EventPattern") }, "/", "requiredOr"},
		{"rule state", idRule, apiKey, func(p map[string]any) { p["State"] = "ON" }, "/State", "not one of"},
		{"rule name with space", idRule, apiKey, func(p map[string]any) { p["Name"] = "my rule" }, "/Name", "pattern"},
		{"role without trust policy", idRole, apiKey, func(p map[string]any) { delete(p, "AssumeRolePolicyDocument") }, "/", "AssumeRolePolicyDocument"},
		{"role name too long", idRole, apiKey, func(p map[string]any) { p["RoleName"] = strings.Repeat("r", 65) }, "/RoleName", "maxLength"},
		{"IAM tag with a comma", idRole, apiKey, func(p map[string]any) { p["Tags"] = []any{map[string]any{"Key": "a,b", "Value": "v"}} }, "/Tags/0/Key", "pattern"},
		{"retention above 14 days", idQueue, apiKey, func(p map[string]any) { p["MessageRetentionPeriod"] = int64(1209601) }, "/MessageRetentionPeriod", "maximum"},
		{"queue policy without queues", idQueuePolicy, apiKey, func(p map[string]any) { delete(p, "Queues") }, "/", "Queues"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := map[string]string{idConnection: "AWS::Events::Connection", idDestination: "AWS::Events::ApiDestination",
				idRule: "AWS::Events::Rule", idRole: "AWS::IAM::Role", idQueue: "AWS::SQS::Queue", idQueuePolicy: "AWS::SQS::QueuePolicy"}[tt.id]
			p := clone(t, tt.from[tt.id])
			if probs := schemas[typ].validate(p); len(probs) != 0 {
				t.Fatalf("the unmodified resource is invalid: %v", probs)
			}
			tt.mutate(p)
			probs := schemas[typ].validate(p)
			found := false
			for _, pr := range probs {
				if strings.HasPrefix(pr, tt.wantPath+":") && strings.Contains(pr, tt.wantText) {
					found = true
				}
			}
			if !found {
				t.Errorf("want a problem at %s mentioning %q, got %q", tt.wantPath, tt.wantText, probs)
			}
		})
	}
}

func TestCFNPatternTranslation(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{`^(?!\s*$).+$`, "abc", true},
		{`^(?!\s*$).+$`, "   ", false},
		{`^(?!\s*$).+$`, " a ", true},
		{`^[\u0009\u000A\u000D\u0020-\u00FF]+$`, "{\"a\": 1}\n", true},
		{`^[\u0009\u000A\u000D\u0020-\u00FF]+$`, "\x01", false},
		{`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`, "équipe sécurité", true},
		{`[a-zA-Z0-9]+`, "Idempotency-Key", true}, // unanchored, as in JSON Schema
	}
	for _, tt := range tests {
		r, err := compileCFNPattern(tt.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		if got := r.match(tt.value); got != tt.want {
			t.Errorf("%s ~ %q = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func TestResolverCatchesBadReferences(t *testing.T) {
	schemas := schemasDir(t)
	tpl := map[string]any{
		"Resources": map[string]any{
			"Q": map[string]any{"Type": "AWS::SQS::Queue"},
			"R": map[string]any{"Type": "AWS::IAM::Role"},
		},
	}
	r := newResolver(tpl, defaultEnv, schemas)
	r.resolve(map[string]any{"Fn::GetAtt": []any{"Q", "QueueArn"}}) // not an attribute
	r.resolve(map[string]any{"Ref": "Missing"})
	r.resolve(map[string]any{"Fn::GetAtt": []any{"R", "Arn"}})
	joined := strings.Join(r.problems, "\n")
	if !strings.Contains(joined, "no read-only attribute QueueArn") || !strings.Contains(joined, `undefined "Missing"`) || strings.Contains(joined, "R.Arn") {
		t.Errorf("problems = %q, want the bad attribute and the dangling Ref only", r.problems)
	}
}
