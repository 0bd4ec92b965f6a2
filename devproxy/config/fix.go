package config

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// A fix line is a drop-in replacement for the line the error points at:
// pasted over that line, the file parses and the error is gone (the golden
// tests check this for every case). So fixes are built from the user's own
// line — the key as written, the comment after it — with only the wrong
// part replaced. When no such line can be built, an error has no fix and
// its want: line says what to do instead.

// exact returns the position of exactly the key path parts, if it is
// written in the file (not implied by a default or a dotted key).
func (ix keyIndex) exact(parts ...string) (keyPos, bool) {
	p, ok := ix[keyPath(parts...)]
	return p, ok
}

// lineBounds returns the start and end (before the newline) of the line
// holding src[off].
func lineBounds(src string, off int) (start, end int) {
	start = strings.LastIndexByte(src[:off], '\n') + 1
	end = strings.IndexByte(src[off:], '\n')
	if end < 0 {
		return start, len(src)
	}
	return start, off + end
}

// replaceOnLine returns the line holding src[from:to] with that span
// replaced by repl, or "" when the span crosses a line break.
func replaceOnLine(src string, from, to int, repl string) string {
	if from > to || to > len(src) || strings.ContainsAny(src[from:to], "\n") {
		return ""
	}
	start, end := lineBounds(src, from)
	return strings.TrimRight(src[start:from]+repl+src[to:end], " \t\r")
}

// fixValue is the line of the key path with its value replaced by v (TOML
// text), or "" when the value is not a single-line key = value.
func (cr *configReader) fixValue(path []string, v string) string {
	kp, ok := cr.ix.exact(path...)
	if !ok || kp.header || kp.valEnd == 0 {
		return ""
	}
	return replaceOnLine(cr.src, kp.valOff, kp.valEnd, v)
}

// fixKey is the line that defines the key path with the key spelled as
// name instead: key = value with the key replaced, or a table header
// rewritten for the new last part.
func (cr *configReader) fixKey(path []string, name string) string {
	kp, ok := cr.ix.exact(path...)
	if !ok {
		return ""
	}
	if kp.header {
		open, close := "[", "]"
		if strings.HasPrefix(cr.src[kp.keyOff:], "[[") {
			open, close = "[[", "]]"
		}
		renamed := append(append([]string(nil), path[:len(path)-1]...), name)
		return replaceOnLine(cr.src, kp.keyOff, kp.keyEnd, open+DisplayKey(renamed)+close)
	}
	// Only a key written as one part on its line: in a dotted key the
	// part to rename is not the whole span.
	written := cr.src[kp.keyOff:kp.keyEnd]
	if strings.ContainsAny(written, ".") && !isQuotedKey(written) {
		return ""
	}
	return replaceOnLine(cr.src, kp.keyOff, kp.keyEnd, DisplayKey([]string{name}))
}

// isQuotedKey reports whether a written key is one quoted part ("a.b").
func isQuotedKey(s string) bool {
	return len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] && !strings.ContainsRune(s[1:len(s)-1], rune(s[0]))
}

// fixUnderHeader is the table header of path followed by the lines to add
// under it, or "" when the table is not written as a [header].
func (cr *configReader) fixUnderHeader(path []string, add ...string) string {
	kp, ok := cr.ix.exact(path...)
	if !ok || !kp.header {
		return ""
	}
	start, end := lineBounds(cr.src, kp.keyOff)
	return strings.Join(append([]string{strings.TrimRight(cr.src[start:end], " \t\r")}, add...), "\n")
}

// fixBefore is the line that defines path, preceded by the lines in add
// (a key that the table also needs), or "" when the key does not begin
// its line or sits in an inline table.
func (cr *configReader) fixBefore(path []string, add ...string) string {
	kp, ok := cr.ix.exact(path...)
	if !ok || kp.header {
		return ""
	}
	start, end := lineBounds(cr.src, kp.keyOff)
	if strings.TrimSpace(cr.src[start:kp.keyOff]) != "" {
		return ""
	}
	return strings.Join(append(add, strings.TrimRight(cr.src[start:end], " \t\r")), "\n")
}

// lastLine is the number of the file's last line that is not blank, and
// its text.
func lastLine(src string) (int, string) {
	lines := strings.Split(strings.TrimRight(src, " \t\r\n"), "\n")
	return len(lines), strings.TrimRight(lines[len(lines)-1], " \t\r")
}

// quote spells s as a TOML basic string. Go's %q is not one: it writes
// \x escapes, which TOML does not have.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
