package eventbridge_test

import "testing"

// rulerEvent is the sample event of the Event Ruler README and of the
// EventBridge user guide's content-filtering page.
const rulerEvent = `{
  "version": "0",
  "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "012345679012",
  "time": "2017-10-02T16:24:49Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000",
    "state": "running"
  }
}`

// employeesEvent is the array example of the user guide ("Arrays in
// EventBridge event patterns").
const employeesEvent = `{"employees":[
  {"firstName":"John","lastName":"Doe"},
  {"firstName":"Anna","lastName":"Smith"},
  {"firstName":"Peter","lastName":"Jones"}]}`

type matchCase struct {
	name    string
	pattern string
	event   string
	want    bool
}

// documentedCases are, operator by operator, the examples of the
// EventBridge user guide (eb-create-pattern-operators, content filtering,
// null values, arrays) and of the Event Ruler README, each with events that
// must and must not match. They also seed FuzzMatch.
var documentedCases = []matchCase{
	// equals, and/or within a field
	{"equals", `{"Name":["Alice"]}`, `{"Name":"Alice"}`, true},
	{"equals is case-sensitive", `{"Name":["Alice"]}`, `{"Name":"alice"}`, false},
	{"and", `{"Location":["New York"],"Day":["Monday"]}`, `{"Location":"New York","Day":"Monday"}`, true},
	{"and, one field differs", `{"Location":["New York"],"Day":["Monday"]}`, `{"Location":"New York","Day":"Tuesday"}`, false},
	{"or within a field", `{"detail":{"state":["initializing","running"]}}`, rulerEvent, true},
	{"simple README rule", `{"detail-type":["EC2 Instance State-change Notification"],"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],"detail":{"state":["initializing","running"]}}`, rulerEvent, true},
	{"missing field", `{"detail":{"nope":["running"]}}`, rulerEvent, false},
	// numbers: exact by string form, numeric by value
	{"exact number", `{"detail":{"c-count":[5]}}`, rulerEvent, true},
	{"exact number, other spelling", `{"v":[300]}`, `{"v":300.0}`, false},
	{"exact number, exponent", `{"v":[300]}`, `{"v":3.0e2}`, false},
	{"exact number, same spelling", `{"v":[3.0e2]}`, `{"v":3.0e2}`, true},
	{"exact number is not a string", `{"v":[300]}`, `{"v":"300"}`, false},
	{"exact string is not a number", `{"v":["300"]}`, `{"v":300}`, false},
	{"booleans", `{"v":[true]}`, `{"v":true}`, true},
	{"boolean is not a string", `{"v":[true]}`, `{"v":"true"}`, false},
	// null and empty
	{"null", `{"UserID":[null]}`, `{"UserID":null}`, true},
	{"null is not empty", `{"UserID":[null]}`, `{"UserID":""}`, false},
	{"null is not absent", `{"UserID":[null]}`, `{"Other":1}`, false},
	{"empty", `{"LastName":[""]}`, `{"LastName":""}`, true},
	{"empty is not null", `{"LastName":[""]}`, `{"LastName":null}`, false},
	// prefix
	{"prefix", `{"time":[{"prefix":"2017-10-02"}]}`, rulerEvent, true},
	{"prefix, no match", `{"time":[{"prefix":"2017-10-03"}]}`, rulerEvent, false},
	{"prefix region", `{"Region":[{"prefix":"us-"}]}`, `{"Region":"us-east-1"}`, true},
	{"prefix only on strings", `{"v":[{"prefix":"1"}]}`, `{"v":123}`, false},
	{"prefix ignore case", `{"detail":{"service":[{"prefix":{"equals-ignore-case":"EventB"}}]}}`, `{"detail":{"service":"eventbridge"}}`, true},
	{"prefix ignore case upper", `{"service":[{"prefix":{"equals-ignore-case":"eventb"}}]}`, `{"service":"EVENTBRIDGE"}`, true},
	{"prefix ignore case, no match", `{"service":[{"prefix":{"equals-ignore-case":"eventb"}}]}`, `{"service":"event"}`, false},
	// suffix
	{"suffix", `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.png"}`, true},
	{"suffix, no match", `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.PNG"}`, false},
	{"suffix README", `{"source":[{"suffix":"ec2"}]}`, rulerEvent, true},
	{"suffix ignore case", `{"detail":{"FileName":[{"suffix":{"equals-ignore-case":".png"}}]}}`, `{"detail":{"FileName":"IMAGE.PNG"}}`, true},
	{"suffix ignore case tbridge", `{"service":[{"suffix":{"equals-ignore-case":"tbridge"}}]}`, `{"service":"EventBridge"}`, true},
	// equals-ignore-case
	{"equals-ignore-case", `{"Name":[{"equals-ignore-case":"alice"}]}`, `{"Name":"ALICE"}`, true},
	{"equals-ignore-case, no match", `{"Name":[{"equals-ignore-case":"alice"}]}`, `{"Name":"alicia"}`, false},
	{"equals-ignore-case unicode", `{"Name":[{"equals-ignore-case":"école"}]}`, `{"Name":"ÉCOLE"}`, true},
	// wildcard
	{"wildcard", `{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`, `{"EventBusArn":"arn:aws:events:us-east-1:123456789012:event-bus/default"}`, true},
	{"wildcard, other region", `{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`, `{"EventBusArn":"arn:aws:events:us-west-2:123456789012:event-bus/default"}`, false},
	{"wildcard dir", `{"FilePath":[{"wildcard":"dir/*.png"}]}`, `{"FilePath":"dir/sub/post.png"}`, true},
	{"wildcard dir, no match", `{"FilePath":[{"wildcard":"dir/*.png"}]}`, `{"FilePath":"dir/post.jpg"}`, false},
	{"wildcard README", `{"source":[{"wildcard":"Simple*Service"}]}`, `{"source":"SimpleQueueService"}`, true},
	{"wildcard star matches empty", `{"v":[{"wildcard":"a*b"}]}`, `{"v":"ab"}`, true},
	{"wildcard escaped star", `{"v":[{"wildcard":"a\\*b"}]}`, `{"v":"a*b"}`, true},
	{"wildcard escaped star is literal", `{"v":[{"wildcard":"a\\*b"}]}`, `{"v":"axb"}`, false},
	{"wildcard escaped backslash", `{"v":[{"wildcard":"a\\\\*"}]}`, `{"v":"a\\bc"}`, true},
	{"wildcard no star is exact", `{"v":[{"wildcard":"abc"}]}`, `{"v":"abcd"}`, false},
	{"wildcard overlapping segments", `{"v":[{"wildcard":"*ab*ba*"}]}`, `{"v":"aba"}`, false},
	{"wildcard overlapping segments 2", `{"v":[{"wildcard":"*ab*ba*"}]}`, `{"v":"abba"}`, true},
	// anything-but
	{"anything-but string", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, rulerEvent, true},
	{"anything-but string, excluded", `{"detail":{"state":[{"anything-but":"running"}]}}`, rulerEvent, false},
	{"anything-but number", `{"detail":{"x-limit":[{"anything-but":123}]}}`, rulerEvent, true},
	{"anything-but number, numerically", `{"v":[{"anything-but":100}]}`, `{"v":1.0e2}`, false},
	{"anything-but list", `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, rulerEvent, true},
	{"anything-but list, excluded", `{"detail":{"state":[{"anything-but":["stopped","running"]}]}}`, rulerEvent, false},
	{"anything-but numbers", `{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, rulerEvent, true},
	{"anything-but needs the field", `{"detail":{"nope":[{"anything-but":"x"}]}}`, rulerEvent, false},
	{"anything-but other type", `{"v":[{"anything-but":"x"}]}`, `{"v":5}`, true},
	{"anything-but prefix", `{"Region":[{"anything-but":{"prefix":"us-"}}]}`, `{"Region":"eu-west-1"}`, true},
	{"anything-but prefix, excluded", `{"Region":[{"anything-but":{"prefix":"us-"}}]}`, `{"Region":"us-east-1"}`, false},
	{"anything-but prefix README", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, rulerEvent, true},
	{"anything-but prefix list", `{"v":[{"anything-but":{"prefix":["init","error"]}}]}`, `{"v":"error: x"}`, false},
	{"anything-but suffix", `{"FileName":[{"anything-but":{"suffix":".png"}}]}`, `{"FileName":"a.jpg"}`, true},
	{"anything-but suffix, excluded", `{"FileName":[{"anything-but":{"suffix":".png"}}]}`, `{"FileName":"a.png"}`, false},
	{"anything-but ignore case", `{"state":[{"anything-but":{"equals-ignore-case":"initializing"}}]}`, `{"state":"INITIALIZING"}`, false},
	{"anything-but ignore case, other", `{"state":[{"anything-but":{"equals-ignore-case":"initializing"}}]}`, `{"state":"running"}`, true},
	{"anything-but ignore case list", `{"state":[{"anything-but":{"equals-ignore-case":["Stopped","OverLoaded"]}}]}`, `{"state":"overloaded"}`, false},
	{"anything-but wildcard", `{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/bin/ls"}`, true},
	{"anything-but wildcard, excluded", `{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/lib/libc.so"}`, false},
	// numeric
	{"numeric range", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`, rulerEvent, true},
	{"numeric less", `{"detail":{"d-count":[{"numeric":["<",10]}]}}`, rulerEvent, true},
	{"numeric equals", `{"detail":{"x-limit":[{"numeric":["=",3.018e2]}]}}`, rulerEvent, true},
	{"numeric open bottom", `{"Price":[{"numeric":[">",10,"<=",20]}]}`, `{"Price":10}`, false},
	{"numeric closed top", `{"Price":[{"numeric":[">",10,"<=",20]}]}`, `{"Price":20}`, true},
	{"numeric equals other spelling", `{"Price":[{"numeric":["=",100]}]}`, `{"Price":1.00e2}`, true},
	{"numeric only on numbers", `{"Price":[{"numeric":[">",0]}]}`, `{"Price":"5"}`, false},
	{"numeric negative", `{"t":[{"numeric":[">=",-5.5,"<",0]}]}`, `{"t":-5.5}`, true},
	// cidr
	{"cidr", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, rulerEvent, true},
	{"cidr, outside", `{"detail":{"source-ip":[{"cidr":"10.0.1.0/24"}]}}`, rulerEvent, false},
	{"cidr /8", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/8"}]}}`, rulerEvent, true},
	{"cidr ipv6", `{"sourceIPAddress":[{"cidr":"2001:db8::/64"}]}`, `{"sourceIPAddress":"2001:db8::1"}`, true},
	{"cidr ipv6, outside", `{"sourceIPAddress":[{"cidr":"2001:db8::/64"}]}`, `{"sourceIPAddress":"2001:db8:0:1::1"}`, false},
	{"cidr ipv6 upper case", `{"ip":[{"cidr":"2001:db8::/64"}]}`, `{"ip":"2001:DB8::ABCD"}`, true},
	{"cidr family", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"ip":"::1"}`, false},
	{"cidr not an address", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"ip":"10.0.0.x"}`, false},
	{"exact ip literal by address", `{"ip":["2001:db8::1"]}`, `{"ip":"2001:DB8:0:0::1"}`, true},
	// exists
	{"exists", `{"detail":{"c-count":[{"exists":true}]}}`, rulerEvent, true},
	{"exists, absent", `{"detail":{"nope":[{"exists":true}]}}`, rulerEvent, false},
	{"not exists", `{"detail":{"c-count":[{"exists":false}]}}`, rulerEvent, false},
	{"not exists, absent", `{"detail":{"nope":[{"exists":false}]}}`, rulerEvent, true},
	{"not exists on an object (not a leaf)", `{"detail":{"c-count":[{"exists":false}]}}`, `{"detail":{"state":"x","c-count":{"c1":100}}}`, true},
	{"exists on an object (not a leaf)", `{"detail":{"c-count":[{"exists":true}]}}`, `{"detail":{"c-count":{"c1":100}}}`, false},
	{"exists on null", `{"v":[{"exists":true}]}`, `{"v":null}`, true},
	{"not exists on empty array", `{"v":[{"exists":false}]}`, `{"v":[]}`, true},
	{"exists on empty array", `{"v":[{"exists":true}]}`, `{"v":[]}`, false},
	// complex README example
	{"complex", `{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"initializing"}],"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"anything-but":[100,200,300]}],"source-ip":[{"cidr":"10.0.0.0/8"}]}}`, rulerEvent, true},
	// $or
	{"or", `{"source":["aws.ec2"],"$or":[{"detail":{"c-count":[9]}},{"detail":{"d-count":[3]}}]}`, rulerEvent, true},
	{"or, no branch", `{"source":["aws.ec2"],"$or":[{"detail":{"c-count":[9]}},{"detail":{"d-count":[9]}}]}`, rulerEvent, false},
	{"or nested in detail", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]},{"x-limit":[{"numeric":["=",3.018e2]}]}]}}`, rulerEvent, true},
	{"or inside or", `{"$or":[{"a":[1]},{"b":[2],"$or":[{"c":[3]},{"d":[4]}]}]}`, `{"b":2,"d":4}`, true},
	{"or inside or, no", `{"$or":[{"a":[1]},{"b":[2],"$or":[{"c":[3]},{"d":[4]}]}]}`, `{"b":2,"d":5}`, false},
	// nested keys
	{"dotted key in pattern", `{"detail":{"state.status":["x"]}}`, `{"detail":{"state":{"status":"x"}}}`, true},
	{"dotted key in event", `{"detail":{"state":{"status":["x"]}}}`, `{"detail":{"state.status":"x"}}`, true},
	// arrays
	{"array intersection", `{"resources":["arn:b"]}`, `{"resources":["arn:a","arn:b"]}`, true},
	{"array no intersection", `{"resources":["arn:c"]}`, `{"resources":["arn:a","arn:b"]}`, false},
	{"array of objects", `{"employees":{"firstName":["Anna"]}}`, employeesEvent, true},
	{"array consistency, same element", `{"employees":{"firstName":["Anna"],"lastName":["Smith"]}}`, employeesEvent, true},
	{"array consistency, different elements", `{"employees":{"firstName":["Anna"],"lastName":["Jones"]}}`, employeesEvent, false},
	{"nested arrays", `{"a":{"b":["x"]}}`, `{"a":[[{"b":["y",["x"]]}]]}`, true},
	{"anything-but in an array", `{"tags":[{"anything-but":"banned"}]}`, `{"tags":["banned","ok"]}`, true},
	{"anything-but in an array, all excluded", `{"tags":[{"anything-but":"banned"}]}`, `{"tags":["banned"]}`, false},
	{"exists false, other element", `{"d":{"a":[1],"b":[{"exists":false}]}}`, `{"d":[{"a":1},{"a":2,"b":3}]}`, true},
	{"exists false, same element", `{"d":{"a":[2],"b":[{"exists":false}]}}`, `{"d":[{"a":1},{"a":2,"b":3}]}`, false},
	{"exists false, outside arrays", `{"d":{"a":[1]},"e":[{"exists":false}]}`, `{"d":[{"a":1}],"e":0}`, false},
	{"exists true or false", `{"x":{"a":[1],"b":[{"exists":true},{"exists":false}]}}`, `{"x":[{"a":1},{"b":2}]}`, true},
}

func TestDocumentedExamples(t *testing.T) { runMatchCases(t, documentedCases) }

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := compileJSON(t, []byte(tc.pattern))
			if got := matchBoth(t, m, []byte(tc.event)); got != tc.want {
				t.Errorf("pattern %s\nevent %s\nmatch = %v, want %v", tc.pattern, tc.event, got, tc.want)
			}
		})
	}
}
