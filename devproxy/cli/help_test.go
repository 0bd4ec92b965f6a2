package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// main runs the command line without changing directory (help needs none)
// and returns exit status, stdout, stderr.
func runMain(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, Options{Stdout: &out, Stderr: &errOut, Assets: os.DirFS("../../static")})
	return code, out.String(), errOut.String()
}

// TestHelpGolden checks every help text against testdata/help/<name>.golden
// (refresh with go test -run HelpGolden -update), asked for in every way
// the command line accepts, and that no help has an empty section.
func TestHelpGolden(t *testing.T) {
	cases := map[string][][]string{ // golden name → the ways to ask for it
		"devproxy": {{"--help"}, {"-h"}, {"help"}},
	}
	for _, cmd := range commands() {
		if cmd.name != "help" {
			cases[cmd.name] = [][]string{{cmd.name, "--help"}, {cmd.name, "-h"}, {"help", cmd.name}}
		}
	}
	for name, ways := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			golden := filepath.Join("testdata", "help", name+".golden")
			for i, args := range ways {
				code, out, errOut := runMain(args...)
				if code != exitOK || errOut != "" {
					t.Errorf("devproxy %s: exit %d, stderr %q; want 0 and help on stdout only", strings.Join(args, " "), code, errOut)
				}
				if i == 0 && *update {
					if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if out != string(want) {
					t.Errorf("devproxy %s:\n got:\n%s\nwant:\n%s", strings.Join(args, " "), out, want)
				}
				checkHelpShape(t, out)
			}
		})
	}
}

// checkHelpShape fails on a section heading with nothing under it and on
// trailing blanks (an empty argument list once left "Usage: devproxy version ").
func checkHelpShape(t *testing.T, help string) {
	t.Helper()
	if m := regexp.MustCompile(`(?m)^\S.*:\n(\n|$)`).FindString(help); m != "" {
		t.Errorf("empty section %q in:\n%s", strings.TrimSpace(m), help)
	}
	if regexp.MustCompile(`(?m)[ \t]$`).MatchString(help) {
		t.Errorf("a line ends in blanks:\n%q", help)
	}
}

// TestHelpAfterAMistake: a wrong flag or command prints the error, then the
// help, to stderr, and exits 2.
func TestHelpAfterAMistake(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"check", "--nope"}, []string{"flag provided but not defined: -nope", "Usage: devproxy check [flags]"}},
		{[]string{"help", "nope"}, []string{`devproxy help: unknown command "nope"`, "Commands:"}},
		{[]string{"nope"}, []string{`devproxy: unknown command "nope"`, "Flags (serve):"}},
		{[]string{"version", "extra"}, []string{`devproxy version: unexpected argument "extra"`, "Usage: devproxy version\n"}},
		{[]string{"export"}, []string{"devproxy export: name the engine: nginx or caddy\n\nUsage: devproxy export nginx|caddy [flags]", "--server-name NAME"}},
		{[]string{"export", "apache"}, []string{`devproxy export: "apache" is not an engine`, "Usage: devproxy export nginx|caddy [flags]"}},
		{[]string{"export", "nginx", "caddy"}, []string{`devproxy export: "nginx caddy" is not an engine`, "Usage: devproxy export nginx|caddy [flags]"}},
		{[]string{"which"}, []string{"devproxy which: want exactly one path", "Usage: devproxy which [flags] PATH"}},
		{[]string{"doctor"}, []string{"devproxy doctor: want exactly one URL", "Usage: devproxy doctor"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runMain(tt.args...)
			if code != exitUsage || out != "" {
				t.Errorf("exit %d stdout %q, want 2 and nothing on stdout", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}
