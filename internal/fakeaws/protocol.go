package fakeaws

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
)

// protocol is a wire protocol family.
type protocol int

const (
	protoUnknown   protocol = iota
	protoEC2                // ec2Query: form POST, <XResponse><requestId>, <Response><Errors>
	protoQuery              // awsQuery: form POST, <XResponse><XResult>, <ErrorResponse>
	protoS3                 // REST-XML, S3 flavour: bare <Error>
	protoS3Control          // REST-XML, S3 Control flavour: <ErrorResponse><Error>
	protoJSON               // REST-JSON: X-Amzn-ErrorType
)

func protocolOf(s Service) protocol {
	switch s {
	case ServiceEC2:
		return protoEC2
	case ServiceIAM, ServiceSTS, ServiceAutoScaling, ServiceELBv2:
		return protoQuery
	case ServiceS3:
		return protoS3
	case ServiceS3Control:
		return protoS3Control
	case ServiceSecurityHub:
		return protoJSON
	}
	return protoUnknown
}

// xmlns is the response namespace of each XML service.
var xmlns = map[Service]string{
	ServiceEC2:         "http://ec2.amazonaws.com/doc/2016-11-15/",
	ServiceIAM:         "https://iam.amazonaws.com/doc/2010-05-08/",
	ServiceSTS:         "https://sts.amazonaws.com/doc/2011-06-15/",
	ServiceAutoScaling: "http://autoscaling.amazonaws.com/doc/2011-01-01/",
	ServiceELBv2:       "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
	ServiceS3:          "http://s3.amazonaws.com/doc/2006-03-01/",
	ServiceS3Control:   "http://awss3control.amazonaws.com/doc/2018-08-20/",
}

// apiError is an AWS error response.
type apiError struct {
	Status  int
	Code    string
	Message string
	// Extra holds additional S3 <Error> children, in order (BucketName, Region...).
	Extra [][2]string
	// Header holds extra response headers.
	Header http.Header
}

// Error implements error.
func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errf builds an apiError.
func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// malformedCode is the code for a request the fake cannot parse.
func malformedCode(s Service) string {
	if s == ServiceEC2 {
		return "InvalidParameterValue"
	}
	return "MalformedQueryString"
}

// restResult is a REST response with a status, headers and an optional XML
// payload (whose type carries its XMLName and namespace).
type restResult struct {
	status int
	header http.Header
	body   any
	raw    []byte // a non-XML payload, written as is
}

// innerXML encodes v's fields without v's own element.
func innerXML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	if err := enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "x"}}); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if bytes.HasPrefix(b, []byte("<x>")) && bytes.HasSuffix(b, []byte("</x>")) {
		return b[3 : len(b)-4], nil
	}
	if bytes.Equal(b, []byte("<x/>")) {
		return nil, nil
	}
	return nil, fmt.Errorf("fakeaws: unexpected encoding of %T", v)
}

func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// writeResult writes a successful response.
func writeResult(w http.ResponseWriter, proto protocol, c *call, out any) {
	h := w.Header()
	switch proto {
	case protoEC2, protoQuery:
		var inner []byte
		if out != nil {
			b, err := innerXML(out)
			if err != nil {
				writeError(w, proto, c, errf(500, "InternalError", "%v", err))
				return
			}
			inner = b
		}
		var buf bytes.Buffer
		buf.WriteString(xml.Header)
		fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, c.action, xmlns[c.svc])
		if proto == protoEC2 {
			fmt.Fprintf(&buf, "<requestId>%s</requestId>", c.requestID)
			buf.Write(inner)
		} else {
			// The Result element is written even for empty outputs: the
			// SDK's awsQuery deserializer requires it whenever the
			// operation has an output shape.
			fmt.Fprintf(&buf, "<%sResult>", c.action)
			buf.Write(inner)
			fmt.Fprintf(&buf, "</%sResult>", c.action)
			fmt.Fprintf(&buf, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>", c.requestID)
		}
		fmt.Fprintf(&buf, "</%sResponse>", c.action)
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		h.Set("X-Amzn-Requestid", c.requestID)
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
	case protoS3, protoS3Control:
		h.Set("X-Amz-Request-Id", c.requestID)
		h.Set("X-Amz-Id-2", "fakeaws")
		status := http.StatusOK
		var payload any
		if rr, ok := out.(*restResult); ok {
			if rr.status != 0 {
				status = rr.status
			}
			for k, vs := range rr.header {
				h[k] = vs
			}
			payload = rr.body
			if rr.raw != nil && c.r.Method != http.MethodHead {
				h.Set("Content-Length", strconv.Itoa(len(rr.raw)))
				w.WriteHeader(status)
				_, _ = w.Write(rr.raw)
				return
			}
		} else {
			payload = out
		}
		if payload == nil || c.r.Method == http.MethodHead {
			h.Set("Content-Length", "0")
			w.WriteHeader(status)
			return
		}
		b, err := xml.Marshal(payload)
		if err != nil {
			writeError(w, proto, c, errf(500, "InternalError", "%v", err))
			return
		}
		b = append([]byte(xml.Header), b...)
		h.Set("Content-Type", "application/xml")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		_, _ = w.Write(b)
	case protoJSON:
		b, err := json.Marshal(out)
		if err != nil {
			writeError(w, proto, c, errf(500, "InternalServerException", "%v", err))
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-Requestid", c.requestID)
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// writeError writes an error in the envelope of the protocol.
func writeError(w http.ResponseWriter, proto protocol, c *call, e *apiError) {
	h := w.Header()
	for k, vs := range e.Header {
		h[k] = vs
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	var buf bytes.Buffer
	switch proto {
	case protoEC2:
		buf.WriteString(xml.Header)
		fmt.Fprintf(&buf, "<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>",
			escape(e.Code), escape(e.Message), c.requestID)
		h.Set("Content-Type", "text/xml;charset=UTF-8")
	case protoQuery:
		typ := "Sender"
		if status >= 500 {
			typ = "Receiver"
		}
		buf.WriteString(xml.Header)
		fmt.Fprintf(&buf, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			xmlns[c.svc], typ, escape(e.Code), escape(e.Message), c.requestID)
		h.Set("Content-Type", "text/xml")
		h.Set("X-Amzn-Requestid", c.requestID)
	case protoS3:
		h.Set("X-Amz-Request-Id", c.requestID)
		h.Set("X-Amz-Id-2", "fakeaws")
		if c.r.Method != http.MethodHead {
			buf.WriteString(xml.Header)
			fmt.Fprintf(&buf, "<Error><Code>%s</Code><Message>%s</Message>", escape(e.Code), escape(e.Message))
			for _, kv := range e.Extra {
				fmt.Fprintf(&buf, "<%s>%s</%s>", kv[0], escape(kv[1]), kv[0])
			}
			fmt.Fprintf(&buf, "<RequestId>%s</RequestId><HostId>fakeaws</HostId></Error>", c.requestID)
			h.Set("Content-Type", "application/xml")
		}
	case protoS3Control:
		h.Set("X-Amz-Request-Id", c.requestID)
		h.Set("X-Amz-Id-2", "fakeaws")
		buf.WriteString(xml.Header)
		fmt.Fprintf(&buf, "<ErrorResponse><Error><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId><HostId>fakeaws</HostId></ErrorResponse>",
			escape(e.Code), escape(e.Message), c.requestID)
		h.Set("Content-Type", "application/xml")
	case protoJSON:
		h.Set("X-Amzn-Errortype", e.Code)
		h.Set("X-Amzn-Requestid", c.requestID)
		h.Set("Content-Type", "application/json")
		b, _ := json.Marshal(map[string]string{"Code": e.Code, "Message": e.Message})
		buf.Write(b)
	default:
		h.Set("Content-Type", "text/plain")
		fmt.Fprintf(&buf, "%s: %s\n", e.Code, e.Message)
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
