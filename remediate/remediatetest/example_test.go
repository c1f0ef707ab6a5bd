package remediatetest_test

import (
	"testing"

	"github.com/ocsfhub/ocsfhub/ocsf"
	"github.com/ocsfhub/ocsfhub/remediate"
	"github.com/ocsfhub/ocsfhub/remediate/remediatetest"
)

// In a remediator's own tests, Run checks it against the contract, with a
// fresh remediator (and fake world) per check.
func ExampleRun() {
	testMyRemediator := func(t *testing.T) {
		open := remediatetest.FindingFile(t, "../../testdata/findings/cspm-s3-public-access.json")
		remediatetest.Run(t, func(t *testing.T) remediate.Remediator {
			return &remediatetest.Fake{ID: "block-public-access"} // your remediator, on a fresh fake AWS
		}, remediatetest.Case{Name: "public bucket", Finding: open, NotApplicable: []ocsf.Finding{}})
	}
	_ = testMyRemediator // func TestMyRemediator(t *testing.T) { ... }
}
