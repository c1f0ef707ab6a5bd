package validator

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// decodeStd decodes like the parser is meant to: encoding/json with UseNumber.
func decodeStd(data []byte) (any, error) {
	if !json.Valid(data) {
		return nil, errors.New("invalid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

var parseCases = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `12.5e-3`, `-1E+2`, `"x"`,
	`{"a":1,"b":[1,2,{"c":null}],"d":"\u00e9\ud83d\ude00\n\t\"\\\/"}`,
	`{"a":"\ud800"}`,         // unpaired surrogate: U+FFFD
	`{"a":"\ud800\u0041"}`,   // high surrogate then a non-surrogate
	"{\"a\":\"\xff\xfe\"}",   // invalid UTF-8: U+FFFD
	`  {"a" : [ 1 , 2 ] }  `, // whitespace
	`{"a":1,"a":2}`,          // duplicate: last wins
	`[1,]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `[01]`, `[1.]`, `[.5]`, `[1e]`, `[-]`, `"abc`, `{"a":1} x`,
	`[tru]`, `[nul]`, "[\"a\x01\"]", `["\x"]`, `["\u12"]`, `{1:2}`, ``, ` `, `[`, `{"a":[1,2}`,
}

func TestParseMatchesEncodingJSON(t *testing.T) {
	lim := Limits{}.withDefaults()
	for _, in := range parseCases {
		want, werr := decodeStd([]byte(in))
		got, gerr := newParser([]byte(in), lim).parse()
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%q: encoding/json err %v, parser err %v", in, werr, gerr)
			continue
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %#v, want %#v", in, got, want)
		}
	}
}

func TestParseDuplicates(t *testing.T) {
	p := newParser([]byte(`{"a":{"uid":1,"uid":2},"b":[{"x/y":1,"x/y":2}]}`), Limits{}.withDefaults())
	v, err := p.parse()
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(map[string]any)["a"].(map[string]any)["uid"]; got != json.Number("2") {
		t.Errorf("duplicate kept %v, want the last value", got)
	}
	var ptrs []string
	for _, d := range p.dups {
		ptrs = append(ptrs, d.pointer)
	}
	if got := strings.Join(ptrs, " "); got != "/a/uid /b/0/x~1y" {
		t.Errorf("duplicates at %q", got)
	}
}

func TestParseLimits(t *testing.T) {
	deep := strings.Repeat("[", 10) + strings.Repeat("]", 10)
	if _, err := newParser([]byte(deep), Limits{MaxDepth: 10}.withDefaults()).parse(); err != nil {
		t.Errorf("depth 10 with limit 10: %v", err)
	}
	_, err := newParser([]byte(deep), Limits{MaxDepth: 9}.withDefaults()).parse()
	var pe *parseError
	if !errors.As(err, &pe) || pe.code != CodeLimitDepth || pe.pointer != "/0/0/0/0/0/0/0/0/0" {
		t.Errorf("depth 10 with limit 9: %#v", err)
	}
	_, err = newParser([]byte(`{"a":[1,2,3,4]}`), Limits{MaxValues: 4}.withDefaults()).parse()
	if !errors.As(err, &pe) || pe.code != CodeLimitValues || pe.pointer != "/a/2" {
		t.Errorf("5 values with limit 4: %#v", err)
	}
	// A million opening brackets fail fast at the depth limit.
	huge := bytes.Repeat([]byte("["), 1<<20)
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := newParser(huge, Limits{}.withDefaults()).parse(); err == nil {
			t.Fatal("accepted")
		}
	})
	if allocs > 400 {
		t.Errorf("%v allocations to reject 1 MiB of '['", allocs)
	}
}

// FuzzParse checks the parser against encoding/json: both accept the same
// inputs and produce the same values.
func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := decodeStd(data)
		got, gerr := newParser(data, Limits{MaxDepth: 10000, MaxValues: 1 << 30, MaxBytes: 1 << 30}).parse()
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: encoding/json err %v, parser err %v", data, werr, gerr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v, want %#v", data, got, want)
		}
	})
}
