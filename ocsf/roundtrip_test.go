package ocsf_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/ocsfhub/ocsfhub/ocsf"
)

// checkRoundTrip checks that decoding data and encoding the result gives the
// same JSON value, and that a second decode and encode gives the same bytes.
func checkRoundTrip(t *testing.T, data []byte) ocsf.Finding {
	t.Helper()
	f, err := ocsf.Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if d := semanticDiff(t, data, out); d != "" {
		t.Fatalf("decode then encode changed the finding (-input +output):\n%s", d)
	}
	f2, err := ocsf.Decode(out)
	if err != nil {
		t.Fatalf("Decode of own output: %v", err)
	}
	out2, err := json.Marshal(f2)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if !bytes.Equal(out, out2) {
		t.Fatalf("second round trip differs:\n%s\n%s", out, out2)
	}
	return f
}

func TestRoundTripSamples(t *testing.T) {
	for _, p := range sharedSamplePaths(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			checkRoundTrip(t, mustRead(t, p))
		})
	}
}

func TestRoundTripFixtures(t *testing.T) {
	for _, p := range fixtureEnvelopePaths(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			data := mustRead(t, p)
			ev, err := ocsf.DecodeEvent(data)
			if err != nil {
				t.Fatalf("DecodeEvent: %v", err)
			}
			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if d := semanticDiff(t, data, out); d != "" {
				t.Fatalf("event round trip (-input +output):\n%s", d)
			}
			if len(ev.Detail.Findings) == 0 {
				t.Fatal("no findings in fixture")
			}
			for _, raw := range ev.Detail.Findings {
				checkRoundTrip(t, raw)
			}
			fs, err := ev.Findings()
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if _, other := f.(*ocsf.OtherEvent); other {
					t.Errorf("fixture finding of class %d decoded as OtherEvent", f.ClassUID())
				}
			}
		})
	}
}

// TestRoundTripOddInput covers what real feeds and hostile input contain:
// attributes of later OCSF versions at every depth, values of the wrong
// JSON type, nulls, repeated names, escapes and numbers in every form.
func TestRoundTripOddInput(t *testing.T) {
	tests := map[string]string{
		"unknown at every depth": `{"class_uid":2004,"activity_id":1,"new_top":{"a":[1,2,{"b":null}]},
			"finding_info":{"uid":"u","new_in_info":true,"analytic":{"type_id":1,"x":"y"}},
			"resources":[{"uid":"i-1","provider":"AWS","owner":{"account":{"uid":"1","z":1}}},{"provider":"x"}],
			"metadata":{"product":{"name":"p","future":{"deep":["x"]}},"version":"1.9.0"}}`,
		"wrong types": `{"class_uid":2004,"severity_id":"High","time":"yesterday","count":1.5,
			"finding_info":{"uid":5,"title":null,"types":["a",1],"created_time":1e3},
			"resources":[1,{"uid":"x"}],"is_alert":"yes","cloud":"aws","metadata":[],"confidence_score":99999999999}`,
		"nulls": `{"class_uid":2003,"compliance":null,"resources":null,"unmapped":null,"finding_info":{"uid":null,"types":null},"raw_data":null,"message":null}`,
		"zero values": `{"class_uid":2002,"activity_id":0,"severity_id":0,"message":"","count":0,"is_alert":false,
			"resources":[],"vulnerabilities":[{"cve":{"uid":"","cvss":[{"base_score":0}]}}],"unmapped":{}}`,
		"repeated names": `{"class_uid":2004,"message":"a","message":5,"comment":7,"comment":"c","x":1,"x":2,
			"cloud":{"region":"r1"},"cloud":{"provider":"AWS"},"severity_id":null,"severity_id":3}`,
		"escapes and unicode": `{"class_uid":2004,"message":"tab\there \"q\" \u00e9 \ud83d\ude00 \u2028 <&>","comment":"caf\u00e9",
			"finding_info":{"title":"\u0000\u001f","uid":"\ud800"},"k\u00e9y":"v","":"empty key"}`,
		"numbers": `{"class_uid":2002,"vulnerabilities":[{"cve":{"cvss":[{"base_score":10},{"base_score":7.50},{"base_score":1E2},{"base_score":-0.0}],
			"epss":{"score":"0.1"}}}],"time":-1,"count":9223372036854775807,"duration":-9223372036854775808,
			"risk_score":123456789012345678901234567890,"confidence_score":2147483648}`,
		"json_t and open maps": `{"class_uid":2004,"raw_data_hash":{"value":"x"},"resources":[{"data":"a string"},{"data":[1,{"b":2}]},{"data":12345678901234567890}],
			"unmapped":{"n":12345678901234567890,"f":1.0,"s":"x","a":[],"o":{"p":null}},"enrichments":[{"data":{"k":1},"name":"n","value":"v"}]}`,
		"no class_uid":               `{"activity_id":1,"metadata":{"version":"1.6.0"}}`,
		"class from a later release": `{"class_uid":2009,"category_uid":2,"class_name":"Future Finding","finding_info":{"uid":"f"}}`,
		"class_uid not an integer":   `{"class_uid":"2004","finding_info":{"uid":"f"}}`,
		"deep recursion":             `{"class_uid":2004,"evidences":[{"process":{"parent_process":{"parent_process":{"parent_process":{"pid":1,"parent_process":{"name":"init","extra":[[[[]]]]}}}}}}]}`,
		"abandoned nested arrays": `{"class_uid":2004,"finding_info":{"analytic":{"related_analytics":[
			{"related_analytics":[{"name":"a","related_analytics":[{"uid":"x"},[]]},1]},2]},"types":["a",["b"],"c"]}}`,
		"white space": " \n\t{ \"class_uid\" : 2001 , \"finding\" : { \"uid\" : \"x\" } } \r\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			checkRoundTrip(t, []byte(in))
		})
	}
}
