package remediate_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ocsfhub/ocsfhub/remediate"
)

// The listener recognises permanent Sink errors structurally, through a
// Permanent() bool method anywhere in the chain, because remediate may not be
// imported by it.
func TestClassErrorPermanentMethod(t *testing.T) {
	type permanent interface{ Permanent() bool }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"permanent", remediate.Permanent(errors.New("bad input")), true},
		{"wrapped permanent", fmt.Errorf("accept: %w", remediate.Permanent(errors.New("bad input"))), true},
		{"transient", remediate.Transient(errors.New("disk busy")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p permanent
			if !errors.As(tt.err, &p) {
				t.Fatalf("%v has no Permanent method in its chain", tt.err)
			}
			if got := p.Permanent(); got != tt.want {
				t.Fatalf("Permanent() = %v, want %v", got, tt.want)
			}
		})
	}
}
