package fakeaws_test

import (
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestSTSAssumeRoleIntoMemberAccount(t *testing.T) {
	t.Parallel()
	// The SDK's credentials cache compares expirations with the real clock,
	// so the fake clock starts at the real time.
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	srv := newServer(t, fakeaws.Options{Now: clk.Now})
	roleARN := "arn:aws:iam::" + member + ":role/ocsfhub-remediation"
	srv.IAM(member).AddRole(fakeaws.Role{Name: "ocsfhub-remediation",
		Trust: &fakeaws.Trust{Principals: []string{admin}, ExternalID: "ext-123"}})
	srv.EC2(member, region).AddInstance(fakeaws.Instance{ID: "i-0member"})
	srv.EC2(admin, region).AddInstance(fakeaws.Instance{ID: "i-0admin"})
	base := srv.AWSConfig(admin, region)
	stsc := sts.NewFromConfig(base)
	ctx := t.Context()

	memberCfg := base.Copy()
	memberCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsc, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.ExternalID = aws.String("ext-123")
		o.RoleSessionName = "ocsfhub-finding-f-1"
	}))
	out, err := ec2.NewFromConfig(memberCfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	must(t, err)
	if len(out.Reservations) != 1 || aws.ToString(out.Reservations[0].Instances[0].InstanceId) != "i-0member" {
		t.Fatalf("member account sees %+v", out.Reservations)
	}
	id, err := sts.NewFromConfig(memberCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(id.Account) != member || aws.ToString(id.Arn) != "arn:aws:sts::"+member+":assumed-role/ocsfhub-remediation/ocsfhub-finding-f-1" {
		t.Errorf("caller identity = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}

	assumed := srv.AssumedRoles()
	if len(assumed) != 1 || assumed[0].ExternalID != "ext-123" || assumed[0].SessionName != "ocsfhub-finding-f-1" ||
		assumed[0].CallerAccount != admin || assumed[0].Account != member || assumed[0].RoleARN != roleARN {
		t.Errorf("assumed roles = %+v", assumed)
	}
	// Every call is logged with the account it hit.
	calls := srv.Calls(fakeaws.ServiceEC2, "DescribeInstances")
	if len(calls) != 1 || calls[0].Account != member || calls[0].AccessKeyID != assumed[0].AccessKeyID {
		t.Errorf("DescribeInstances logged as %+v", calls)
	}
	if ar := srv.Calls(fakeaws.ServiceSTS, "AssumeRole"); len(ar) != 1 || ar[0].Account != admin || ar[0].Param("ExternalId") != "ext-123" {
		t.Errorf("AssumeRole logged as %+v", ar)
	}

	// Wrong external id, unknown role: AccessDenied.
	for _, in := range []*sts.AssumeRoleInput{
		{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), ExternalId: aws.String("wrong")},
		{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")},
		{RoleArn: aws.String("arn:aws:iam::" + member + ":role/missing"), RoleSessionName: aws.String("s1")},
		{RoleArn: aws.String("arn:aws:iam::333333333333:role/x"), RoleSessionName: aws.String("s1")},
	} {
		_, err := stsc.AssumeRole(ctx, in)
		wantCode(t, err, "AccessDenied")
	}
	_, err = stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bad name!"), ExternalId: aws.String("ext-123")})
	wantCode(t, err, "ValidationError")

	// Issued credentials expire on the server clock.
	direct := base.Copy()
	ar, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s2"), ExternalId: aws.String("ext-123"), DurationSeconds: aws.Int32(900)})
	must(t, err)
	if !ar.Credentials.Expiration.Equal(clk.Now().Add(15 * time.Minute)) {
		t.Errorf("expiration = %v", ar.Credentials.Expiration)
	}
	direct.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsc, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.ExternalID = aws.String("ext-123")
		o.Duration = 15 * time.Minute
	}))
	c := ec2.NewFromConfig(direct)
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	must(t, err)
	clk.Add(16 * time.Minute) // the SDK cache does not know the fake clock
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	wantCode(t, err, "RequestExpired")
}

func TestSTSTrustByRoleARN(t *testing.T) {
	t.Parallel()
	srv := newServer(t, fakeaws.Options{})
	srv.IAM(member).AddRole(fakeaws.Role{Name: "target", Trust: &fakeaws.Trust{Principals: []string{"arn:aws:iam::" + admin + ":role/fakeaws"}}})
	srv.IAM(member).AddRole(fakeaws.Role{Name: "other", Trust: &fakeaws.Trust{Principals: []string{"arn:aws:iam::" + admin + ":role/someone-else"}}})
	c := sts.NewFromConfig(srv.AWSConfig(admin, region))
	_, err := c.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + member + ":role/target"), RoleSessionName: aws.String("ok")})
	must(t, err)
	_, err = c.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + member + ":role/other"), RoleSessionName: aws.String("no")})
	wantCode(t, err, "AccessDenied")
}
