package ocsf

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestDepthLimit checks that the decoder accepts exactly the nesting that
// encoding/json accepts.
func TestDepthLimit(t *testing.T) {
	for _, depth := range []int{maxDepth - 1, maxDepth, maxDepth + 1} {
		// The finding object is one level; the attribute value adds depth-1.
		inner := strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1)
		data := []byte(`{"class_uid":2004,"future":` + inner + `}`)
		_, err := Decode(data)
		if valid := json.Valid(data); valid != (err == nil) {
			t.Errorf("depth %d: json.Valid %v, Decode error %v", depth, valid, err)
		}
	}
}

var stringCases = []string{
	"", "plain", `quote " backslash \ slash /`, "\b\f\n\r\t", "\x00\x01\x1f\x7f",
	"é ü 日本 😀", "\u2028\u2029", "<script>&", "bad \xff\xfe utf8", "\xed\xa0\x80 surrogate bytes",
}

// TestStringCodec checks strings against encoding/json in both directions.
func TestStringCodec(t *testing.T) {
	for _, s := range stringCases {
		checkString(t, s)
	}
	for _, lit := range []string{`"\ud83d\ude00"`, `"\ud800"`, `"\udc00\ud800x"`, `"\u0041\u00e9"`, `"a\/b"`} {
		var want string
		if err := json.Unmarshal([]byte(lit), &want); err != nil {
			t.Fatal(err)
		}
		d := decoder{data: []byte(lit)}
		got, err := d.readString()
		if err != nil || got != want {
			t.Errorf("readString(%s) = %q, %v; want %q", lit, got, err, want)
		}
	}
}

func checkString(t *testing.T, s string) {
	t.Helper()
	var e encoder
	e.str(s)
	var fromOurs, fromStd string
	if err := json.Unmarshal(e.buf, &fromOurs); err != nil {
		t.Fatalf("str(%q) wrote invalid JSON %s: %v", s, e.buf, err)
	}
	std, _ := json.Marshal(s)
	_ = json.Unmarshal(std, &fromStd)
	if fromOurs != fromStd {
		t.Errorf("str(%q) reads back as %q, encoding/json's as %q", s, fromOurs, fromStd)
	}
	d := decoder{data: std}
	got, err := d.readString()
	if err != nil || got != fromStd {
		t.Errorf("readString(%s) = %q, %v; want %q", std, got, err, fromStd)
	}
}

func FuzzStringCodec(f *testing.F) {
	for _, s := range stringCases {
		f.Add(s)
	}
	f.Fuzz(checkString)
}

// TestFloatFormat checks that floats are written as encoding/json writes
// them.
func TestFloatFormat(t *testing.T) {
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1.5, 7.5, 1e20, 1e21, 123456789e15, 1e-6, 1e-7, 0.1, 5e-324, math.MaxFloat64} {
		var e encoder
		e.f64(v)
		want, _ := json.Marshal(v)
		if string(e.buf) != string(want) {
			t.Errorf("f64(%v) = %s, encoding/json %s", v, e.buf, want)
		}
	}
	var e encoder
	e.f64(math.NaN())
	if e.err == nil {
		t.Error("NaN encoded without error")
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"42", 42, true}, {"-42", -42, true},
		{"9223372036854775807", math.MaxInt64, true}, {"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false},
		{"9999999999999999999", 0, false}, {"18446744073709551616", 0, false},
		{"2000000000000000000", 2000000000000000000, true},
	}
	for _, tt := range tests {
		got, ok := parseInt([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%s) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestExtraLastWins checks repeated names: the last occurrence wins, as
// with encoding/json.
func TestExtraLastWins(t *testing.T) {
	f, err := Decode([]byte(`{"class_uid":2004,"message":5,"message":"m","comment":"c","comment":[1],"x":1,"x":2}`))
	if err != nil {
		t.Fatal(err)
	}
	d := f.(*DetectionFinding)
	if d.Message != "m" || d.Comment != "" {
		t.Errorf("message %q comment %q", d.Message, d.Comment)
	}
	if _, ok := d.Extra("message"); ok {
		t.Error("message still kept raw")
	}
	if raw, _ := d.Extra("comment"); string(raw) != "[1]" {
		t.Errorf("comment kept as %s", raw)
	}
	if raw, _ := d.Extra("x"); string(raw) != "2" {
		t.Errorf("x = %s", raw)
	}

	// Many unknown names, then a typed name repeated with kept and typed
	// values: linear work, and the last value wins.
	var b strings.Builder
	b.WriteString(`{"class_uid":2004`)
	for i := range 20000 {
		b.WriteString(`,"u` + strconv.Itoa(i) + `":1`)
	}
	for range 20000 {
		b.WriteString(`,"message":null,"message":"m"`)
	}
	b.WriteString(`,"status":"s","status":null}`)
	f, err = Decode([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	d = f.(*DetectionFinding)
	if d.Message != "m" || d.Status != "" || len(d.ExtraNames()) != 20001 {
		t.Errorf("message %q status %q, %d extra names", d.Message, d.Status, len(d.ExtraNames()))
	}
	if raw, _ := d.Extra("status"); string(raw) != "null" {
		t.Errorf("status kept as %s", raw)
	}
}
