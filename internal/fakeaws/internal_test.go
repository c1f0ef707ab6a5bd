package fakeaws

import (
	"net/url"
	"testing"
)

func TestWildcardMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"web-*", "web-1", true},
		{"web-*", "db-1", false},
		{"i-?2", "i-12", true},
		{"i-?2", "i-2", false},
		{"*prod*", "eu-prod-1", true},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestDecodeAWSChunked(t *testing.T) {
	t.Parallel()
	got, err := decodeAWSChunked([]byte("5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n"))
	if err != nil || string(got) != "hello world" {
		t.Fatalf("decodeAWSChunked = %q, %v", got, err)
	}
	if _, err := decodeAWSChunked([]byte("zz\r\n")); err == nil {
		t.Error("bad size accepted")
	}
	if _, err := decodeAWSChunked([]byte("10\r\nshort")); err == nil {
		t.Error("short chunk accepted")
	}
}

func TestPageTokenIsBoundToOperationAndAccount(t *testing.T) {
	t.Parallel()
	c := &call{svc: ServiceEC2, action: "DescribeInstances", account: "111111111111", form: url.Values{}}
	tok := pageToken(c, 7)
	if n, err := parsePageToken(c, tok); err != nil || n != 7 {
		t.Fatalf("round trip = %d, %v", n, err)
	}
	other := &call{svc: ServiceEC2, action: "DescribeVolumes", account: "111111111111"}
	if _, err := parsePageToken(other, tok); err == nil || err.Code != "InvalidParameterValue" {
		t.Errorf("token of another operation: %v", err)
	}
	asg := &call{svc: ServiceAutoScaling, action: "DescribeAutoScalingInstances", account: "111111111111"}
	if _, err := parsePageToken(asg, "garbage!"); err == nil || err.Code != "InvalidNextToken" {
		t.Errorf("garbage token: %v", err)
	}
}
