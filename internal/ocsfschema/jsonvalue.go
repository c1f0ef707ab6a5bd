package ocsfschema

import (
	"math"
	"slices"
	"strconv"
)

// The compiler works on generic JSON values (the shapes encoding/json
// produces for `any`): map[string]any, []any, string, float64, bool and nil.
// This mirrors the official compiler, which merges arbitrary JSON, so keys
// this package does not know about are carried through to the output.

// jobj is a JSON object.
type jobj = map[string]any

// asObj returns v as a JSON object.
func asObj(v any) (jobj, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

// objAt returns m[k] as an object, or nil when it is absent or not an object.
func objAt(m jobj, k string) jobj {
	o, _ := m[k].(map[string]any)
	return o
}

// strAt returns m[k] as a string.
func strAt(m jobj, k string) (string, bool) {
	s, ok := m[k].(string)
	return s, ok
}

// attributesOf returns item["attributes"], creating an empty object when it
// is absent (validation guarantees it is an object when present).
func attributesOf(item jobj) jobj {
	if a, ok := item["attributes"].(map[string]any); ok {
		return a
	}
	a := jobj{}
	item["attributes"] = a
	return a
}

// intOf converts a JSON number to an int when it is integral and safely
// representable.
func intOf(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
}

// intString formats a JSON integer the way Python's str(int) does.
func intString(v any) string {
	if n, ok := intOf(v); ok {
		return strconv.Itoa(n)
	}
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return ""
}

// stringsOf returns v as a []string when it is a JSON array of strings.
func stringsOf(v any) ([]string, bool) {
	a, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(a))
	for _, e := range a {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// stringsToAny converts a []string to a JSON array.
func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// sortedKeys returns the keys of m in ascending order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// deepCopy returns a copy of a JSON value that shares nothing with v.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyObj(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

// copyObj deep-copies a JSON object.
func copyObj(m jobj) jobj {
	if m == nil {
		return nil
	}
	out := make(jobj, len(m))
	for k, e := range m {
		out[k] = deepCopy(e)
	}
	return out
}

// deepMerge merges src into dst in place: nested objects are merged
// recursively, any other value (arrays included) replaces the destination
// value. Values taken from src are copied.
func deepMerge(dst, src jobj) {
	for k, sv := range src {
		if so, ok := sv.(map[string]any); ok {
			if do, ok := dst[k].(map[string]any); ok {
				deepMerge(do, so)
				continue
			}
		}
		dst[k] = deepCopy(sv)
	}
}

// jsonEqual reports whether two JSON values are equal.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	default:
		return false
	}
}

// jsonTypeName names the JSON type of v for error messages.
func jsonTypeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	default:
		return "unknown"
	}
}
