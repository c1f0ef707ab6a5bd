package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, []report, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	var reps []report
	dec := json.NewDecoder(&out)
	for dec.More() {
		var r report
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("output is not JSON lines: %v\n%s", err, out.String())
		}
		reps = append(reps, r)
	}
	return code, reps, errOut.String()
}

func TestFixtureEnvelope(t *testing.T) {
	fixture := filepath.Join("..", "..", "testdata", "findings", "guardduty-ec2-unauthorized-access.json")
	if _, err := os.Stat(fixture); err != nil {
		t.Skipf("fixture missing: %v", err)
	}
	code, reps, stderr := runCmd(t, "", fixture)
	if code != 0 || len(reps) != 1 || stderr != "" {
		t.Fatalf("exit %d, %d reports, stderr %q", code, len(reps), stderr)
	}
	r := reps[0]
	if r.File != fixture || r.ClassUID != 2004 || r.Version == "" || len(r.Errors) != 0 || r.Warnings == nil {
		t.Errorf("report %+v", r)
	}
}

func TestInvalidFile(t *testing.T) {
	bad := filepath.Join("..", "..", "ocsf", "testdata", "invalid", "wrong-type-uid.json")
	code, reps, _ := runCmd(t, "", bad)
	if code != 1 || len(reps) != 1 {
		t.Fatalf("exit %d, %d reports", code, len(reps))
	}
	if e := reps[0].Errors; len(e) != 1 || e[0].Pointer != "/type_uid" || e[0].Code != "type_uid_mismatch" || e[0].Message == "" {
		t.Errorf("errors %+v", e)
	}
}

func TestStrictFlag(t *testing.T) {
	in := filepath.Join("..", "..", "ocsf", "testdata", "invalid", "unknown-attribute-strict.json")
	code, reps, _ := runCmd(t, "", in)
	if code != 0 || len(reps[0].Errors) != 0 || len(reps[0].Warnings) != 2 {
		t.Errorf("compatible: exit %d, %+v", code, reps)
	}
	code, reps, _ = runCmd(t, "", "-strict", in)
	if code != 1 || len(reps[0].Errors) != 2 {
		t.Errorf("strict: exit %d, %+v", code, reps)
	}
}

func TestStdinJSONLinesAndEnvelope(t *testing.T) {
	finding, err := os.ReadFile(filepath.Join("..", "..", "ocsf", "testdata", "invalid", "wrong-type-uid.json"))
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, finding); err != nil {
		t.Fatal(err)
	}
	env := `{"version":"0","id":"1","detail-type":"Findings Imported V2","source":"aws.securityhub","account":"210987654321",` +
		`"time":"2026-01-01T10:00:00Z","region":"eu-central-1","resources":[],"detail":{"findings":[` + compact.String() + `,{"class_uid":2004}]}}`
	code, reps, _ := runCmd(t, compact.String()+"\n"+env+"\n")
	if code != 1 || len(reps) != 3 {
		t.Fatalf("exit %d, reports %+v", code, reps)
	}
	if reps[0].File != "-" || reps[1].Index != 0 || reps[2].Index != 1 || reps[2].ClassUID != 2004 || len(reps[2].Errors) == 0 {
		t.Errorf("reports %+v", reps)
	}
	// Not JSON at all: one report with the syntax problem.
	code, reps, _ = runCmd(t, `{"class_uid": 20`)
	if code != 1 || len(reps) != 1 || reps[0].Errors[0].Code != "json" {
		t.Errorf("truncated input: exit %d, %+v", code, reps)
	}
}

func TestUsageErrors(t *testing.T) {
	if code, _, stderr := runCmd(t, "", "-nope"); code != 2 || !strings.Contains(stderr, "usage") {
		t.Errorf("bad flag: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, "", filepath.Join(t.TempDir(), "missing.json")); code != 2 || stderr == "" {
		t.Errorf("missing file: exit %d, stderr %q", code, stderr)
	}
}
