package modelgen

import (
	"strings"
	"testing"

	"github.com/ocsfhub/ocsfhub/internal/sharedtest"
)

// TestCompilerMatchesOfficial builds every embedded version twice, from the
// schema source data with our compiler and from the official compiler's
// output, and requires the same compact model (differences reported by path).
func TestCompilerMatchesOfficial(t *testing.T) {
	shared := sharedtest.Dir(t)
	for _, v := range Versions {
		t.Run(v, func(t *testing.T) {
			official, err := FromShared(shared, v, SourceOfficial)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := FromShared(shared, v, SourceCompiler)
			if err != nil {
				t.Fatal(err)
			}
			if d := Diff(official, ours); len(d) > 0 {
				if len(d) > 40 {
					d = append(d[:40], "...")
				}
				t.Errorf("compact model from our compiler differs from the official one:\n%s", strings.Join(d, "\n"))
			}
		})
	}
}

// TestBuildContent checks facts of the compact 1.6.0 model that validation
// depends on.
func TestBuildContent(t *testing.T) {
	m, err := FromShared(sharedtest.Dir(t), "1.6.0", SourceOfficial)
	if err != nil {
		t.Fatal(err)
	}
	df := m.ClassByUID(2004)
	if df == nil || df.Name != "detection_finding" || df.CategoryUID != 2 {
		t.Fatalf("class 2004 = %+v", df)
	}
	if a := df.Attributes["cloud"]; a == nil || a.Requirement != "required" || strings.Join(a.Profiles, ",") != "cloud" || a.Object != "cloud" {
		t.Errorf("detection_finding.cloud = %+v", a)
	}
	if a := df.Attributes["time_dt"]; a == nil || strings.Join(a.Profiles, ",") != "datetime" {
		t.Errorf("detection_finding.time_dt = %+v", a)
	}
	if a := df.Attributes["severity_id"]; a == nil || a.Enum["4"] == nil || a.Enum["4"].Caption != "High" || a.Sibling != "severity" {
		t.Errorf("detection_finding.severity_id = %+v", a)
	}
	if got := m.Objects["vulnerability"].Constraints["just_one"]; strings.Join(got, ",") != "advisory,cve,cwe" {
		t.Errorf("vulnerability just_one = %v", got)
	}
	if !m.HasProfile("aws/cloud_resources") || m.HasProfile("aws") {
		t.Errorf("profiles = %v", m.Profiles)
	}
	if got := m.Primitive("port_t"); got != "integer_t" {
		t.Errorf("Primitive(port_t) = %s", got)
	}
	if r := m.Types["port_t"].Range; len(r) != 2 || r[1] != 65535 {
		t.Errorf("port_t range = %v", r)
	}
	if !strings.Contains(strings.Join(df.Profiles, ","), "aws/cloud_resources") {
		t.Errorf("detection_finding reachable profiles = %v", df.Profiles)
	}
	if d := Diff(m, m); d != nil {
		t.Errorf("Diff(m, m) = %v", d)
	}
	m2, _ := FromShared(sharedtest.Dir(t), "1.6.0", SourceOfficial)
	m2.Classes["detection_finding"].Attributes["cloud"].Requirement = ""
	if d := Diff(m, m2); len(d) != 1 || !strings.HasPrefix(d[0], "classes/detection_finding/attributes/cloud: requirement") {
		t.Errorf("Diff after a change = %v", d)
	}
}
