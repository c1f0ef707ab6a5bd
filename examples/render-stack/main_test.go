package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/eventbridge/cloudformation"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestRunGolden(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"default", nil, ""},
		{"autobotai", []string{"-name-preset", "autobotai", "-own-account", "-endpoint", "https://listener.example.com/hooks/securityhub"}, ""},
		{"oauth-filters", []string{"-auth", "oauth", "-token-endpoint", "https://auth.example.com/oauth2/token", "-scopes", "findings:write",
			"-secret-arn", "receiver/oauth", "-secret-key", "client_secret", "-client-id", "ocsfhub",
			"-min-severity", "High", "-product", "GuardDuty,Inspector", "-class", "2004", "-tag", "team=security",
			"-endpoint", "https://receiver.example.com/findings", "-retry-attempts", "24", "-max-event-age", "6h", "-rate", "50"}, ""},
		{"basic", []string{"-auth", "basic", "-username", "eventbridge", "-secret-arn", "receiver/basic", "-secret-key", "password",
			"-endpoint", "https://receiver.example.com/findings", "-no-idempotency-header"}, ""},
		{"home-region", []string{"-name-preset", "autobotai", "-home-region", "eu-west-1", "-admin-account", "111122223333",
			"-account", "444455556666,777788889999", "-region", "eu-west-1", "-region", "eu-central-1", "-min-severity", "medium"}, ""},
		{"ip-endpoint", []string{"-endpoint", "https://203.0.113.10/hook"}, "level=WARN msg=\"cloudformation: endpoint host 203.0.113.10 is not a public DNS name"},
		{"pattern-only", []string{"-pattern-only", "-min-severity", "High", "-class", "Detection Finding", "-status", "New", "-resource-type", "AWS::EC2::Instance"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(tt.args, &stdout, &stderr); err != nil {
				t.Fatalf("run: %v\nstderr: %s", err, stderr.String())
			}
			if tt.wantStderr == "" && stderr.Len() > 0 {
				t.Errorf("unexpected stderr: %s", stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update creates it)", err)
			}
			if !bytes.Equal(stdout.Bytes(), want) {
				t.Errorf("output differs from %s (go test -update rewrites it)", path)
			}

			// The output is what it claims to be.
			if tt.name == "pattern-only" {
				var p map[string]any
				if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
					t.Fatalf("pattern is not JSON: %v", err)
				}
				if dt, _ := p["detail-type"].([]any); len(dt) != 1 || dt[0] != "Findings Imported V2" {
					t.Errorf("detail-type = %v", p["detail-type"])
				}
				return
			}
			var tpl struct {
				Resources map[string]struct {
					Type string `yaml:"Type"`
				} `yaml:"Resources"`
			}
			if err := yaml.Unmarshal(stdout.Bytes(), &tpl); err != nil {
				t.Fatalf("template is not YAML: %v", err)
			}
			if len(tpl.Resources) != 6 {
				t.Errorf("%d resources, want 6", len(tpl.Resources))
			}
		})
	}
}

func TestRunDeterministic(t *testing.T) {
	args := []string{"-min-severity", "High", "-product", "GuardDuty", "-tag", "b=2", "-tag", "a=1"}
	var a, b bytes.Buffer
	if err := run(args, &a, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := run(args, &b, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs gave different output")
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want error
	}{
		{"http endpoint", []string{"-endpoint", "http://x.example.com/hook"}, cloudformation.ErrNotHTTPS},
		{"retries out of range", []string{"-retry-attempts", "300"}, cloudformation.ErrOutOfRange},
		{"bad header", []string{"-header", "x secret"}, cloudformation.ErrInvalidHeaderName},
		{"home region with own account", []string{"-home-region", "eu-west-1", "-own-account"}, cloudformation.ErrConflict},
		{"oauth without token endpoint", []string{"-auth", "oauth"}, cloudformation.ErrRequired},
		{"unknown auth", []string{"-auth", "token"}, errUsage},
		{"unknown flag", []string{"-bogus"}, errUsage},
		{"extra argument", []string{"stack.yaml"}, errUsage},
		{"pattern-only with own account", []string{"-pattern-only", "-own-account"}, errUsage},
		{"secret key without secret", []string{"-secret-key", "k"}, errUsage},
		{"bad severity", []string{"-min-severity", "urgent"}, errUsage},
		{"mixed classes", []string{"-class", "2004,Detection Finding"}, errUsage},
		{"bad preset", []string{"-name-preset", "acme"}, errUsage},
		{"admin account alone", []string{"-admin-account", "111122223333"}, errUsage},
		{"bad tag", []string{"-tag", "novalue"}, errUsage},
		{"negative retries", []string{"-retry-attempts", "-2"}, errUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := run(tt.args, &stdout, &bytes.Buffer{})
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("output despite the error: %s", stdout.String())
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	var stderr bytes.Buffer
	if err := run([]string{"-h"}, &bytes.Buffer{}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(stderr.String(), "-pattern-only") {
		t.Error("usage does not list -pattern-only")
	}
}
