package fakeaws_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
)

func TestIAMContainAccessKey(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	im := srv.IAM(member)
	im.AddUser(fakeaws.User{Name: "bob", LoginProfile: &fakeaws.LoginProfile{}, Tags: map[string]string{"team": "data"}})
	leaked := im.AddAccessKey("bob", fakeaws.AccessKey{ID: "AKIAEXAMPLELEAKED01"})
	im.AddAccessKey("bob", fakeaws.AccessKey{})
	c := iam.NewFromConfig(srv.AWSConfig(member, region))
	ctx := t.Context()

	// The leaked key works until it is deactivated.
	bobSTS := sts.NewFromConfig(srv.AccessKeyConfig(leaked.ID, region))
	id, err := bobSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(id.Arn) != "arn:aws:iam::"+member+":user/bob" {
		t.Errorf("caller = %s", aws.ToString(id.Arn))
	}
	lu, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(leaked.ID)})
	must(t, err)
	if aws.ToString(lu.UserName) != "bob" || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "sts" || lu.AccessKeyLastUsed.LastUsedDate == nil {
		t.Errorf("last used = %+v", lu.AccessKeyLastUsed)
	}

	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bob")})
	must(t, err)
	if len(keys.AccessKeyMetadata) != 2 || keys.AccessKeyMetadata[0].Status != iamtypes.StatusTypeActive {
		t.Fatalf("keys = %+v", keys.AccessKeyMetadata)
	}
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(leaked.ID), Status: iamtypes.StatusTypeInactive})
	must(t, err)
	if k, _ := im.AccessKey(leaked.ID); k.Status != "Inactive" {
		t.Errorf("status = %s", k.Status)
	}
	_, err = bobSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId")

	// The wire form the notes record.
	req := srv.Calls(fakeaws.ServiceIAM, "UpdateAccessKey")[0]
	want := url.Values{"Action": {"UpdateAccessKey"}, "Version": {"2010-05-08"}, "UserName": {"bob"},
		"AccessKeyId": {leaked.ID}, "Status": {"Inactive"}}
	if diff := cmp.Diff(want, req.Params); diff != "" {
		t.Errorf("UpdateAccessKey params (-want +got):\n%s", diff)
	}

	// Without UserName, role credentials are refused (as for a Lambda role).
	_, err = c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	wantCode(t, err, "ValidationError")
	// A key of someone else is not found.
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(leaked.ID), Status: iamtypes.StatusTypeInactive})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("UpdateAccessKey for unknown user: %v, want NoSuchEntityException", err)
	}

	// Login profile: get, delete, then NoSuchEntity (treat as done).
	_, err = c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("bob")})
	must(t, err)
	_, err = c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("bob")})
	must(t, err)
	_, err = c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("bob")})
	if !errors.As(err, &nse) || nse.ErrorCode() != "NoSuchEntity" {
		t.Errorf("second DeleteLoginProfile: %v", err)
	}
	if u, _ := im.User("bob"); u.LoginProfile != nil {
		t.Error("login profile still present")
	}
	tags, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("bob")})
	must(t, err)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "data" {
		t.Errorf("tags = %+v", tags.Tags)
	}
	u, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	must(t, err)
	if aws.ToString(u.User.Arn) != "arn:aws:iam::"+member+":user/bob" {
		t.Errorf("GetUser = %+v", u.User)
	}
}

func TestIAMRevokeRoleSessions(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	im := srv.IAM(member)
	im.AddRole(fakeaws.Role{Name: "app", Tags: map[string]string{"env": "prod"}})
	im.AddRole(fakeaws.Role{Name: "AWSServiceRoleForSupport", Path: "/aws-service-role/"})
	im.AddInstanceProfile(fakeaws.InstanceProfile{Name: "app-profile", Roles: []string{"app"}})
	c := iam.NewFromConfig(srv.AWSConfig(member, region))
	ctx := t.Context()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-01-02T03:04:05Z"}}}]}`

	prof, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("app-profile")})
	must(t, err)
	if len(prof.InstanceProfile.Roles) != 1 || aws.ToString(prof.InstanceProfile.Roles[0].RoleName) != "app" {
		t.Fatalf("profile roles = %+v", prof.InstanceProfile.Roles)
	}
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("AWSRevokeOlderSessions"), PolicyDocument: aws.String(doc)})
	must(t, err)
	if r, _ := im.Role("app"); r.InlinePolicies["AWSRevokeOlderSessions"] != doc {
		t.Errorf("inline policies = %v", r.InlinePolicies)
	}
	got, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("AWSRevokeOlderSessions")})
	must(t, err)
	// IAM returns documents URL-encoded; callers must decode them.
	if aws.ToString(got.PolicyDocument) == doc {
		t.Error("policy document came back not URL-encoded")
	}
	if dec, err := url.QueryUnescape(aws.ToString(got.PolicyDocument)); err != nil || dec != doc {
		t.Errorf("decoded document = %q, %v", dec, err)
	}

	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("bad"), PolicyDocument: aws.String("{not json")})
	var mal *iamtypes.MalformedPolicyDocumentException
	if !errors.As(err, &mal) {
		t.Errorf("malformed document: %v", err)
	}
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("AWSServiceRoleForSupport"), PolicyName: aws.String("x"), PolicyDocument: aws.String(doc)})
	var unmod *iamtypes.UnmodifiableEntityException
	if !errors.As(err, &unmod) {
		t.Errorf("service-linked role: %v", err)
	}
	_, err = c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("ghost"), PolicyName: aws.String("x")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("unknown role: %v", err)
	}

	// The same deny for a user, and paginated listing of inline policies.
	im.AddUser(fakeaws.User{Name: "carol"})
	for _, name := range []string{"a", "b", "c"} {
		_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
		must(t, err)
	}
	var names []string
	p := iam.NewListUserPoliciesPaginator(c, &iam.ListUserPoliciesInput{UserName: aws.String("carol"), MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		names = append(names, page.PolicyNames...)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, names); diff != "" {
		t.Errorf("policy names (-want +got):\n%s", diff)
	}
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSDenyAll")})
	must(t, err)
	att, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("carol")})
	must(t, err)
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "AWSDenyAll" {
		t.Errorf("attached = %+v", att.AttachedPolicies)
	}
	rt, err := c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("app")})
	must(t, err)
	if len(rt.Tags) != 1 {
		t.Errorf("role tags = %+v", rt.Tags)
	}
	role, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	must(t, err)
	if aws.ToString(role.Role.Arn) != "arn:aws:iam::"+member+":role/app" || aws.ToString(role.Role.AssumeRolePolicyDocument) == "" {
		t.Errorf("GetRole = %+v", role.Role)
	}
}
