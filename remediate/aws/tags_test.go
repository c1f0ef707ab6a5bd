package aws_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	remaws "github.com/ocsfhub/ocsfhub/remediate/aws"
)

func TestTagReaderOnTheWire(t *testing.T) {
	srv := newServer(t, fakeaws.Options{PageSize: 1})
	memberRole(srv, member)
	srv.EC2(member, region).AddInstance(fakeaws.Instance{ID: instID, Tags: map[string]string{"env": "prod", "DoNotRemediate": "true"}})
	srv.IAM(member).AddUser(fakeaws.User{Name: "deploy-bot", Tags: map[string]string{"team": "ci"}, AccessKeys: []fakeaws.AccessKey{{ID: userKey}}})
	srv.IAM(member).AddRole(fakeaws.Role{Name: "bastion-ssm-role", Tags: map[string]string{"tier": "ops"}})
	srv.S3(member).AddBucket(fakeaws.Bucket{Name: bucket, Region: region, Tags: map[string]string{"data": "pii"}})
	srv.S3(member).AddBucket(fakeaws.Bucket{Name: "untagged-bucket", Region: region})
	cf := factory(t, srv, remaws.ClientFactoryOptions{HomeAccount: admin, RoleName: "ocsfhub-remediation", ExternalID: externalID})
	tr, err := remaws.NewTagReader(cf)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		res  remediate.Resource
		want map[string]string
	}{
		{remediate.Resource{Type: ocsf.ResourceTypeEC2Instance, UID: instID, Region: region, AccountUID: member}, map[string]string{"env": "prod", "DoNotRemediate": "true"}},
		{remediate.Resource{Type: "AwsEc2Instance", UID: "arn:aws:ec2:us-east-1:111122223333:instance/" + instID, Region: region, AccountUID: member}, map[string]string{"env": "prod", "DoNotRemediate": "true"}},
		{remediate.Resource{Type: ocsf.ResourceTypeIAMUser, UID: "deploy-bot", Region: "global", AccountUID: member}, map[string]string{"team": "ci"}},
		{remediate.Resource{Type: ocsf.ResourceTypeIAMAccessKey, UID: userKey, Region: "global", AccountUID: member}, map[string]string{"team": "ci"}},
		{remediate.Resource{Type: ocsf.ResourceTypeIAMRole, UID: "arn:aws:iam::111122223333:role/bastion-ssm-role", AccountUID: member}, map[string]string{"tier": "ops"}},
		{remediate.Resource{Type: ocsf.ResourceTypeS3Bucket, UID: bucket, Region: region, AccountUID: member}, map[string]string{"data": "pii"}},
		{remediate.Resource{Type: ocsf.ResourceTypeS3Bucket, UID: "untagged-bucket", Region: region, AccountUID: member}, map[string]string{}},
		{remediate.Resource{Type: ocsf.ResourceTypeAccount, UID: member, Region: region, AccountUID: member}, map[string]string{}},
	} {
		got, err := tr.Tags(t.Context(), tt.res)
		if err != nil {
			t.Errorf("%s %s: %v", tt.res.Type, tt.res.UID, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.res.Type, tt.res.UID, diff)
		}
	}
	for _, req := range srv.Requests() {
		if req.Service != fakeaws.ServiceSTS && req.Account != member {
			t.Errorf("%s read in account %s", req.Name(), req.Account)
		}
	}
	checkDeclared(t, srv, tr.Permissions())
	_, err = tr.Tags(t.Context(), remediate.Resource{Type: ocsf.ResourceTypeLambdaFunction, UID: "f", AccountUID: member, Region: region})
	if !errors.Is(err, remaws.ErrUnsupportedResource) || remediate.Classify(err) != remediate.ClassPermanent {
		t.Errorf("unsupported type: %v", err)
	}
}
