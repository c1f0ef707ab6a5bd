package validator

// datetimeRegex is the datetime_t expression of OCSF 1.6.0 to 1.8.0; when a
// model carries exactly this expression, matchDatetime (an equivalent
// hand-written matcher, checked against the expression by tests) is used,
// because *_dt strings are the most frequent formatted values in a finding.
const datetimeRegex = `^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?([Zz]|[\+-]\d{2}:\d{2})?$`

// matchType reports whether s matches the regular expression of type ty
// (named t). A type whose expression is not valid RE2 syntax matches anything.
func matchType(t string, ty *Type, s string) bool {
	if ty.Regex == datetimeRegex {
		return matchDatetime(s)
	}
	if t == "ip_t" && isDottedQuad(s) {
		// Every OCSF ip_t expression accepts a plain IPv4 address (checked
		// by the tests for each embedded model); the expression is long and
		// slow to run.
		return true
	}
	re := ty.Regexp()
	if re == nil {
		return true
	}
	return re.MatchString(s)
}

// matchDatetime is datetimeRegex, hand-compiled.
func matchDatetime(s string) bool {
	i := 0
	digits := func(n int) bool {
		if len(s)-i < n {
			return false
		}
		for k := 0; k < n; k++ {
			if c := s[i+k]; c < '0' || c > '9' {
				return false
			}
		}
		i += n
		return true
	}
	lit := func(set string) bool {
		if i < len(s) {
			for k := 0; k < len(set); k++ {
				if s[i] == set[k] {
					i++
					return true
				}
			}
		}
		return false
	}
	if !(digits(4) && lit("-") && digits(2) && lit("-") && digits(2) && lit("Tt") &&
		digits(2) && lit(":") && digits(2) && lit(":") && digits(2)) {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits(1) {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i == len(s) {
		return true
	}
	if lit("Zz") {
		return i == len(s)
	}
	if lit("+-") && digits(2) && lit(":") && digits(2) {
		return i == len(s)
	}
	return false
}

// isDottedQuad reports whether s is an IPv4 address in dotted decimal form:
// four numbers 0..255 without leading zeros, separated by dots.
func isDottedQuad(s string) bool {
	parts := 0
	for i := 0; i <= len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		n := j - i
		if n == 0 || n > 3 || (n > 1 && s[i] == '0') {
			return false
		}
		v := 0
		for _, c := range s[i:j] {
			v = v*10 + int(c-'0')
		}
		if v > 255 {
			return false
		}
		parts++
		if j == len(s) {
			return parts == 4
		}
		if s[j] != '.' || parts == 4 {
			return false
		}
		i = j + 1
	}
	return false
}
