package devproxy

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
)

// countingBackend counts the requests it receives.
func countingBackend(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, "backend")
	}))
	t.Cleanup(be.Close)
	return be, &n
}

// TestHostCheckRefusesRebinding: a page on attacker.example whose DNS now
// answers 127.0.0.1 sends Host: attacker.example; devproxy must refuse it.
func TestHostCheckRefusesRebinding(t *testing.T) {
	t.Parallel()
	be, hits := countingBackend(t)
	p := startProxy(t, fmt.Sprintf("listen = \"localhost:3000\"\nallowed_hosts = [\"myapp.test\", \".corp.test\"]\n[routes]\n\"/api\" = %q\n", be.URL))
	tests := []struct {
		host string
		want int
	}{
		{"attacker.example", 403},
		{"attacker.example:3000", 403},
		{"localhost.attacker.example", 403},
		{"127.0.0.1.nip.io", 403},
		{"myapp.test.evil", 403},
		{"localhost", 200},
		{"localhost:3000", 200},
		{"app.localhost:3000", 200},
		{"127.0.0.1:3000", 200},
		{"[::1]:3000", 200},
		{"192.168.1.20:3000", 200}, // IP literals cannot be rebound
		{"myapp.test", 200},
		{"MYAPP.TEST:3000", 200},
		{"corp.test", 200},
		{"dev.corp.test", 200},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			before := hits.Load()
			req := newRequest(t, "GET", p.URL+"/api/x", nil)
			req.Host = tt.host
			req.Header.Set("Accept", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("Host %s: status %d, want %d (%s)", tt.host, res.StatusCode, tt.want, body)
			}
			if tt.want == 403 {
				if hits.Load() != before {
					t.Error("refused request reached the backend")
				}
				if !strings.Contains(string(body), "allowed_hosts") {
					t.Errorf("403 does not name the key that would allow it: %s", body)
				}
			}
		})
	}
}

func TestHostCheckCoversStatusPageAndWebSockets(t *testing.T) {
	t.Parallel()
	be, _ := countingBackend(t)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = %q\n", be.URL))
	for _, path := range []string{"/__devproxy/status.json", "/api/ws"} {
		req := newRequest(t, "GET", p.URL+path, nil)
		req.Host = "attacker.example"
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 403 {
			t.Errorf("%s with a foreign Host: %d, want 403", path, res.StatusCode)
		}
	}
}

func TestAllowedHostsStarDisablesCheckWithWarning(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("t.toml", []byte("allowed_hosts = [\"*\"]\n[routes]\n\"/a\" = \"http://localhost:1\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0].Error(), "DNS-rebinding") {
		t.Errorf("warnings = %v", cfg.Warnings)
	}
	_, err = config.Parse("t.toml", []byte("allowed_hosts = [\"http://x.test:3000\"]\n[routes]\n\"/a\" = \"http://localhost:1\"\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "t.toml:1:18: allowed_hosts: \"http://x.test:3000\" is not a host name") {
		t.Errorf("bad host accepted or badly reported: %v", err)
	}
}

// TestNotAnOpenProxy: absolute-form targets and CONNECT are refused and the
// named host is never contacted, even when it is a live loopback server.
func TestNotAnOpenProxy(t *testing.T) {
	t.Parallel()
	be, hits := countingBackend(t)
	victim, victimHits := countingBackend(t)
	victimLn := strings.TrimPrefix(victim.URL, "http://")
	p := startProxy(t, fmt.Sprintf("[frontend]\ndev_server = %q\n", be.URL))
	for _, reqLine := range []string{
		"GET " + victim.URL + "/secret HTTP/1.1",
		"GET http://other.example/ HTTP/1.1",
		"CONNECT " + victimLn + " HTTP/1.1",
		"OPTIONS * HTTP/1.1",
	} {
		t.Run(reqLine, func(t *testing.T) {
			status := rawRequest(t, p, reqLine+"\r\nHost: "+p.Addr+"\r\nConnection: close\r\n\r\n")
			if status != http.StatusBadRequest {
				t.Errorf("%q: status %d, want 400", reqLine, status)
			}
		})
	}
	if hits.Load() != 0 || victimHits.Load() != 0 {
		t.Errorf("forward-proxy requests reached a server: dev server %d, named host %d", hits.Load(), victimHits.Load())
	}
}

// rawRequest writes raw bytes and returns the response status (0 when the
// server closed the connection without one).
func rawRequest(t *testing.T, p *testProxy, raw string) int {
	t.Helper()
	conn := dialProxy(t, p)
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}
