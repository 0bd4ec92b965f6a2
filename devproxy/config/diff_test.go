package config

import (
	"slices"
	"strings"
	"testing"
)

func TestDiffConfig(t *testing.T) {
	const base = `
[frontend]
dev_server = "http://localhost:5173"

[routes]
"/api" = "http://localhost:8080"
"/legacy" = "http://localhost:7000"
`
	tests := []struct {
		name       string
		next       string
		want       []string
		retargeted bool
	}{
		{"unchanged, comments only", base + "# a comment\n", nil, false},
		{"added, changed, removed", `
[frontend]
dev_server = "http://localhost:5173"

[routes]
"/api" = "http://localhost:8081"
"/admin" = "http://localhost:9000"
`, []string{
			"+ /admin → http://localhost:9000",
			"~ /api target http://localhost:8080 → http://localhost:8081",
			"- /legacy",
		}, true},
		{"frontend and options", `
timeout = "5s"

[frontend]
dev_server = "http://localhost:3001"

[routes."/api"]
target = "http://localhost:8080"
strip_prefix = true
timeout = "30s"
headers = { "X-Team" = "web" }
redirects = "passthrough"

[routes."/legacy"]
target = "http://localhost:7000"
`, []string{
			"~ timeout 30s → 5s",
			"~ frontend dev server http://localhost:5173 → dev server http://localhost:3001",
			"~ /api strip_prefix false → true",
			"~ /api redirects rewrite → passthrough",
			"~ /api header + X-Team: web",
			"~ /legacy timeout 30s → 5s",
		}, true},
		{"mocks and simulation", `
[simulate]
network = "slow-3g"

[frontend]
dev_server = "http://localhost:5173"

[routes."/api"]
target = "http://localhost:8080"
delay = "300ms"
throttle = "1Mbps"
fail = { rate = 0.25, mode = "reset" }

[routes."/legacy"]
target = "http://localhost:7000"
mock = { status = 503, body = "down for maintenance", headers = { "Retry-After" = "60" } }

[routes."/api/users"]
mock = { status = 200, body = "[]" }
`, []string{
			"~ simulate off → slow-3g delay 2s throttle 400kbps",
			"~ /api delay 0s → 300ms",
			"~ /api throttle off → 1Mbps",
			"~ /api fail off → 25% reset",
			"+ /api/users → mock 200 body (2 bytes)",
			"~ /legacy mock none → 503 body (20 bytes) {Retry-After: 60}",
		}, false},
		{"frontend removed", `
[routes]
"/api" = "http://localhost:8080"
"/legacy" = "http://localhost:7000"
`, []string{"- frontend"}, true},
	}
	old, err := Parse("devproxy.toml", []byte(base), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, err := Parse("devproxy.toml", []byte(tt.next), nil)
			if err != nil {
				t.Fatal(err)
			}
			d := Compare(old, next)
			if !slices.Equal(d.Lines, tt.want) {
				t.Errorf("Compare lines =\n%s\nwant\n%s", strings.Join(d.Lines, "\n"), strings.Join(tt.want, "\n"))
			}
			if d.Retargeted != tt.retargeted {
				t.Errorf("retargeted = %v, want %v", d.Retargeted, tt.retargeted)
			}
		})
	}
}

func TestDiffConfigMasksSecretHeaders(t *testing.T) {
	env := func(v string) func(string) (string, bool) {
		return func(string) (string, bool) { return v, true }
	}
	const text = "[routes.\"/api\"]\ntarget = \"http://localhost:8080\"\nheaders = { Authorization = \"Bearer ${TOKEN}\" }\n"
	old, err := Parse("devproxy.toml", []byte(text), env("old-secret"))
	if err != nil {
		t.Fatal(err)
	}
	next, err := Parse("devproxy.toml", []byte(text), env("new-secret"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"~ /api header Authorization: ••• → •••"}
	if got := Compare(old, next).Lines; !slices.Equal(got, want) {
		t.Errorf("Compare lines = %q, want %q", got, want)
	}
}

func TestKeepRunningKeys(t *testing.T) {
	running, err := Parse("devproxy.toml", []byte("listen = \"localhost:3000\"\n[routes]\n\"/api\" = \"http://localhost:8080\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := Parse("devproxy.toml", []byte("listen = \"0.0.0.0:4000\"\nallow_remote = true\n[routes]\n\"/api\" = \"http://localhost:8080\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := KeepRunning(running, saved)
	want := []RestartKey{{"listen", "localhost:3000", "0.0.0.0:4000"}, {"allow_remote", "false", "true"}}
	if !slices.Equal(got, want) {
		t.Errorf("KeepRunning = %v, want %v", got, want)
	}
	if saved.Listen != "localhost:3000" || saved.AllowRemote {
		t.Errorf("applied listen = %q allow_remote = %v, want the running localhost:3000 false", saved.Listen, saved.AllowRemote)
	}
}
