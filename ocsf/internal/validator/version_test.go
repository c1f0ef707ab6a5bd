package validator

import (
	"fmt"
	"testing"
)

func TestChooseVersion(t *testing.T) {
	embedded := []string{"1.6.0", "1.7.0", "1.8.0"}
	tests := []struct {
		claimed string
		present bool
		mode    Mode
		schema  string
		newer   bool
		want    string // "code/severity" of the one expected problem, "" for none
	}{
		{"1.6.0", true, Compatible, "1.6.0", false, ""},
		{"1.7.0", true, Strict, "1.7.0", false, ""},
		{"1.8.0", true, Compatible, "1.8.0", false, ""},
		{"1.9.0", true, Compatible, "1.8.0", true, "version_newer/1"},
		{"1.9.0", true, Strict, "1.8.0", true, "version_newer/0"},
		{"1.9.0-dev", true, Compatible, "1.8.0", true, "version_newer/1"},
		{"2.0.0", true, Compatible, "1.8.0", true, "version_newer/1"},
		{"1.8.1", true, Compatible, "1.8.0", true, "version_newer/1"},
		{"1.7.1", true, Compatible, "1.7.0", false, "version_newer/1"},
		{"1.8.0-dev", true, Compatible, "1.8.0", false, "version_prerelease/1"},
		{"1.8.0-dev", true, Strict, "1.8.0", false, "version_prerelease/0"},
		{"1.5.0", true, Compatible, "1.6.0", false, "version_older/1"},
		{"1.5.0", true, Strict, "1.6.0", false, "version_older/1"},
		{"1.4.0-dev", true, Strict, "1.6.0", false, "version_unsupported/0"},
		{"1.1.0", true, Strict, "1.6.0", false, "version_unsupported/1"},
		{"1.0.0-rc.2", true, Compatible, "1.6.0", false, "version_unsupported/1"},
		{"1.0.0-rc.2", true, Strict, "1.6.0", false, "version_unsupported/0"},
		{"0.9.0", true, Strict, "1.6.0", false, "version_unsupported/0"},
		{"1.6.0+build.7", true, Compatible, "1.6.0", false, ""},
		{"latest", true, Compatible, "1.6.0", false, "version_invalid/0"},
		{"", true, Compatible, "1.6.0", false, "version_invalid/0"},
		{"01.6.0", true, Compatible, "1.6.0", false, "version_invalid/0"},
		{"1.6.0-", true, Compatible, "1.6.0", false, "version_invalid/0"},
		{"", false, Compatible, "1.6.0", false, ""},
	}
	for _, tt := range tests {
		got := chooseVersion(tt.claimed, tt.present, embedded, tt.mode)
		desc := ""
		if len(got.problems) > 1 {
			t.Errorf("%q: %d problems %v", tt.claimed, len(got.problems), got.problems)
		}
		for _, p := range got.problems {
			desc = fmt.Sprintf("%s/%d", p.Code, p.Severity)
			if p.Pointer != "/metadata/version" || p.Message == "" {
				t.Errorf("%q: problem %+v", tt.claimed, p)
			}
		}
		if got.schema != tt.schema || got.newer != tt.newer || desc != tt.want {
			t.Errorf("chooseVersion(%q, %v): schema %s newer %v problem %q; want %s %v %q",
				tt.claimed, tt.mode, got.schema, got.newer, desc, tt.schema, tt.newer, tt.want)
		}
	}
	// A shortened version is read with patch 0, plus a problem.
	got := chooseVersion("1.6", true, embedded, Compatible)
	if got.schema != "1.6.0" || len(got.problems) != 1 || got.problems[0].Code != CodeVersionInvalid || got.problems[0].Severity != Warning {
		t.Errorf("1.6: %+v", got)
	}
}

func TestSemverCompare(t *testing.T) {
	order := []string{"0.9.9", "1.0.0-rc.1", "1.0.0-rc.2", "1.0.0", "1.5.0", "1.8.0-dev", "1.8.0", "1.10.0"}
	for i := range order {
		for j := range order {
			a, ok1 := parseSemver(order[i])
			b, ok2 := parseSemver(order[j])
			if !ok1 || !ok2 {
				t.Fatalf("parse %s %s", order[i], order[j])
			}
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := a.compare(b); got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}
