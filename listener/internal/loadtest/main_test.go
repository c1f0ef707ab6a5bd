package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunSmall(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-duration", "200ms", "-rate", "200", "-concurrency", "4", "-nofsync"}, &out); err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, "listener ") || strings.HasPrefix(l, "baseline ") {
			results = append(results, l)
		}
	}
	if len(results) != 4 {
		t.Fatalf("want 4 result lines:\n%s", out.String())
	}
	for _, l := range results {
		if !strings.Contains(l, "req/s") || !strings.Contains(l, " fail=0 ") || strings.Contains(l, " ok=0 ") {
			t.Errorf("bad result line: %s", l)
		}
	}
}

func TestRunRejectsUnboundedRuns(t *testing.T) {
	for _, args := range [][]string{{"-duration", "2m"}, {"-rate", "50000"}, {"-concurrency", "0"}, {"-target", "nope", "-duration", "10ms"}} {
		if err := run(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
