package project

import (
	"regexp"
	"strings"
)

// A few heuristics for reading JavaScript config files (vite.config.ts,
// webpack.config.js, next.config.js, setupProxy.js) as text. devproxy init
// never executes project code: it finds object literals by key, balances
// their brackets (skipping strings and comments) and reads literal values.
// Anything computed is reported as not inferred.

// jsBalanced returns the text between the bracket at src[open] and its
// match, and the index just past the match; ok is false if unbalanced.
func jsBalanced(src string, open int) (inner string, end int, ok bool) {
	depth := 0
	for i := open; i < len(src); i++ {
		switch c := src[i]; c {
		case '\'', '"', '`':
			i = jsSkipString(src, i)
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				if nl := strings.IndexByte(src[i:], '\n'); nl >= 0 {
					i += nl
				} else {
					i = len(src)
				}
			} else if i+1 < len(src) && src[i+1] == '*' {
				if e := strings.Index(src[i+2:], "*/"); e >= 0 {
					i += e + 3
				} else {
					i = len(src)
				}
			}
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
			if depth == 0 {
				return src[open+1 : i], i + 1, true
			}
		}
	}
	return "", len(src), false
}

// jsSkipString returns the index of the quote closing the string at src[i].
func jsSkipString(src string, i int) int {
	q := src[i]
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case q:
			return j
		case '\n':
			if q != '`' {
				return j // an unterminated quote: not a string after all (a regexp, say)
			}
		}
	}
	return len(src)
}

// jsObject finds `key: {` (or `key: [`) in src and returns the literal's inside.
func jsObject(src, key string) (string, bool) {
	re := regexp.MustCompile(`(?:^|[^\w$.])["']?` + regexp.QuoteMeta(key) + `["']?\s*:\s*([{\[])`)
	m := re.FindStringSubmatchIndex(src)
	if m == nil {
		return "", false
	}
	inner, _, ok := jsBalanced(src, m[2])
	return inner, ok
}

// jsEntry is one `key: value` of an object literal, or one element of an array.
type jsEntry struct {
	Key, Value string
}

// jsEntries splits an object or array literal's inside at its top-level commas.
func jsEntries(inner string) []jsEntry {
	var out []jsEntry
	start := 0
	flush := func(end int) {
		part := strings.TrimSpace(stripJSComments(inner[start:end]))
		start = end + 1
		if part == "" {
			return
		}
		colon := topLevelColon(part)
		if colon < 0 {
			out = append(out, jsEntry{Value: part})
			return
		}
		out = append(out, jsEntry{Key: jsUnquote(strings.TrimSpace(part[:colon])), Value: strings.TrimSpace(part[colon+1:])})
	}
	for i := 0; i < len(inner); i++ {
		switch inner[i] {
		case '\'', '"', '`':
			i = jsSkipString(inner, i)
		case '/':
			if i+1 < len(inner) && inner[i+1] == '/' { // a comment: its commas separate nothing
				if nl := strings.IndexByte(inner[i:], '\n'); nl >= 0 {
					i += nl
				} else {
					i = len(inner)
				}
			}
		case '{', '[', '(':
			_, end, ok := jsBalanced(inner, i)
			if !ok {
				flush(len(inner))
				return out
			}
			i = end - 1
		case ',':
			flush(i)
		}
	}
	flush(len(inner))
	return out
}

// topLevelColon is the index of the colon separating a key from its value.
func topLevelColon(part string) int {
	for i := 0; i < len(part); i++ {
		switch part[i] {
		case '\'', '"', '`':
			i = jsSkipString(part, i)
		case ':':
			return i
		case '{', '[', '(', '=':
			return -1 // a value such as an arrow function or an array, not key: value
		}
	}
	return -1
}

var jsLineComment = regexp.MustCompile(`(?m)^\s*//.*$`)

func stripJSComments(s string) string { return jsLineComment.ReplaceAllString(s, "") }

// jsUnquote returns the text of a string literal without interpolation, or
// s itself when it is a bare identifier.
func jsUnquote(s string) string {
	if v, ok := jsString(s); ok {
		return v
	}
	return s
}

// jsString reports whether v is a plain string literal and returns its text.
func jsString(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) < 2 || (v[0] != '\'' && v[0] != '"' && v[0] != '`') || v[len(v)-1] != v[0] {
		return "", false
	}
	s := v[1 : len(v)-1]
	if v[0] == '`' && strings.Contains(s, "${") {
		return "", false // computed
	}
	if strings.ContainsRune(s, rune(v[0])) && !strings.Contains(s, `\`) {
		return "", false // two literals joined, not one
	}
	return strings.ReplaceAll(s, `\/`, `/`), true
}

// jsField returns the value of key among entries.
func jsField(entries []jsEntry, key string) (string, bool) {
	for _, e := range entries {
		if e.Key == key {
			return e.Value, true
		}
	}
	return "", false
}

// jsStrings returns the string literals of an array literal's value, or a
// single string literal.
func jsStrings(v string) []string {
	v = strings.TrimSpace(v)
	if s, ok := jsString(v); ok {
		return []string{s}
	}
	if !strings.HasPrefix(v, "[") {
		return nil
	}
	inner, _, ok := jsBalanced(v, 0)
	if !ok {
		return nil
	}
	var out []string
	for _, e := range jsEntries(inner) {
		if s, ok := jsString(e.Value); ok {
			out = append(out, s)
		}
	}
	return out
}
