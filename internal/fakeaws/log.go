package fakeaws

import (
	"encoding/json"
	"net/url"
	"slices"
	"time"
)

// Request is one HTTP request the server received, as recorded in the log.
type Request struct {
	// Seq numbers requests from 1 in arrival order.
	Seq int
	// Time is the server clock when the request arrived.
	Time time.Time
	// Service is the service the request was signed for.
	Service Service
	// Action is the operation name ("DescribeInstances", "GetPublicAccessBlock",
	// "BatchUpdateFindingsV2"...). For REST services it is derived from the
	// method and path.
	Action string
	// Account is the account whose state the request used: the account of
	// the credentials (for credentials issued by AssumeRole, the account of
	// the assumed role). Empty when authentication failed.
	Account string
	// Region is the region of the SigV4 credential scope.
	Region string
	// Principal is the caller's ARN.
	Principal string
	// AccessKeyID is the access key id the request was signed with.
	AccessKeyID string
	// Method and Path are the HTTP method and URL path.
	Method, Path string
	// Params holds the parsed parameters: the whole form for Query
	// protocols (Action and Version included, lists as "Name.N" and
	// "Name.member.N" exactly as on the wire); for REST protocols the URL
	// query plus path parameters ("Bucket", "AccountId").
	Params url.Values
	// Body is the raw request body.
	Body []byte
	// Status is the HTTP status of the response.
	Status int
	// ErrorCode is the AWS error code of the response, "" on success.
	ErrorCode string
	// Injected reports that the error came from a [Fault].
	Injected bool
}

// Param returns the first value of a parameter.
func (r Request) Param(name string) string { return r.Params.Get(name) }

// DecodeJSON decodes the JSON body of a REST-JSON request into v.
func (r Request) DecodeJSON(v any) error { return json.Unmarshal(r.Body, v) }

// Succeeded reports whether the request got a 2xx response.
func (r Request) Succeeded() bool { return r.Status >= 200 && r.Status < 300 }

// Name is "service:Action" with the operation name ("ec2:DescribeInstances",
// "s3control:PutPublicAccessBlock", "securityhub:BatchUpdateFindingsV2").
func (r Request) Name() string { return string(r.Service) + ":" + r.Action }

// IAMAction is the IAM action that authorizes the request, for checking
// that a remediator's declared least-privilege policy covers every call it
// makes. It is Name() except where IAM spells the action differently:
// Elastic Load Balancing v2 is "elasticloadbalancing:…"; S3's
// Get/PutPublicAccessBlock are s3:Get/PutBucketPublicAccessBlock, S3
// Control's are s3:Get/PutAccountPublicAccessBlock; HeadBucket is
// s3:ListBucket; Security Hub's BatchUpdateFindingsV2 and GetFindingsV2 are
// securityhub:BatchUpdateFindings and securityhub:GetFindings.
func (r Request) IAMAction() string {
	switch r.Service {
	case ServiceS3:
		switch r.Action {
		case "GetPublicAccessBlock":
			return "s3:GetBucketPublicAccessBlock"
		case "PutPublicAccessBlock", "DeletePublicAccessBlock":
			return "s3:PutBucketPublicAccessBlock"
		case "HeadBucket":
			return "s3:ListBucket"
		case "DeleteBucketTagging":
			return "s3:PutBucketTagging"
		}
	case ServiceS3Control:
		switch r.Action {
		case "GetPublicAccessBlock":
			return "s3:GetAccountPublicAccessBlock"
		case "PutPublicAccessBlock", "DeletePublicAccessBlock":
			return "s3:PutAccountPublicAccessBlock"
		}
		return "s3:" + r.Action
	case ServiceSecurityHub:
		switch r.Action {
		case "BatchUpdateFindingsV2":
			return "securityhub:BatchUpdateFindings"
		case "GetFindingsV2":
			return "securityhub:GetFindings"
		}
	}
	return r.Name()
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Calls returns the logged requests for one operation, oldest first,
// including failed attempts and retries.
func (s *Server) Calls(svc Service, action string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Service == svc && r.Action == action {
			out = append(out, r)
		}
	}
	return out
}

// Actions returns Name() of every logged request, in order: a compact view
// of a call sequence for cmp.Diff. Failed attempts are listed with a
// "!<code>" suffix ("ec2:DescribeInstances!RequestLimitExceeded").
func (s *Server) Actions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.requests))
	for _, r := range s.requests {
		n := r.Name()
		if r.ErrorCode != "" {
			n += "!" + r.ErrorCode
		}
		out = append(out, n)
	}
	return out
}

// ResetRequests empties the request log (for example after seeding through
// the API, so a test asserts only the calls of the code under test).
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// IAMActions returns the distinct IAM actions of every logged request
// (attempted, whether or not it succeeded), sorted: compare it with the
// actions a remediator declares.
func (s *Server) IAMActions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		if a := r.IAMAction(); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}
