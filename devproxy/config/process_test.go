package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseProcesses(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DefaultFile)
	src := `
[frontend]
dev_server = "http://localhost:5173"
command = "npm run dev"

[[process]]
name = "api"
command = "go run ."
dir = "api"
env = { PORT = "8080" }
ready = 8080

[[process]]
command = "node worker.js"
ready = "http://localhost:9000/health"
`
	cfg, err := Parse(path, []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	ps := cfg.Commands()
	if len(ps) != 3 {
		t.Fatalf("got %d processes, want 3: %+v", len(ps), ps)
	}
	checks := []struct{ name, got, want string }{
		{"frontend name", ps[0].Name, "frontend"},
		{"frontend command", ps[0].Command, "npm run dev"},
		{"frontend ready", ps[0].Ready, "localhost:5173"},
		{"frontend dir", ps[0].Dir, dir},
		{"api dir", ps[1].Dir, filepath.Join(dir, "api")},
		{"api env", strings.Join(ps[1].Env, ","), "PORT=8080"},
		{"api ready", ps[1].Ready, "localhost:8080"},
		{"worker name", ps[2].Name, "node"},
		{"worker dir", ps[2].Dir, dir},
		{"worker ready", ps[2].Ready, "http://localhost:9000/health"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestReloadKeepsRunningCommands(t *testing.T) {
	api := Process{Name: "api", Command: "go run ."}
	tests := []struct {
		name           string
		running, saved Config
		wantKeys       string
	}{
		{"unchanged", Config{Processes: []Process{api}}, Config{Processes: []Process{api}}, ""},
		{"frontend command edited", Config{Frontend: Frontend{Command: "npm run dev"}}, Config{Frontend: Frontend{Command: "pnpm dev"}}, "frontend.command"},
		{"command from the command line", Config{Frontend: Frontend{Command: "npm run dev"}, Overrides: Overrides{DevCommand: "npm run dev"}}, Config{}, ""},
		{"process added", Config{}, Config{Processes: []Process{api}}, "process"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			for _, rk := range KeepRunning(&tt.running, &tt.saved) {
				keys = append(keys, rk.Key)
			}
			if got := strings.Join(keys, ","); got != tt.wantKeys {
				t.Errorf("restart keys = %q, want %q", got, tt.wantKeys)
			}
			if tt.saved.Frontend.Command != tt.running.Frontend.Command || !sameProcesses(tt.saved.Processes, tt.running.Processes) {
				t.Errorf("applied config runs %q %v, want what is running: %q %v", tt.saved.Frontend.Command, tt.saved.Processes, tt.running.Frontend.Command, tt.running.Processes)
			}
		})
	}
}
