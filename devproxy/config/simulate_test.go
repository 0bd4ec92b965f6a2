package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want Rate
	}{
		{"1Mbps", 125_000},
		{"1 Mbps", 125_000},
		{"1mbps", 125_000},
		{"500kbps", 62_500},
		{"500Kbps", 62_500},
		{"1.5Mbit/s", 187_500},
		{"8bps", 1},
		{"1Gbps", 125_000_000},
		{"64KB/s", 64_000},
		{"64kB/s", 64_000},
		{"64KiB/s", 65_536},
		{"1MB/s", 1_000_000},
		{"1MiB/s", 1 << 20},
		{"100B/s", 100},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "fast", "1", "Mbps", "1MBps", "1Bps", "1kib/s", "-1Mbps", "1..2Mbps", "4bps", "1 Mb"} {
		if got, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) = %d, want an error", bad, got)
		}
	}
}

func TestRateStringRoundTrips(t *testing.T) {
	for _, r := range []Rate{1, 125, 62_500, 125_000, 131_072, 50_000, 84_375, 1_012_500, 125_000_000} {
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Errorf("ParseRate(%q) = %d, %v; want %d back", r.String(), back, err, r)
		}
	}
	if got := Rate(125_000).String(); got != "1Mbps" {
		t.Errorf("Rate(125000) = %q, want 1Mbps", got)
	}
}

func TestParseSimulation(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "mocks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mocks", "users.json"), []byte(`[]`), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DefaultFile)
	text := `
[simulate]
network = "Slow-4G"
delay = "50ms"

[routes."/api"]
target = "http://localhost:8080"
delay = "300ms"
throttle = { down = "1Mbps", up = "64KiB/s" }
fail = 0.1

[routes."/api/users"]
target = "http://localhost:8080"
mock = { status = 201, file = "mocks/users.json", headers = { "x-total" = "0" } }
fail = { rate = 1, mode = "reset" }

[routes."/api/later"]
mock = { file = "mocks/later.json" }
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Simulate; s.Network != "fast-3g" || s.Delay != 50*time.Millisecond || s.Throttle != (Throttle{Down: 180_000, Up: 84_375}) {
		t.Errorf("simulate = %+v, want fast-3g (alias slow-4g) with its throttle and delay 50ms", s)
	}
	byPath := map[string]Route{}
	for _, rt := range cfg.Routes {
		byPath[rt.Path] = rt
	}
	api := byPath["/api"]
	if api.Delay != 300*time.Millisecond || api.Throttle != (Throttle{Down: 125_000, Up: 65_536}) || api.Fail != (Fail{Rate: 0.1, Mode: FailStatus}) {
		t.Errorf("/api = delay %v throttle %+v fail %+v", api.Delay, api.Throttle, api.Fail)
	}
	users := byPath["/api/users"]
	m := users.Mock
	if m == nil || m.Status != 201 || m.File != filepath.Join(dir, "mocks", "users.json") || m.FileName != "mocks/users.json" || m.Headers["X-Total"] != "0" {
		t.Fatalf("/api/users mock = %+v", m)
	}
	if got, want := users.Answer(), "mock 201 mocks/users.json (instead of http://localhost:8080)"; got != want {
		t.Errorf("Answer() = %q, want %q", got, want)
	}
	if users.Fail != (Fail{Rate: 1, Mode: FailReset}) {
		t.Errorf("/api/users fail = %+v", users.Fail)
	}
	later := byPath["/api/later"]
	if later.Target != "" || later.Mock == nil || later.Mock.Status != 200 {
		t.Errorf("/api/later = %+v, want a mock-only route answering 200", later)
	}
	// A missing mock file is a warning: it can be written after the config.
	var warned bool
	for _, w := range cfg.Warnings {
		if strings.Contains(w.Error(), "mock file mocks/later.json does not exist") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("warnings = %v, want one about mocks/later.json", cfg.Warnings)
	}
}
