package ocsfgen

import (
	"html"
	"regexp"
	"strings"
)

var (
	reBreak = regexp.MustCompile(`(?i)<\s*(br|/?p|/?li|/?ul|/?ol)\s*/?>`)
	reTag   = regexp.MustCompile(`<[^>]*>`)
	reSpace = regexp.MustCompile(`\s+`)
)

// plainText turns a schema description (HTML fragments) into one line of
// plain text.
func plainText(s string) string {
	s = reBreak.ReplaceAllString(s, " ")
	s = reTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = strings.ReplaceAll(s, "\u00a0", " ")
	s = reSpace.ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}

// sentence makes sure s ends with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	switch s[len(s)-1] {
	case '.', '!', '?', ':':
		return s
	}
	return s + "."
}

// comment formats paragraphs as a Go comment with the given indentation,
// wrapping lines at about 80 columns. Empty paragraphs are skipped.
func comment(indent string, paragraphs ...string) string {
	var b strings.Builder
	first := true
	for _, p := range paragraphs {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !first {
			b.WriteString(indent + "//\n")
		}
		first = false
		line := ""
		for _, w := range strings.Fields(p) {
			if line != "" && len(line)+1+len(w) > 76 {
				b.WriteString(indent + "// " + line + "\n")
				line = ""
			}
			if line == "" {
				line = w
			} else {
				line += " " + w
			}
		}
		if line != "" {
			b.WriteString(indent + "// " + line + "\n")
		}
	}
	return b.String()
}
