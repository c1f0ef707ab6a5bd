package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"go.yaml.in/yaml/v3"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/listener"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/aws/policy"
)

const (
	admin  = "999988887777"
	member = "111122223333"
	region = "us-east-1"
	sgID   = "sg-0f1e2d3c4b5a69788"
	extID  = "ocsfhub-test-external-id"
)

var quiet = slog.New(slog.DiscardHandler)

func fixturePath(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "findings", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func noAWS(context.Context) (awssdk.Config, error) {
	panic("the command loaded AWS credentials for an offline action")
}

func TestPrintPolicy(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), options{PrintPolicy: true, RoleName: "ocsfhub-remediation", RolePath: "/"}, noAWS, &out, quiet); err != nil {
		t.Fatal(err)
	}
	var doc policy.Document
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not a policy: %v\n%s", err, out.String())
	}
	for _, a := range []string{"sts:AssumeRole", "securityhub:BatchUpdateFindings", "ec2:ModifyNetworkInterfaceAttribute",
		"ec2:RevokeSecurityGroupIngress", "iam:UpdateAccessKey", "s3:PutBucketPublicAccessBlock", "s3:PutAccountPublicAccessBlock",
		"autoscaling:AttachInstances", "ec2:DescribeTags"} {
		if !slices.Contains(doc.Actions(), a) {
			t.Errorf("policy lacks %s", a)
		}
	}
	// Only what the rules use: the sample does not delete console passwords.
	for _, a := range []string{"iam:DeleteLoginProfile", "iam:GetLoginProfile", "ec2:DisassociateAddress"} {
		if slices.Contains(doc.Actions(), a) {
			t.Errorf("policy has %s, which the sample rules do not need", a)
		}
	}
	var again bytes.Buffer
	_ = run(t.Context(), options{PrintPolicy: true, RoleName: "ocsfhub-remediation", RolePath: "/"}, noAWS, &again, quiet)
	if !bytes.Equal(out.Bytes(), again.Bytes()) {
		t.Error("policy output is not deterministic")
	}
}

func TestPrintMemberTemplate(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), options{PrintTemplate: true, RoleName: "ocsfhub-remediation", HomeAccount: admin, DenyAllProfile: "ocsfhub-deny-all"}, noAWS, &out, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Type: AWS::IAM::Role") || !strings.Contains(out.String(), `Default: "`+admin+`"`) {
		t.Errorf("template:\n%s", out.String())
	}
	if strings.Contains(out.String(), "securityhub:BatchUpdateFindings") {
		t.Error("the member role does not write back; only the service does")
	}
}

// world seeds the administrator's Security Hub and a member account with
// the EC2.19 group, and returns the server and AWS loader.
func world(t *testing.T) (*fakeaws.Server, func(context.Context) (awssdk.Config, error)) {
	t.Helper()
	srv := fakeaws.New(fakeaws.Options{})
	t.Cleanup(srv.Close)
	t.Setenv("OCSFHUB_EXTERNAL_ID", extID)
	t.Setenv("OCSFHUB_API_KEY", "test-api-key-0123456789abcdef")
	t.Setenv("OCSFHUB_ADMIN_TOKEN", "test-admin-token-0123456789abcdef")
	srv.IAM(member).AddRole(fakeaws.Role{Name: "ocsfhub-remediation",
		Trust: &fakeaws.Trust{Principals: []string{"arn:aws:iam::" + admin + ":root"}, ExternalID: extID}})
	e := srv.EC2(member, region)
	e.AddVPC(fakeaws.VPC{ID: "vpc-0123abcd4567ef890"})
	e.AddSecurityGroup(fakeaws.SecurityGroup{ID: sgID, Name: "bastion-legacy-sg", VPCID: "vpc-0123abcd4567ef890",
		Ingress: []fakeaws.Rule{
			{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0"},
			{Protocol: "tcp", FromPort: 3389, ToPort: 3389, CIDRv4: "0.0.0.0/0"},
			{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRv4: "0.0.0.0/0"},
			{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "10.0.0.0/8"},
		}})
	data, err := os.ReadFile(fixturePath(t, "cspm-ec2-security-group-open.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ocsf.DecodeEvent(data)
	if err != nil {
		t.Fatal(err)
	}
	srv.SecurityHub(admin, region).AddFinding(ev.Detail.Findings[0])
	srv.ResetRequests()
	return srv, func(context.Context) (awssdk.Config, error) { return srv.AWSConfig(admin, region), nil }
}

func ingress(srv *fakeaws.Server) int {
	g, _ := srv.EC2(member, region).SecurityGroup(sgID)
	return len(g.Ingress)
}

func TestOnceDryRunChangesNothing(t *testing.T) {
	srv, load := world(t)
	var out bytes.Buffer
	o := options{Once: fixturePath(t, "cspm-ec2-security-group-open.json"), DataDir: t.TempDir(), RoleName: "ocsfhub-remediation",
		RolePath: "/", HomeAccount: admin, Workers: 1}
	if err := run(t.Context(), o, load, &out, quiet); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Logf("output:\n%s", got)
	for _, want := range []string{"DRY-RUN", "dry-run        close-open-admin-ports", "revoke ingress tcp 22 from 0.0.0.0/0", "revoke ingress tcp 3389"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "tcp 443") {
		t.Errorf("allowed port planned:\n%s", got)
	}
	if n := ingress(srv); n != 4 {
		t.Errorf("dry run changed the group: %d rules", n)
	}
	for _, r := range srv.Requests() {
		if r.Succeeded() && (strings.HasPrefix(r.Action, "Revoke") || r.Action == "BatchUpdateFindingsV2") {
			t.Errorf("dry run called %s", r.Name())
		}
	}
	// Planning read live state in the member account through the role.
	roles := srv.AssumedRoles()
	if len(roles) == 0 {
		t.Error("no AssumeRole")
	}
	for _, r := range roles {
		if r.ExternalID != extID || r.Account != member || !strings.HasPrefix(r.SessionName, "ocsfhub-") {
			t.Errorf("assumed %+v", r)
		}
	}
}

func TestOnceApply(t *testing.T) {
	srv, load := world(t)
	var out bytes.Buffer
	o := options{Once: fixturePath(t, "cspm-ec2-security-group-open.json"), Apply: true, DataDir: t.TempDir(),
		RoleName: "ocsfhub-remediation", RolePath: "/", HomeAccount: admin, Workers: 1}
	if err := run(t.Context(), o, load, &out, quiet); err != nil {
		t.Fatal(err)
	}
	if n := ingress(srv); n != 2 {
		t.Errorf("%d ingress rules left, want 2 (443 open, 22 from 10/8):\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "applied       revoke/") {
		t.Errorf("output:\n%s", out.String())
	}
	f := srv.SecurityHub(admin, region).Findings()[0]
	if f.StatusID != int32(remediate.StatusResolved) || !strings.Contains(f.Comment, "ec2-revoke-open-ingress") {
		t.Errorf("finding status %d comment %q", f.StatusID, f.Comment)
	}
}

// The served listener accepts an authenticated EventBridge delivery and the
// engine remediates it.
func TestServeListener(t *testing.T) {
	srv, load := world(t)
	base, _ := load(t.Context())
	o := options{DataDir: t.TempDir(), Apply: true, RoleName: "ocsfhub-remediation", RolePath: "/", HomeAccount: admin, Workers: 1}
	s, err := newService(t.Context(), o, base, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer s.store.Close()
	hs := httptest.NewServer(s.handler)
	defer hs.Close()
	body, err := os.ReadFile(fixturePath(t, "cspm-ec2-security-group-open.json"))
	if err != nil {
		t.Fatal(err)
	}
	post := func(key string) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, hs.URL+"/findings", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(listener.DefaultAPIKeyHeader, key)
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong-key-0123456789abcdef"); code != http.StatusUnauthorized {
		t.Errorf("wrong key: %d", code)
	}
	if code := post("test-api-key-0123456789abcdef"); code/100 != 2 {
		t.Fatalf("delivery: %d", code)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.engine.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer wcancel()
	if err := s.engine.WaitIdle(wctx, 0); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := ingress(srv); n != 2 {
		t.Errorf("%d ingress rules left", n)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, hs.URL+"/healthz", nil)
	if resp, err := hs.Client().Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v", err)
	} else {
		resp.Body.Close()
	}
}
