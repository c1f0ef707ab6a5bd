package fakeaws

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// AssumedRole records one successful AssumeRole call.
type AssumedRole struct {
	// RoleARN, ExternalID, SessionName and DurationSeconds are what the
	// caller asked for.
	RoleARN         string
	ExternalID      string
	SessionName     string
	DurationSeconds int32
	// CallerAccount and CallerARN identify who assumed the role.
	CallerAccount, CallerARN string
	// Account is the account of the role (where the credentials act).
	Account string
	// AccessKeyID is the temporary access key issued; requests signed with
	// it are logged with Account.
	AccessKeyID string
	// Expiration is when the credentials expire (server clock).
	Expiration time.Time
}

// AssumedRoles returns every successful AssumeRole call, oldest first.
func (s *Server) AssumedRoles() []AssumedRole {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.assumed)
}

var (
	roleARNRE     = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]+)$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

type xCredentials struct {
	AccessKeyID     string  `xml:"AccessKeyId"`
	SecretAccessKey string  `xml:"SecretAccessKey"`
	SessionToken    string  `xml:"SessionToken"`
	Expiration      xmlTime `xml:"Expiration"`
}

type xAssumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type xAssumeRole struct {
	Credentials      xCredentials     `xml:"Credentials"`
	AssumedRoleUser  xAssumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize int32            `xml:"PackedPolicySize"`
}

type xCallerIdentity struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

// stsDispatch routes an STS action. Callers hold mu.
func (s *Server) stsDispatch(c *call) (any, *apiError) {
	switch c.action {
	case "GetCallerIdentity":
		return &xCallerIdentity{UserID: c.caller.userID, Account: c.caller.account, Arn: c.caller.arn}, nil
	case "AssumeRole":
		return s.stsAssumeRole(c)
	}
	return nil, unknownAction(c)
}

func (s *Server) stsAssumeRole(c *call) (any, *apiError) {
	roleARN, err := required(c, "RoleArn")
	if err != nil {
		return nil, err
	}
	session, err := required(c, "RoleSessionName")
	if err != nil {
		return nil, err
	}
	m := roleARNRE.FindStringSubmatch(roleARN)
	if m == nil {
		return nil, errf(400, "ValidationError", "%s is invalid", roleARN)
	}
	if !sessionNameRE.MatchString(session) {
		return nil, errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64", session)
	}
	externalID := c.param("ExternalId")
	if externalID != "" && (len(externalID) < 2 || len(externalID) > 1224 || !externalIDRE.MatchString(externalID)) {
		return nil, errf(400, "ValidationError", "1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*")
	}
	duration := int32(3600)
	if n, ok, err := int32Param(c, "DurationSeconds"); err != nil {
		return nil, err
	} else if ok {
		if n < 900 || n > 43200 {
			return nil, errf(400, "ValidationError", "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", n)
		}
		duration = n
	}
	denied := errf(403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.caller.arn, roleARN)
	target := m[1]
	acct, ok := s.accounts[target]
	if !ok {
		return nil, denied
	}
	r, ok := acct.iam.roles.get(m[2])
	if !ok || r.ARN != roleARN || !trusts(r.Trust, c.caller, externalID) {
		return nil, denied
	}
	if duration > r.MaxSessionDuration {
		return nil, errf(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	n := s.next("key")
	p := &principal{
		accessKeyID:  fmt.Sprintf("ASIAFAKE%012d", n),
		secret:       fmt.Sprintf("fakeaws-secret-%d", n),
		sessionToken: fmt.Sprintf("fakeaws-session-%d", n),
		account:      target,
		arn:          fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", target, r.Name, session),
		userID:       r.ID + ":" + session,
		expires:      s.now().Add(time.Duration(duration) * time.Second),
	}
	s.keys[p.accessKeyID] = p
	s.assumed = append(s.assumed, AssumedRole{
		RoleARN: roleARN, ExternalID: externalID, SessionName: session, DurationSeconds: duration,
		CallerAccount: c.account, CallerARN: c.caller.arn, Account: target, AccessKeyID: p.accessKeyID, Expiration: p.expires,
	})
	return &xAssumeRole{
		Credentials: xCredentials{AccessKeyID: p.accessKeyID, SecretAccessKey: p.secret, SessionToken: p.sessionToken,
			Expiration: xmlTime(p.expires)},
		AssumedRoleUser: xAssumedRoleUser{AssumedRoleID: p.userID, Arn: p.arn},
	}, nil
}

// trusts evaluates a reduced trust policy for a caller.
func trusts(t *Trust, caller *principal, externalID string) bool {
	if t == nil {
		return true
	}
	if t.ExternalID != "" && t.ExternalID != externalID {
		return false
	}
	if len(t.Principals) == 0 {
		return true
	}
	for _, p := range t.Principals {
		switch {
		case p == "*":
			return true
		case accountRE.MatchString(p):
			if caller.account == p {
				return true
			}
		case strings.HasSuffix(p, ":root"):
			if p == "arn:aws:iam::"+caller.account+":root" {
				return true
			}
		case strings.Contains(p, ":role/"):
			// A role ARN trusts its sessions: arn:aws:sts::A:assumed-role/NAME/SESSION.
			if rm := roleARNRE.FindStringSubmatch(p); rm != nil &&
				strings.HasPrefix(caller.arn, "arn:aws:sts::"+rm[1]+":assumed-role/"+rm[2]+"/") {
				return true
			}
		default:
			if p == caller.arn {
				return true
			}
		}
	}
	return false
}
