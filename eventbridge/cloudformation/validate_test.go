package cloudformation

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfigErrors(t *testing.T) {
	ok := Auth{Secret: SecretParameter()}
	big := `{"source":["aws.securityhub"],"detail":{"x":["` + strings.Repeat("a", 4100) + `"]}}`
	tests := []struct {
		name       string
		cfg        Config
		wantFields []string
		wantErr    error
	}{
		{"http endpoint", Config{Endpoint: "http://listener.example.com/x", Auth: ok}, []string{"Endpoint"}, ErrNotHTTPS},
		{"relative endpoint", Config{Endpoint: "listener.example.com/x", Auth: ok}, []string{"Endpoint", "Endpoint"}, ErrNotHTTPS},
		{"endpoint with credentials", Config{Endpoint: "https://user:hunter2@listener.example.com/x", Auth: ok}, []string{"Endpoint"}, ErrInvalidURL},
		{"endpoint with space", Config{Endpoint: "https://listener.example.com/a b", Auth: ok}, []string{"Endpoint"}, ErrInvalidURL},
		{"endpoint with wildcard", Config{Endpoint: "https://listener.example.com/*/x", Auth: ok}, []string{"Endpoint"}, ErrInvalidURL},
		{"missing secret", Config{}, []string{"Auth.Secret"}, ErrMissingSecret},
		{"both secret sources", Config{Auth: Auth{Secret: SecretSource{Parameter: true, SecretsManagerID: "x"}}}, []string{"Auth.Secret"}, ErrConflict},
		{"bad secret id", Config{Auth: Auth{Secret: SecretsManager("my secret", "")}}, []string{"Auth.Secret.SecretsManagerID"}, ErrInvalidSecretRef},
		{"secret key with colon", Config{Auth: Auth{Secret: SecretsManager("x", "a:b")}}, []string{"Auth.Secret.JSONKey"}, ErrInvalidSecretRef},
		{"JSON key without secret", Config{Auth: Auth{Secret: SecretSource{Parameter: true, JSONKey: "k"}}}, []string{"Auth.Secret.JSONKey"}, ErrConflict},
		{"retry attempts 186", Config{Auth: ok, Retry: RetryPolicy{MaximumRetryAttempts: new(186)}}, []string{"Retry.MaximumRetryAttempts"}, ErrOutOfRange},
		{"retry attempts -1", Config{Auth: ok, Retry: RetryPolicy{MaximumRetryAttempts: new(-1)}}, []string{"Retry.MaximumRetryAttempts"}, ErrOutOfRange},
		{"event age 30s", Config{Auth: ok, Retry: RetryPolicy{MaximumEventAge: 30 * time.Second}}, []string{"Retry.MaximumEventAge"}, ErrOutOfRange},
		{"event age 25h", Config{Auth: ok, Retry: RetryPolicy{MaximumEventAge: 25 * time.Hour}}, []string{"Retry.MaximumEventAge"}, ErrOutOfRange},
		{"event age fraction", Config{Auth: ok, Retry: RetryPolicy{MaximumEventAge: 90*time.Second + time.Millisecond}}, []string{"Retry.MaximumEventAge"}, ErrOutOfRange},
		{"negative rate", Config{Auth: ok, RateLimitPerSecond: -5}, []string{"RateLimitPerSecond"}, ErrOutOfRange},
		{"retention 15 days", Config{Auth: ok, DeadLetterRetention: 15 * 24 * time.Hour}, []string{"DeadLetterRetention"}, ErrOutOfRange},
		{"oversized pattern", Config{Auth: ok, Pattern: json.RawMessage(big)}, []string{"Pattern"}, ErrPatternTooLarge},
		{"typed nil pattern", Config{Auth: ok, Pattern: (*nilMarshaler)(nil)}, []string{"Pattern"}, ErrInvalidPattern},
		{"nil raw pattern", Config{Auth: ok, Pattern: json.RawMessage(nil)}, []string{"Pattern"}, ErrInvalidPattern},
		{"failing marshaler", Config{Auth: ok, Pattern: &nilMarshaler{}}, []string{"Pattern"}, ErrInvalidPattern},
		{"pattern not an object", Config{Auth: ok, Pattern: json.RawMessage(`["aws.securityhub"]`)}, []string{"Pattern"}, ErrInvalidPattern},
		{"empty pattern", Config{Auth: ok, Pattern: json.RawMessage(`{}`)}, []string{"Pattern"}, ErrInvalidPattern},
		{"pattern syntax", Config{Auth: ok, Pattern: json.RawMessage(`{"source":`)}, []string{"Pattern"}, ErrInvalidPattern},
		{"duplicate key", Config{Auth: ok, Pattern: json.RawMessage(`{"source":["a"],"source":["b"]}`)}, []string{"Pattern"}, ErrInvalidPattern},
		{"scalar leaf", Config{Auth: ok, Pattern: json.RawMessage(`{"source":"aws.securityhub"}`)}, []string{"Pattern"}, ErrInvalidPattern},
		{"guide's detail-type", Config{Auth: ok, Pattern: json.RawMessage(`{"source":["aws.securityhub"],"detail-type":["Security Hub Findings Imported V2"]}`)}, []string{"Pattern"}, ErrWrongDetailType},
		{"header with space", Config{Auth: Auth{HeaderName: "x secret", Secret: SecretParameter()}}, []string{"Auth.HeaderName"}, ErrInvalidHeaderName},
		{"header EventBridge drops", Config{Auth: Auth{HeaderName: "Proxy-Authorization", Secret: SecretParameter()}}, []string{"Auth.HeaderName"}, ErrInvalidHeaderName},
		{"x-amz header", Config{Auth: ok, Headers: map[string]string{"X-Amz-Date": "x"}}, []string{"Headers[X-Amz-Date]"}, ErrInvalidHeaderName},
		{"header of punctuation", Config{Auth: ok, IdempotencyHeader: "--"}, []string{"IdempotencyHeader"}, ErrInvalidHeaderName},
		{"header value with newline", Config{Auth: ok, Headers: map[string]string{"X-A": "a\nb"}}, []string{"Headers[X-A]"}, ErrInvalidHeaderValue},
		{"idempotency header equals key header", Config{Auth: Auth{HeaderName: "Idempotency-Key", Secret: SecretParameter()}}, []string{"IdempotencyHeader"}, ErrConflict},
		{"headers differing in case", Config{Auth: ok, Headers: map[string]string{"X-A": "1", "x-a": "2"}}, []string{"Headers[x-a]"}, ErrConflict},
		{"extra header overrides key header", Config{Auth: ok, Headers: map[string]string{"X-Secret-Key": "x"}}, []string{"Headers[X-Secret-Key]"}, ErrConflict},
		{"oauth without token endpoint", Config{Auth: Auth{Type: AuthOAuthClientCredentials, Secret: SecretParameter()}}, []string{"Auth.TokenEndpoint"}, ErrRequired},
		{"oauth http token endpoint", Config{Auth: Auth{Type: AuthOAuthClientCredentials, TokenEndpoint: "http://a.example.com/t", Secret: SecretParameter()}}, []string{"Auth.TokenEndpoint"}, ErrNotHTTPS},
		{"oauth method", Config{Auth: Auth{Type: AuthOAuthClientCredentials, TokenEndpoint: "https://a.example.com/t", TokenMethod: "PATCH", Secret: SecretParameter()}}, []string{"Auth.TokenMethod"}, ErrInvalidHeaderValue},
		{"oauth scope with quote", Config{Auth: Auth{Type: AuthOAuthClientCredentials, TokenEndpoint: "https://a.example.com/t", Scopes: []string{`a"b`}, Secret: SecretParameter()}}, []string{"Auth.Scopes[0]"}, ErrInvalidHeaderValue},
		{"oauth grant_type override", Config{Auth: Auth{Type: AuthOAuthClientCredentials, TokenEndpoint: "https://a.example.com/t", TokenParameters: map[string]string{"grant_type": "password"}, Secret: SecretParameter()}}, []string{"Auth.TokenParameters[grant_type]"}, ErrConflict},
		{"oauth settings for api key", Config{Auth: Auth{TokenEndpoint: "https://a.example.com/t", Secret: SecretParameter()}}, []string{"Auth"}, ErrConflict},
		{"username for api key", Config{Auth: Auth{Username: "u", Secret: SecretParameter()}}, []string{"Auth.Username"}, ErrConflict},
		{"header name for basic", Config{Auth: Auth{Type: AuthBasic, HeaderName: "x", Secret: SecretParameter()}}, []string{"Auth.HeaderName"}, ErrConflict},
		{"basic user with colon", Config{Auth: Auth{Type: AuthBasic, Username: "a:b", Secret: SecretParameter()}}, []string{"Auth.Username"}, ErrInvalidHeaderValue},
		{"unknown auth type", Config{Auth: Auth{Type: 7, Secret: SecretParameter()}}, []string{"Auth.Type"}, ErrOutOfRange},
		{"bad rule name", Config{Auth: ok, Names: Names{Rule: "my rule"}}, []string{"Names.Rule"}, ErrInvalidName},
		{"bad role name", Config{Auth: ok, Names: Names{Role: "role/x"}}, []string{"Names.Role"}, ErrInvalidName},
		{"bad queue name", Config{Auth: ok, Names: Names{DeadLetterQueue: "dlq.fifo"}}, []string{"Names.DeadLetterQueue"}, ErrInvalidName},
		{"parameter name clash", Config{Auth: ok, Names: Names{SecretParameter: "EndpointUrl"}}, []string{"Names.SecretParameter"}, ErrConflict},
		{"parameter named like a resource", Config{Auth: ok, Names: Names{EndpointParameter: "FindingsRule"}}, []string{"Names.EndpointParameter"}, ErrConflict},
		{"parameter name with dash", Config{Auth: ok, Names: Names{EndpointParameter: "endpoint-url"}}, []string{"Names.EndpointParameter"}, ErrInvalidName},
		{"bad home region", Config{Auth: ok, HomeRegion: &HomeRegion{Region: "EU-WEST-1"}}, []string{"HomeRegion.Region"}, ErrInvalidRegion},
		{"bad admin account", Config{Auth: ok, HomeRegion: &HomeRegion{Region: "eu-west-1", AdministratorAccountID: "1234"}}, []string{"HomeRegion.AdministratorAccountID"}, ErrInvalidAccount},
		{"home region with envelope account", Config{Auth: ok, HomeRegion: &HomeRegion{Region: "eu-west-1"},
			Pattern: json.RawMessage(`{"source":["aws.securityhub"],"account":["111122223333"]}`)}, []string{"Pattern"}, ErrEnvelopeFilter},
		{"home region with own account", Config{Auth: ok, HomeRegion: &HomeRegion{Region: "eu-west-1"}, OwnAccountOnly: true}, []string{"OwnAccountOnly"}, ErrConflict},
		{"own account twice", Config{Auth: ok, OwnAccountOnly: true, Pattern: json.RawMessage(`{"source":["aws.securityhub"],"account":["111122223333"]}`)}, []string{"OwnAccountOnly"}, ErrConflict},
		{"reserved tag", Config{Auth: ok, Tags: map[string]string{"aws:owner": "x"}}, []string{"Tags[aws:owner]"}, ErrInvalidTag},
		{"tag value with comma", Config{Auth: ok, Tags: map[string]string{"team": "a,b"}}, []string{"Tags[team]"}, ErrInvalidTag},
		{"long description", Config{Auth: ok, Description: strings.Repeat("d", 1025)}, []string{"Description"}, ErrOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteTemplate(&buf, tt.cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			if got := ce.Fields(); !slices.Equal(got, tt.wantFields) {
				t.Errorf("fields = %q, want %q (%v)", got, tt.wantFields, err)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.wantErr)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.wantFields[0] {
				t.Errorf("errors.As *FieldError = %v", fe)
			}
			if buf.Len() != 0 {
				t.Error("output written despite the error")
			}
			if !strings.HasPrefix(err.Error(), "cloudformation: invalid config: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
		})
	}
}

// nilMarshaler stands for a pattern builder's type.
type nilMarshaler struct{}

func (*nilMarshaler) MarshalJSON() ([]byte, error) { return nil, errors.New("builder failed") }

func TestConfigErrorListsEveryProblem(t *testing.T) {
	cfg := Config{
		Endpoint: "http://x.example.com",
		Retry:    RetryPolicy{MaximumRetryAttempts: new(500), MaximumEventAge: time.Second},
		Pattern:  json.RawMessage(`{"source":["aws.securityhub"],"detail-type":["Security Hub Findings Imported V2"]}`),
		Tags:     map[string]string{"aws:x": "y"},
	}
	err := cfg.Validate()
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	want := []string{"Endpoint", "Auth.Secret", "Pattern", "Retry.MaximumRetryAttempts", "Retry.MaximumEventAge", "Tags[aws:x]"}
	if got := ce.Fields(); !slices.Equal(got, want) {
		t.Errorf("fields = %q, want %q", got, want)
	}
	for _, sentinel := range []error{ErrNotHTTPS, ErrMissingSecret, ErrWrongDetailType, ErrOutOfRange, ErrInvalidTag} {
		if !errors.Is(err, sentinel) {
			t.Errorf("errors.Is(err, %v) = false", sentinel)
		}
	}
}

// Errors never repeat what may be secret: URL credentials, paths or query
// strings (listener URLs often embed a token).
func TestErrorsDoNotLeakURLSecrets(t *testing.T) {
	for _, raw := range []string{
		"http://listener.example.com/hooks/tok_SECRETPATH?key=SECRETQUERY",
		"https://user:SECRETPASS@listener.example.com/x",
		"https://listener.example.com/SECRET PATH",
	} {
		err := Config{Endpoint: raw, Auth: Auth{Secret: SecretParameter()}}.Validate()
		if err == nil {
			t.Fatalf("%s: no error", raw)
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error leaks URL parts: %v", err)
		}
	}
}

func TestValidConfigsHaveNoErrors(t *testing.T) {
	for _, tc := range goldenCases() {
		if err := tc.cfg.Validate(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestParseAuthType(t *testing.T) {
	for in, want := range map[string]AuthType{"api-key": AuthAPIKey, "API_KEY": AuthAPIKey, "basic": AuthBasic, "oauth": AuthOAuthClientCredentials, "OAUTH_CLIENT_CREDENTIALS": AuthOAuthClientCredentials} {
		got, err := ParseAuthType(in)
		if err != nil || got != want {
			t.Errorf("ParseAuthType(%q) = %v, %v", in, got, err)
		}
		if back, _ := ParseAuthType(got.String()); back != got {
			t.Errorf("String round trip of %v", got)
		}
	}
	if _, err := ParseAuthType("token"); err == nil {
		t.Error("ParseAuthType(token) succeeded")
	}
	if s := AuthType(9).String(); s != "AuthType(9)" {
		t.Errorf("String = %q", s)
	}
}

func TestTemplateModelChecks(t *testing.T) {
	q := Resource{LogicalID: "Q", Properties: Queue{}}
	tests := []struct {
		name string
		tpl  Template
		want string
	}{
		{"dangling Ref", Template{Resources: []Resource{{LogicalID: "P", Properties: QueuePolicy{Queues: []Expr{Ref("Nope")}}}}}, `Ref to undefined "Nope"`},
		{"dangling GetAtt", Template{Resources: []Resource{{LogicalID: "R", Properties: Rule{Targets: []Target{{ID: Str("t"), Arn: GetAtt{"Gone", "Arn"}}}}}}}, `GetAtt of undefined resource "Gone"`},
		{"dangling Sub variable", Template{Resources: []Resource{q}, Outputs: []Output{{Name: "O", Value: Sub("${Q.Arn}-${Nope}")}}}, `Ref to undefined "Nope"`},
		{"unknown pseudo parameter", Template{Resources: []Resource{q}, Outputs: []Output{{Name: "O", Value: Ref("AWS::Nope")}}}, "unknown pseudo parameter"},
		{"undefined condition", Template{Resources: []Resource{{LogicalID: "Q", Condition: "C", Properties: Queue{}}}}, `undefined condition "C"`},
		{"duplicate name", Template{Parameters: []Parameter{{Name: "Q"}}, Resources: []Resource{q}}, "already used"},
		{"bad logical ID", Template{Resources: []Resource{{LogicalID: "my-queue", Properties: Queue{}}}}, "not alphanumeric"},
		{"no resources", Template{}, "at least one resource"},
		{"unterminated Sub", Template{Resources: []Resource{q}, Outputs: []Output{{Name: "O", Value: Sub("${Q")}}}, "unterminated"},
		{"nil list element", Template{Resources: []Resource{{LogicalID: "P", Properties: QueuePolicy{Queues: []Expr{nil}}}}}, "empty list element"},
		{"bad JSON", Template{Resources: []Resource{{LogicalID: "R", Properties: Rule{EventPattern: JSON(`{"a":1e3}`)}}}}, "exact text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.tpl.WriteYAML(&bytes.Buffer{})
			if !errors.Is(err, ErrInvalidTemplate) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalidTemplate mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDynamicSecretString(t *testing.T) {
	for _, tt := range []struct {
		d    DynamicSecret
		want string
	}{
		{DynamicSecret{SecretID: "s"}, "{{resolve:secretsmanager:s}}"},
		{DynamicSecret{SecretID: "s", JSONKey: "k"}, "{{resolve:secretsmanager:s:SecretString:k}}"},
		{DynamicSecret{SecretID: "s", JSONKey: "k", VersionStage: "AWSPREVIOUS"}, "{{resolve:secretsmanager:s:SecretString:k:AWSPREVIOUS:}}"},
		{DynamicSecret{SecretID: "s", VersionID: "v1"}, "{{resolve:secretsmanager:s:SecretString:::v1}}"},
	} {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("%+v = %s, want %s", tt.d, got, tt.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for s, want := range map[int]string{86400: "24 hours", 1209600: "14 days", 3600: "1 hour", 7200: "2 hours", 60: "1 minute", 61: "61 seconds", 172800: "2 days"} {
		if got := humanDuration(s); got != want {
			t.Errorf("humanDuration(%d) = %q, want %q", s, got, want)
		}
	}
}
