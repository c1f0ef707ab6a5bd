package fakeaws

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Service names the AWS service a request was for. The values are the SigV4
// signing names, except S3 Control, which signs as "s3" but is told apart by
// its path and x-amz-account-id header.
type Service string

// The services the fake speaks.
const (
	ServiceEC2         Service = "ec2"
	ServiceIAM         Service = "iam"
	ServiceSTS         Service = "sts"
	ServiceAutoScaling Service = "autoscaling"
	ServiceELBv2       Service = "elasticloadbalancing"
	ServiceS3          Service = "s3"
	ServiceS3Control   Service = "s3control"
	ServiceSecurityHub Service = "securityhub"
)

// maxBodyBytes bounds what the fake reads from one request body.
const maxBodyBytes = 4 << 20

// Options configures a [Server]. The zero value is ready to use.
type Options struct {
	// Logger receives one debug line per request (service, action, account,
	// status, error code; never credentials). Default: discard.
	Logger *slog.Logger
	// Now is the server's clock (timestamps, credential expiry).
	// Default: time.Now. Keep it near the real time when code under test
	// caches AssumeRole credentials: the SDK's credentials cache compares
	// the returned Expiration with the real clock and would refresh on every
	// call if the fake clock lagged behind.
	Now func() time.Time
	// MaxAttempts is the number of attempts the retryer of
	// [Server.AWSConfig] makes (so MaxAttempts-1 retries, with no backoff
	// delay). Default 3.
	MaxAttempts int
	// PageSize, when positive, caps every page of a paginated list operation
	// at this many items even when the client asked for more or did not
	// ask, so tests prove that code follows NextToken/Marker. Default 0: a
	// request without MaxResults gets everything, as AWS does for most of
	// these operations.
	PageSize int
}

// Server is a fake AWS endpoint speaking the EC2 Query, AWS Query, REST-XML
// and REST-JSON wire protocols over an in-memory model. Create one with
// [New]; it is safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, "http://127.0.0.1:port".
	URL string

	ts     *httptest.Server
	client *http.Client
	opts   Options
	log    *slog.Logger

	mu       sync.Mutex
	counters map[string]int
	accounts map[string]*account
	buckets  map[string]*bucketState
	keys     map[string]*principal
	callers  map[string]*principal // default caller per account
	requests []Request
	faults   []*faultState
	assumed  []AssumedRole
}

// New starts a fake AWS server. Close it when done (t.Cleanup(srv.Close)).
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 3
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		counters: map[string]int{},
		accounts: map[string]*account{},
		buckets:  map[string]*bucketState{},
		keys:     map[string]*principal{},
		callers:  map[string]*principal{},
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.ts.URL
	s.client = newClient(s.ts.Listener.Addr().String())
	return s
}

// Close shuts the server down and blocks until outstanding requests finish.
func (s *Server) Close() {
	s.client.CloseIdleConnections()
	s.ts.Close()
}

// now returns the server clock in UTC.
func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// next returns the next value of a named counter (1, 2, ...). Callers hold mu.
func (s *Server) next(name string) int {
	s.counters[name]++
	return s.counters[name]
}

// newID returns an AWS-looking id with a 17-hex-digit suffix, unique per
// prefix ("i", "sg", "sgr", "eni", ...). Callers hold mu.
func (s *Server) newID(prefix string) string {
	return fmt.Sprintf("%s-%017x", prefix, 0x0fa4e000000+s.next("id:"+prefix))
}

// call is one request being served.
type call struct {
	svc       Service
	action    string
	form      url.Values // query protocols: the form; REST: URL query plus path parameters
	body      []byte
	r         *http.Request
	caller    *principal
	account   string
	region    string
	requestID string
	start     time.Time
}

// param returns a form value.
func (c *call) param(k string) string { return c.form.Get(k) }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil || len(body) > maxBodyBytes {
		http.Error(w, "fakeaws: request body unreadable or too large", http.StatusRequestEntityTooLarge)
		return
	}
	if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
		if dec, err := decodeAWSChunked(body); err == nil {
			body = dec
		}
	}
	c := &call{r: r, body: body, form: url.Values{}}

	auth := parseAuth(r)
	c.svc = detectService(r, auth, body)
	proto := protocolOf(c.svc)
	c.region = auth.region

	// Parse the operation before anything can fail, so the log names it.
	var perr *apiError
	switch proto {
	case protoEC2, protoQuery:
		f, err := url.ParseQuery(string(body))
		if err != nil {
			perr = errf(400, malformedCode(c.svc), "fakeaws: the request body is not a valid form: %v", err)
		}
		c.form = f
		c.action = f.Get("Action")
	case protoS3:
		c.action, perr = s.s3Route(c)
	case protoS3Control:
		c.action, perr = s3controlRoute(c)
	case protoJSON:
		c.action, perr = securityHubRoute(c)
	default:
		perr = errf(400, "UnknownService", "fakeaws: cannot tell which service this request is for (no SigV4 credential scope and no known Version)")
	}

	s.mu.Lock()
	c.requestID = fmt.Sprintf("fa4e0000-0000-4000-8000-%012d", s.next("request"))
	c.start = s.now()
	var (
		out      any
		injected bool
	)
	if perr == nil {
		perr = s.authenticate(c, auth)
	}
	if perr == nil {
		perr = checkVersion(c)
	}
	if perr == nil {
		if ferr := s.matchFault(c); ferr != nil {
			perr, injected = ferr, true
		}
	}
	if perr == nil {
		out, perr = s.dispatch(c)
	}
	status := http.StatusOK
	code := ""
	if perr != nil {
		status, code = perr.Status, perr.Code
	}
	s.requests = append(s.requests, Request{
		Seq:         s.next("seq"),
		Time:        c.start,
		Service:     c.svc,
		Action:      c.action,
		Account:     c.account,
		Region:      c.region,
		Principal:   c.caller.arnOrEmpty(),
		AccessKeyID: auth.accessKeyID,
		Method:      r.Method,
		Path:        r.URL.Path,
		Params:      cloneValues(c.form),
		Body:        bytes.Clone(body),
		Status:      status,
		ErrorCode:   code,
		Injected:    injected,
	})
	s.mu.Unlock()

	s.log.Debug("fakeaws request", "service", string(c.svc), "action", c.action, "account", c.account,
		"region", c.region, "status", status, "error", code)

	if perr != nil {
		writeError(w, proto, c, perr)
		return
	}
	writeResult(w, proto, c, out)
}

// dispatch routes to the service handler. Callers hold mu.
func (s *Server) dispatch(c *call) (any, *apiError) {
	switch c.svc {
	case ServiceEC2:
		if c.param("DryRun") == "true" {
			return nil, errf(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
		}
		return s.ec2Dispatch(c)
	case ServiceIAM:
		return s.iamDispatch(c)
	case ServiceSTS:
		return s.stsDispatch(c)
	case ServiceAutoScaling:
		return s.asgDispatch(c)
	case ServiceELBv2:
		return s.elbDispatch(c)
	case ServiceS3:
		return s.s3Dispatch(c)
	case ServiceS3Control:
		return s.s3controlDispatch(c)
	case ServiceSecurityHub:
		return s.hubDispatch(c)
	}
	return nil, errf(400, "UnknownService", "fakeaws: service %q is not implemented", c.svc)
}

// unknownAction is the error for an operation the fake does not implement.
func unknownAction(c *call) *apiError {
	code := "InvalidAction"
	switch protocolOf(c.svc) {
	case protoS3, protoS3Control:
		code = "NotImplemented"
	case protoJSON:
		code = "UnknownOperationException"
	}
	if c.action == "" {
		return errf(400, "MissingAction", "fakeaws: the request names no Action")
	}
	return errf(400, code, "The action %s is not valid for this web service (fakeaws: %s %s is not implemented).", c.action, c.svc, c.action)
}

// serviceVersions are the Query API versions each service speaks.
var serviceVersions = map[Service]string{
	ServiceEC2:         "2016-11-15",
	ServiceIAM:         "2010-05-08",
	ServiceSTS:         "2011-06-15",
	ServiceAutoScaling: "2011-01-01",
	ServiceELBv2:       "2015-12-01",
}

// checkVersion rejects a Query request whose Version does not belong to the
// service it was signed for (a client pointed at the wrong service).
func checkVersion(c *call) *apiError {
	want, ok := serviceVersions[c.svc]
	if !ok {
		return nil
	}
	if got := c.param("Version"); got != want {
		return errf(400, "InvalidAction", "fakeaws: %s requests carry Version=%s, got %q", c.svc, want, got)
	}
	return nil
}

// detectService identifies the service from the SigV4 scope, falling back
// on the Query Version or the REST path for unsigned requests.
func detectService(r *http.Request, a authInfo, body []byte) Service {
	isS3Control := strings.HasPrefix(r.URL.Path, "/v20180820/") || r.Header.Get("X-Amz-Account-Id") != ""
	switch a.service {
	case "s3":
		if isS3Control {
			return ServiceS3Control
		}
		return ServiceS3
	case "s3-outposts":
		return ServiceS3Control
	case "":
	default:
		return Service(a.service)
	}
	if isS3Control {
		return ServiceS3Control
	}
	if strings.HasPrefix(r.URL.Path, "/findingsv2") {
		return ServiceSecurityHub
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if f, err := url.ParseQuery(string(body)); err == nil {
			for svc, v := range serviceVersions {
				if f.Get("Version") == v {
					return svc
				}
			}
		}
	}
	return ""
}

// cloneValues deep-copies url.Values.
func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// decodeAWSChunked strips aws-chunked framing ("<hex-size>[;ext]\r\n<data>\r\n"...).
func decodeAWSChunked(b []byte) ([]byte, error) {
	var out bytes.Buffer
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\r\n"))
		if i < 0 {
			return nil, fmt.Errorf("fakeaws: bad aws-chunked framing")
		}
		head := string(b[:i])
		if j := strings.IndexByte(head, ';'); j >= 0 {
			head = head[:j]
		}
		var n int
		if _, err := fmt.Sscanf(head, "%x", &n); err != nil {
			return nil, fmt.Errorf("fakeaws: bad aws-chunked size %q", head)
		}
		b = b[i+2:]
		if n == 0 {
			break
		}
		if n > len(b) {
			return nil, fmt.Errorf("fakeaws: short aws-chunked chunk")
		}
		out.Write(b[:n])
		b = bytes.TrimPrefix(b[n:], []byte("\r\n"))
	}
	return out.Bytes(), nil
}
