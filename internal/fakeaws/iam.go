package fakeaws

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// User is an IAM user. As a seed ([IAM.AddUser]) it describes what to
// create; as a view it is the current state.
type User struct {
	// Name is required. Path defaults to "/". ID ("AIDA…") and ARN are
	// assigned.
	Name, Path, ID, ARN string
	// CreateDate defaults to the server clock.
	CreateDate time.Time
	// Tags are the user's tags.
	Tags map[string]string
	// AccessKeys are the user's access keys (at most two, as in IAM).
	AccessKeys []AccessKey
	// LoginProfile is the console password, nil when there is none.
	LoginProfile *LoginProfile
	// InlinePolicies maps policy names to JSON documents (as put, not
	// URL-encoded).
	InlinePolicies map[string]string
	// AttachedPolicies are managed policy ARNs.
	AttachedPolicies []string
	// MFADevices are the user's MFA devices.
	MFADevices []MFADevice
}

// AccessKey is an IAM user access key.
type AccessKey struct {
	// ID is assigned ("AKIA…") when empty.
	ID string
	// UserName is the owning user (view only).
	UserName string
	// Status is "Active" (default) or "Inactive".
	Status string
	// CreateDate defaults to the server clock.
	CreateDate time.Time
	// LastUsed is what GetAccessKeyLastUsed reports; nil means never used.
	// Requests the server receives with the key update it.
	LastUsed *AccessKeyLastUsed
}

// AccessKeyLastUsed is the last use of an access key.
type AccessKeyLastUsed struct {
	// Date is when the key was last used.
	Date time.Time
	// Region and ServiceName are where it was used ("s3", "ec2"...).
	Region, ServiceName string
}

// LoginProfile is a user's console password.
type LoginProfile struct {
	// CreateDate defaults to the user's creation date.
	CreateDate time.Time
	// PasswordResetRequired is the reset flag.
	PasswordResetRequired bool
}

// MFADevice is an MFA device of a user.
type MFADevice struct {
	// SerialNumber is the device serial or virtual device ARN.
	SerialNumber string
	// EnableDate is when it was enabled.
	EnableDate time.Time
}

// Role is an IAM role.
type Role struct {
	// Name is required; it may not contain "/". Path defaults to "/"; a path
	// of "/aws-service-role/" makes a service-linked role, whose policies
	// cannot be changed. ID ("AROA…") and ARN are assigned.
	Name, Path, ID, ARN string
	// Description is the role description.
	Description string
	// CreateDate defaults to the server clock.
	CreateDate time.Time
	// Trust says who may assume the role; nil trusts every principal of
	// every account (convenient for tests that do not exercise trust).
	Trust *Trust
	// MaxSessionDuration is in seconds (default 3600).
	MaxSessionDuration int32
	// Tags are the role's tags.
	Tags map[string]string
	// InlinePolicies maps policy names to JSON documents.
	InlinePolicies map[string]string
	// AttachedPolicies are managed policy ARNs.
	AttachedPolicies []string
}

// Trust is the trust policy of a role, reduced to what AssumeRole checks.
type Trust struct {
	// Principals are the trusted principals: a 12-digit account id or
	// "arn:aws:iam::<account>:root" trusts the whole account; a role ARN
	// trusts sessions of that role; a user ARN trusts that user. Empty
	// trusts everyone.
	Principals []string
	// ExternalID, when set, must equal the ExternalId of the request
	// (sts:ExternalId condition).
	ExternalID string
}

// InstanceProfile is an IAM instance profile.
type InstanceProfile struct {
	// Name is required. Path defaults to "/". ID ("AIPA…") and ARN are assigned.
	Name, Path, ID, ARN string
	// Roles are the names of the roles in the profile (at most one in IAM).
	Roles []string
}

type iamUser struct {
	User
	keys []*AccessKey
}

type iamRole struct {
	Role
}

type iamProfile struct {
	name, path, id, arn string
	roles               []string
	created             time.Time
}

type iamState struct {
	users    table[iamUser]
	roles    table[iamRole]
	profiles table[iamProfile]
}

func newIAMState() *iamState { return &iamState{} }

// IAM is the IAM state of one account, for seeding and assertions.
type IAM struct {
	s       *Server
	account string
}

// IAM returns the IAM state of an account.
func (s *Server) IAM(account string) *IAM {
	mustAccount(account)
	return &IAM{s: s, account: account}
}

func (i *IAM) st() *iamState { return i.s.acct(i.account).iam }

// normPath returns an IAM path ("/" by default, with slashes at both ends).
func normPath(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// AddUser creates a user with its keys, login profile and policies.
func (i *IAM) AddUser(u User) User {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	st := i.st()
	if u.Name == "" {
		panic("fakeaws: IAM user needs a Name")
	}
	if _, ok := st.users.get(u.Name); ok {
		panic(fmt.Sprintf("fakeaws: IAM user %s already exists", u.Name))
	}
	keys := u.AccessKeys
	u.AccessKeys = nil
	u.Path = normPath(u.Path)
	u.ID = fmt.Sprintf("AIDAFAKE%013d", i.s.next("iam-id"))
	u.ARN = fmt.Sprintf("arn:aws:iam::%s:user%s%s", i.account, u.Path, u.Name)
	if u.CreateDate.IsZero() {
		u.CreateDate = i.s.now()
	}
	u.Tags = cloneMap(u.Tags)
	u.InlinePolicies = cloneMap(u.InlinePolicies)
	u.AttachedPolicies = slices.Clone(u.AttachedPolicies)
	u.MFADevices = slices.Clone(u.MFADevices)
	if u.LoginProfile != nil {
		lp := *u.LoginProfile
		if lp.CreateDate.IsZero() {
			lp.CreateDate = u.CreateDate
		}
		u.LoginProfile = &lp
	}
	iu := &iamUser{User: u}
	st.users.put(u.Name, iu)
	for _, k := range keys {
		i.s.addKey(i.account, iu, k)
	}
	return userView(iu)
}

// AddAccessKey gives a user an access key (creating the user when it does
// not exist) and returns it. The key is also a working credential of the
// fake (see [Server.AccessKeyConfig]) until it is deactivated or deleted.
func (i *IAM) AddAccessKey(userName string, k AccessKey) AccessKey {
	i.s.mu.Lock()
	st := i.st()
	_, ok := st.users.get(userName)
	i.s.mu.Unlock()
	if !ok {
		i.AddUser(User{Name: userName})
	}
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	u, _ := st.users.get(userName)
	return *i.s.addKey(i.account, u, k)
}

// addKey creates a key and registers it as a credential. Callers hold mu.
func (s *Server) addKey(account string, u *iamUser, k AccessKey) *AccessKey {
	if len(u.keys) >= 2 {
		panic(fmt.Sprintf("fakeaws: IAM user %s already has two access keys", u.Name))
	}
	n := s.next("iam-key")
	if k.ID == "" {
		k.ID = fmt.Sprintf("AKIAFAKE%012d", n)
	}
	if _, ok := s.keys[k.ID]; ok {
		panic(fmt.Sprintf("fakeaws: access key %s already exists", k.ID))
	}
	if k.Status == "" {
		k.Status = "Active"
	}
	if k.CreateDate.IsZero() {
		k.CreateDate = s.now()
	}
	if k.LastUsed != nil {
		lu := *k.LastUsed
		k.LastUsed = &lu
	}
	k.UserName = u.Name
	u.keys = append(u.keys, &k)
	s.keys[k.ID] = &principal{accessKeyID: k.ID, secret: "fakeaws-user-secret-" + k.ID, account: account,
		arn: u.ARN, userID: u.ID, userName: u.Name, iamUserKey: true}
	return &k
}

// AddRole creates a role.
func (i *IAM) AddRole(r Role) Role {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	st := i.st()
	if r.Name == "" || strings.Contains(r.Name, "/") {
		panic(fmt.Sprintf("fakeaws: IAM role name %q is not valid", r.Name))
	}
	if _, ok := st.roles.get(r.Name); ok {
		panic(fmt.Sprintf("fakeaws: IAM role %s already exists", r.Name))
	}
	r.Path = normPath(r.Path)
	r.ID = fmt.Sprintf("AROAFAKE%013d", i.s.next("iam-id"))
	r.ARN = fmt.Sprintf("arn:aws:iam::%s:role%s%s", i.account, r.Path, r.Name)
	if r.CreateDate.IsZero() {
		r.CreateDate = i.s.now()
	}
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = 3600
	}
	if r.Trust != nil {
		t := Trust{Principals: slices.Clone(r.Trust.Principals), ExternalID: r.Trust.ExternalID}
		r.Trust = &t
	}
	r.Tags = cloneMap(r.Tags)
	r.InlinePolicies = cloneMap(r.InlinePolicies)
	r.AttachedPolicies = slices.Clone(r.AttachedPolicies)
	st.roles.put(r.Name, &iamRole{Role: r})
	return roleView(&iamRole{Role: r})
}

// AddInstanceProfile creates an instance profile.
func (i *IAM) AddInstanceProfile(p InstanceProfile) InstanceProfile {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	st := i.st()
	if p.Name == "" {
		panic("fakeaws: instance profile needs a Name")
	}
	if _, ok := st.profiles.get(p.Name); ok {
		panic(fmt.Sprintf("fakeaws: instance profile %s already exists", p.Name))
	}
	ip := &iamProfile{name: p.Name, path: normPath(p.Path), roles: slices.Clone(p.Roles), created: i.s.now()}
	ip.id = fmt.Sprintf("AIPAFAKE%013d", i.s.next("iam-id"))
	ip.arn = fmt.Sprintf("arn:aws:iam::%s:instance-profile%s%s", i.account, ip.path, ip.name)
	st.profiles.put(ip.name, ip)
	return profileView(ip)
}

// ensureInstanceProfile returns the profile with an ARN, creating it when
// missing (seeding convenience). Callers hold mu.
func (s *Server) ensureInstanceProfile(account, arn string) *iamProfile {
	st := s.acct(account).iam
	for _, p := range st.profiles.all() {
		if p.arn == arn {
			return p
		}
	}
	m := regexp.MustCompile(`^arn:aws:iam::(\d{12}):instance-profile(/.*/|/)([^/]+)$`).FindStringSubmatch(arn)
	if m == nil || m[1] != account {
		panic(fmt.Sprintf("fakeaws: %q is not an instance profile ARN of account %s", arn, account))
	}
	p := &iamProfile{name: m[3], path: m[2], arn: arn, created: s.now(), id: fmt.Sprintf("AIPAFAKE%013d", s.next("iam-id"))}
	st.profiles.put(p.name, p)
	return p
}

// User returns the current state of a user.
func (i *IAM) User(name string) (User, bool) {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	u, ok := i.st().users.get(name)
	if !ok {
		return User{}, false
	}
	return userView(u), true
}

// Users returns every user, in creation order.
func (i *IAM) Users() []User {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	var out []User
	for _, u := range i.st().users.all() {
		out = append(out, userView(u))
	}
	return out
}

// Role returns the current state of a role.
func (i *IAM) Role(name string) (Role, bool) {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	r, ok := i.st().roles.get(name)
	if !ok {
		return Role{}, false
	}
	return roleView(r), true
}

// AccessKey returns the current state of an access key.
func (i *IAM) AccessKey(id string) (AccessKey, bool) {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	if _, k := findKey(i.st(), id); k != nil {
		return keyView(k), true
	}
	return AccessKey{}, false
}

// InstanceProfile returns an instance profile.
func (i *IAM) InstanceProfile(name string) (InstanceProfile, bool) {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	p, ok := i.st().profiles.get(name)
	if !ok {
		return InstanceProfile{}, false
	}
	return profileView(p), true
}

func keyView(k *AccessKey) AccessKey {
	v := *k
	if k.LastUsed != nil {
		lu := *k.LastUsed
		v.LastUsed = &lu
	}
	return v
}

func userView(u *iamUser) User {
	v := u.User
	v.Tags = cloneMap(u.Tags)
	v.InlinePolicies = cloneMap(u.InlinePolicies)
	v.AttachedPolicies = slices.Clone(u.AttachedPolicies)
	v.MFADevices = slices.Clone(u.MFADevices)
	if u.LoginProfile != nil {
		lp := *u.LoginProfile
		v.LoginProfile = &lp
	}
	v.AccessKeys = nil
	for _, k := range u.keys {
		v.AccessKeys = append(v.AccessKeys, keyView(k))
	}
	return v
}

func roleView(r *iamRole) Role {
	v := r.Role
	v.Tags = cloneMap(r.Tags)
	v.InlinePolicies = cloneMap(r.InlinePolicies)
	v.AttachedPolicies = slices.Clone(r.AttachedPolicies)
	if r.Trust != nil {
		t := Trust{Principals: slices.Clone(r.Trust.Principals), ExternalID: r.Trust.ExternalID}
		v.Trust = &t
	}
	return v
}

func profileView(p *iamProfile) InstanceProfile {
	return InstanceProfile{Name: p.name, Path: p.path, ID: p.id, ARN: p.arn, Roles: slices.Clone(p.roles)}
}

func findKey(st *iamState, id string) (*iamUser, *AccessKey) {
	for _, u := range st.users.all() {
		for _, k := range u.keys {
			if k.ID == id {
				return u, k
			}
		}
	}
	return nil, nil
}

// ---- wire ----

var (
	iamNameRE   = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	iamPolicyRE = regexp.MustCompile(`^arn:aws:iam::(aws|\d{12}):policy/[\w+=,.@/-]+$`)
)

var iamPage = pageSpec{tokenKey: "Marker", maxKey: "MaxItems", min: 1, max: 1000, def: 100}

func noSuchEntity(format string, args ...any) *apiError {
	return errf(404, "NoSuchEntity", format, args...)
}

// urlEncodePolicy encodes a policy document the way IAM returns it
// (RFC 3986 percent-encoding). Callers must url.QueryUnescape it.
func urlEncodePolicy(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// validatePolicy checks that a document is a JSON policy with statements.
func validatePolicy(doc string) *apiError {
	var p struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return errf(400, "MalformedPolicyDocument", "Syntax errors in policy.")
	}
	if len(p.Statement) == 0 || string(p.Statement) == "null" {
		return errf(400, "MalformedPolicyDocument", "Policy document must contain a Statement.")
	}
	return nil
}

// policySize counts the non-whitespace characters of documents, as IAM's
// inline policy quotas do.
func policySize(docs map[string]string) int {
	n := 0
	for _, d := range docs {
		for _, r := range d {
			if !unicode.IsSpace(r) {
				n++
			}
		}
	}
	return n
}

type xIamTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func iamTags(m map[string]string) []xIamTag {
	var out []xIamTag
	for _, k := range sortedKeys(m) {
		out = append(out, xIamTag{k, m[k]})
	}
	return out
}

type xIamUser struct {
	Path       string    `xml:"Path"`
	UserName   string    `xml:"UserName"`
	UserID     string    `xml:"UserId"`
	Arn        string    `xml:"Arn"`
	CreateDate xmlTime   `xml:"CreateDate"`
	Tags       []xIamTag `xml:"Tags>member"`
}

type xIamRole struct {
	Path                     string    `xml:"Path"`
	RoleName                 string    `xml:"RoleName"`
	RoleID                   string    `xml:"RoleId"`
	Arn                      string    `xml:"Arn"`
	CreateDate               xmlTime   `xml:"CreateDate"`
	AssumeRolePolicyDocument string    `xml:"AssumeRolePolicyDocument"`
	Description              string    `xml:"Description,omitempty"`
	MaxSessionDuration       int32     `xml:"MaxSessionDuration"`
	Tags                     []xIamTag `xml:"Tags>member"`
}

type xAccessKeyMeta struct {
	UserName    string  `xml:"UserName"`
	AccessKeyID string  `xml:"AccessKeyId"`
	Status      string  `xml:"Status"`
	CreateDate  xmlTime `xml:"CreateDate"`
}

type xListAccessKeys struct {
	Keys        []xAccessKeyMeta `xml:"AccessKeyMetadata>member"`
	IsTruncated bool             `xml:"IsTruncated"`
	Marker      string           `xml:"Marker,omitempty"`
}

type xLastUsed struct {
	LastUsedDate *xmlTime `xml:"LastUsedDate,omitempty"`
	ServiceName  string   `xml:"ServiceName"`
	Region       string   `xml:"Region"`
}

type xGetAccessKeyLastUsed struct {
	UserName string    `xml:"UserName"`
	LastUsed xLastUsed `xml:"AccessKeyLastUsed"`
}

type xLoginProfile struct {
	UserName              string  `xml:"UserName"`
	CreateDate            xmlTime `xml:"CreateDate"`
	PasswordResetRequired bool    `xml:"PasswordResetRequired"`
}

type xGetLoginProfile struct {
	LoginProfile xLoginProfile `xml:"LoginProfile"`
}

type xGetUserPolicy struct {
	UserName       string `xml:"UserName,omitempty"`
	RoleName       string `xml:"RoleName,omitempty"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type xListPolicyNames struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	IsTruncated bool     `xml:"IsTruncated"`
	Marker      string   `xml:"Marker,omitempty"`
}

type xAttachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type xListAttachedPolicies struct {
	Policies    []xAttachedPolicy `xml:"AttachedPolicies>member"`
	IsTruncated bool              `xml:"IsTruncated"`
	Marker      string            `xml:"Marker,omitempty"`
}

type xGetUser struct {
	User xIamUser `xml:"User"`
}

type xGetRole struct {
	Role xIamRole `xml:"Role"`
}

type xListTags struct {
	Tags        []xIamTag `xml:"Tags>member"`
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker,omitempty"`
}

type xInstanceProfile struct {
	Path                string     `xml:"Path"`
	InstanceProfileName string     `xml:"InstanceProfileName"`
	InstanceProfileID   string     `xml:"InstanceProfileId"`
	Arn                 string     `xml:"Arn"`
	CreateDate          xmlTime    `xml:"CreateDate"`
	Roles               []xIamRole `xml:"Roles>member"`
}

type xGetInstanceProfile struct {
	InstanceProfile xInstanceProfile `xml:"InstanceProfile"`
}

type xMFADevice struct {
	UserName     string  `xml:"UserName"`
	SerialNumber string  `xml:"SerialNumber"`
	EnableDate   xmlTime `xml:"EnableDate"`
}

type xListMFADevices struct {
	Devices     []xMFADevice `xml:"MFADevices>member"`
	IsTruncated bool         `xml:"IsTruncated"`
	Marker      string       `xml:"Marker,omitempty"`
}

// trustDocument renders a role's trust policy as JSON.
func trustDocument(r *iamRole) string {
	stmt := map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"AWS": "*"}}
	if r.Trust != nil {
		if len(r.Trust.Principals) > 0 {
			var ps []string
			for _, p := range r.Trust.Principals {
				if accountRE.MatchString(p) {
					p = "arn:aws:iam::" + p + ":root"
				}
				ps = append(ps, p)
			}
			stmt["Principal"] = map[string]any{"AWS": ps}
		}
		if r.Trust.ExternalID != "" {
			stmt["Condition"] = map[string]any{"StringEquals": map[string]any{"sts:ExternalId": r.Trust.ExternalID}}
		}
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{stmt}})
	return string(b)
}

func roleXML(r *iamRole) xIamRole {
	return xIamRole{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN, CreateDate: xmlTime(r.CreateDate),
		AssumeRolePolicyDocument: urlEncodePolicy(trustDocument(r)), Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration, Tags: iamTags(r.Tags)}
}

// iamDispatch routes an IAM action. Callers hold mu.
func (s *Server) iamDispatch(c *call) (any, *apiError) {
	st := s.acct(c.account).iam
	switch c.action {
	case "GetUser":
		u, err := s.iamUserParam(c, st)
		if err != nil {
			return nil, err
		}
		return &xGetUser{User: xIamUser{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN,
			CreateDate: xmlTime(u.CreateDate), Tags: iamTags(u.Tags)}}, nil
	case "GetRole":
		r, err := iamRoleParam(c, st)
		if err != nil {
			return nil, err
		}
		return &xGetRole{Role: roleXML(r)}, nil
	case "ListUserTags":
		u, err := s.iamUserParam(c, st)
		if err != nil {
			return nil, err
		}
		return listTags(s, c, u.Tags)
	case "ListRoleTags":
		r, err := iamRoleParam(c, st)
		if err != nil {
			return nil, err
		}
		return listTags(s, c, r.Tags)
	case "ListAccessKeys":
		u, err := s.iamUserParam(c, st)
		if err != nil {
			return nil, err
		}
		page, next, err := paginate(s, c, u.keys, iamPage)
		if err != nil {
			return nil, err
		}
		out := &xListAccessKeys{IsTruncated: next != "", Marker: next}
		for _, k := range page {
			out.Keys = append(out.Keys, xAccessKeyMeta{UserName: u.Name, AccessKeyID: k.ID, Status: k.Status, CreateDate: xmlTime(k.CreateDate)})
		}
		return out, nil
	case "UpdateAccessKey", "DeleteAccessKey":
		return s.iamUpdateAccessKey(c, st)
	case "GetAccessKeyLastUsed":
		id, err := required(c, "AccessKeyId")
		if err != nil {
			return nil, err
		}
		u, k := findKey(st, id)
		if k == nil {
			return nil, noSuchEntity("The Access Key with id %s cannot be found.", id)
		}
		out := &xGetAccessKeyLastUsed{UserName: u.Name, LastUsed: xLastUsed{ServiceName: "N/A", Region: "N/A"}}
		if k.LastUsed != nil {
			t := xmlTime(k.LastUsed.Date)
			out.LastUsed = xLastUsed{LastUsedDate: &t, ServiceName: k.LastUsed.ServiceName, Region: k.LastUsed.Region}
		}
		return out, nil
	case "GetLoginProfile", "DeleteLoginProfile":
		u, err := s.iamUserParam(c, st)
		if err != nil {
			return nil, err
		}
		if u.LoginProfile == nil {
			return nil, noSuchEntity("Login Profile for User %s cannot be found.", u.Name)
		}
		if c.action == "DeleteLoginProfile" {
			u.LoginProfile = nil
			return nil, nil
		}
		return &xGetLoginProfile{LoginProfile: xLoginProfile{UserName: u.Name, CreateDate: xmlTime(u.LoginProfile.CreateDate),
			PasswordResetRequired: u.LoginProfile.PasswordResetRequired}}, nil
	case "PutUserPolicy", "GetUserPolicy", "DeleteUserPolicy", "ListUserPolicies":
		u, err := s.iamUserParam(c, st)
		if err != nil {
			return nil, err
		}
		return s.iamInline(c, &u.InlinePolicies, "user", u.Name, 2048, false)
	case "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies":
		r, err := iamRoleParam(c, st)
		if err != nil {
			return nil, err
		}
		return s.iamInline(c, &r.InlinePolicies, "role", r.Name, 10240, r.Path == "/aws-service-role/")
	case "AttachUserPolicy", "DetachUserPolicy", "ListAttachedUserPolicies":
		u, err := s.iamUserParam(c, st)
		if err != nil {
			return nil, err
		}
		return s.iamAttached(c, &u.AttachedPolicies, u.Name, false)
	case "AttachRolePolicy", "DetachRolePolicy", "ListAttachedRolePolicies":
		r, err := iamRoleParam(c, st)
		if err != nil {
			return nil, err
		}
		return s.iamAttached(c, &r.AttachedPolicies, r.Name, r.Path == "/aws-service-role/")
	case "GetInstanceProfile":
		name, err := required(c, "InstanceProfileName")
		if err != nil {
			return nil, err
		}
		p, ok := st.profiles.get(name)
		if !ok {
			return nil, noSuchEntity("Instance Profile %s cannot be found.", name)
		}
		out := &xGetInstanceProfile{InstanceProfile: xInstanceProfile{Path: p.path, InstanceProfileName: p.name,
			InstanceProfileID: p.id, Arn: p.arn, CreateDate: xmlTime(p.created)}}
		for _, rn := range p.roles {
			if r, ok := st.roles.get(rn); ok {
				out.InstanceProfile.Roles = append(out.InstanceProfile.Roles, roleXML(r))
			}
		}
		return out, nil
	case "ListMFADevices":
		u, err := s.iamUserParam(c, st)
		if err != nil {
			return nil, err
		}
		page, next, err := paginate(s, c, u.MFADevices, iamPage)
		if err != nil {
			return nil, err
		}
		out := &xListMFADevices{IsTruncated: next != "", Marker: next}
		for _, d := range page {
			out.Devices = append(out.Devices, xMFADevice{UserName: u.Name, SerialNumber: d.SerialNumber, EnableDate: xmlTime(d.EnableDate)})
		}
		return out, nil
	case "DeactivateMFADevice":
		u, err := s.iamUserParam(c, st)
		if err != nil {
			return nil, err
		}
		serial, err := required(c, "SerialNumber")
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(u.MFADevices, func(d MFADevice) bool { return d.SerialNumber == serial })
		if i < 0 {
			return nil, noSuchEntity("MFA Device with serial number %s does not exist.", serial)
		}
		u.MFADevices = slices.Delete(u.MFADevices, i, i+1)
		return nil, nil
	}
	return nil, unknownAction(c)
}

// iamUserParam resolves UserName, or the calling user when it is absent.
func (s *Server) iamUserParam(c *call, st *iamState) (*iamUser, *apiError) {
	name := c.param("UserName")
	if name == "" {
		if c.caller == nil || c.caller.userName == "" {
			return nil, errf(400, "ValidationError", "Must specify userName when calling with non-User credentials")
		}
		name = c.caller.userName
	}
	u, ok := st.users.get(name)
	if !ok {
		return nil, noSuchEntity("The user with name %s cannot be found.", name)
	}
	return u, nil
}

func iamRoleParam(c *call, st *iamState) (*iamRole, *apiError) {
	name, err := required(c, "RoleName")
	if err != nil {
		return nil, err
	}
	r, ok := st.roles.get(name)
	if !ok {
		return nil, noSuchEntity("The role with name %s cannot be found.", name)
	}
	return r, nil
}

func listTags(s *Server, c *call, m map[string]string) (any, *apiError) {
	page, next, err := paginate(s, c, iamTags(m), iamPage)
	if err != nil {
		return nil, err
	}
	return &xListTags{Tags: page, IsTruncated: next != "", Marker: next}, nil
}

func (s *Server) iamUpdateAccessKey(c *call, st *iamState) (any, *apiError) {
	id, err := required(c, "AccessKeyId")
	if err != nil {
		return nil, err
	}
	u, err := s.iamUserParam(c, st)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(u.keys, func(k *AccessKey) bool { return k.ID == id })
	if i < 0 {
		return nil, noSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	if c.action == "DeleteAccessKey" {
		u.keys = slices.Delete(u.keys, i, i+1)
		delete(s.keys, id)
		return nil, nil
	}
	status := c.param("Status")
	if status != "Active" && status != "Inactive" {
		return nil, errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", status)
	}
	u.keys[i].Status = status
	return nil, nil
}

func (s *Server) iamInline(c *call, policies *map[string]string, kind, owner string, limit int, protected bool) (any, *apiError) {
	if strings.HasPrefix(c.action, "List") {
		names := sortedKeys(*policies)
		page, next, err := paginate(s, c, names, iamPage)
		if err != nil {
			return nil, err
		}
		return &xListPolicyNames{PolicyNames: page, IsTruncated: next != "", Marker: next}, nil
	}
	name, err := required(c, "PolicyName")
	if err != nil {
		return nil, err
	}
	if !iamNameRE.MatchString(name) {
		return nil, errf(400, "ValidationError", "The specified value for policyName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-")
	}
	switch {
	case strings.HasPrefix(c.action, "Put"):
		if protected {
			return nil, errf(400, "UnmodifiableEntity", "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", owner)
		}
		doc, err := required(c, "PolicyDocument")
		if err != nil {
			return nil, err
		}
		if err := validatePolicy(doc); err != nil {
			return nil, err
		}
		next := cloneMap(*policies)
		if next == nil {
			next = map[string]string{}
		}
		next[name] = doc
		if policySize(next) > limit {
			return nil, errf(409, "LimitExceeded", "Maximum policy size of %d bytes exceeded for %s %s", limit, kind, owner)
		}
		*policies = next
		return nil, nil
	case strings.HasPrefix(c.action, "Get"):
		doc, ok := (*policies)[name]
		if !ok {
			return nil, noSuchEntity("The %s policy with name %s cannot be found.", kind, name)
		}
		out := &xGetUserPolicy{PolicyName: name, PolicyDocument: urlEncodePolicy(doc)}
		if kind == "user" {
			out.UserName = owner
		} else {
			out.RoleName = owner
		}
		return out, nil
	default: // Delete
		if protected {
			return nil, errf(400, "UnmodifiableEntity", "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", owner)
		}
		if _, ok := (*policies)[name]; !ok {
			return nil, noSuchEntity("The %s policy with name %s cannot be found.", kind, name)
		}
		next := cloneMap(*policies)
		delete(next, name)
		*policies = next
		return nil, nil
	}
}

func (s *Server) iamAttached(c *call, attached *[]string, owner string, protected bool) (any, *apiError) {
	if strings.HasPrefix(c.action, "List") {
		page, next, err := paginate(s, c, *attached, iamPage)
		if err != nil {
			return nil, err
		}
		out := &xListAttachedPolicies{IsTruncated: next != "", Marker: next}
		for _, arn := range page {
			out.Policies = append(out.Policies, xAttachedPolicy{PolicyName: arn[strings.LastIndex(arn, "/")+1:], PolicyArn: arn})
		}
		return out, nil
	}
	arn, err := required(c, "PolicyArn")
	if err != nil {
		return nil, err
	}
	if !iamPolicyRE.MatchString(arn) {
		return nil, errf(400, "InvalidInput", "ARN %s is not valid.", arn)
	}
	if protected {
		return nil, errf(400, "UnmodifiableEntity", "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", owner)
	}
	i := slices.Index(*attached, arn)
	if strings.HasPrefix(c.action, "Attach") {
		if i < 0 {
			if len(*attached) >= 10 {
				return nil, errf(409, "LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10")
			}
			*attached = append(*attached, arn)
		}
		return nil, nil
	}
	if i < 0 {
		return nil, noSuchEntity("Policy %s was not found.", arn)
	}
	*attached = slices.Delete(*attached, i, i+1)
	return nil, nil
}
