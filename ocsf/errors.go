package ocsf

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// ErrTooLarge is wrapped by the *[DecodeError] returned for a document whose
// typed values would take more than 16 MiB of memory: far more than any real
// finding needs, and the bound that keeps hostile input (a megabyte of tiny
// objects) from costing gigabytes.
var ErrTooLarge = errors.New("ocsf: decoded values would exceed the memory limit")

// DecodeError reports input that is not valid JSON, or whose top-level value
// is not an object. Err is the standard library's *json.SyntaxError or
// *json.UnmarshalTypeError, so errors.As works with either; for a document too
// large to hold in typed values it wraps [ErrTooLarge].
//
// A value of the wrong JSON type inside an object is not an error: it is kept
// verbatim (see the Extra method of the generated types) and encoded back, and
// the [Validator] reports it.
type DecodeError struct {
	// Pointer is the JSON pointer (RFC 6901) of the innermost value being
	// read when the error was found; "" is the whole document.
	Pointer string
	// Offset is the byte offset of the error in the input.
	Offset int64
	// Err is the underlying error.
	Err error
}

// Error returns "ocsf: decode <pointer>: <underlying error>".
func (e *DecodeError) Error() string {
	if e.Pointer == "" {
		return "ocsf: decode: " + e.Err.Error()
	}
	return "ocsf: decode " + e.Pointer + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// pointer renders tokens (outermost first) as a JSON pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

// decodeFailure turns an error of the decoder into a *DecodeError. prefix
// holds pointer tokens of where data sits in a larger document.
func decodeFailure(data []byte, err error, prefix ...string) error {
	tokens := slices.Clone(prefix)
	var pe *pathError
	if errors.As(err, &pe) {
		inner := slices.Clone(pe.tokens)
		slices.Reverse(inner)
		tokens = append(tokens, inner...)
		err = pe.err
	}
	de := &DecodeError{Pointer: pointer(tokens), Err: err}
	var se *syntaxError
	if errors.As(err, &se) {
		de.Offset = int64(se.off)
		// Report the standard library's own error for the same input; it
		// finds the same first error, since the grammar and depth limit are
		// the same.
		var raw json.RawMessage
		var jse *json.SyntaxError
		if jerr := json.Unmarshal(data, &raw); errors.As(jerr, &jse) {
			de.Err = jse
			de.Offset = jse.Offset
		} else {
			de.Err = errors.New(se.msg + " (offset " + strconv.Itoa(se.off) + ")")
		}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		de.Offset = te.Offset
	}
	return de
}
