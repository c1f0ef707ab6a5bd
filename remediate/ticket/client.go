package ticket

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ocsfhub/ocsfhub/remediate"
)

// Error is a failed call to a ticketing system: an error response, or a
// transport failure (StatusCode 0, Err set). It never holds a credential:
// the request URL is not kept (a Slack webhook URL is itself a secret) and
// the response excerpt is scrubbed of the configured secrets.
//
// Errors returned by the remediators wrap an *Error in
// [remediate.Transient] or [remediate.Permanent]: 408, 425, 429, 5xx and
// transport failures are transient; other 4xx, and error codes such as
// Slack's "channel_not_found", are permanent. Use errors.As to get it.
type Error struct {
	// System is "jira", "servicenow", "pagerduty", "slack" or "webhook".
	System string
	// Op names the call ("create issue", "search issues").
	Op string
	// StatusCode is the HTTP status (0 for a transport failure).
	StatusCode int
	// Code is the system's error code when it gives one (Slack's "error",
	// PagerDuty's "status").
	Code string
	// Message is a bounded, printable excerpt of the system's error message.
	Message string
	// RetryAfter is the delay the system asked for (Retry-After), if any.
	RetryAfter time.Duration
	// Err is the transport error (nil for an error response).
	Err error

	class remediate.ErrorClass
}

// Error returns "ticket: <system> <op>: HTTP <status> <code>: <message>".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ticket: ")
	b.WriteString(e.System)
	b.WriteString(" ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.StatusCode != 0:
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
	case e.Code != "" || e.Message != "":
		b.WriteString(e.Code)
		if e.Message != "" {
			if e.Code != "" {
				b.WriteString(": ")
			}
			b.WriteString(e.Message)
		}
	default:
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(e.errText())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// errText is the transport error's text, kept at construction time when it
// was scrubbed (see newTransportError).
func (e *Error) errText() string {
	if e.Message != "" {
		return ""
	}
	return e.Err.Error()
}

// GoString keeps %#v from printing the wrapped transport error's internals.
func (e *Error) GoString() string { return fmt.Sprintf("&ticket.Error{%q}", e.Error()) }

// Unwrap returns the transport error.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatusCode returns StatusCode ([remediate.Classify] uses it).
func (e *Error) HTTPStatusCode() int { return e.StatusCode }

// Class returns how the error is classified.
func (e *Error) Class() remediate.ErrorClass { return e.class }

// wrapped returns e wrapped in its class.
func (e *Error) wrapped() error {
	switch e.class {
	case remediate.ClassTransient:
		return remediate.Transient(e)
	case remediate.ClassPermanent:
		return remediate.Permanent(e)
	}
	return e
}

// httpClient sends JSON requests to one system.
type httpClient struct {
	system     string
	hc         *http.Client
	maxBody    int64
	maxRetries int
	maxWait    time.Duration
	userAgent  string
	log        *slog.Logger
	// secrets are scrubbed from error messages.
	secrets []string
	// hideURL, when set, logs only the host (the URL is a secret).
	hideURL bool
	// errorText extracts the message and code of an error response.
	errorText func(body []byte) (code, msg string)
	// sleep waits d or until ctx ends (time.Sleep in production).
	sleep func(ctx context.Context, d time.Duration) error
}

func newHTTPClient(system string, o Options, secrets ...string) *httpClient {
	var ss []string
	for _, s := range secrets {
		if len(s) >= 4 {
			ss = append(ss, s)
		}
	}
	return &httpClient{
		system: system, hc: o.HTTPClient, maxBody: o.MaxResponseBytes, maxRetries: o.MaxRetries,
		maxWait: o.MaxRetryWait, userAgent: o.UserAgent, log: o.Logger, secrets: ss,
		errorText: genericErrorText, sleep: sleepCtx,
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// request is one call.
type request struct {
	op     string
	method string
	url    string
	header http.Header
	body   []byte
}

// response is a successful (2xx) response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends a JSON request to base+path (with query q) authenticated by
// auth, as Jira's and ServiceNow's REST APIs take it.
func (c *httpClient) call(ctx context.Context, base string, auth Secret, op, method, path string, q url.Values, body []byte) (*response, error) {
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	h := http.Header{}
	h.Set("Accept", "application/json")
	h.Set("Authorization", auth.Reveal())
	return c.do(ctx, request{op: op, method: method, url: u, header: h, body: body})
}

// basicOrBearer builds the Authorization value of a system that takes
// either Basic auth (user and password) or a bearer token, exactly one of
// them; userName and passwordName name the options in errors ("Email",
// "APIToken"). It also returns the secrets to scrub from error messages.
func basicOrBearer(sys, userName, passwordName, user string, password, bearer Secret) (Secret, []string, error) {
	switch {
	case !password.IsZero() && !bearer.IsZero():
		return Secret{}, nil, configErr(sys, "set %s or BearerToken, not both", passwordName)
	case !password.IsZero():
		if user == "" {
			return Secret{}, nil, configErr(sys, "%s is required with %s", userName, passwordName)
		}
		basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + password.Reveal()))
		return NewSecret("Basic " + basic), []string{password.Reveal(), basic}, nil
	case !bearer.IsZero():
		return NewSecret("Bearer " + bearer.Reveal()), []string{bearer.Reveal()}, nil
	}
	return Secret{}, nil, configErr(sys, "%s (with %s) or BearerToken is required", passwordName, userName)
}

// do sends req, retrying 429 answers within the limits, and returns the
// response if its status is 2xx. Any other status is an *Error (wrapped in
// its class). Errors from a cancelled ctx wrap ctx.Err().
func (c *httpClient) do(ctx context.Context, req request) (*response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, req)
		if err == nil {
			return resp, nil
		}
		var te *Error
		if !errors.As(err, &te) || te.StatusCode != http.StatusTooManyRequests || attempt >= c.maxRetries {
			return nil, err
		}
		wait := te.RetryAfter
		if wait <= 0 {
			wait = time.Second << attempt
		}
		if wait > c.maxWait {
			return nil, err
		}
		c.log.Debug("ticket: rate limited; waiting", "system", c.system, "op", req.op, "wait", wait)
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("ticket: %s %s: %w", c.system, req.op, serr)
		}
	}
}

func (c *httpClient) once(ctx context.Context, req request) (*response, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ticket: %s %s: %w", c.system, req.op, err)
	}
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url, body)
	if err != nil {
		// Only reachable with a malformed URL built from configuration.
		return nil, remediate.Permanent(&Error{System: c.system, Op: req.op, Message: "cannot build request", class: remediate.ClassPermanent})
	}
	for k, vs := range req.header {
		hr.Header[k] = vs
	}
	hr.Header.Set("User-Agent", c.userAgent)
	if req.body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.hc.Do(hr)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("ticket: %s %s: %w", c.system, req.op, cerr)
		}
		return nil, c.transportError(req.op, err).wrapped()
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	c.log.Debug("ticket: request", "system", c.system, "op", req.op, "method", req.method,
		"url", c.logURL(hr.URL), "status", resp.StatusCode, "duration", time.Since(start))
	if rerr != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("ticket: %s %s: %w", c.system, req.op, cerr)
		}
		return nil, c.transportError(req.op, rerr).wrapped()
	}
	if int64(len(data)) > c.maxBody {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		e := &Error{System: c.system, Op: req.op, StatusCode: resp.StatusCode,
			Message: fmt.Sprintf("response larger than %d bytes", c.maxBody), class: remediate.ClassPermanent}
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			e.class = remediate.ClassTransient
		}
		return nil, e.wrapped()
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
	}
	return nil, c.statusError(req.op, resp.StatusCode, resp.Header, data).wrapped()
}

// statusError builds the *Error of a non-2xx response.
func (c *httpClient) statusError(op string, status int, h http.Header, body []byte) *Error {
	// Scrub before excerpting, so that a secret cut by the excerpt's bound
	// cannot leave a prefix behind.
	code, msg := c.errorText([]byte(c.scrub(string(body))))
	e := &Error{System: c.system, Op: op, StatusCode: status, Code: c.scrub(code), Message: c.scrub(msg)}
	e.RetryAfter = retryAfter(h.Get("Retry-After"), time.Now())
	e.class = remediate.ClassifyHTTPStatus(status)
	if e.class == remediate.ClassUnknown {
		// 1xx/3xx: a redirect we refused to follow, or nonsense.
		e.class = remediate.ClassPermanent
		if e.Message == "" {
			e.Message = "unexpected response (redirects are not followed)"
		}
	}
	return e
}

// apiError builds an *Error for a 2xx response that reports a failure in its
// body (Slack's {"ok": false}).
func (c *httpClient) apiError(op string, status int, code, msg string, class remediate.ErrorClass) error {
	return (&Error{System: c.system, Op: op, StatusCode: status, Code: c.scrub(code), Message: c.scrub(msg), class: class}).wrapped()
}

func (c *httpClient) transportError(op string, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		// url.Error's text holds the URL: drop it, keep the cause.
		err = ue.Err
	}
	e := &Error{System: c.system, Op: op, Err: err, class: remediate.ClassTransient}
	if txt := err.Error(); c.scrub(txt) != txt {
		e.Message = c.scrub(txt)
	}
	return e
}

// logURL renders u for logs: no query string, and only the host when the URL
// itself is a secret.
func (c *httpClient) logURL(u *url.URL) string {
	if c.hideURL {
		return u.Scheme + "://" + u.Host + "/" + redacted
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// scrub removes secrets from s.
func (c *httpClient) scrub(s string) string {
	for _, sec := range c.secrets {
		s = strings.ReplaceAll(s, sec, redacted)
	}
	return s
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 86400 {
			n = 86400
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, 24*time.Hour)
		}
	}
	return 0
}

const maxMessage = 300

// excerpt returns a single-line excerpt of s of at most maxMessage bytes:
// line breaks, control characters and runs of spaces become one space,
// invalid UTF-8 is dropped.
func excerpt(s string) string { return oneLine(s, maxMessage) }

// genericErrorText is the error text of a body no system-specific parser
// understood: the excerpt of the raw body.
func genericErrorText(body []byte) (string, string) {
	return "", excerpt(string(body))
}
