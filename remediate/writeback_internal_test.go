package remediate

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestComment(t *testing.T) {
	c := comment("ocsfhub", "p-1", strings.Repeat("é", 400))
	if len(c) > MaxCommentLen || !utf8.ValidString(c) {
		t.Fatalf("comment of %d bytes, valid UTF-8 %v", len(c), utf8.ValidString(c))
	}
	if id, ok := planFromComment("ocsfhub", c); !ok || id != "p-1" {
		t.Fatalf("planFromComment = %q %v", id, ok)
	}
	for _, s := range []string{"", "ocsfhub plan=p-1", "[ocsfhub plan=]", "[ocsfhub plan=p-1", "[other plan=p-1] x"} {
		if id, ok := planFromComment("ocsfhub", s); ok {
			t.Errorf("planFromComment(%q) = %q", s, id)
		}
	}
}

// FuzzFindingComment: the comment of a finding is untrusted input; parsing
// it never panics, and what we write parses back.
func FuzzFindingComment(f *testing.F) {
	f.Add("p-0123", "In progress")
	f.Add("", "[ocsfhub plan=x]")
	f.Add("p]1", "résumé")
	f.Fuzz(func(t *testing.T, planID, text string) {
		c := comment("ocsfhub", planID, text)
		if len(c) > MaxCommentLen {
			t.Fatalf("comment too long: %d", len(c))
		}
		if id, ok := planFromComment("ocsfhub", c); ok && !strings.HasPrefix(planID, id) {
			t.Fatalf("comment %q gave plan %q, wrote %q", c, id, planID)
		}
		_, _ = planFromComment("ocsfhub", text)
		_, _, _ = findingAnnotations([]byte(`{"comment":` + text + `}`))
	})
}
