package config

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a config file, with where it is, what was
// expected and, when there is one, a line to paste that fixes it.
type Error struct {
	File string
	Line int // 1-based; always ≥ 1
	Col  int // 1-based; always ≥ 1
	Msg  string
	Want string // optional: what would be accepted
	// Fix is optional: the text that replaces line Line to fix the
	// problem, itself valid TOML in its place; several lines are
	// separated by "\n".
	Fix string
	// Excerpt is an optional multi-line excerpt with a caret (TOML syntax errors).
	Excerpt string
}

// Error formats the error as file:line:col: message, then the want:,
// fix: and excerpt lines.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	if e.Want != "" {
		fmt.Fprintf(&b, "\n    want: %s", e.Want)
	}
	if e.Fix != "" {
		fmt.Fprintf(&b, "\n    fix:  %s", strings.ReplaceAll(e.Fix, "\n", "\n          "))
	}
	if e.Excerpt != "" {
		for _, l := range strings.Split(strings.TrimRight(e.Excerpt, "\n"), "\n") {
			b.WriteString(strings.TrimRight("\n    "+l, " \t"))
		}
	}
	return b.String()
}

// Errors is every problem found in one config file, sorted by position.
type Errors []*Error

// Error joins the errors, one per block, in file order.
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
}

// Unwrap lets errors.As find the individual errors.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// suggest returns the candidate closest to got, or "" when none is close
// enough to be a plausible typo.
func suggest(got string, candidates []string) string {
	best, bestDist := "", len(got)/2+2
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(got), c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
