package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseListen(t *testing.T) {
	tests := []struct {
		in       string
		hostport string
		https    bool
		problem  string // substring; "" means valid
		fixed    string
	}{
		{in: "localhost:3000", hostport: "localhost:3000"},
		{in: "http://localhost:3000", hostport: "localhost:3000"},
		{in: "https://localhost:3000", hostport: "localhost:3000", https: true},
		{in: "HTTPS://127.0.0.1:3443/", hostport: "127.0.0.1:3443", https: true},
		{in: "https://[::1]:3000", hostport: "[::1]:3000", https: true},
		{in: "ftp://localhost:3000", problem: `has scheme "ftp"`, fixed: "http://localhost:3000"},
		{in: "wss://localhost:3000", problem: `has scheme "wss"`, fixed: "https://localhost:3000"},
		{in: "https://localhost", problem: "not host:port", fixed: "https://localhost:3000"},
		{in: "https://localhost:3000/app", problem: "has a path", fixed: "https://localhost:3000"},
		{in: "https://localhost:99999", problem: "port"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			hp, https, problem, fixed := ParseListen(tt.in)
			if tt.problem == "" {
				if problem != "" || hp != tt.hostport || https != tt.https {
					t.Errorf("ParseListen(%q) = %q, %v, %q; want %q, %v, no problem", tt.in, hp, https, problem, tt.hostport, tt.https)
				}
				return
			}
			if !strings.Contains(problem, tt.problem) || fixed != tt.fixed {
				t.Errorf("ParseListen(%q) problem %q fixed %q, want a problem with %q and fix %q", tt.in, problem, fixed, tt.problem, tt.fixed)
			}
		})
	}
}

func TestHTTPSListenWithOwnCertificate(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"localhost.pem", "localhost-key.pem"} {
		data, err := os.ReadFile(filepath.Join("testdata", "tls", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "certs"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "certs", f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, DefaultFile)
	text := "listen = \"https://localhost:3443\"\n[routes]\n\"/api\" = \"http://localhost:8080\"\n[tls]\ncert = \"certs/localhost.pem\"\nkey = \"certs/localhost-key.pem\"\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.HTTPS || cfg.Listen != "localhost:3443" || cfg.ListenURL() != "https://localhost:3443" {
		t.Errorf("listen = %q https %v (%q), want localhost:3443 over https", cfg.Listen, cfg.HTTPS, cfg.ListenURL())
	}
	if cfg.TLS == nil || cfg.TLS.Cert != filepath.Join(dir, "certs", "localhost.pem") || cfg.TLS.Key != filepath.Join(dir, "certs", "localhost-key.pem") {
		t.Errorf("TLS = %+v, want both paths resolved next to devproxy.toml", cfg.TLS)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings %v, want none: the certificate covers localhost", cfg.Warnings)
	}

	// The same files for another name: accepted, with a warning that says so.
	text = strings.Replace(text, "https://localhost:3443", "https://myapp.test:3443", 1)
	if err := os.WriteFile(path, []byte("allowed_hosts = [\"myapp.test\"]\nallow_remote = true\n"+text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0].Error(), "does not cover the listen host myapp.test (it covers localhost, *.localhost, 127.0.0.1, ::1)") {
		t.Errorf("warnings %v, want one saying the certificate does not cover myapp.test", cfg.Warnings)
	}
}

func TestTLSFileThatCannotBeRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "cert.pem"), 0o755); err != nil { // a directory: unreadable as a file, even for root
		t.Fatal(err)
	}
	text := "listen = \"https://localhost:3000\"\n[routes]\n\"/api\" = \"http://localhost:8080\"\n[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n"
	_, err := Parse(filepath.Join(dir, DefaultFile), []byte(text), nil)
	if err == nil {
		t.Fatal("Parse succeeded, want errors for both files")
	}
	for _, want := range []string{`:5:8: tls.cert: cannot read "cert.pem": is a directory`, `:6:7: tls.key: file "key.pem" does not exist`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error:\n%v\nwant it to contain %q", err, want)
		}
	}
}

func TestListenOverrideSwitchesScheme(t *testing.T) {
	cfg, err := Parse("t.toml", []byte("[routes]\n\"/api\" = \"http://localhost:8080\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if problem := CheckListenAddr("https://localhost:3001", false); problem != "" {
		t.Fatalf("CheckListenAddr(https://localhost:3001) = %q, want ok", problem)
	}
	for _, bad := range []string{"ftp://localhost:3001", "https://0.0.0.0:3001", "localhost"} {
		if problem := CheckListenAddr(bad, false); problem == "" {
			t.Errorf("CheckListenAddr(%q) accepted it", bad)
		}
	}
	cfg.Override(Overrides{Listen: "https://localhost:3001"})
	if cfg.Listen != "localhost:3001" || !cfg.HTTPS {
		t.Errorf("after --listen https://localhost:3001: listen %q https %v", cfg.Listen, cfg.HTTPS)
	}
	saved, err := Parse("t.toml", []byte("listen = \"https://localhost:4000\"\n[routes]\n\"/api\" = \"http://localhost:8080\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	running, err := Parse("t.toml", []byte("[routes]\n\"/api\" = \"http://localhost:8080\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := KeepRunning(running, saved)
	if len(keys) != 1 || keys[0] != (RestartKey{"listen", "localhost:3000", "https://localhost:4000"}) {
		t.Errorf("restart keys %v, want listen localhost:3000 → https://localhost:4000", keys)
	}
	if saved.HTTPS || saved.Listen != "localhost:3000" {
		t.Errorf("applied config listens on %q (https %v), want the running localhost:3000 over http", saved.Listen, saved.HTTPS)
	}
}
