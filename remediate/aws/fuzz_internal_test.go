package aws

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Instance tags are untrusted input: anyone allowed ec2:CreateTags can write
// them. Parsing must never panic, and a record it accepts must round-trip.
func FuzzParseIsolationRecord(f *testing.F) {
	seed := IsolationRecord{
		InstanceID:         "i-0a1b2c3d4e5f67890",
		Interfaces:         []InterfaceGroups{{ID: "eni-1", Groups: []string{"sg-1", "sg-2"}}, {ID: "eni-2", Groups: []string{"sg-3"}}},
		InstanceProfileARN: "arn:aws:iam::111122223333:instance-profile/web",
		AutoScalingGroup:   "web asg", AutoScaling: AutoScalingDetach,
		TargetGroups:          []TargetGroupEntry{{ARN: "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/0123", Port: 443}},
		TerminationProtection: true,
	}
	add := func(tags map[string]string) {
		b, _ := json.Marshal(tags)
		f.Add(string(b))
	}
	add(seed.Tags("ocsfhub"))
	add(map[string]string{"ocsfhub:prior-protection": "termination=maybe"})
	add(map[string]string{"ocsfhub:prior-protection": "termination=false stop=false", "ocsfhub:prior-asg": "sideways g"})
	add(map[string]string{"ocsfhub:prior-protection": "termination=false stop=false", "ocsfhub:prior-tg:x": "80"})
	add(map[string]string{"ocsfhub:prior-protection": "termination=false stop=false", "ocsfhub:prior-groups:eni-1.2": strings.Repeat("sg-1 ", 80)})
	f.Fuzz(func(t *testing.T, data string) {
		var tags map[string]string
		if json.Unmarshal([]byte(data), &tags) != nil {
			return
		}
		rec, ok, err := ParseIsolationRecord("i-1", "ocsfhub", tags)
		if !ok || err != nil {
			return
		}
		back, ok, err := ParseIsolationRecord("i-1", "ocsfhub", rec.Tags("ocsfhub"))
		if !ok || err != nil {
			t.Fatalf("re-parse of %+v: ok=%v err=%v", rec, ok, err)
		}
		if !reflect.DeepEqual(rec, back) {
			t.Fatalf("round trip:\n%+v\n%+v", rec, back)
		}
	})
}

// An existing revoke policy is read back from IAM (URL-encoded JSON written
// by anyone with iam:PutRolePolicy).
func FuzzParseCutoff(f *testing.F) {
	f.Add(RevokeSessionsPolicy(time.Date(2026, 2, 11, 13, 27, 46, 0, time.UTC)))
	f.Add("%7B%22Version%22%3A%222012-10-17%22%7D")
	f.Add(`{"Statement":[{"Effect":"Deny","Condition":{"DateLessThan":{"aws:TokenIssueTime":"not a time"}}}]}`)
	f.Add(`{"Statement":{"Effect":"Deny"}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		cut := parseCutoff(doc)
		if cut.IsZero() {
			return
		}
		if got := parseCutoff(RevokeSessionsPolicy(cut)); !got.Equal(cut.UTC().Truncate(time.Second)) {
			t.Fatalf("cut-off %v does not round-trip (%v)", cut, got)
		}
	})
}

func FuzzPortSpec(f *testing.F) {
	for _, s := range []string{`22`, `"8000-8100"`, `"x"`, `-1`, `"1-"`, `{"from":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p portSpec
		if err := json.Unmarshal([]byte(s), &p); err != nil {
			return
		}
		_ = ranges([]portSpec{p})
	})
}

func TestRecordChunksLongGroupLists(t *testing.T) {
	var groups []string
	for i := range 16 {
		groups = append(groups, "sg-0123456789abcdef"+string(rune('a'+i)))
	}
	rec := IsolationRecord{InstanceID: "i-1", Interfaces: []InterfaceGroups{{ID: "eni-1", Groups: groups}}}
	tags := rec.Tags("ocsfhub")
	for k, v := range tags {
		if len(v) > maxTagValue {
			t.Errorf("tag %s has %d characters", k, len(v))
		}
	}
	if _, ok := tags["ocsfhub:prior-groups:eni-1.2"]; !ok {
		t.Errorf("no continuation tag: %v", tags)
	}
	back, ok, err := ParseIsolationRecord("i-1", "ocsfhub", tags)
	if !ok || err != nil || !reflect.DeepEqual(back.Interfaces, rec.Interfaces) {
		t.Errorf("round trip: %+v %v %v", back, ok, err)
	}
}
