package fakeaws

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServeHTTP feeds arbitrary signed requests to the handler: it must
// never panic and must always answer with a well-formed envelope.
func FuzzServeHTTP(f *testing.F) {
	seeds := []struct{ service, method, path, body string }{
		{"ec2", "POST", "/", "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag:Env&Filter.1.Value.1=*"},
		{"ec2", "POST", "/", "Action=RevokeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-1&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0"},
		{"ec2", "POST", "/", "Action=ModifySecurityGroupRules&Version=2016-11-15&GroupId=sg-1&SecurityGroupRule.1.SecurityGroupRuleId=sgr-1&SecurityGroupRule.1.SecurityGroupRule.IpProtocol=tcp&SecurityGroupRule.1.SecurityGroupRule.FromPort=22&SecurityGroupRule.1.SecurityGroupRule.ToPort=22&SecurityGroupRule.1.SecurityGroupRule.CidrIpv4=10.0.0.0/8"},
		{"ec2", "POST", "/", "Action=ModifyInstanceAttribute&Version=2016-11-15&InstanceId=i-0seed&Attribute=disableApiTermination&Value=true"},
		{"ec2", "POST", "/", "Action=CreateSnapshots&Version=2016-11-15&InstanceSpecification.InstanceId=i-0seed&CopyTagsFromSource=volume"},
		{"iam", "POST", "/", "Action=PutUserPolicy&Version=2010-05-08&UserName=bob&PolicyName=p&PolicyDocument=%7B%22Statement%22%3A%5B%5D%7D"},
		{"iam", "POST", "/", "Action=ListAccessKeys&Version=2010-05-08&UserName=bob&MaxItems=1&Marker=eA"},
		{"sts", "POST", "/", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::222222222222:role/r&RoleSessionName=s"},
		{"autoscaling", "POST", "/", "Action=DetachInstances&Version=2011-01-01&AutoScalingGroupName=g&InstanceIds.member.1=i-0seed&ShouldDecrementDesiredCapacity=false"},
		{"autoscaling", "POST", "/", "Action=AttachInstances&Version=2011-01-01&AutoScalingGroupName=g&InstanceIds.member.1=i-0seed"},
		{"elasticloadbalancing", "POST", "/", "Action=DeregisterTargets&Version=2015-12-01&TargetGroupArn=x&Targets.member.1.Id=i-1"},
		{"s3", "PUT", "/bucket?publicAccessBlock", "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>"},
		{"s3", "PUT", "/v20180820/configuration/publicAccessBlock", "<PublicAccessBlockConfiguration/>"},
		{"securityhub", "PATCH", "/findingsv2/batchupdatev2", `{"MetadataUids":["m-1"],"StatusId":4,"Comment":"x"}`},
		{"securityhub", "POST", "/findingsv2", `{"Filters":{"CompositeFilters":[{"StringFilters":[{"FieldName":"metadata.uid","Filter":{"Comparison":"PREFIX","Value":"m"}}]}]},"MaxResults":1}`},
	}
	for _, s := range seeds {
		f.Add(s.service, s.method, s.path, s.body)
	}
	srv := New(Options{})
	defer srv.Close()
	e := srv.EC2("111111111111", "us-east-1")
	e.AddInstance(Instance{ID: "i-0seed"})
	srv.AutoScaling("111111111111", "us-east-1").AddGroup(AutoScalingGroup{Name: "g", MaxSize: 4})
	srv.S3("111111111111").AddBucket(Bucket{Name: "bucket"})
	srv.SecurityHub("111111111111", "us-east-1").AddFinding([]byte(`{"metadata":{"uid":"m-1"}}`))
	srv.mu.Lock()
	p := srv.callerFor("111111111111")
	srv.mu.Unlock()

	f.Fuzz(func(t *testing.T, service, method, path, body string) {
		switch method {
		case http.MethodGet, http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodHead:
		default:
			return
		}
		if !strings.HasPrefix(path, "/") {
			return
		}
		r, err := http.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if service == "s3" && strings.HasPrefix(path, "/v20180820/") {
			r.Header.Set("X-Amz-Account-Id", "111111111111")
		}
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+p.accessKeyID+"/20260101/us-east-1/"+
			strings.ReplaceAll(service, "/", "")+"/aws4_request, SignedHeaders=host, Signature=0")
		r.Header.Set("X-Amz-Security-Token", p.sessionToken)
		w := httptest.NewRecorder()
		srv.serveHTTP(w, r)
		res := w.Result()
		if res.StatusCode < 200 || res.StatusCode > 599 {
			t.Fatalf("status %d", res.StatusCode)
		}
		b, _ := io.ReadAll(res.Body)
		if method == http.MethodHead || len(b) == 0 {
			return
		}
		if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			if !json.Valid(b) {
				t.Fatalf("invalid JSON %q", b)
			}
			return
		}
		if strings.Contains(res.Header.Get("Content-Type"), "xml") {
			d := xml.NewDecoder(bytes.NewReader(b))
			for {
				if _, err := d.Token(); err != nil {
					if errors.Is(err, io.EOF) {
						break
					}
					t.Fatalf("invalid XML %q: %v", b, err)
				}
			}
		}
	})
}
