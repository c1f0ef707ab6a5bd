package eventbridge_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/eventbridge"
)

func TestValues(t *testing.T) {
	tests := []struct {
		v    eventbridge.Value
		kind eventbridge.ValueKind
		text string
		json string
	}{
		{eventbridge.StringValue("a\"b"), eventbridge.KindString, "a\"b", `"a\"b"`},
		{eventbridge.NumberValue("3.0e2"), eventbridge.KindNumber, "3.0e2", `3.0e2`},
		{eventbridge.IntValue(-7), eventbridge.KindNumber, "-7", `-7`},
		{eventbridge.FloatValue(0.1), eventbridge.KindNumber, "0.1", `0.1`},
		{eventbridge.FloatValue(1e-7), eventbridge.KindNumber, "1e-7", `1e-7`},
		{eventbridge.FloatValue(300), eventbridge.KindNumber, "300", `300`},
		{eventbridge.BoolValue(false), eventbridge.KindBool, "false", `false`},
		{eventbridge.NullValue(), eventbridge.KindNull, "null", `null`},
	}
	for _, tt := range tests {
		if tt.v.Kind() != tt.kind || tt.v.Text() != tt.text || tt.v.String() != tt.json {
			t.Errorf("%#v: Kind %v Text %q String %s", tt.v, tt.v.Kind(), tt.v.Text(), tt.v.String())
		}
		b, err := json.Marshal(tt.v)
		if err != nil || string(b) != tt.json {
			t.Errorf("json.Marshal(%s) = %s, %v", tt.json, b, err)
		}
		// FloatValue prints what encoding/json prints for the same float.
		if f, ok := tt.v.Float(); ok {
			want, _ := json.Marshal(f)
			if got := eventbridge.FloatValue(f).Text(); got != string(want) {
				t.Errorf("FloatValue(%v) = %s, encoding/json %s", f, got, want)
			}
		}
	}
	for k, name := range map[eventbridge.ValueKind]string{eventbridge.KindString: "string", eventbridge.KindNumber: "number",
		eventbridge.KindBool: "boolean", eventbridge.KindNull: "null", 0: "invalid"} {
		if k.String() != name {
			t.Errorf("ValueKind(%d).String() = %q", k, k.String())
		}
	}
	if _, ok := eventbridge.StringValue("1").Float(); ok {
		t.Error("a string has a float value")
	}
	if _, ok := eventbridge.NumberValue("1e999").Float(); ok {
		t.Error("1e999 has a float value")
	}
	if _, err := json.Marshal(eventbridge.NumberValue("0x10")); err == nil {
		t.Error("marshalled an invalid number")
	}
}

func TestLimitErrorMessages(t *testing.T) {
	for _, e := range []*eventbridge.LimitError{
		{Limit: eventbridge.ErrPatternTooLarge, Max: 4096, Actual: 5000},
		{Limit: eventbridge.ErrTooManyCombinations, Max: 1000, Actual: 1331},
	} {
		if !strings.HasPrefix(e.Error(), "eventbridge: ") || !strings.Contains(e.Error(), strconv.Itoa(e.Actual)) ||
			!strings.Contains(e.Error(), strconv.Itoa(e.Max)) {
			t.Errorf("message %q", e.Error())
		}
		if !errors.Is(e, e.Limit) || !errors.Is(e, eventbridge.ErrInvalidPattern) {
			t.Errorf("%v does not match its sentinels", e)
		}
	}
}

func TestMatchValueInvalidUTF8(t *testing.T) {
	m := mustCompile(t, `{"k":["a\ufffdb"]}`)
	if ok, err := m.MatchValue(map[string]any{"k": "a\xffb"}); !ok || err != nil {
		t.Errorf("invalid UTF-8 is not read as json.Marshal would: %v, %v", ok, err)
	}
	if ok, err := m.Match([]byte("{\"k\":\"a\xffb\"}")); !ok || err != nil {
		t.Errorf("invalid UTF-8 in JSON: %v, %v", ok, err)
	}
}
