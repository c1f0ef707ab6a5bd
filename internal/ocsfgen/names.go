package ocsfgen

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// initialisms are the words written in upper case in Go identifiers (the
// Go convention, plus the abbreviations OCSF uses).
var initialisms = map[string]string{
	"acl": "ACL", "api": "API", "arn": "ARN", "ascii": "ASCII", "cis": "CIS", "cpu": "CPU",
	"csc": "CSC", "css": "CSS", "cve": "CVE", "cvss": "CVSS", "cwe": "CWE", "db": "DB",
	"dns": "DNS", "eof": "EOF", "epss": "EPSS", "gid": "GID", "guid": "GUID", "html": "HTML",
	"http": "HTTP", "https": "HTTPS", "iam": "IAM", "id": "ID", "ids": "IDs", "ip": "IP",
	"ja4": "JA4", "json": "JSON", "kb": "KB", "ldap": "LDAP", "mac": "MAC", "md5": "MD5",
	"mfa": "MFA", "os": "OS", "pid": "PID", "ram": "RAM", "rpc": "RPC", "sbom": "SBOM",
	"scim": "SCIM", "sha": "SHA", "sid": "SID", "sla": "SLA", "smtp": "SMTP", "sql": "SQL",
	"ssh": "SSH", "ssl": "SSL", "sso": "SSO", "tcp": "TCP", "tls": "TLS", "ttl": "TTL",
	"udp": "UDP", "ui": "UI", "uid": "UID", "uri": "URI", "url": "URL", "uuid": "UUID",
	"vm": "VM", "vpc": "VPC", "xml": "XML", "idp": "IDP", "imei": "IMEI", "mdm": "MDM",
	"hw": "HW", "tlp": "TLP", "uids": "UIDs", "urls": "URLs", "ips": "IPs", "aws": "AWS",
}

// goName turns an OCSF name (snake_case, possibly "ext/name") into an exported
// Go identifier: "resource_details" -> "ResourceDetails", "type_uid" ->
// "TypeUID".
func goName(name string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '/' || r == '-' || r == '.' }) {
		if up, ok := initialisms[strings.ToLower(w)]; ok {
			b.WriteString(up)
			continue
		}
		b.WriteString(upperFirst(w))
	}
	return b.String()
}

// captionName turns an enum caption ("In Progress", "Learning (ML/DL)",
// "SHA-512/224") into an identifier suffix: words are kept as written, with
// their first letter upper-cased, and everything that is not a letter or a
// digit is dropped.
func captionName(caption string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(caption, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if up, ok := initialisms[strings.ToLower(w)]; ok && strings.ToLower(w) == w {
			b.WriteString(up)
			continue
		}
		b.WriteString(upperFirst(w))
	}
	return b.String()
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
