package ocsf

import "strconv"

// captioned is implemented by the generated enumeration types.
type captioned interface {
	~int32 | ~int64
	caption() (string, bool)
}

// enumString is the String method of the generated enumerations.
func enumString[T captioned](v T) string {
	if c, ok := v.caption(); ok {
		return c
	}
	return strconv.FormatInt(int64(v), 10)
}

// enumCaptions returns the captions of ids, or nil when one of them has none.
func enumCaptions[T captioned](ids []T) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		c, ok := id.caption()
		if !ok {
			return nil
		}
		out[i] = c
	}
	return out
}

// Ptr returns a pointer to a copy of v, for the optional (pointer) fields of
// the generated types: IsAlert: ocsf.Ptr(true).
func Ptr[T any](v T) *T { return &v }
