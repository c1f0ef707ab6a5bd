package listener_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/listener"
)

func TestSecretRedacts(t *testing.T) {
	t.Parallel()
	const raw = "super-secret-value-123"
	s := listener.Secret(raw)
	type holder struct {
		Key listener.Secret
		Ptr *listener.Secret
	}
	h := holder{Key: s, Ptr: &s}
	var outs []string
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%d", "%10s", "%T"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, h))
	}
	outs = append(outs, s.String(), fmt.Sprint(s), fmt.Sprintln(s), fmt.Sprint([]listener.Secret{s}))
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	var logs syncBuffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "secret", s, "holder", h)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "secret", s, slog.Any("list", []listener.Secret{s}))
	outs = append(outs, logs.String())
	for _, o := range outs {
		if strings.Contains(o, raw) || strings.Contains(o, fmt.Sprintf("%x", raw)) {
			t.Errorf("secret leaked: %s", o)
		}
	}
	if string(s) != raw {
		t.Fatal("explicit conversion must reveal the value")
	}
}

func ExampleSecret() {
	key := listener.Secret("0123456789abcdef-not-for-printing")
	fmt.Println(key)
	fmt.Printf("%q %#v\n", key, key)
	// Output:
	// REDACTED
	// REDACTED REDACTED
}
