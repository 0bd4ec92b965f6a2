package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestConfigErrorsGolden checks the full text of every config error (or,
// for a valid config, every warning) against testdata/config/<case>.golden
// (refresh with go test -run Golden -update).
func TestConfigErrorsGolden(t *testing.T) {
	for path, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			problems := loadProblems(t, path)
			if len(problems) == 0 {
				t.Fatalf("Load(%s) found neither an error nor a warning", path)
			}
			for _, ce := range problems {
				if ce.Line < 1 || ce.Col < 1 {
					t.Errorf("error without a position: %v", ce)
				}
			}
			got := problems.Error() + "\n"
			golden := strings.TrimSuffix(path, ".toml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("errors for %s:\n got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestREADMEShowsRealErrors: the errors README shows are what devproxy
// prints for testdata/config/readme.toml.
func TestREADMEShowsRealErrors(t *testing.T) {
	golden, err := os.ReadFile("testdata/config/readme.golden")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(string(golden), "testdata/config/readme.toml", DefaultFile)
	if !strings.Contains(string(readme), want) {
		t.Errorf("README's config error example is not what devproxy prints; want:\n%s", want)
	}
}

// TestFixLinesAreDropInReplacements pastes each fix: line of every golden
// case over the line its error points at, and parses the result: it must
// be valid TOML, the error must be gone, and no new error may appear.
func TestFixLinesAreDropInReplacements(t *testing.T) {
	fixes := 0
	for path, name := range goldenCases(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		problems := loadProblems(t, path)
		before := map[string]int{}
		for _, ce := range problems {
			before[ce.Msg]++
		}
		for _, ce := range problems {
			if ce.Fix == "" {
				continue
			}
			fixes++
			lines := strings.Split(string(src), "\n")
			lines[ce.Line-1] = ce.Fix
			fixed := strings.Join(lines, "\n")
			cfg, err := Parse(path, []byte(fixed), os.LookupEnv)
			var after Errors
			switch {
			case err == nil:
				after = cfg.Warnings
			case !errors.As(err, &after):
				t.Fatalf("%s: %v", name, err)
			}
			left := map[string]int{}
			for _, e := range after {
				left[e.Msg]++
				switch {
				case strings.HasPrefix(e.Msg, "invalid TOML"):
					t.Errorf("%s line %d: the fix %q does not parse: %s", name, ce.Line, ce.Fix, e.Msg)
				case before[e.Msg] == 0:
					t.Errorf("%s line %d: the fix %q causes a new error: %s", name, ce.Line, ce.Fix, e)
				}
			}
			if left[ce.Msg] >= before[ce.Msg] {
				t.Errorf("%s line %d: after the fix %q the error is still there: %s", name, ce.Line, ce.Fix, ce.Msg)
			}
		}
	}
	if fixes < 20 {
		t.Errorf("only %d fix lines checked; the golden cases should exercise more", fixes)
	}
}

// goldenCases maps each testdata/config/*.toml to its case name.
func goldenCases(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob("testdata/config/*.toml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	cases := map[string]string{}
	for _, p := range paths {
		cases[p] = strings.TrimSuffix(filepath.Base(p), ".toml")
	}
	return cases
}

// loadProblems loads path and returns its errors, or its warnings when it
// is valid.
func loadProblems(t *testing.T, path string) Errors {
	t.Helper()
	cfg, err := Load(path)
	if err == nil {
		return cfg.Warnings
	}
	var ces Errors
	if !errors.As(err, &ces) {
		t.Fatalf("Load(%s) error is %T, want Errors: %v", path, err, err)
	}
	return ces
}

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := Load("../../devproxy.toml.example")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(cfg.RoutePaths(), " "), "/api /github /health /public-api"; got != want {
		t.Errorf("routes = %q, want %q", got, want)
	}
	if cfg.Frontend.DevServer != "http://localhost:5173" {
		t.Errorf("dev_server = %q", cfg.Frontend.DevServer)
	}
	var api Route
	for _, rt := range cfg.Routes {
		if rt.Path == "/api" {
			api = rt
		}
	}
	if api.Rewrite == nil || api.Rewrite.To != "/api/v2/$1" || api.Timeout != 30*time.Second || api.Cookies != "rewrite" {
		t.Errorf("/api route = %+v", api)
	}
}

func TestParseDefaultsAndNormalisation(t *testing.T) {
	cfg, err := Parse("t.toml", []byte(`
[routes]
"/api/" = "ws://localhost:8080/base"
"/" = "http://localhost:9000"
[routes."/x"]
target = "wss://example.test"
timeout = "2s"
headers = { "x-api-key" = "${KEY}", "X-Plain" = "v" }
`), func(k string) (string, bool) { return map[string]string{"KEY": "s3cret-value"}[k], k == "KEY" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "localhost:3000" || cfg.Retry != 5*time.Second || cfg.Timeout != 30*time.Second {
		t.Errorf("defaults: listen %q retry %v timeout %v", cfg.Listen, cfg.Retry, cfg.Timeout)
	}
	byPath := map[string]Route{}
	for _, rt := range cfg.Routes {
		byPath[rt.Path] = rt
	}
	if rt, ok := byPath["/api"]; !ok || rt.Target != "http://localhost:8080/base" {
		t.Errorf(`"/api/" normalised to %+v, want path /api target http://localhost:8080/base`, byPath)
	}
	x := byPath["/x"]
	if x.Target != "https://example.test" || x.Timeout != 2*time.Second || x.Retry != 5*time.Second || x.Cookies != "rewrite" || x.Redirects != "rewrite" {
		t.Errorf("/x = %+v", x)
	}
	if x.Headers["X-Api-Key"] != "s3cret-value" || !x.SecretHeaders["X-Api-Key"] || x.SecretHeaders["X-Plain"] {
		t.Errorf("headers %v secret %v", x.Headers, x.SecretHeaders)
	}
	if got := x.HeaderTemplates; len(got) != 1 || got["X-Api-Key"] != "${KEY}" {
		t.Errorf("header templates %v, want only X-Api-Key = ${KEY} (as written, unexpanded)", got)
	}
	if _, ok := byPath["/"]; !ok {
		t.Error("root route missing")
	}
}

func TestParseWarnings(t *testing.T) {
	cfg, err := Parse("w.toml", []byte(`allowed_origins = ["*"]
[routes."/a"]
target = "http://localhost:1"
[routes."/a".cors]
allow_origins = ["http://localhost:5173"]
max_age = 86400
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, w := range cfg.Warnings {
		msgs = append(msgs, w.Error())
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{`w.toml:1:1: allowed_origins allows every origin`, `w.toml:6:1: route "/a": max_age 86400 is more than Chromium honours (7200 s)`} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings:\n%s\nwant one containing %q", got, want)
		}
	}
	if cfg.Routes[0].CORS.MaxAge != 7200 {
		t.Errorf("max_age = %d, want capped 7200", cfg.Routes[0].CORS.MaxAge)
	}
}

func TestStaticRelativeToConfigFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "dist"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "devproxy.toml")
	if err := os.WriteFile(path, []byte("[frontend]\nstatic = \"dist\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // somewhere else: the path must not depend on the working directory
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "dist"); cfg.Frontend.Static != want {
		t.Errorf("static = %q, want %q", cfg.Frontend.Static, want)
	}
	if !cfg.Frontend.SPA {
		t.Error("spa should default to true")
	}
}

// FuzzParseConfig: the parser never panics, and every error it returns is
// a Errors whose entries have a position.
func FuzzParseConfig(f *testing.F) {
	example, err := os.ReadFile("../../devproxy.toml.example")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	cases, _ := filepath.Glob("testdata/config/*.toml")
	for _, c := range cases {
		b, _ := os.ReadFile(c)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fuzz.toml", data, nil)
		if err == nil {
			return
		}
		var ces Errors
		if !errors.As(err, &ces) || len(ces) == 0 {
			t.Fatalf("error %T is not Errors: %v", err, err)
		}
		for _, ce := range ces {
			if ce.Line < 1 || ce.Col < 1 {
				t.Fatalf("error without position: %v", ce)
			}
		}
	})
}
