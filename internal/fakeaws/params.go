package fakeaws

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// indices returns the sorted distinct N of the keys "prefix.N" and "prefix.N.…".
func indices(f url.Values, prefix string) []int {
	p := prefix + "."
	var out []int
	for k := range f {
		rest, ok := strings.CutPrefix(k, p)
		if !ok {
			continue
		}
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			rest = rest[:i]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// list returns the values of "prefix.N" in index order.
func list(f url.Values, prefix string) []string {
	var out []string
	for _, n := range indices(f, prefix) {
		if v, ok := f[prefix+"."+strconv.Itoa(n)]; ok && len(v) > 0 {
			out = append(out, v[0])
		}
	}
	return out
}

// sub returns the fields under "prefix.", with the prefix removed.
func sub(f url.Values, prefix string) url.Values {
	p := prefix + "."
	out := url.Values{}
	for k, v := range f {
		if rest, ok := strings.CutPrefix(k, p); ok {
			out[rest] = v
		}
	}
	return out
}

// subs returns sub(f, "prefix.N") for each N in index order.
func subs(f url.Values, prefix string) []url.Values {
	var out []url.Values
	for _, n := range indices(f, prefix) {
		out = append(out, sub(f, prefix+"."+strconv.Itoa(n)))
	}
	return out
}

// invalidParam is the "bad parameter value" error of a service.
func invalidParam(svc Service, format string, args ...any) *apiError {
	if svc == ServiceEC2 {
		return errf(400, "InvalidParameterValue", format, args...)
	}
	if svc == ServiceSecurityHub {
		return errf(400, "ValidationException", format, args...)
	}
	return errf(400, "ValidationError", format, args...)
}

// missingParam is the "required parameter missing" error of a service.
func missingParam(svc Service, name string) *apiError {
	if svc == ServiceEC2 {
		return errf(400, "MissingParameter", "The request must contain the parameter %s", name)
	}
	return invalidParam(svc, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name)
}

// required returns a non-empty parameter or the service's missing-parameter error.
func required(c *call, name string) (string, *apiError) {
	v := c.param(name)
	if v == "" {
		return "", missingParam(c.svc, name)
	}
	return v, nil
}

// int32Param parses an optional integer parameter.
func int32Param(c *call, name string) (int32, bool, *apiError) {
	v := c.form.Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, false, invalidParam(c.svc, "Invalid value '%s' for %s", v, name)
	}
	return int32(n), true, nil
}

// boolParam parses an optional boolean parameter.
func boolParam(c *call, name string) (bool, bool, *apiError) {
	return parseBool(c.svc, c.form.Get(name), name)
}

func parseBool(svc Service, v, name string) (bool, bool, *apiError) {
	switch strings.ToLower(v) {
	case "":
		return false, false, nil
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, false, invalidParam(svc, "Invalid value '%s' for %s: must be true or false", v, name)
}

// pageToken encodes an opaque pagination token bound to one operation.
func pageToken(c *call, offset int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "fakeaws|%s|%s|%d", c.action, c.account, offset))
}

// parsePageToken decodes a token made by pageToken for the same operation.
func parsePageToken(c *call, tok string) (int, *apiError) {
	bad := func() *apiError {
		switch c.svc {
		case ServiceAutoScaling:
			return errf(400, "InvalidNextToken", "The token '%s' is invalid.", tok)
		case ServiceEC2:
			return errf(400, "InvalidParameterValue", "Invalid value '%s' for nextToken", tok)
		}
		return invalidParam(c.svc, "Invalid pagination token '%s'", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, bad()
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 || parts[0] != "fakeaws" || parts[1] != c.action || parts[2] != c.account {
		return 0, bad()
	}
	n, err := strconv.Atoi(parts[3])
	if err != nil || n < 0 {
		return 0, bad()
	}
	return n, nil
}

// pageSpec describes the pagination parameters of an operation.
type pageSpec struct {
	tokenKey, maxKey string
	min, max         int
	def              int // page size when the client sends none; 0 = everything
}

// paginate returns the page of items the request asks for and the token of
// the next page ("" on the last page).
func paginate[T any](s *Server, c *call, items []T, spec pageSpec) ([]T, string, *apiError) {
	offset := 0
	if tok := c.form.Get(spec.tokenKey); tok != "" {
		n, err := parsePageToken(c, tok)
		if err != nil {
			return nil, "", err
		}
		offset = n
	}
	limit := spec.def
	if n, ok, err := int32Param(c, spec.maxKey); err != nil {
		return nil, "", err
	} else if ok {
		if int(n) < spec.min || int(n) > spec.max {
			return nil, "", invalidParam(c.svc, "Value ( %d ) for parameter %s is invalid. Expecting a value between %d and %d.", n, spec.maxKey, spec.min, spec.max)
		}
		limit = int(n)
	}
	if ps := s.opts.PageSize; ps > 0 && (limit == 0 || limit > ps) {
		limit = ps
	}
	if offset > len(items) {
		offset = len(items)
	}
	end := len(items)
	if limit > 0 && offset+limit < end {
		end = offset + limit
	}
	next := ""
	if end < len(items) {
		next = pageToken(c, end)
	}
	return items[offset:end], next, nil
}

// xmlTime marshals as an ISO 8601 UTC timestamp with milliseconds, as AWS
// XML services write them.
type xmlTime time.Time

// MarshalText implements encoding.TextMarshaler.
func (t xmlTime) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z")), nil
}

var _ xml.Marshaler = (*xmlBoolValue)(nil)

// xmlBoolValue is an EC2 AttributeBooleanValue (<x><value>true</value></x>).
type xmlBoolValue struct{ V bool }

// MarshalXML implements xml.Marshaler.
func (b *xmlBoolValue) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		Value bool `xml:"value"`
	}{b.V}, start)
}

// wildcardMatch reports whether s matches an EC2 filter pattern, where "*"
// matches any run of characters, "?" one character, and "\" escapes.
func wildcardMatch(pattern, s string) bool {
	type tok struct {
		kind byte // 'l' literal, '?' one, '*' any run
		r    rune
	}
	var p []tok
	pr := []rune(pattern)
	for i := 0; i < len(pr); i++ {
		switch pr[i] {
		case '*':
			p = append(p, tok{kind: '*'})
		case '?':
			p = append(p, tok{kind: '?'})
		case '\\':
			if i+1 < len(pr) {
				i++
			}
			p = append(p, tok{kind: 'l', r: pr[i]})
		default:
			p = append(p, tok{kind: 'l', r: pr[i]})
		}
	}
	t := []rune(s)
	i, j, star, mark := 0, 0, -1, 0
	for j < len(t) {
		switch {
		case i < len(p) && (p[i].kind == '?' || (p[i].kind == 'l' && p[i].r == t[j])):
			i++
			j++
		case i < len(p) && p[i].kind == '*':
			star, mark = i, j
			i++
		case star >= 0:
			i = star + 1
			mark++
			j = mark
		default:
			return false
		}
	}
	for i < len(p) && p[i].kind == '*' {
		i++
	}
	return i == len(p)
}

// sortedKeys returns the keys of a tag map in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cloneMap copies a string map (nil stays nil only when empty).
func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
