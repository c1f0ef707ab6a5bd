package ticket

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// checkText is what every error text must be: valid UTF-8, one line,
// bounded.
func checkText(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r") || len(s) > maxMessage+len("…") {
		t.Fatalf("%s: bad text %q", what, s)
	}
}

// FuzzResponseParsers feeds arbitrary bodies to every parser of a
// ticketing system's response.
func FuzzResponseParsers(f *testing.F) {
	for _, s := range []string{
		`{"issues":[{"id":"10001","key":"SEC-1","fields":{"status":{"name":"To Do","statusCategory":{"key":"new"}},"description":{"type":"doc"}}}],"isLast":true}`,
		`{"issues":[{"key":"../x"}]}`,
		`{"comments":[{"id":"1","body":{"type":"doc","content":[]}}],"total":1}`,
		`{"transitions":[{"id":"31","name":"Done","to":{"statusCategory":{"key":"done"}}}]}`,
		`{"result":[{"sys_id":"00000000000000000000000000000001","number":"INC0000001","state":"1"}]}`,
		`{"result":{"sys_id":"a","number":"INC1","state":"6"}}`,
		`{"result":"nope"}`,
		`{"ok":true,"messages":[{"ts":"1.2","metadata":{"event_type":"ocsfhub_finding","event_payload":{"key":"k","gen":"g1","state":"open"}}}],"has_more":true,"response_metadata":{"next_cursor":"x"}}`,
		`{"errorMessages":["a"],"errors":{"f":"b"}}`,
		`{"error":{"message":"No Record found","detail":"ACL"},"status":"failure"}`,
		`{"status":"invalid event","message":"Event object is invalid","errors":["'routing_key' is invalid"]}`,
		"<html>\x00\xff busy</html>",
		``, `null`, `[]`, `{"issues":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if issues, err := parseJiraSearch(b); err == nil {
			for _, i := range issues {
				if !validID(i.Key) {
					t.Fatalf("invalid key %q accepted", i.Key)
				}
				_ = i.done()
			}
		}
		_, _ = parseJiraComments(b)
		_, _ = parseJiraTransitions(b)
		if recs, err := parseSNResult(b); err == nil {
			for _, r := range recs {
				if !validID(r.SysID) {
					t.Fatalf("invalid sys_id %q accepted", r.SysID)
				}
			}
		}
		_, _ = parseSlackHistory(b)
		for name, fn := range map[string]func([]byte) (string, string){
			"jira": jiraErrorText, "servicenow": serviceNowErrorText, "pagerduty": pagerDutyErrorText, "generic": genericErrorText,
		} {
			code, msg := fn(b)
			checkText(t, name+" code", code)
			checkText(t, name+" message", msg)
		}
		_ = retryAfter(string(b), time.Unix(1770712000, 0))
	})
}

// FuzzVerifySignature checks that VerifySignature never panics and always
// accepts what sign produced.
func FuzzVerifySignature(f *testing.F) {
	f.Add("1770712000", "v1=00", []byte(`{"id":"x"}`))
	f.Add("", "", []byte{})
	f.Add("-5", "v1=zz,v1=", []byte("a"))
	f.Add("99999999999999999999", "v0=1", []byte("{}"))
	secret := NewSecret("whsec-fuzz")
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		now := time.Unix(1770712000, 0)
		_ = VerifySignature(secret, ts, sig, body, now, time.Minute)
		if n, err := strconv.ParseInt(ts, 10, 64); err == nil && n > 0 && n < 1<<40 {
			if err := VerifySignature(secret, ts, "v1="+sign(secret, ts, body), body, time.Unix(n, 0), time.Minute); err != nil {
				t.Fatalf("own signature rejected: %v", err)
			}
		}
	})
}

// FuzzText checks the text helpers on arbitrary input: finding titles,
// comments and descriptions come from producers.
func FuzzText(f *testing.F) {
	f.Add("[ocsfhub plan=p-1] Resolved (ec2-isolate): isolated", 40)
	f.Add("héllo\x00\n\twörld", 5)
	f.Add(strings.Repeat("é", 100), 3)
	f.Add("\xff\xfe", 0)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = max(0, n%2000)
		o := oneLine(s, n)
		if !utf8.ValidString(o) || len(o) > n {
			t.Fatalf("oneLine(%q, %d) = %q", s, n, o)
		}
		for _, r := range o {
			if unicode.IsControl(r) || (unicode.IsSpace(r) && r != ' ') {
				t.Fatalf("oneLine kept %q", r)
			}
		}
		if tr := truncate(s, n); len(tr) > n || (utf8.ValidString(s) && !utf8.ValidString(tr)) {
			t.Fatalf("truncate(%q, %d) = %q", s, n, tr)
		}
		checkText(t, "excerpt", excerpt(s))
		_ = mrkdwn(s)
	})
}
