package fakeaws

import (
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Bucket is an S3 bucket.
type Bucket struct {
	// Name is required and unique across the server (as in S3).
	Name string
	// Region defaults to "us-east-1". Requests signed for another region
	// get AuthorizationHeaderMalformed naming the bucket's region, as S3
	// answers them.
	Region string
	// Owner is the owning account (view only); other accounts get
	// AccessDenied.
	Owner string
	// Tags are the bucket tags (GetBucketTagging).
	Tags map[string]string
	// PublicAccessBlock is the bucket-level block, nil when none is set.
	PublicAccessBlock *PublicAccessBlock
	// Policy is the bucket policy JSON ("" when none); PolicyIsPublic says
	// whether S3 would consider it public (GetBucketPolicyStatus reports it
	// as public unless RestrictPublicBuckets is set on the bucket or the
	// account).
	Policy         string
	PolicyIsPublic bool
}

// PublicAccessBlock is an S3 Block Public Access configuration.
type PublicAccessBlock struct {
	// The four settings, as in PublicAccessBlockConfiguration; a setting
	// absent from a Put request is false.
	BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets bool
}

type bucketState struct {
	Bucket
}

// S3 is the S3 and S3 Control state of one account.
type S3 struct {
	s       *Server
	account string
}

// S3 returns the S3 state of an account (its buckets and its account-level
// public access block).
func (s *Server) S3(account string) *S3 {
	mustAccount(account)
	return &S3{s: s, account: account}
}

// AddBucket creates a bucket owned by the account.
func (b *S3) AddBucket(bk Bucket) Bucket {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	if bk.Name == "" {
		panic("fakeaws: bucket needs a Name")
	}
	if _, ok := b.s.buckets[bk.Name]; ok {
		panic(fmt.Sprintf("fakeaws: bucket %s already exists", bk.Name))
	}
	if bk.Region == "" {
		bk.Region = "us-east-1"
	}
	bk.Owner = b.account
	bk.Tags = cloneMap(bk.Tags)
	if bk.PublicAccessBlock != nil {
		p := *bk.PublicAccessBlock
		bk.PublicAccessBlock = &p
	}
	st := &bucketState{Bucket: bk}
	b.s.buckets[bk.Name] = st
	return bucketView(st)
}

// Bucket returns the current state of a bucket of the account.
func (b *S3) Bucket(name string) (Bucket, bool) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	st, ok := b.s.buckets[name]
	if !ok || st.Owner != b.account {
		return Bucket{}, false
	}
	return bucketView(st), true
}

// AccountPublicAccessBlock returns the account-level block (S3 Control).
func (b *S3) AccountPublicAccessBlock() (PublicAccessBlock, bool) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	p := b.s.acct(b.account).pab
	if p == nil {
		return PublicAccessBlock{}, false
	}
	return *p, true
}

// SetAccountPublicAccessBlock seeds the account-level block.
func (b *S3) SetAccountPublicAccessBlock(p PublicAccessBlock) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	b.s.acct(b.account).pab = &p
}

func bucketView(st *bucketState) Bucket {
	v := st.Bucket
	v.Tags = cloneMap(st.Tags)
	if st.PublicAccessBlock != nil {
		p := *st.PublicAccessBlock
		v.PublicAccessBlock = &p
	}
	return v
}

// ---- wire ----

const s3ns = "http://s3.amazonaws.com/doc/2006-03-01/"

type xPAB struct {
	XMLName               xml.Name
	BlockPublicAcls       bool `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `xml:"RestrictPublicBuckets"`
}

func pabXML(ns string, p *PublicAccessBlock) *xPAB {
	return &xPAB{XMLName: xml.Name{Space: ns, Local: "PublicAccessBlockConfiguration"}, BlockPublicAcls: p.BlockPublicAcls,
		IgnorePublicAcls: p.IgnorePublicAcls, BlockPublicPolicy: p.BlockPublicPolicy, RestrictPublicBuckets: p.RestrictPublicBuckets}
}

// parsePAB decodes a PublicAccessBlockConfiguration body; absent members are false.
func parsePAB(body []byte) (*PublicAccessBlock, *apiError) {
	var x xPAB
	if err := xml.Unmarshal(body, &x); err != nil || x.XMLName.Local != "PublicAccessBlockConfiguration" {
		return nil, errf(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	return &PublicAccessBlock{BlockPublicAcls: x.BlockPublicAcls, IgnorePublicAcls: x.IgnorePublicAcls,
		BlockPublicPolicy: x.BlockPublicPolicy, RestrictPublicBuckets: x.RestrictPublicBuckets}, nil
}

type xS3Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type xTagging struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ Tagging"`
	TagSet  []xS3Tag `xml:"TagSet>Tag"`
}

type xPolicyStatus struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ PolicyStatus"`
	IsPublic bool     `xml:"IsPublic"`
}

type xLocation struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
	Region  string   `xml:",chardata"`
}

// s3Route names the operation of an S3 request and records its bucket.
// It runs without the lock and reads no state.
func (s *Server) s3Route(c *call) (string, *apiError) {
	q := c.r.URL.Query()
	for k, v := range q {
		c.form[k] = v
	}
	bucket := ""
	host := c.r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	serverHost := strings.TrimPrefix(s.URL, "http://")
	if h, _, err := net.SplitHostPort(serverHost); err == nil {
		serverHost = h
	}
	path := strings.TrimPrefix(c.r.URL.Path, "/")
	if pre, ok := strings.CutSuffix(host, "."+serverHost); ok && pre != "" {
		bucket = pre // virtual-hosted style
	} else {
		bucket, _, _ = strings.Cut(path, "/")
		path = strings.TrimPrefix(path, bucket)
	}
	if u, err := url.PathUnescape(bucket); err == nil {
		bucket = u
	}
	c.form.Set("Bucket", bucket)
	key := strings.TrimPrefix(path, "/")
	sub := func(name string) bool { _, ok := q[name]; return ok }
	m := c.r.Method
	switch {
	case bucket == "":
		return m + " /", nil
	case key != "":
		return m + " object", nil
	case sub("publicAccessBlock"):
		return pickOp(m, "?publicAccessBlock", map[string]string{"GET": "GetPublicAccessBlock", "PUT": "PutPublicAccessBlock", "DELETE": "DeletePublicAccessBlock"}), nil
	case sub("policyStatus") && m == http.MethodGet:
		return "GetBucketPolicyStatus", nil
	case sub("tagging"):
		return pickOp(m, "?tagging", map[string]string{"GET": "GetBucketTagging", "PUT": "PutBucketTagging", "DELETE": "DeleteBucketTagging"}), nil
	case sub("location") && m == http.MethodGet:
		return "GetBucketLocation", nil
	case sub("policy") && m == http.MethodGet:
		return "GetBucketPolicy", nil
	case len(q) == 0 && m == http.MethodHead:
		return "HeadBucket", nil
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return fmt.Sprintf("%s ?%s", m, strings.Join(keys, "&")), nil
}

// pickOp names an operation by method, or "METHOD sub" when none matches.
func pickOp(method, sub string, ops map[string]string) string {
	if op, ok := ops[method]; ok {
		return op
	}
	return method + " " + sub
}

// hasChecksum reports whether a request carries the integrity header S3
// requires for configuration writes.
func hasChecksum(r *http.Request) bool {
	if r.Header.Get("Content-Md5") != "" {
		return true
	}
	for k := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
			return true
		}
	}
	return false
}

// s3Dispatch serves a bucket operation. Callers hold mu.
func (s *Server) s3Dispatch(c *call) (any, *apiError) {
	known := map[string]bool{"GetPublicAccessBlock": true, "PutPublicAccessBlock": true, "DeletePublicAccessBlock": true,
		"GetBucketPolicyStatus": true, "GetBucketTagging": true, "PutBucketTagging": true, "DeleteBucketTagging": true,
		"GetBucketLocation": true, "GetBucketPolicy": true, "HeadBucket": true}
	if !known[c.action] {
		return nil, unknownAction(c)
	}
	name := c.param("Bucket")
	b, ok := s.buckets[name]
	if !ok {
		e := errf(404, "NoSuchBucket", "The specified bucket does not exist")
		e.Extra = [][2]string{{"BucketName", name}}
		return nil, e
	}
	if b.Owner != c.account {
		return nil, errf(403, "AccessDenied", "Access Denied")
	}
	if c.action == "GetBucketLocation" {
		loc := b.Region
		if loc == "us-east-1" {
			loc = ""
		}
		return &xLocation{Region: loc}, nil
	}
	if b.Region != c.region {
		e := errf(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; the region '%s' is wrong; expecting '%s'", c.region, b.Region)
		e.Extra = [][2]string{{"Region", b.Region}}
		e.Header = http.Header{"X-Amz-Bucket-Region": {b.Region}}
		return nil, e
	}
	switch c.action {
	case "HeadBucket":
		return &restResult{header: http.Header{"X-Amz-Bucket-Region": {b.Region}}}, nil
	case "GetPublicAccessBlock":
		if b.PublicAccessBlock == nil {
			e := errf(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
			e.Extra = [][2]string{{"BucketName", name}}
			return nil, e
		}
		return pabXML(s3ns, b.PublicAccessBlock), nil
	case "PutPublicAccessBlock":
		if !hasChecksum(c.r) {
			return nil, errf(400, "InvalidRequest", "Missing required header for this request: Content-MD5 or x-amz-checksum-*")
		}
		p, err := parsePAB(c.body)
		if err != nil {
			return nil, err
		}
		b.PublicAccessBlock = p
		return nil, nil
	case "DeletePublicAccessBlock":
		b.PublicAccessBlock = nil
		return &restResult{status: http.StatusNoContent}, nil
	case "GetBucketPolicyStatus":
		if b.Policy == "" {
			e := errf(404, "NoSuchBucketPolicy", "The bucket policy does not exist")
			e.Extra = [][2]string{{"BucketName", name}}
			return nil, e
		}
		restricted := (b.PublicAccessBlock != nil && b.PublicAccessBlock.RestrictPublicBuckets)
		if ap := s.acct(b.Owner).pab; ap != nil && ap.RestrictPublicBuckets {
			restricted = true
		}
		return &xPolicyStatus{IsPublic: b.PolicyIsPublic && !restricted}, nil
	case "GetBucketPolicy":
		if b.Policy == "" {
			e := errf(404, "NoSuchBucketPolicy", "The bucket policy does not exist")
			e.Extra = [][2]string{{"BucketName", name}}
			return nil, e
		}
		return &restResult{header: http.Header{"Content-Type": {"application/json"}}, raw: []byte(b.Policy)}, nil
	case "GetBucketTagging":
		if len(b.Tags) == 0 {
			e := errf(404, "NoSuchTagSet", "The TagSet does not exist")
			e.Extra = [][2]string{{"BucketName", name}}
			return nil, e
		}
		out := &xTagging{}
		for _, k := range sortedKeys(b.Tags) {
			out.TagSet = append(out.TagSet, xS3Tag{Key: k, Value: b.Tags[k]})
		}
		return out, nil
	case "PutBucketTagging":
		if !hasChecksum(c.r) {
			return nil, errf(400, "InvalidRequest", "Missing required header for this request: Content-MD5 or x-amz-checksum-*")
		}
		var x xTagging
		if err := xml.Unmarshal(c.body, &x); err != nil {
			return nil, errf(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		}
		tags := map[string]string{}
		for _, t := range x.TagSet {
			if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
				return nil, errf(400, "InvalidTag", "System tags cannot be added/updated by requester")
			}
			tags[t.Key] = t.Value
		}
		b.Tags = tags
		return nil, nil
	default: // DeleteBucketTagging
		b.Tags = nil
		return &restResult{status: http.StatusNoContent}, nil
	}
}
