package fakeaws

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// AWSConfig returns an aws.Config whose clients talk to the server as the
// default caller of an account (a role session
// "arn:aws:sts::<account>:assumed-role/fakeaws/fakeaws"), in a region:
//
//	cfg := srv.AWSConfig("111111111111", "eu-west-1")
//	ec2c := ec2.NewFromConfig(cfg)      // likewise iam, sts, autoscaling,
//	s3c := s3.NewFromConfig(cfg)        // elasticloadbalancingv2, securityhub,
//	s3cc := s3control.NewFromConfig(cfg) // s3control: no per-client options
//
// The config sets Region, static temporary credentials, BaseEndpoint (the
// server URL, used by every service), an HTTP client whose dialer connects
// every host name to the server (so S3 Control's account-id host prefix
// "111111111111.127.0.0.1" and virtual-hosted S3 buckets work with no
// EndpointResolverV2), and a standard retryer with [Options.MaxAttempts]
// attempts, no backoff delay and no client-side retry quota, so throttling
// tests are fast. S3 picks path-style addressing by itself because the
// endpoint is an IP address.
//
// For multi-account code, derive the member-account configs the way
// production does (stscreds.NewAssumeRoleProvider on an STS client built
// from this config); the server maps the issued keys to the role's account.
func (s *Server) AWSConfig(account, region string) aws.Config {
	mustAccount(account)
	s.mu.Lock()
	p := s.callerFor(account)
	s.mu.Unlock()
	return s.configFor(p, region)
}

// AccessKeyConfig returns an aws.Config signed with an IAM user access key
// seeded with [IAM.AddAccessKey], to check that a deactivated or deleted key
// no longer works, or to call IAM with implicit user names.
func (s *Server) AccessKeyConfig(accessKeyID, region string) aws.Config {
	s.mu.Lock()
	p, ok := s.keys[accessKeyID]
	s.mu.Unlock()
	if !ok || !p.iamUserKey {
		panic(fmt.Sprintf("fakeaws: %s is not an IAM user access key of the server", accessKeyID))
	}
	return s.configFor(p, region)
}

func (s *Server) configFor(p *principal, region string) aws.Config {
	attempts := s.opts.MaxAttempts
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(p.accessKeyID, p.secret, p.sessionToken),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   s.HTTPClient(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.Backoff = noBackoff{}
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

// noBackoff retries immediately.
type noBackoff struct{}

// BackoffDelay implements retry.BackoffDelayer.
func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// HTTPClient returns the HTTP client of [Server.AWSConfig]: it connects
// every request to the server whatever its host name, and hands the
// transport an in-memory copy of each request body.
//
// The copy matters for any client talking to a local server: the SDK wraps
// request bodies in a reader that reports io.EOF once closed, and closes it
// as soon as the response headers arrive; net/http flushes the headers, puts
// a small body on the wire at once, then reads the body again to check for
// its end. A local server answers in between, the late read fails, and the
// transport closes the connection under the response body the SDK is still
// reading ("use of closed network connection" on large responses). With an
// in-memory body net/http writes the request in one piece and the race is
// gone. Use this client when you build your own aws.Config for the server.
func (s *Server) HTTPClient() *http.Client { return s.client }

func newClient(addr string) *http.Client {
	return &http.Client{Transport: bufferedBodies{&http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     5 * time.Second,
	}}}
}

// bufferedBodies replaces request bodies with in-memory copies (see
// [Server.HTTPClient]).
type bufferedBodies struct{ base *http.Transport }

// RoundTrip implements http.RoundTripper.
func (t bufferedBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return t.base.RoundTrip(r)
	}
	b, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("fakeaws: read request body: %w", err)
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(b))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r2.ContentLength = int64(len(b))
	return t.base.RoundTrip(r2)
}

// CloseIdleConnections closes idle connections of the transport.
func (t bufferedBodies) CloseIdleConnections() { t.base.CloseIdleConnections() }

// S3ControlOptions points an S3 Control client at the server when its
// config does not come from [Server.AWSConfig] (whose HTTP client already
// handles the account-id host prefix):
//
//	s3control.NewFromConfig(cfg, srv.S3ControlOptions)
//
// It installs an EndpointResolverV2 that returns the server URL unchanged;
// a BaseEndpoint alone does not work because the client prefixes the
// account id to the host ("123456789012.127.0.0.1") and that name does not
// resolve, and smithyhttp's DisableEndpointHostPrefix does not help.
func (s *Server) S3ControlOptions(o *s3control.Options) {
	o.EndpointResolverV2 = s3controlResolver{base: s.URL}
}

// s3controlResolver resolves every S3 Control endpoint to the server.
type s3controlResolver struct{ base string }

// ResolveEndpoint implements s3control.EndpointResolverV2.
func (r s3controlResolver) ResolveEndpoint(context.Context, s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(r.base)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}
