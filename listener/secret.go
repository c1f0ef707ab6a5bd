package listener

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
)

// redacted is what a [Secret] prints, logs and marshals as.
const redacted = "REDACTED"

// Secret is a credential (an API key, a password, an OAuth client secret or a
// token signing key). It redacts itself everywhere a value is usually turned
// into text: String, GoString, every fmt verb (through Format), log/slog
// (through LogValue) and encoding/json (through MarshalJSON). Convert it
// explicitly with string(s) where the raw value is really needed.
type Secret string

// String returns "REDACTED".
func (Secret) String() string { return redacted }

// GoString returns "REDACTED", so %#v does not reveal the value either.
func (Secret) GoString() string { return redacted }

// Format writes "REDACTED" for every verb (%s, %v, %q, %x, %d, ...).
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements [slog.LogValuer]: a Secret logs as "REDACTED".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes a Secret as the JSON string "REDACTED".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MinSecretLength is the shortest API key, Basic password or OAuth client
// secret that [New] and [NewTokenIssuer] accept. Token signing keys must be at
// least [MinSigningKeyLength] bytes.
const MinSecretLength = 16

// digest is the SHA-256 of a credential. Credentials are compared through
// their digests so that the comparison is constant-time and does not depend on
// (or leak) the length of the configured value.
type digest [sha256.Size]byte

func digestOf(s string) digest { return sha256.Sum256([]byte(s)) }

// matchAny reports whether d equals one of the candidates. It always looks at
// every candidate, so the time taken does not reveal which one matched.
func matchAny(d digest, candidates []digest) bool {
	found := 0
	for i := range candidates {
		found |= subtle.ConstantTimeCompare(d[:], candidates[i][:])
	}
	return found == 1
}
