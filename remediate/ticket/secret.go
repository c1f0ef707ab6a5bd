package ticket

import (
	"fmt"
	"log/slog"
	"os"
)

// redacted is what a [Secret] prints as.
const redacted = "[REDACTED]"

// Secret holds a credential (an API token, a password, a routing key, a
// webhook URL). It never prints its value: fmt verbs, %#v, slog and JSON all
// show "[REDACTED]" (or "" when the secret is empty). Use [Secret.Reveal]
// only to put the value on the wire.
//
// The zero value is an empty secret.
type Secret struct {
	value string
}

// NewSecret returns a Secret holding s.
func NewSecret(s string) Secret { return Secret{value: s} }

// SecretFromEnv returns the value of the environment variable name as a
// Secret. It fails when the variable is unset or empty; the error names the
// variable, never its value.
func SecretFromEnv(name string) (Secret, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return Secret{}, fmt.Errorf("ticket: environment variable %s is not set", name)
	}
	return Secret{value: v}, nil
}

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// String returns "[REDACTED]", or "" for an empty secret.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return redacted
}

// GoString returns the same as String, so %#v does not reveal the value.
func (s Secret) GoString() string { return "ticket.Secret(" + fmt.Sprintf("%q", s.String()) + ")" }

// Format prints [Secret.String] for every verb, so that no verb (%x, %d,
// %+v…) reveals the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(s.String()))
}

// LogValue implements [slog.LogValuer]: the value is never logged.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText returns "[REDACTED]" (or nothing for an empty secret), so
// encoding a configuration never writes the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
