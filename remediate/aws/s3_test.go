package aws_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

func seedBucket(t *testing.T, srv *fakeaws.Server, prior *fakeaws.PublicAccessBlock) {
	t.Helper()
	srv.S3(member).AddBucket(fakeaws.Bucket{Name: bucket, Region: region, PublicAccessBlock: prior,
		Policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`, PolicyIsPublic: true})
	srv.ResetRequests()
}

func TestBlockBucketPublicAccessOnTheWire(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBucket(t, srv, &fakeaws.PublicAccessBlock{BlockPublicAcls: true})
	r, err := remaws.NewBlockBucketPublicAccess(static(srv, member), remaws.PublicAccessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture(t, "cspm-s3-public-access.json")
	p := plan(t, r, f)
	var d struct {
		Prior map[string]*remaws.PublicAccessBlock `json:"prior"`
	}
	if err := json.Unmarshal(p.Data, &d); err != nil || d.Prior[bucket] == nil || !d.Prior[bucket].BlockPublicAcls || d.Prior[bucket].IgnorePublicAcls {
		t.Fatalf("prior = %s (%v)", p.Data, err)
	}
	srv.ResetRequests()
	if _, err := r.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	b, _ := srv.S3(member).Bucket(bucket)
	if got := b.PublicAccessBlock; got == nil || *got != (fakeaws.PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}) {
		t.Errorf("bucket block = %+v", got)
	}
	puts := srv.Calls(fakeaws.ServiceS3, "PutPublicAccessBlock")
	if len(puts) != 1 || puts[0].Param("Bucket") != bucket {
		t.Errorf("puts = %+v", puts)
	}
	checkDeclared(t, srv, r.Permissions())
	if _, err := r.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("Plan after: %v", err)
	}
}

func TestBlockBucketWithoutPriorConfiguration(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	seedBucket(t, srv, nil)
	r, err := remaws.NewBlockBucketPublicAccess(static(srv, member), remaws.PublicAccessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan(t, r, fixture(t, "cspm-s3-public-access.json"))
	if string(p.Data) != `{"target":{"account":"111122223333","region":"us-east-1"},"prior":{"`+bucket+`":null}}` {
		t.Errorf("data = %s", p.Data)
	}
}

// A request signed for the wrong Region is a permanent error (not retried
// forever).
func TestBlockBucketWrongRegionIsPermanent(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	srv.S3(member).AddBucket(fakeaws.Bucket{Name: bucket, Region: "eu-west-1"})
	r, err := remaws.NewBlockBucketPublicAccess(static(srv, member), remaws.PublicAccessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Plan(t.Context(), fixture(t, "cspm-s3-public-access.json"))
	if err == nil || remediate.Classify(err) != remediate.ClassPermanent {
		t.Fatalf("wrong Region: %v (%v)", err, remediate.Classify(err))
	}
}

func TestBlockAccountPublicAccessOnTheWire(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	srv.S3(member).SetAccountPublicAccessBlock(fakeaws.PublicAccessBlock{BlockPublicPolicy: true})
	srv.ResetRequests()
	r, err := remaws.NewBlockAccountPublicAccess(static(srv, member), remaws.PublicAccessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture(t, "cspm-s3-account-public-access.json")
	p := plan(t, r, f)
	if string(p.Data) != `{"target":{"account":"111122223333","region":"us-east-1"},"prior":{"block_public_acls":false,"ignore_public_acls":false,"block_public_policy":true,"restrict_public_buckets":false}}` {
		t.Errorf("data = %s", p.Data)
	}
	if _, err := r.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	got, ok := srv.S3(member).AccountPublicAccessBlock()
	if !ok || got != (fakeaws.PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}) {
		t.Errorf("account block = %+v %v", got, ok)
	}
	put := srv.Calls(fakeaws.ServiceS3Control, "PutPublicAccessBlock")
	if len(put) != 1 || put[0].Param("AccountId") != member {
		t.Errorf("put = %+v", put)
	}
	checkDeclared(t, srv, r.Permissions())
}

// The account-level block acts only on the configured controls.
func TestBlockAccountOnlyForS31(t *testing.T) {
	srv := newServer(t, fakeaws.Options{})
	r, err := remaws.NewBlockAccountPublicAccess(static(srv, member), remaws.PublicAccessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := remediatetest.Mutate(t, fixture(t, "cspm-s3-account-public-access.json"), func(m map[string]any) {
		remediatetest.Set(m, "compliance.control", "IAM.6")
	})
	if _, err := r.Plan(t.Context(), f); !errors.Is(err, remediate.ErrNotApplicable) {
		t.Errorf("IAM.6 finding: %v", err)
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("calls for a finding out of scope: %v", srv.Actions())
	}
}

func TestS3Conformance(t *testing.T) {
	remediatetest.Run(t, func(t *testing.T) remediate.Remediator {
		srv := newServer(t, fakeaws.Options{})
		seedBucket(t, srv, nil)
		r, err := remaws.NewBlockBucketPublicAccess(static(srv, member), remaws.PublicAccessOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}, remediatetest.Case{Name: "bucket", Finding: fixture(t, "cspm-s3-public-access.json"),
		NotApplicable: []ocsf.Finding{fixture(t, "cspm-s3-account-public-access.json")}})
	remediatetest.Run(t, func(t *testing.T) remediate.Remediator {
		srv := newServer(t, fakeaws.Options{})
		r, err := remaws.NewBlockAccountPublicAccess(static(srv, member), remaws.PublicAccessOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}, remediatetest.Case{Name: "account", Finding: fixture(t, "cspm-s3-account-public-access.json"),
		NotApplicable: []ocsf.Finding{fixture(t, "cspm-s3-public-access.json")}})
}
