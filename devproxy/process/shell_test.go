package process

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// awkwardWords are words a user may type after `devproxy --`.
var awkwardWords = []string{
	"npm", "run", "dev", "--port=5173", "", "two words", `it's`, `say "hi"`, `a\b`, `dir\`, `dir\\`, `\"`, `a\"b c`, `say \\"x y\\"`,
	"a&b", "a|b", "<in>", "(x)", "100%", "%PATH%", "!x!", "^", "a;b", "a,b", "*.js", "$HOME", "`x`", "tab\there",
	`C:\Program Files\nodejs\node.exe`,
}

// TestCommandLineForShRoundTrips: sh gets back every word as typed.
func TestCommandLineForShRoundTrips(t *testing.T) {
	quoted := make([]string, len(awkwardWords))
	for i, w := range awkwardWords {
		quoted[i] = shQuote(w)
	}
	out, err := exec.Command("sh", "-c", `for w in `+strings.Join(quoted, " ")+`; do printf '%s\0' "$w"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if !slices.Equal(got, awkwardWords) {
		t.Errorf("sh read back\n%q\nwant\n%q", got, awkwardWords)
	}
	if got, want := CommandLine([]string{"npm", "run", "two words"}), "npm run 'two words'"; !onWindows && got != want {
		t.Errorf("CommandLine = %s, want %s", got, want)
	}
}

// TestCmdQuoteRoundTrips runs what cmd.exe does with a command line (drop
// each ^ and keep the character after it, outside quotes) and then what
// the C runtime's parser does (Go's copy of it), and expects the words
// back, with no quote or & | < > left for cmd.exe to act on.
func TestCmdQuoteRoundTrips(t *testing.T) {
	for _, w := range awkwardWords {
		q := cmdQuote(w)
		seen := cmdCaretPass(t, q)
		args := windowsArgv(seen)
		if len(args) != 1 || args[0] != w {
			t.Errorf("cmdQuote(%q) = %s; cmd.exe passes %s, parsed as %q, want [%q]", w, q, seen, args, w)
		}
	}
	if got := cmdQuote("npm"); got != "npm" {
		t.Errorf("cmdQuote(npm) = %s, want it unquoted", got)
	}
	if got, want := cmdShellLine("npm run dev"), `cmd /d /s /c "npm run dev"`; got != want {
		t.Errorf("cmdShellLine = %s, want %s", got, want)
	}
}

// cmdCaretPass removes cmd.exe's escapes from a line it would run, failing
// if cmd.exe would see an unescaped quote or operator.
func cmdCaretPass(t *testing.T, line string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '^' && i+1 < len(line) {
			i++
			b.WriteByte(line[i])
			continue
		}
		if strings.IndexByte(`"&|<>()%!^`, c) >= 0 {
			t.Errorf("cmd.exe would act on %q in %s", c, line)
		}
		b.WriteByte(c)
	}
	return b.String()
}

// windowsArgv splits a command line as the C runtime and Go on Windows do.
// Adapted from golang/go src/os/exec_windows.go (readNextArg, Go 1.26).
func windowsArgv(cmd string) []string {
	var args []string
	for len(cmd) > 0 {
		if cmd[0] == ' ' || cmd[0] == '\t' {
			cmd = cmd[1:]
			continue
		}
		var b []byte
		inquote, nslash := false, 0
	arg:
		for ; len(cmd) > 0; cmd = cmd[1:] {
			c := cmd[0]
			switch c {
			case ' ', '\t':
				if !inquote {
					break arg
				}
			case '"':
				b = append(b, strings.Repeat(`\`, nslash/2)...)
				if nslash%2 == 0 {
					if inquote && len(cmd) > 1 && cmd[1] == '"' {
						b = append(b, c)
						cmd = cmd[1:]
					}
					inquote = !inquote
				} else {
					b = append(b, c)
				}
				nslash = 0
				continue
			case '\\':
				nslash++
				continue
			}
			b = append(b, strings.Repeat(`\`, nslash)...)
			nslash = 0
			b = append(b, c)
		}
		args = append(args, string(append(b, strings.Repeat(`\`, nslash)...)))
	}
	return args
}
