package web

import (
	"net/http"
	"net/url"
	"testing"
)

func TestIsLoopbackHost(t *testing.T) {
	for _, tt := range []struct {
		host string
		want bool
	}{
		{"localhost", true}, {"LOCALHOST.", true}, {"app.localhost", true}, {"127.0.0.1", true}, {"127.1.2.3", true},
		{"::1", true}, {"[::1]", true}, {"localhost.example.com", false}, {"example.com", false}, {"10.0.0.1", false}, {"", false},
	} {
		if got := IsLoopbackHost(tt.host); got != tt.want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestNormalizeOrigin(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"http://localhost:5173", "http://localhost:5173", true},
		{"HTTP://LocalHost:80", "http://localhost", true},
		{"https://[::1]:443", "https://[::1]", true},
		{"http://localhost:5173/", "", false},
		{"http://localhost/app", "", false},
		{"null", "", false},
		{"ws://localhost", "", false},
	} {
		got, ok := NormalizeOrigin(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestHostPortAndDialAddr(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"http://localhost", "localhost:80"},
		{"https://api.test", "api.test:443"},
		{"http://[::1]:8080/x", "[::1]:8080"},
		{"localhost:5173", "localhost:5173"},
		{"http://", ""},
	} {
		if got := DialAddr(tt.in); got != tt.want {
			t.Errorf("DialAddr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if !SameLocalAddr("localhost:80", "127.0.0.1:80") || SameLocalAddr("localhost:80", "localhost:81") || SameLocalAddr("a.test:80", "127.0.0.1:80") {
		t.Error("SameLocalAddr: loopback spellings of one port are one address, nothing else is")
	}
}

func TestSameOriginAndSecureContext(t *testing.T) {
	r := &http.Request{Host: "localhost:3000", URL: &url.URL{Path: "/"}}
	if !SameOrigin("http://localhost:3000", r) || SameOrigin("http://127.0.0.1:3000", r) || SameOrigin("null", r) {
		t.Error("SameOrigin compares with the origin the request was addressed to, exactly")
	}
	if !IsSecureContext(r) || IsSecureContext(&http.Request{Host: "192.168.1.5:3000"}) {
		t.Error("IsSecureContext: loopback hosts are secure contexts over http, LAN addresses are not")
	}
}

func TestTokensAndMasks(t *testing.T) {
	if !IsToken("X-Api-Key") || IsToken("X Api") || IsToken("") || IsToken("a:b") {
		t.Error("IsToken follows RFC 9110 tchar")
	}
	h := http.Header{"Connection": {"keep-alive, Upgrade"}, "Upgrade": {"websocket"}}
	if !HeaderHasToken(h, "Connection", "upgrade") || !IsUpgrade(&http.Request{Header: h}) {
		t.Error("Connection: keep-alive, Upgrade is an upgrade")
	}
	m := MaskHeaders(http.Header{"Authorization": {"Bearer abc"}, "Cookie": {"a=1; b=2"}, "Set-Cookie": {"s=x; Path=/"}, "X-Key": {"k"}}, map[string]bool{"X-Key": true})
	for k, want := range map[string]string{"Authorization": "Bearer •••", "Cookie": "a=•••; b=•••", "Set-Cookie": "s=•••; Path=/", "X-Key": "•••"} {
		if got := m.Get(k); got != want {
			t.Errorf("MaskHeaders %s = %q, want %q", k, got, want)
		}
	}
}

func TestIsUnspecifiedHost(t *testing.T) {
	for host, want := range map[string]bool{"": true, "0.0.0.0": true, "::": true, "[::]": true,
		"localhost": false, "127.0.0.1": false, "::1": false, "192.168.1.5": false, "app.test": false} {
		if got := IsUnspecifiedHost(host); got != want {
			t.Errorf("IsUnspecifiedHost(%q) = %v, want %v", host, got, want)
		}
	}
}
