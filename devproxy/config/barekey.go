package config

import (
	"fmt"
	"regexp"
	"strings"
)

// A route path copied from a JavaScript proxy config ('/api': ...) or
// typed as in a URL is not a TOML bare key: TOML stops at the "/" with
// "expected '.' or '='", pointing past it. Such keys are recognised here,
// after the TOML parser has failed, so the error points at the key and
// the fix quotes it.

var (
	// bareRouteKey is a key = value line whose key starts with "/".
	bareRouteKey = regexp.MustCompile(`^([ \t]*)(/[^\s=#"']*)[ \t]*=`)
	// bareRouteHeader is [routes./api] or [routes./api.cors].
	bareRouteHeader = regexp.MustCompile(`^[ \t]*\[[ \t]*routes[ \t]*\.[ \t]*(/[^\s\]."'#]*)`)
	// tableHeader is any [table] or [[array]] header line.
	tableHeader = regexp.MustCompile(`^[ \t]*\[\[?[ \t]*([^\]]*?)[ \t]*\]`)
)

// quoteBareRouteKey recognises line n (1-based) of lines as an unquoted
// route path and returns the error for it and the line with the path
// quoted; ok is false when the line is something else.
func quoteBareRouteKey(file string, lines []string, n int) (e *Error, fixed string, ok bool) {
	line := lines[n-1]
	if m := bareRouteHeader.FindStringSubmatchIndex(line); m != nil {
		key := line[m[2]:m[3]]
		fixed = line[:m[2]] + quote(key) + line[m[3]:]
		return &Error{File: file, Line: n, Col: m[2] + 1,
			Msg:  fmt.Sprintf("route path %s in a table header must be quoted: a TOML bare key cannot contain \"/\"", key),
			Want: fmt.Sprintf("the path in double quotes: [routes.%s]", quote(key)),
			Fix:  fixed}, fixed, true
	}
	m := bareRouteKey.FindStringSubmatchIndex(line)
	if m == nil || currentTable(lines, n) != "routes" {
		return nil, "", false
	}
	key := line[m[4]:m[5]]
	fixed = line[:m[4]] + quote(key) + line[m[5]:]
	return &Error{File: file, Line: n, Col: m[4] + 1,
		Msg:  fmt.Sprintf("route path %s must be quoted: a TOML bare key cannot contain \"/\"", key),
		Want: fmt.Sprintf("the path in double quotes: %s = \"http://…\" under [routes]", quote(key)),
		Fix:  strings.TrimRight(fixed, " \t\r")}, fixed, true
}

// currentTable is the name of the table line n is in, as written in its
// header without spaces ("routes", `routes."/api"`), or "" at the top.
func currentTable(lines []string, n int) string {
	for i := n - 2; i >= 0; i-- {
		if m := tableHeader.FindStringSubmatch(lines[i]); m != nil {
			return strings.Join(strings.Fields(m[1]), "")
		}
	}
	return ""
}
