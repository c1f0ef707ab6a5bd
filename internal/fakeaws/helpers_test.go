package fakeaws_test

import (
	"errors"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/ocsfhub/ocsfhub/internal/fakeaws"
)

const (
	admin  = "111111111111"
	member = "222222222222"
	region = "eu-west-1"
)

// newServer starts a server that is closed when the test ends.
func newServer(t testing.TB, opts fakeaws.Options) *fakeaws.Server {
	t.Helper()
	srv := fakeaws.New(opts)
	t.Cleanup(srv.Close)
	return srv
}

// apiCode returns the AWS error code of err ("" when it carries none).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wantCode fails the test unless err carries the AWS error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := apiCode(err); got != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

// must fails the test on an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
