package devproxy

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// newRewriteBackend starts an httptest backend on 127.0.0.1:0, closed when
// the test ends.
func newRewriteBackend(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestIsSecureContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		want bool
	}{
		{"localhost:3000", true},
		{"app.localhost:3000", true},
		{"127.0.0.1:3000", true},
		{"127.0.0.2", true},
		{"[::1]:3000", true},
		{"192.168.1.5:3000", false},
		{"dev.example.com", false},
		{"", false},
	}
	for _, tt := range tests {
		r := &http.Request{Host: tt.host}
		if got := web.IsSecureContext(r); got != tt.want {
			t.Errorf("web.IsSecureContext(Host %q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestOnceLogIsBounded(t *testing.T) {
	t.Parallel()
	var o onceLog
	if !o.first("a") || o.first("a") {
		t.Fatal("first(a) twice: want true then false")
	}
	for i := range onceLogMax + 10 {
		o.first(string(rune('b' + i)))
	}
	if got := o.n.Load(); got != onceLogMax {
		t.Errorf("onceLog holds %d keys, want at most %d", got, onceLogMax)
	}
}
