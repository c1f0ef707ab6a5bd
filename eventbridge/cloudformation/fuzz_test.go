package cloudformation

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzPattern feeds arbitrary bytes as the event pattern. WriteTemplate must
// either reject them with a *ConfigError on the Pattern field, or render a
// template that parses back (as CloudFormation's YAML 1.1 reader would see
// it) with exactly the same pattern. Seeds run on every go test.
func FuzzPattern(f *testing.F) {
	seeds := []string{
		DefaultPattern,
		severityProductPattern,
		`{"source":["aws.securityhub"],"$or":[{"detail":{"findings":{"severity_id":[5]}}},{"detail":{"findings":{"status":["New"]}}}]}`,
		`{"source":["aws.securityhub"],"detail":{"a":["yes","on","y","1e3","0x1F","2024-01-01","~","null","","<<"," x","#c","a: b","- x"]}}`,
		`{"source":["aws.securityhub"],"detail":{"x":[3.0e2, 7.50, -0, 12345678901234567]}}`,
		`{"source":["aws.securityhub"],"detail":{"Ref":["x"]}}`,
		`{"source":["aws.securityhub"],"detail":{"w":[{"wildcard":"*${x}*"}],"n":[null,true,false]}}`,
		`{"source":["aws.securityhub"],"detail":{"":["empty key"],"é":["ünïcode","\u2028","\u0001","a\nb","tab\there"]}}`,
		`{"source":["aws.securityhub"],"detail":{"a":{"b":{"c":{"d":{"e":{"f":["deep"]}}}}}}}`,
		`{"source":["aws.securityhub"],"detail-type":["Security Hub Findings Imported V2"]}`,
		`{"source":["a"],"source":["b"]}`,
		`[]`, `{}`, `null`, `{"a":`, "{\"a\":[\"\xff\"]}",
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, pattern []byte, ownAccount bool) {
		cfg := Config{Auth: Auth{Secret: SecretParameter()}, Pattern: json.RawMessage(pattern), OwnAccountOnly: ownAccount}
		var buf bytes.Buffer
		err := WriteTemplate(&buf, cfg)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error is not a *ConfigError: %v", err)
			}
			for _, p := range ce.Problems {
				if p.Field != "Pattern" && p.Field != "OwnAccountOnly" {
					t.Fatalf("unexpected field %s: %v", p.Field, err)
				}
			}
			return
		}
		if got, want := renderedPattern(t, buf.Bytes()), expectedPattern(t, cfg); got != want {
			t.Fatalf("pattern changed in the template\n got %s\nwant %s\n%s", got, want, buf.Bytes())
		}
	})
}
