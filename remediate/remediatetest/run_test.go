package remediatetest_test

import (
	"testing"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

func decode(t *testing.T, s string) ocsf.Finding {
	t.Helper()
	return remediatetest.Finding(t, []byte(s))
}

// The fake remediator satisfies the contract it is meant to model.
func TestFakeConformance(t *testing.T) {
	detection := decode(t, `{"class_uid":2004,"metadata":{"uid":"f-1"},"finding_info":{"uid":"u-1","modified_time":1770711277512}}`)
	compliance := decode(t, `{"class_uid":2003,"metadata":{"uid":"f-2"}}`)
	remediatetest.Run(t, func(t *testing.T) remediate.Remediator {
		return &remediatetest.Fake{
			ID:      "fake",
			Perms:   []string{"ec2:CreateTags"},
			Changes: 3,
			Applies: func(f ocsf.Finding) bool { return f.ClassUID() == ocsf.ClassDetectionFinding },
		}
	}, remediatetest.Case{Name: "detection", Finding: detection, NotApplicable: []ocsf.Finding{compliance}})
}

func TestMutate(t *testing.T) {
	f := decode(t, `{"class_uid":2004,"metadata":{"uid":"f-1"},"finding_info":{"uid":"u-1"}}`)
	g := remediatetest.Mutate(t, f, func(m map[string]any) {
		remediatetest.Set(m, "finding_info.uid", "u-2")
		remediatetest.Set(m, "cloud.account.uid", "111122223333")
	})
	s := g.Summary()
	if s.UID != "u-2" || s.AccountUID != "111122223333" || s.MetadataUID != "f-1" {
		t.Fatalf("mutated summary %+v", s)
	}
	if f.Summary().UID != "u-1" {
		t.Fatal("Mutate changed the original")
	}
}
