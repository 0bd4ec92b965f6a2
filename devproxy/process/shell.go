package process

import (
	"runtime"
	"strings"
)

// Commands run through the platform's shell: sh -c on unix, cmd.exe on
// Windows, where sh exists only with Git for Windows or MSYS and cmd.exe
// always does (npm runs scripts with it too).
const onWindows = runtime.GOOS == "windows"

// shellReportsSignals: sh reports a command killed by signal N as exit
// status 128+N; cmd.exe's exit codes carry no signal.
const shellReportsSignals = !onWindows

// CommandLine joins words into one command for the shell Start runs
// commands with, quoting each word that needs it so the shell passes it
// on unchanged: `devproxy -- npm run dev --port 5173` runs exactly that.
func CommandLine(words []string) string {
	quote := shQuote
	if onWindows {
		quote = cmdQuote
	}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = quote(w)
	}
	return strings.Join(quoted, " ")
}

// plainWord reports whether s is made only of characters that mean
// nothing to sh and cmd.exe, and of extra.
func plainWord(s, extra string) bool {
	return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+"+extra) == ""
}

// shQuote leaves plain words alone and single-quotes the rest for sh.
func shQuote(s string) string {
	if plainWord(s, "%,") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cmdQuote leaves plain words alone and escapes the rest twice: for the
// program's argument parser (the C runtime's rules, which Go and Node
// follow: quoted, with backslashes doubled before a quote), then for
// cmd.exe, which reads ^ as "the next character is plain text" (so it
// never sees a quote, & | < > or %VAR% of the word). A batch file such as
// npm.cmd parses its arguments once more; words with these characters may
// reach it changed. Adapted from https://qntm.org/cmd, as cross-spawn does.
func cmdQuote(s string) string {
	if plainWord(s, "") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			slashes++
			continue
		case '"':
			b.WriteString(strings.Repeat(`\`, 2*slashes+1))
			b.WriteByte(c)
		default:
			b.WriteString(strings.Repeat(`\`, slashes))
			b.WriteByte(c)
		}
		slashes = 0
	}
	b.WriteString(strings.Repeat(`\`, 2*slashes))
	b.WriteByte('"')
	var out strings.Builder
	for _, c := range []byte(b.String()) {
		if strings.IndexByte(cmdMetaChars, c) >= 0 {
			out.WriteByte('^')
		}
		out.WriteByte(c)
	}
	return out.String()
}

// cmdMetaChars are the characters cmd.exe gives a meaning to on a command
// line (https://www.robvanderwoude.com/escapechars.php).
const cmdMetaChars = "()[]%!^\"`<>&|;, *?"

// cmdShellLine is the command line that runs command with cmd.exe: /d
// skips AutoRun scripts, and /s /c runs the text between the outer quotes
// as typed, as npm and Node's shell option do.
func cmdShellLine(command string) string {
	return `cmd /d /s /c "` + command + `"`
}
