package fakeaws

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// authInfo is what the SigV4 Authorization header (or presigned query) says.
type authInfo struct {
	accessKeyID  string
	region       string
	service      string
	sessionToken string
}

// parseAuth reads the credential scope of a SigV4-signed request. Signatures
// are not verified: the fake trusts the scope and checks the key id and
// session token against the credentials it issued.
func parseAuth(r *http.Request) authInfo {
	var a authInfo
	cred := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "AWS4-HMAC-SHA256 ") {
		for part := range strings.SplitSeq(strings.TrimPrefix(h, "AWS4-HMAC-SHA256 "), ",") {
			part = strings.TrimSpace(part)
			if v, ok := strings.CutPrefix(part, "Credential="); ok {
				cred = v
			}
		}
		a.sessionToken = r.Header.Get("X-Amz-Security-Token")
	} else if q := r.URL.Query(); q.Get("X-Amz-Credential") != "" {
		cred = q.Get("X-Amz-Credential")
		a.sessionToken = q.Get("X-Amz-Security-Token")
	}
	// AKID/yyyymmdd/region/service/aws4_request
	if parts := strings.Split(cred, "/"); len(parts) == 5 {
		a.accessKeyID, a.region, a.service = parts[0], parts[2], parts[3]
	}
	return a
}

// principal is an identity the fake issued credentials to.
type principal struct {
	accessKeyID  string
	secret       string
	sessionToken string
	account      string
	arn          string
	userID       string
	userName     string // set for IAM users: the implicit UserName of IAM calls
	iamUserKey   bool   // an IAM user access key: valid while it exists and is Active
	expires      time.Time
}

func (p *principal) arnOrEmpty() string {
	if p == nil {
		return ""
	}
	return p.arn
}

// authenticate resolves the caller of c. Callers hold mu.
func (s *Server) authenticate(c *call, a authInfo) *apiError {
	proto := protocolOf(c.svc)
	if c.region == "" {
		c.region = "us-east-1"
	}
	if a.accessKeyID == "" {
		switch proto {
		case protoEC2:
			return errf(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
		case protoS3, protoS3Control:
			return errf(403, "AccessDenied", "Anonymous access is not allowed (fakeaws)")
		case protoJSON:
			return errf(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
		}
		return errf(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	p, ok := s.keys[a.accessKeyID]
	var key *AccessKey
	if ok && p.iamUserKey {
		_, key = findKey(s.acct(p.account).iam, p.accessKeyID)
		if key == nil || key.Status != "Active" {
			ok = false
		}
	}
	if !ok || p.sessionToken != a.sessionToken {
		switch proto {
		case protoEC2:
			return errf(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
		case protoS3, protoS3Control:
			if ok {
				return errf(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
			}
			return errf(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
		case protoJSON:
			return errf(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
		}
		return errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	if !p.expires.IsZero() && !s.now().Before(p.expires) {
		switch proto {
		case protoEC2:
			return errf(400, "RequestExpired", "Request has expired.")
		case protoS3, protoS3Control:
			return errf(400, "ExpiredToken", "The provided token has expired.")
		case protoJSON:
			return errf(403, "ExpiredTokenException", "The security token included in the request is expired")
		}
		return errf(403, "ExpiredToken", "The security token included in the request is expired")
	}
	if key != nil {
		svc := string(c.svc)
		if c.svc == ServiceS3Control {
			svc = "s3"
		}
		key.LastUsed = &AccessKeyLastUsed{Date: s.now(), Region: c.region, ServiceName: svc}
	}
	c.caller = p
	c.account = p.account
	return nil
}

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// callerFor returns (creating once) the default caller of an account: a role
// session "arn:aws:sts::<account>:assumed-role/fakeaws/fakeaws" with
// temporary credentials, as a remediation service running on Lambda or ECS
// has. Callers hold mu.
func (s *Server) callerFor(accountID string) *principal {
	if p, ok := s.callers[accountID]; ok {
		return p
	}
	n := s.next("key")
	p := &principal{
		accessKeyID:  fmt.Sprintf("ASIAFAKE%012d", n),
		secret:       fmt.Sprintf("fakeaws-secret-%d", n),
		sessionToken: fmt.Sprintf("fakeaws-session-%d", n),
		account:      accountID,
		arn:          fmt.Sprintf("arn:aws:sts::%s:assumed-role/fakeaws/fakeaws", accountID),
		userID:       fmt.Sprintf("AROAFAKE%012d:fakeaws", n),
	}
	s.keys[p.accessKeyID] = p
	s.callers[accountID] = p
	return p
}

// mustAccount panics on an account id that is not 12 digits (a seeding or
// configuration mistake in a test).
func mustAccount(id string) {
	if !accountRE.MatchString(id) {
		panic(fmt.Sprintf("fakeaws: account id %q is not 12 digits", id))
	}
}
