package devproxy

import (
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/internal/testkit"
)

// corsBackend records the method of every request it gets on seen and
// answers with CORS headers of its own (a wildcard and a second origin:
// exactly what must not reach the browser next to devproxy's).
func corsBackend(t *testing.T, seen chan<- string) string {
	t.Helper()
	return newRewriteBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Method + " " + r.URL.Path
		w.Header().Add("Access-Control-Allow-Origin", "*")
		w.Header().Add("Access-Control-Allow-Origin", "http://other.example")
		w.Header().Set("Access-Control-Allow-Methods", "GET")
		w.Header().Set("Vary", "Accept-Encoding")
		w.Header().Set("X-Request-Id", "42")
		w.Write([]byte("ok"))
	})).URL
}

func TestCORS(t *testing.T) {
	t.Parallel()
	seen := make(chan string, 16)
	up := corsBackend(t, seen)
	p := startProxy(t, `
[routes."/api"]
target = "`+up+`"
[routes."/api".cors]
allow_origins = ["http://localhost:5173", "HTTP://App.Example:80"]
allow_credentials = true
expose_headers = ["X-Request-Id"]
max_age = 600

[routes."/any"]
target = "`+up+`"
[routes."/any".cors]
allow_origins = ["*"]
allow_credentials = true
allow_methods = ["GET", "PUT"]
allow_headers = ["X-Token"]

[routes."/plain"]
target = "`+up+`"
`)
	const spa = "http://localhost:5173"
	_, port, _ := net.SplitHostPort(p.Addr)
	tests := []struct {
		name        string
		method      string
		path        string
		header      map[string]string
		status      int
		forwarded   bool              // the backend saw the request
		want        map[string]string // headers that must have exactly this one value
		wantAbsent  []string          // headers that must be missing
		wantVary    bool              // Vary names Origin
		wantBackend bool              // the backend's own CORS headers are there, untouched
	}{
		{
			name: "preflight from an allowed origin answered by devproxy", method: "OPTIONS", path: "/api/items",
			header: map[string]string{"Origin": spa, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-token, content-type"},
			status: 204,
			want: map[string]string{
				"Access-Control-Allow-Origin":      spa,
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods":     "PUT",
				"Access-Control-Allow-Headers":     "x-token, content-type",
				"Access-Control-Max-Age":           "600",
			},
			wantVary: true,
		},
		{
			name: "preflight origin matched after normalising", method: "OPTIONS", path: "/api/items",
			header: map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "DELETE"},
			status: 204, want: map[string]string{"Access-Control-Allow-Origin": "http://app.example"}, wantVary: true,
		},
		{
			name: "preflight from another origin refused, not forwarded", method: "OPTIONS", path: "/api/items",
			header: map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"},
			status: 403, wantAbsent: []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods"}, wantVary: true,
		},
		{
			name: "preflight from devproxy's own origin under another name allowed as if listed", method: "OPTIONS", path: "/api/items",
			header: map[string]string{"Origin": "http://app.localhost:" + port, "Access-Control-Request-Method": "PUT"},
			status: 204, want: map[string]string{"Access-Control-Allow-Origin": "http://app.localhost:" + port}, wantVary: true,
		},
		{
			name: "request from devproxy's own origin under another name gets CORS headers", method: "GET", path: "/api/items",
			header: map[string]string{"Origin": "http://localhost:" + port}, status: 200, forwarded: true,
			want: map[string]string{"Access-Control-Allow-Origin": "http://localhost:" + port}, wantVary: true,
		},
		{
			name: "an IP address on devproxy's port is not its own origin (a LAN page)", method: "OPTIONS", path: "/api/items",
			header: map[string]string{"Origin": "http://192.0.2.7:" + port, "Access-Control-Request-Method": "PUT"},
			status: 403, wantAbsent: []string{"Access-Control-Allow-Origin"}, wantVary: true,
		},
		{
			name: "request from an allowed origin: backend duplicates replaced", method: "GET", path: "/api/items",
			header: map[string]string{"Origin": spa}, status: 200, forwarded: true,
			want: map[string]string{
				"Access-Control-Allow-Origin":      spa,
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Expose-Headers":    "X-Request-Id",
			},
			wantAbsent: []string{"Access-Control-Allow-Methods"}, wantVary: true,
		},
		{
			name: "request from another origin: no CORS headers at all", method: "GET", path: "/api/items",
			header: map[string]string{"Origin": "http://evil.example"}, status: 200, forwarded: true,
			wantAbsent: []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods", "Access-Control-Expose-Headers"}, wantVary: true,
		},
		{
			name: "request without Origin: no CORS headers, Vary still set", method: "GET", path: "/api/items",
			status: 200, forwarded: true, wantAbsent: []string{"Access-Control-Allow-Origin"}, wantVary: true,
		},
		{
			name: "star echoes the origin and never sends * with credentials", method: "OPTIONS", path: "/any/x",
			header: map[string]string{"Origin": "http://anything.test:9999", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "X-Token"},
			status: 204,
			want: map[string]string{
				"Access-Control-Allow-Origin":      "http://anything.test:9999",
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods":     "GET, PUT",
				"Access-Control-Allow-Headers":     "X-Token",
			},
			wantAbsent: []string{"Access-Control-Max-Age"}, wantVary: true,
		},
		{
			name: "star route actual request echoes the origin", method: "PUT", path: "/any/x",
			header: map[string]string{"Origin": "null"}, status: 200, forwarded: true,
			want: map[string]string{"Access-Control-Allow-Origin": "null", "Access-Control-Allow-Credentials": "true"}, wantVary: true,
		},
		{
			name: "route without cors table forwards OPTIONS untouched", method: "OPTIONS", path: "/plain/x",
			header: map[string]string{"Origin": spa, "Access-Control-Request-Method": "PUT"},
			status: 200, forwarded: true, wantBackend: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, p.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Errorf("%s %s status = %d, want %d", tt.method, tt.path, res.StatusCode, tt.status)
			}
			select {
			case got := <-seen:
				if !tt.forwarded {
					t.Errorf("backend saw %q, want it never forwarded", got)
				} else if want := tt.method + " " + tt.path; got != want {
					t.Errorf("backend saw %q, want %q", got, want)
				}
			default:
				if tt.forwarded {
					t.Errorf("backend saw nothing, want %s %s forwarded", tt.method, tt.path)
				}
			}
			for k, v := range tt.want {
				if got := res.Header.Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("%s = %q, want exactly [%q]", k, got, v)
				}
			}
			for _, k := range tt.wantAbsent {
				if got := res.Header.Values(k); len(got) != 0 {
					t.Errorf("%s = %q, want absent", k, got)
				}
			}
			if got := res.Header.Values("Access-Control-Allow-Origin"); slices.Contains(got, "*") && !tt.wantBackend {
				t.Errorf("Access-Control-Allow-Origin = %q: devproxy must never send *", got)
			}
			if vary := strings.Join(res.Header.Values("Vary"), ","); strings.Contains(vary, "Origin") != tt.wantVary {
				t.Errorf("Vary = %q, want Origin in it: %v", vary, tt.wantVary)
			} else if tt.forwarded && !strings.Contains(vary, "Accept-Encoding") {
				t.Errorf("Vary = %q, want the backend's Accept-Encoding kept", vary)
			}
			if tt.wantBackend {
				if got := res.Header.Values("Access-Control-Allow-Origin"); len(got) != 2 {
					t.Errorf("Access-Control-Allow-Origin = %q, want the backend's two values untouched", got)
				}
			}
		})
	}
}

func TestAddVary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"none", nil, []string{"Origin"}},
		{"appended", []string{"Accept-Encoding"}, []string{"Accept-Encoding", "Origin"}},
		{"already there", []string{"accept-encoding, origin"}, []string{"accept-encoding, origin"}},
		{"star", []string{"*"}, []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.in {
				h.Add("Vary", v)
			}
			addVary(h, "Origin")
			if got := h.Values("Vary"); !slices.Equal(got, tt.want) {
				t.Errorf("addVary(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestCORSOnBadGateway: when the backend is down, an allowed cross-origin
// caller can read devproxy's 502 instead of a bare CORS failure.
func TestCORSOnBadGateway(t *testing.T) {
	t.Parallel()
	p := startProxy(t, `
[routes."/api"]
target = "http://`+testkit.FreeAddr(t)+`"
retry = "0s"
[routes."/api".cors]
allow_origins = ["http://localhost:5173"]
`)
	req, err := http.NewRequest("GET", p.URL+"/api/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "http://localhost:5173")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("status = %d, want 502", res.StatusCode)
	}
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "http://localhost:5173" {
		t.Errorf("Access-Control-Allow-Origin on the 502 = %q, want the caller's origin", got)
	}
}
