package ocsf_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies checks the promise that importing package ocsf pulls in
// neither the AWS SDK nor storage or YAML libraries.
func TestDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/aws/", "go.etcd.io/bbolt", "yaml"} {
			if strings.Contains(pkg, banned) {
				t.Errorf("package ocsf depends on %s", pkg)
			}
		}
	}
}
