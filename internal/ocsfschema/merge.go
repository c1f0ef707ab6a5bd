package ocsfschema

// Merging attribute details, the core rule of the compiler.

import (
	"slices"
)

// mergeAttributes merges source attributes into dest: new attributes are
// added, existing ones merged with mergeAttributeDetail.
func (c *compiler) mergeAttributes(dest, src jobj, file, pointer string) error {
	if _, ok := src["$include"]; ok {
		return srcErr(file, pointer+ptr("$include"), ErrInvalid, `nested "$include" is not supported here`)
	}
	for _, name := range sortedKeys(src) {
		s, ok := src[name].(map[string]any)
		if !ok {
			return srcErr(file, pointer+ptr(name), ErrMalformed, "attribute is a JSON %s, want an object", jsonTypeName(src[name]))
		}
		if d, ok := dest[name].(map[string]any); ok {
			if err := mergeAttributeDetail(d, s, file, pointer+ptr(name)); err != nil {
				return err
			}
		} else {
			dest[name] = s
		}
	}
	return nil
}

// mergeAttributeDetail merges one attribute's details into another:
//   - a key missing in dest is copied; equal values are left alone;
//   - "profiles": a null source makes the attribute not profile-gated,
//     otherwise the result is the sorted union;
//   - "requirement" of an attribute gated on both sides takes the stronger
//     requirement (required > recommended > optional);
//   - otherwise objects are deep-merged and other values overwritten.
//
// "requirement" is processed before "profiles", matching the key order the
// official compiler sees in source attributes ("profiles" is created from
// "profile" and appended last).
func mergeAttributeDetail(dest, src jobj, file, pointer string) error {
	keys := sortedKeys(src)
	if i := slices.Index(keys, "profiles"); i >= 0 {
		keys = append(slices.Delete(keys, i, i+1), "profiles")
	}
	for _, k := range keys {
		sv := src[k]
		dv, has := dest[k]
		switch {
		case k == "profile":
			return srcErr(file, pointer+ptr("profile"), ErrInvalid, `unexpected "profile" while merging attributes`)
		case !has:
			dest[k] = sv
		case jsonEqual(sv, dv):
		case hasKey(src, "extension") && hasKey(dest, "extension"):
			return srcErr(file, pointer, ErrCollision, "attribute %q of extension %v is modified by extension %v; extensions must not modify each other",
				k, dest["extension"], src["extension"])
		case k == "profiles":
			if sv == nil {
				dest[k] = nil
				break
			}
			sp, _ := stringsOf(sv)
			if dv == nil {
				dest[k] = stringsToAny(sp)
				break
			}
			dp, _ := stringsOf(dv)
			dest[k] = stringsToAny(unionSorted(dp, sp))
		case k == "requirement" && src["profiles"] != nil && hasKey(dest, "profiles"):
			dr, sr := requirementRank(dv), requirementRank(sv)
			dest[k] = rankRequirement(max(dr, sr))
		default:
			so, sok := sv.(map[string]any)
			do, dok := dv.(map[string]any)
			if sok && dok {
				deepMerge(do, so)
			} else {
				dest[k] = sv
			}
		}
	}
	return nil
}

func hasKey(m jobj, k string) bool { _, ok := m[k]; return ok }

func asString(v any) string { s, _ := v.(string); return s }

func rankRequirement(r int) any {
	switch r {
	case 3:
		return "required"
	case 2:
		return "recommended"
	case 1:
		return "optional"
	default:
		return nil
	}
}

func unionSorted(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// mergeItemProfiles sets dest["profiles"] to the sorted union of the
// profiles of dest and src, unless both have none.
func mergeItemProfiles(dest, src jobj) {
	dp, _ := stringsOf(dest["profiles"])
	sp, _ := stringsOf(src["profiles"])
	if u := unionSorted(dp, sp); len(u) > 0 {
		dest["profiles"] = stringsToAny(u)
	}
}
