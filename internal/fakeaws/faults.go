package fakeaws

// Fault makes matching requests fail with an AWS error instead of reaching
// the model (so a failed call changes no state). Register it with
// [Server.Inject]. Matching requests are counted per fault, every HTTP
// attempt counting (SDK retries included): the first After of them pass,
// the next Times fail, the rest pass again. Failed requests are logged with
// [Request.Injected] set.
type Fault struct {
	// Service and Action select the operation; empty matches any.
	Service Service
	Action  string
	// Account and Region narrow the match to one account or region; empty
	// matches any.
	Account string
	Region  string
	// Code is the AWS error code. Empty means the throttling code of the
	// service (see [ThrottleCode]).
	Code string
	// Message is the error message. Empty means a generic one naming the
	// fault.
	Message string
	// Status is the HTTP status. Zero means the status AWS uses for Code
	// (503 for RequestLimitExceeded and SlowDown, 429 for Security Hub
	// throttling, 403 for access denied, 404 for NoSuchEntity and the like,
	// 500 for internal errors, 400 otherwise).
	Status int
	// After lets this many matching requests through before failing.
	After int
	// Times is how many matching requests fail; zero or negative means
	// every one after After (a permanent failure).
	Times int
}

// faultState is a registered fault with its counters.
type faultState struct {
	f     Fault
	seen  int
	fired int
}

// ThrottleCode returns the throttling error code a service uses:
// RequestLimitExceeded for EC2, SlowDown for S3 and S3 Control,
// ThrottlingException for Security Hub's V2 operations (the modelled error;
// set Code to "TooManyRequestsException" for the older operations' code),
// and Throttling for the Query services (IAM, STS, Auto Scaling, ELBv2).
// The SDK's standard retryer retries all of them.
func ThrottleCode(svc Service) string {
	switch svc {
	case ServiceEC2:
		return "RequestLimitExceeded"
	case ServiceS3, ServiceS3Control:
		return "SlowDown"
	case ServiceSecurityHub:
		return "ThrottlingException"
	}
	return "Throttling"
}

// DenyCode returns the access-denied error code a service uses:
// UnauthorizedOperation for EC2, AccessDeniedException for Security Hub,
// AccessDenied otherwise.
func DenyCode(svc Service) string {
	switch svc {
	case ServiceEC2:
		return "UnauthorizedOperation"
	case ServiceSecurityHub:
		return "AccessDeniedException"
	}
	return "AccessDenied"
}

// Throttle returns a fault that throttles the next n calls of an action
// with the service's throttling code; the SDK retries them.
func Throttle(svc Service, action string, n int) Fault {
	if n < 1 {
		n = 1
	}
	return Fault{Service: svc, Action: action, Code: ThrottleCode(svc), Times: n}
}

// Deny returns a fault that denies every call of an action (a permanent,
// non-retryable failure), with the service's access-denied code.
func Deny(svc Service, action string) Fault {
	return Fault{Service: svc, Action: action, Code: DenyCode(svc)}
}

// FailOnCall returns a fault that fails only the n-th call (1-based) of an
// action, for "failed half-way through a plan" tests. code should be
// non-retryable (an access-denied or validation code) or the SDK retry
// succeeds; empty means the service's access-denied code.
func FailOnCall(svc Service, action string, n int, code string) Fault {
	if code == "" {
		code = DenyCode(svc)
	}
	if n < 1 {
		n = 1
	}
	return Fault{Service: svc, Action: action, Code: code, After: n - 1, Times: 1}
}

// Inject registers a fault. Faults are checked in registration order; the
// first that fires decides the response.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{f: f})
}

// ClearFaults removes every registered fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// matchFault returns the error of the first fault that fires for c. Every
// matching fault counts the request. Callers hold mu.
func (s *Server) matchFault(c *call) *apiError {
	var hit *apiError
	for _, fs := range s.faults {
		f := fs.f
		if (f.Service != "" && f.Service != c.svc) || (f.Action != "" && f.Action != c.action) ||
			(f.Account != "" && f.Account != c.account) || (f.Region != "" && f.Region != c.region) {
			continue
		}
		fs.seen++
		if fs.seen <= f.After || (f.Times > 0 && fs.fired >= f.Times) {
			continue
		}
		if hit != nil {
			continue
		}
		fs.fired++
		code := f.Code
		if code == "" {
			code = ThrottleCode(c.svc)
		}
		msg := f.Message
		if msg == "" {
			msg = "fakeaws: injected fault for " + string(c.svc) + ":" + c.action
			if code == DenyCode(c.svc) {
				msg = "User: " + c.caller.arnOrEmpty() + " is not authorized to perform: " + iamActionName(c) + " (fakeaws: injected fault)"
			}
		}
		status := f.Status
		if status == 0 {
			status = statusFor(c.svc, code)
		}
		hit = &apiError{Status: status, Code: code, Message: msg}
	}
	return hit
}

// iamActionName spells the IAM action of a call.
func iamActionName(c *call) string {
	return Request{Service: c.svc, Action: c.action}.IAMAction()
}

// statusFor is the HTTP status AWS uses for an error code.
func statusFor(svc Service, code string) int {
	switch code {
	case "RequestLimitExceeded", "SlowDown", "ServiceUnavailable", "Unavailable":
		return 503
	case "TooManyRequestsException":
		return 429
	case "ThrottlingException":
		if svc == ServiceSecurityHub {
			return 429
		}
		return 400
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
		return 403
	case "NoSuchEntity", "NoSuchBucket", "NoSuchPublicAccessBlockConfiguration", "ResourceNotFoundException",
		"NoSuchTagSet", "NoSuchBucketPolicy":
		return 404
	case "InternalError", "InternalFailure", "InternalServerException", "ServiceFailure":
		return 500
	}
	return 400
}
