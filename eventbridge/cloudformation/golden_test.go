package cloudformation

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenCase is one configuration with a golden template.
type goldenCase struct {
	name string
	cfg  Config
	// envs are the deployments to check; the first is the default.
	envs []deployEnv
	// wantState is the rule state expected per env (same order), if checked.
	wantState []string
}

const severityProductPattern = `{"source":["aws.securityhub"],"detail-type":["Findings Imported V2"],` +
	`"detail":{"findings":{"severity_id":[{"numeric":[">=",4,"<=",6]}],"metadata":{"product":{"name":["GuardDuty","Inspector"]}}}}}`

func goldenCases() []goldenCase {
	return []goldenCase{
		{
			name: "api-key",
			cfg:  Config{Auth: Auth{Secret: SecretParameter()}},
		},
		{
			name: "api-key-secretsmanager",
			cfg: Config{
				Endpoint: "https://listener.example.com/hooks/securityhub",
				Auth: Auth{HeaderName: "x-api-key",
					Secret: SecretsManager("arn:aws:secretsmanager:eu-west-1:111122223333:secret:receiver/api-key-AbCdEf", "apiKey")},
				Pattern:            json.RawMessage(severityProductPattern),
				Retry:              RetryPolicy{MaximumRetryAttempts: new(24), MaximumEventAge: 6 * time.Hour},
				RateLimitPerSecond: 50,
				Headers:            map[string]string{"X-Finding-Uid": "$.detail.findings[0].metadata.uid", "X-Source": "ocsfhub"},
				Tags:               map[string]string{"team": "security", "cost-center": "1234"},
			},
		},
		{
			name: "basic",
			cfg: Config{
				Endpoint: "https://receiver.example.com/findings",
				Auth:     Auth{Type: AuthBasic, Username: "eventbridge", Secret: SecretsManager("receiver/basic", "password")},
			},
		},
		{
			name: "basic-parameters",
			cfg:  Config{Auth: Auth{Type: AuthBasic, Secret: SecretParameter()}, NoIdempotencyHeader: true},
		},
		{
			name: "oauth",
			cfg: Config{
				Endpoint: "https://receiver.example.com/findings",
				Auth: Auth{Type: AuthOAuthClientCredentials, TokenEndpoint: "https://auth.example.com/oauth2/token",
					Scopes: []string{"findings:write", "findings:read"}, TokenParameters: map[string]string{"audience": "https://receiver.example.com"},
					Secret: SecretParameter()},
			},
		},
		{
			name: "oauth-query",
			cfg: Config{
				Endpoint: "https://receiver.example.com/findings",
				Auth: Auth{Type: AuthOAuthClientCredentials, TokenEndpoint: "https://auth.example.com/token", TokenMethod: "GET",
					ClientID: "ocsfhub-eventbridge", TokenParamsInQuery: true, Secret: SecretsManager("receiver/oauth", "client_secret")},
				Retry: RetryPolicy{MaximumRetryAttempts: new(3), MaximumEventAge: time.Hour},
			},
		},
		{
			name: "autobotai",
			cfg:  Config{Names: AutobotAINames(), OwnAccountOnly: true, Auth: Auth{Secret: SecretParameter()}},
		},
		{
			name: "delegated-admin",
			cfg: Config{
				Names:      AutobotAINames(),
				HomeRegion: &HomeRegion{Region: "eu-west-1", AdministratorAccountID: "111122223333"},
				Pattern: json.RawMessage(`{"source":["aws.securityhub"],"detail-type":["Findings Imported V2"],"detail":{"findings":{` +
					`"severity_id":[{"numeric":[">=",3]}],"cloud":{"account":{"uid":["444455556666","777788889999"]},"region":["eu-west-1","eu-central-1"]}}}}`),
				Auth: Auth{Secret: SecretParameter()},
			},
			envs: []deployEnv{
				{Region: "eu-west-1", Account: "111122223333"},
				{Region: "us-east-1", Account: "111122223333"},
				{Region: "eu-west-1", Account: "444455556666"},
			},
			wantState: []string{"ENABLED", "DISABLED", "DISABLED"},
		},
		{
			name: "pattern-json-string",
			cfg: Config{
				Auth:           Auth{Secret: SecretParameter()},
				OwnAccountOnly: true,
				Pattern: json.RawMessage(`{"source":["aws.securityhub"],"detail-type":["Findings Imported V2"],` +
					`"detail":{"findings":{"severity":["High"],"confidence_score":[{"numeric":[">=",7.5]}],"finding_info":{"desc":[{"wildcard":"*${x}*"}]}}}}`),
			},
		},
	}
}

func render(t testing.TB, cfg Config) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteTemplate(&buf, cfg); err != nil {
		t.Fatalf("WriteTemplate: %v", err)
	}
	return buf.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.yaml")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the rendered template (go test -update rewrites it):\n%s", path, firstDiff(want, got))
	}
}

func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  golden: %q\n  got:    %q", i+1, w, g)
		}
	}
	return "(identical lines, different bytes)"
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, tc.cfg)
			checkGolden(t, tc.name, got)
			if again := render(t, tc.cfg); !bytes.Equal(got, again) {
				t.Errorf("rendering twice gave different bytes:\n%s", firstDiff(got, again))
			}
		})
	}
}

// TestGoldenFilesValidate checks the checked-in golden files themselves (what a
// user would deploy): they parse back and every resource validates against
// the registry schemas.
func TestGoldenFilesValidate(t *testing.T) {
	schemas := schemasDir(t)
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.name+".golden.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			tpl, err := parseTemplate(data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			envs := tc.envs
			if len(envs) == 0 {
				envs = []deployEnv{defaultEnv}
			}
			for i, env := range envs {
				resolved := validateTemplate(t, tpl, env, schemas)
				if tc.wantState != nil {
					rule := resolved[idRule]
					if got := rule["State"]; got != tc.wantState[i] {
						t.Errorf("deployed in %s/%s: rule State = %v, want %s", env.Account, env.Region, got, tc.wantState[i])
					}
				}
			}
		})
	}
}

// TestExampleGoldensValidate validates the templates that examples/render-stack
// prints (golden files there), whose patterns come from the eventbridge
// package's Security Hub builder.
func TestExampleGoldensValidate(t *testing.T) {
	schemas := schemasDir(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "render-stack", "testdata", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no examples/render-stack golden files")
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(data, []byte("{")) {
			continue // -pattern-only output
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			tpl, err := parseTemplate(data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			validateTemplate(t, tpl, defaultEnv, schemas)
		})
	}
	if n == 0 {
		t.Error("no template among the example golden files")
	}
}

// validateTemplate checks the template's structure, resolves intrinsics for
// env and validates every resource's Properties. It returns the resolved
// Properties by logical ID.
func validateTemplate(t *testing.T, tpl map[string]any, env deployEnv, schemas map[string]*cfnSchema) map[string]map[string]any {
	t.Helper()
	allowed := []string{"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Transform", "Resources", "Outputs"}
	for k := range tpl {
		if !slices.Contains(allowed, k) {
			t.Errorf("unknown top-level section %q", k)
		}
	}
	if v := tpl["AWSTemplateFormatVersion"]; v != "2010-09-09" {
		t.Errorf("AWSTemplateFormatVersion = %v", v)
	}
	r := newResolver(tpl, env, schemas)
	out := map[string]map[string]any{}
	resources, _ := tpl["Resources"].(map[string]any)
	if len(resources) == 0 {
		t.Fatal("no resources")
	}
	for _, id := range slices.Sorted(mapsKeys(resources)) {
		res := resources[id].(map[string]any)
		for k := range res {
			if !slices.Contains([]string{"Type", "Properties", "Condition", "DependsOn", "Metadata", "DeletionPolicy", "UpdateReplacePolicy"}, k) {
				t.Errorf("%s: unknown resource attribute %q", id, k)
			}
		}
		typ, _ := res["Type"].(string)
		s := schemas[typ]
		if s == nil {
			t.Errorf("%s: no registry schema for %s", id, typ)
			continue
		}
		if c, ok := res["Condition"].(string); ok && !r.conditions[c] {
			continue
		}
		props, _ := r.resolve(res["Properties"]).(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		for _, p := range s.validate(props) {
			t.Errorf("%s (%s) in %s/%s: %s", id, typ, env.Account, env.Region, p)
		}
		out[id] = props
	}
	outputs, _ := tpl["Outputs"].(map[string]any)
	for name, o := range outputs {
		om := o.(map[string]any)
		if _, ok := r.resolve(om["Value"]).(string); !ok {
			t.Errorf("output %s: value does not resolve to a string", name)
		}
	}
	for _, p := range r.problems {
		t.Errorf("intrinsics: %s", p)
	}
	return out
}
