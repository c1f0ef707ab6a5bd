package ocsf

import "strings"

// Known reports whether the schema defines s (0 to 6 and 99).
func (s SeverityID) Known() bool {
	_, ok := s.caption()
	return ok
}

// rank orders the severities: Informational (1) to Fatal (6) rank 1 to 6;
// Unknown (0), Other (99) and undefined values rank 0, below Informational,
// since nothing is known of their gravity.
func (s SeverityID) rank() int {
	if s >= SeverityIDInformational && s <= SeverityIDFatal {
		return int(s)
	}
	return 0
}

// Compare orders severities by gravity: it returns -1 if s is less severe
// than o, +1 if more, and 0 if they rank the same. Unknown, Other and
// undefined values all rank below Informational.
func (s SeverityID) Compare(o SeverityID) int {
	switch a, b := s.rank(), o.rank(); {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AtLeast reports whether s is at least as severe as min:
// f.Summary().SeverityID.AtLeast(ocsf.SeverityIDHigh) is true for High,
// Critical and Fatal. Unknown and Other are at least only Unknown or Other.
func (s SeverityID) AtLeast(min SeverityID) bool { return s.rank() >= min.rank() }

// ParseSeverityID returns the severity whose caption is name, ignoring case
// ("HIGH" and "high" give SeverityIDHigh).
func ParseSeverityID(name string) (SeverityID, bool) {
	for _, s := range []SeverityID{
		SeverityIDUnknown, SeverityIDInformational, SeverityIDLow, SeverityIDMedium,
		SeverityIDHigh, SeverityIDCritical, SeverityIDFatal, SeverityIDOther,
	} {
		if strings.EqualFold(s.String(), name) {
			return s, true
		}
	}
	return 0, false
}
