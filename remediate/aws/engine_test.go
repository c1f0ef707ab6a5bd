package aws_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/boltstore"
)

const engineRules = `
version: 1
remediators:
  ec2-isolate: {snapshot: true, auto_scaling: detach}
  ec2-revoke-open-ingress: {ports: [22, 3389], allowed_ports: ["443"]}
rules:
  - name: isolate-guardduty-ec2
    remediator: ec2-isolate
    mode: automatic
    pattern:
      class_uid: [2004]
      metadata: {product: {name: [GuardDuty]}}
      resources: {type: [AWS::EC2::Instance]}
  - name: close-open-ports
    remediator: ec2-revoke-open-ingress
    mode: dry-run
    pattern:
      compliance: {control: [EC2.19]}
`

// The whole path: rule file -> engine -> member role -> isolation on the
// wire -> Security Hub write-back in the administrator account.
func TestEngineEndToEnd(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	memberRole(srv, member)
	seedBastion(t, srv, member)
	seedOpenGroupNoVPC(t, srv)
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	raw, _ := f.MarshalJSON()
	hub := srv.SecurityHub(admin, region)
	hub.AddFinding(raw)

	cf := factory(t, srv, remaws.ClientFactoryOptions{HomeAccount: admin, RoleName: "ocsfhub-remediation", ExternalID: externalID})
	rs, err := remediate.LoadRules("rules.yaml", []byte(engineRules), remaws.Registry(cf, nil))
	if err != nil {
		t.Fatal(err)
	}
	sw, err := remaws.NewStatusWriter(securityhub.NewFromConfig(srv.AWSConfig(admin, region)), remaws.StatusWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := remaws.NewTagReader(cf)
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "r.db"), &boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := remediate.New(store, remediate.Options{Rules: rs.Rules, StatusWriter: sw, TagReader: tr, Classify: remaws.ClassifyError,
		Exclude: remediate.Exclusions{Tags: []remediate.TagMatch{{Key: "DoNotRemediate"}}}, BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Accept(t.Context(), nil, f); err != nil {
		t.Fatal(err)
	}
	if err := eng.ProcessNext(t.Context()); err != nil {
		t.Fatal(err)
	}
	inst, _ := srv.EC2(member, region).Instance(instID)
	if inst.Tags["ocsfhub:isolation"] != "isolated" {
		recs, _ := eng.Journal(t.Context(), remediate.Query{})
		t.Fatalf("not isolated; journal: %+v", recs)
	}
	got, _ := hub.Finding(remediate.RefOf(f).MetadataUID)
	if got.StatusID != int32(remediate.StatusResolved) || !strings.HasPrefix(got.Comment, "[ocsfhub plan=") {
		t.Errorf("finding status %d comment %q", got.StatusID, got.Comment)
	}
	if len(got.Updates) != 2 || *got.Updates[0].StatusID != int32(remediate.StatusInProgress) {
		t.Errorf("updates = %+v", got.Updates)
	}
	// The permissions the engine reports cover every call made in the
	// member account (least privilege is complete).
	perms := eng.Permissions()
	checkDeclared(t, srv, perms, "sts:GetCallerIdentity")
}

func seedOpenGroupNoVPC(t *testing.T, srv *fakeaws.Server) {
	t.Helper()
	srv.EC2(member, region).AddSecurityGroup(fakeaws.SecurityGroup{Name: "x", VPCID: vpcID,
		Ingress: []fakeaws.Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRv4: "0.0.0.0/0"}}})
	srv.ResetRequests()
}

// A resource tagged for exclusion is not isolated (live tags, read in the
// member account).
func TestEngineTagExclusion(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	memberRole(srv, member)
	seedBastion(t, srv, member)
	srv.EC2(member, region).AddInstance(fakeaws.Instance{ID: "i-0000000000000keep"})
	cf := factory(t, srv, remaws.ClientFactoryOptions{HomeAccount: admin, RoleName: "ocsfhub-remediation", ExternalID: externalID})
	iso := newIsolate(t, cf, remaws.IsolateOptions{})
	// Tag the bastion DoNotRemediate through the API the reader uses.
	tr, _ := remaws.NewTagReader(cf)
	tags, err := tr.Tags(t.Context(), remediate.Resource{Type: "AWS::EC2::Instance", UID: instID, Region: region, AccountUID: member})
	if err != nil || tags["Name"] != "web-bastion-01" {
		t.Fatalf("tags %v %v", tags, err)
	}
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "r.db"), &boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := remediate.New(store, remediate.Options{TagReader: tr,
		Rules:   []remediate.Rule{{Name: "iso", Remediator: iso, Mode: remediate.ModeAutomatic}},
		Exclude: remediate.Exclusions{Tags: []remediate.TagMatch{{Key: "Name", Values: []string{"web-bastion-01"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture(t, "guardduty-ec2-unauthorized-access.json")
	if err := eng.Accept(t.Context(), nil, f); err != nil {
		t.Fatal(err)
	}
	if err := eng.ProcessNext(t.Context()); err != nil {
		t.Fatal(err)
	}
	inst, _ := srv.EC2(member, region).Instance(instID)
	if _, ok := inst.Tags["ocsfhub:isolation"]; ok {
		t.Error("excluded instance was isolated")
	}
	recs, _ := eng.Journal(t.Context(), remediate.Query{Decisions: []remediate.Decision{remediate.DecisionExcluded}})
	if len(recs) != 1 {
		t.Errorf("excluded records: %+v", recs)
	}
}

func TestRegistryRejectsUnknownParams(t *testing.T) {
	_, err := remediate.LoadRules("r.yaml", []byte(`
remediators:
  ec2-isolate: {snapshots: true}
rules:
  - {name: a, remediator: ec2-isolate}
`), remaws.Registry(remaws.StaticConfig(srvConfig(t)), nil))
	var ce *remediate.ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, remaws.ErrConfig) {
		t.Fatalf("error %v", err)
	}
	_, err = remediate.LoadRules("r.yaml", []byte(`
remediators:
  ec2-revoke-open-ingress: {ports: ["22-x"]}
rules:
  - {name: a, remediator: ec2-revoke-open-ingress}
`), remaws.Registry(remaws.StaticConfig(srvConfig(t)), nil))
	if err == nil {
		t.Fatal("bad port accepted")
	}
	rs, err := remediate.LoadRules("r.yaml", []byte(`
remediators:
  ec2-revoke-open-ingress: {ports: [22, "8000-8100"]}
  iam-contain-credentials: {revoke_sessions: true}
  s3-account-block-public-access: {controls: ["*"]}
rules:
  - {name: a, remediator: ec2-revoke-open-ingress}
  - {name: b, remediator: iam-contain-credentials}
  - {name: c, remediator: s3-account-block-public-access}
  - {name: d, remediator: s3-block-public-access}
  - {name: e, remediator: ec2-isolate-rollback}
`), remaws.Registry(remaws.StaticConfig(srvConfig(t)), nil))
	if err != nil || len(rs.Rules) != 5 {
		t.Fatalf("load: %v", err)
	}
}

func srvConfig(t *testing.T) awssdk.Config {
	return newServer(t, fakeaws.Options{}).AWSConfig(member, region)
}

// A denied revoke fails the task for good (no retries), is journaled with
// the AWS error, and the finding goes back to New with the error as its
// comment.
func TestEngineRecordsPermanentFailure(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	memberRole(srv, member)
	seedOpenGroup(t, srv)
	f := fixture(t, "cspm-ec2-security-group-open.json")
	raw, _ := f.MarshalJSON()
	hub := srv.SecurityHub(admin, region)
	hub.AddFinding(raw)
	srv.Inject(fakeaws.Deny(fakeaws.ServiceEC2, "RevokeSecurityGroupIngress"))

	cf := factory(t, srv, remaws.ClientFactoryOptions{HomeAccount: admin, RoleName: "ocsfhub-remediation", ExternalID: externalID})
	rv := newRevoke(t, cf, remaws.RevokeOptions{})
	sw, _ := remaws.NewStatusWriter(securityhub.NewFromConfig(srv.AWSConfig(admin, region)), remaws.StatusWriterOptions{})
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "r.db"), &boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := remediate.New(store, remediate.Options{StatusWriter: sw, Classify: remaws.ClassifyError, BackoffBase: time.Millisecond,
		Rules: []remediate.Rule{{Name: "revoke", Remediator: rv, Mode: remediate.ModeAutomatic}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Accept(t.Context(), nil, f); err != nil {
		t.Fatal(err)
	}
	if err := eng.ProcessNext(t.Context()); err != nil {
		t.Fatal(err)
	}
	recs, err := eng.Journal(t.Context(), remediate.Query{Decisions: []remediate.Decision{remediate.DecisionFailed}})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || !strings.Contains(recs[0].Reason, "permanent") || !strings.Contains(recs[0].Error, "UnauthorizedOperation") ||
		!strings.Contains(recs[0].Error, "ec2:RevokeSecurityGroupIngress") {
		t.Fatalf("failed records = %+v", recs)
	}
	if n := len(srv.Calls(fakeaws.ServiceEC2, "RevokeSecurityGroupIngress")); n != 1 {
		t.Errorf("denied revoke attempted %d times, want 1 (permanent: no retry)", n)
	}
	got, _ := hub.Finding(remediate.RefOf(f).MetadataUID)
	if got.StatusID != int32(remediate.StatusNew) || !strings.Contains(got.Comment, "UnauthorizedOperation") {
		t.Errorf("finding status %d comment %q", got.StatusID, got.Comment)
	}
}

// The rollbacks of revocations and blocks load from a rule file once the
// registry has the engine's journal.
func TestRegistryRollbacks(t *testing.T) {
	store := openStore(t)
	reg := remaws.Registry(remaws.StaticConfig(srvConfig(t)), nil, func(o *remaws.RegistryOptions) { o.Journal = store })
	rs, err := remediate.LoadRules("r.yaml", []byte(`
remediators:
  ec2-revoke-open-ingress-rollback: {classes: [2003]}
  s3-account-block-public-access-rollback: {classes: [2003]}
rules:
  - {name: a, remediator: ec2-revoke-open-ingress-rollback}
  - {name: b, remediator: s3-block-public-access-rollback}
  - {name: c, remediator: s3-account-block-public-access-rollback}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs.Rules {
		names = append(names, r.Remediator.Name())
	}
	if want := []string{remaws.NameRevokeRollback, remaws.NameBucketBlockRollback, remaws.NameAccountBlockRollback}; !slices.Equal(names, want) {
		t.Errorf("remediators %v, want %v", names, want)
	}
	_, err = remediate.LoadRules("r.yaml", []byte(`
remediators:
  s3-block-public-access-rollback: {undo: x}
rules:
  - {name: a, remediator: s3-block-public-access-rollback}
`), reg)
	if !errors.Is(err, remaws.ErrConfig) {
		t.Errorf("unknown parameter: %v", err)
	}
}
