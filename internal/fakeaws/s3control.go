package fakeaws

import "net/http"

const s3controlNS = "http://awss3control.amazonaws.com/doc/2018-08-20/"

// s3controlRoute names an S3 Control operation. It reads no state.
func s3controlRoute(c *call) (string, *apiError) {
	for k, v := range c.r.URL.Query() {
		c.form[k] = v
	}
	c.form.Set("AccountId", c.r.Header.Get("X-Amz-Account-Id"))
	if c.r.URL.Path == "/v20180820/configuration/publicAccessBlock" {
		return pickOp(c.r.Method, "publicAccessBlock", map[string]string{
			"GET": "GetPublicAccessBlock", "PUT": "PutPublicAccessBlock", "DELETE": "DeletePublicAccessBlock"}), nil
	}
	return c.r.Method + " " + c.r.URL.Path, nil
}

// s3controlDispatch serves the account-level public access block. Callers hold mu.
func (s *Server) s3controlDispatch(c *call) (any, *apiError) {
	switch c.action {
	case "GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock":
	default:
		return nil, unknownAction(c)
	}
	target := c.param("AccountId")
	if target == "" {
		return nil, errf(400, "InvalidRequest", "Missing required header x-amz-account-id")
	}
	if target != c.account {
		return nil, errf(403, "AccessDenied", "Access Denied (the x-amz-account-id %s is not the caller's account %s)", target, c.account)
	}
	a := s.acct(target)
	switch c.action {
	case "GetPublicAccessBlock":
		if a.pab == nil {
			return nil, errf(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
		}
		return pabXML(s3controlNS, a.pab), nil
	case "PutPublicAccessBlock":
		p, err := parsePAB(c.body)
		if err != nil {
			return nil, err
		}
		a.pab = p
		return nil, nil
	default:
		a.pab = nil
		return &restResult{status: http.StatusNoContent}, nil
	}
}
