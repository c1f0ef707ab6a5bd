package ocsfschema

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors that classify every compile failure. A [*SourceError]
// returned by [Compile] wraps exactly one of them, so callers can branch
// with errors.Is.
var (
	// ErrMalformed means a source file is not valid JSON, or a value in it
	// has the wrong JSON type or an impossible value (for example a
	// "requirement" that is not required, recommended or optional).
	ErrMalformed = errors.New("malformed schema source")

	// ErrUndefined means a source file refers to something that does not
	// exist: an object, class, profile, dictionary attribute or type, a
	// category or an $include file.
	ErrUndefined = errors.New("undefined reference")

	// ErrCollision means two definitions claim the same name or unique ID
	// (class uid, observable type_id, extension name, ...).
	ErrCollision = errors.New("collision")

	// ErrInvalid means the sources are well formed but break a compiler
	// rule: an extends cycle, a refined type that is not a subtype, an
	// extension relaxing a requirement, a uid out of range, and so on.
	ErrInvalid = errors.New("invalid schema")
)

// SourceError reports a problem in one schema source file. Pointer is an
// RFC 6901 JSON pointer into that file ("" means the file as a whole). Err
// wraps one of [ErrMalformed], [ErrUndefined], [ErrCollision] or
// [ErrInvalid], or an I/O error from reading the file.
type SourceError struct {
	File    string
	Pointer string
	Err     error
}

// Error implements error. The text is "ocsfschema: FILE#POINTER: cause".
func (e *SourceError) Error() string {
	var b strings.Builder
	b.WriteString("ocsfschema: ")
	b.WriteString(e.File)
	if e.Pointer != "" {
		b.WriteByte('#')
		b.WriteString(e.Pointer)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("unknown error")
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *SourceError) Unwrap() error { return e.Err }

// srcErr builds a *SourceError whose cause wraps kind with a formatted message.
func srcErr(file, pointer string, kind error, format string, args ...any) *SourceError {
	return &SourceError{File: file, Pointer: pointer, Err: fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))}
}

// ptr builds an RFC 6901 JSON pointer from reference tokens.
func ptr(tokens ...string) string {
	if len(tokens) == 0 {
		return ""
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken(t))
	}
	return b.String()
}

var tokenEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapeToken(t string) string {
	if !strings.ContainsAny(t, "~/") {
		return t
	}
	return tokenEscaper.Replace(t)
}
