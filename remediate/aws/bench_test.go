package aws_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
)

// BenchmarkIsolatePlan measures planning an isolation against the fake
// (about twenty AWS calls over loopback HTTP, real SDK clients).
func BenchmarkIsolatePlan(b *testing.B) {
	srv := newServer(b, fakeaws.Options{})
	e := srv.EC2(member, region)
	e.AddVPC(fakeaws.VPC{ID: vpcID})
	web := e.AddSecurityGroup(fakeaws.SecurityGroup{Name: "web", VPCID: vpcID})
	e.AddInstance(fakeaws.Instance{ID: instID, VPCID: vpcID, SecurityGroups: []string{web.ID}})
	r, err := remaws.NewIsolateInstance(static(srv, member), remaws.IsolateOptions{Snapshot: true})
	if err != nil {
		b.Fatal(err)
	}
	f := fixture(b, "guardduty-ec2-unauthorized-access.json")
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Plan(b.Context(), f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStatusWrite measures one BatchUpdateFindingsV2 write-back.
func BenchmarkStatusWrite(b *testing.B) {
	srv := newServer(b, fakeaws.Options{})
	f := fixture(b, "guardduty-ec2-unauthorized-access.json")
	raw, _ := f.MarshalJSON()
	srv.SecurityHub(admin, region).AddFinding(raw)
	w, err := remaws.NewStatusWriter(shClient(srv), remaws.StatusWriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	u := remediate.StatusUpdate{Finding: remediate.RefOf(f), StatusID: remediate.StatusInProgress, Comment: "bench"}
	for b.Loop() {
		if err := w.WriteStatus(b.Context(), u); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSessionName(b *testing.B) {
	for b.Loop() {
		remaws.SessionName("ocsfhub", "arn:aws:guardduty:us-east-1:111122223333:detector/f2b3cbe41413047352141e5b863d87e6/finding/85c90e4f537bf057e77bc25db74b65e6")
	}
}

func shClient(srv *fakeaws.Server) *securityhub.Client {
	return securityhub.NewFromConfig(srv.AWSConfig(admin, region))
}
