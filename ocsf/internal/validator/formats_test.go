package validator

import (
	"regexp"
	"testing"
)

var datetimeRE = regexp.MustCompile(datetimeRegex)

var datetimeCases = []string{
	"2026-01-01T10:00:00Z", "2026-01-01t10:00:00z", "2026-01-01T10:00:00.123Z", "2026-01-01T10:00:00.123456789+02:00",
	"2026-01-01T10:00:00", "2026-01-01T10:00:00-05:30", "2026-01-01 10:00:00Z", "2026-01-01T10:00:00.Z",
	"2026-01-01T10:00Z", "2026-1-01T10:00:00Z", "2026-01-01T10:00:00+0200", "2026-01-01T10:00:00Zx",
	"", "x", "2026-01-01T10:00:00.5", "2026-01-01T10:00:00+02:0", "１２３４-01-01T10:00:00Z",
}

func TestMatchDatetime(t *testing.T) {
	for _, s := range datetimeCases {
		if got, want := matchDatetime(s), datetimeRE.MatchString(s); got != want {
			t.Errorf("matchDatetime(%q) = %v, regexp says %v", s, got, want)
		}
	}
}

func FuzzMatchDatetime(f *testing.F) {
	for _, s := range datetimeCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := matchDatetime(s), datetimeRE.MatchString(s); got != want {
			t.Fatalf("matchDatetime(%q) = %v, regexp says %v", s, got, want)
		}
	})
}

var ipCases = []string{"0.0.0.0", "255.255.255.255", "10.20.30.40", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
	"1..2.3", "1.2.3.4 ", " 1.2.3.4", "::1", "fe80::1%eth0", "1.2.3.-4", "", ".", "1.2.3.4.", "999.1.1.1"}

// TestDottedQuadImpliesRegexp: the IPv4 shortcut only ever says yes where
// every embedded model's ip_t expression says yes.
func TestDottedQuadImpliesRegexp(t *testing.T) {
	for _, re := range ipRegexps(t) {
		for _, s := range ipCases {
			if isDottedQuad(s) && !re.MatchString(s) {
				t.Errorf("isDottedQuad(%q) but the ip_t expression rejects it", s)
			}
		}
	}
	for _, s := range []string{"0.0.0.0", "255.255.255.255", "10.20.30.40", "192.168.0.1"} {
		if !isDottedQuad(s) {
			t.Errorf("isDottedQuad(%q) = false", s)
		}
	}
	for _, s := range []string{"1.2.3", "256.1.1.1", "01.2.3.4", "1.2.3.4.", " 1.2.3.4", "::1"} {
		if isDottedQuad(s) {
			t.Errorf("isDottedQuad(%q) = true", s)
		}
	}
}

func FuzzDottedQuad(f *testing.F) {
	for _, s := range ipCases {
		f.Add(s)
	}
	res := ipRegexps(f)
	f.Fuzz(func(t *testing.T, s string) {
		if !isDottedQuad(s) {
			return
		}
		for _, re := range res {
			if !re.MatchString(s) {
				t.Fatalf("isDottedQuad(%q) but the ip_t expression rejects it", s)
			}
		}
	})
}

func ipRegexps(t testing.TB) []*regexp.Regexp {
	e := newEngine(t, Options{})
	var out []*regexp.Regexp
	for _, v := range e.Versions() {
		m, err := e.Model(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Types["ip_t"].Regexp())
	}
	return out
}

func TestTypeRegexps(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range e.Versions() {
		m, err := e.Model(v)
		if err != nil {
			t.Fatal(err)
		}
		for name, ty := range m.Types {
			if ty.Regex != "" && ty.Regexp() == nil {
				t.Errorf("%s %s: regex %q does not compile as RE2", v, name, ty.Regex)
			}
		}
		if m.Types["datetime_t"].Regex != datetimeRegex {
			t.Errorf("%s: datetime_t regex changed; matchDatetime no longer applies", v)
		}
	}
}
