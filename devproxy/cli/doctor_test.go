package cli

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/devproxy/devproxy/devproxy/doctor"
	"github.com/devproxy/devproxy/internal/testkit"
)

const doctorOrigin = "http://localhost:3000"

// runDoctorCLI runs "devproxy doctor args..." and returns exit status and output.
func runDoctorCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runMain(append([]string{"doctor"}, args...)...)
}

// corsServer answers preflights with pre and other requests with actual.
func corsServer(t *testing.T, pre, actual map[string]string, preStatus int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs, status := actual, http.StatusOK
		if r.Method == http.MethodOptions {
			hs, status = pre, preStatus
		}
		for k, v := range hs {
			for _, one := range strings.Split(v, "\n") { // "\n" separates repeated header lines
				w.Header().Add(k, one)
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDoctorCommand(t *testing.T) {
	acao := map[string]string{"Access-Control-Allow-Origin": doctorOrigin, "Vary": "Origin"}
	tests := []struct {
		name       string
		pre        map[string]string
		preStatus  int
		actual     map[string]string
		args       []string
		wantCode   int
		wantOutput []string // "%s" is replaced by the server URL + "/items"
	}{
		{name: "allowed simple GET", actual: acao, wantCode: exitOK,
			wantOutput: []string{"Preflight: not needed", "Verdict: ALLOWED"}},
		{name: "no ACAO", actual: map[string]string{}, wantCode: exitFailed,
			wantOutput: []string{"Verdict: BLOCKED", "Access to fetch at '%s' from origin 'http://localhost:3000' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.", "Fault: server",
				"did receive and run this request"}},
		{name: "wildcard with credentials", actual: map[string]string{"Access-Control-Allow-Origin": "*"}, args: []string{"--credentials", "include"}, wantCode: exitFailed,
			wantOutput: []string{"Access to fetch at '%s' from origin 'http://localhost:3000' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'."}},
		{name: "preflight 404 without CORS headers", pre: map[string]string{}, preStatus: 404, actual: acao, args: []string{"--method", "PUT"}, wantCode: exitFailed,
			wantOutput: []string{"Preflight: needed", "method PUT is not CORS-safelisted", "Access-Control-Request-Method: PUT",
				"Access to fetch at '%s' from origin 'http://localhost:3000' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
				"answered the preflight OPTIONS with 404", "The PUT request itself is never sent."}},
		{name: "preflight 204 without CORS headers", pre: map[string]string{}, preStatus: 204, actual: acao, args: []string{"--method", "PUT"}, wantCode: exitFailed,
			wantOutput: []string{"The preflight (OPTIONS) response from %s has no Access-Control-Allow-Origin header, so the browser stops there: the PUT request itself is never sent."}},
		{name: "preflight not ok", pre: acao, preStatus: 401, actual: acao, args: []string{"--method", "DELETE"}, wantCode: exitFailed,
			wantOutput: []string{"Access to fetch at '%s' from origin 'http://localhost:3000' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: It does not have HTTP ok status.", "status 401"}},
		{name: "method not allowed", pre: plus(acao, "Access-Control-Allow-Methods", "GET, POST"), preStatus: 204, actual: acao, args: []string{"--method", "PUT"}, wantCode: exitFailed,
			wantOutput: []string{"Access to fetch at '%s' from origin 'http://localhost:3000' has been blocked by CORS policy: Method PUT is not allowed by Access-Control-Allow-Methods in preflight response."}},
		{name: "patch vs PATCH", pre: plus(acao, "Access-Control-Allow-Methods", "PATCH"), preStatus: 204, actual: acao, args: []string{"--method", "patch"}, wantCode: exitFailed,
			wantOutput: []string{"Method patch is not allowed by Access-Control-Allow-Methods in preflight response.", "Fault: frontend", "method: 'PATCH'"}},
		{name: "header not allowed", pre: plus(acao, "Access-Control-Allow-Headers", "content-type"), preStatus: 204, actual: acao,
			args: []string{"--header", "X-Custom-Header: v", "--content-type", "application/json", "--method", "POST"}, wantCode: exitFailed,
			wantOutput: []string{"Access-Control-Request-Headers: content-type,x-custom-header",
				"Access to fetch at '%s' from origin 'http://localhost:3000' has been blocked by CORS policy: Request header field x-custom-header is not allowed by Access-Control-Allow-Headers in preflight response."}},
		{name: "multiple ACAO values", actual: map[string]string{"Access-Control-Allow-Origin": doctorOrigin + "\n" + doctorOrigin}, wantCode: exitFailed,
			wantOutput: []string{"The 'Access-Control-Allow-Origin' header contains multiple values 'http://localhost:3000, http://localhost:3000', but only one is allowed. Have the server send the header with a valid value.", "Fault: proxy"}},
		{name: "ACAO mismatch", actual: map[string]string{"Access-Control-Allow-Origin": "http://127.0.0.1:3000"}, wantCode: exitFailed,
			wantOutput: []string{"The 'Access-Control-Allow-Origin' header has a value 'http://127.0.0.1:3000' that is not equal to the supplied origin.", "localhost and 127.0.0.1"}},
		{name: "ACAC not exactly true", actual: plus(acao, "Access-Control-Allow-Credentials", "TRUE"), args: []string{"--credentials", "include"}, wantCode: exitFailed,
			wantOutput: []string{"The value of the 'Access-Control-Allow-Credentials' header in the response is 'TRUE' which must be 'true' when the request's credentials mode is 'include'."}},
		{name: "authorization covered by star", pre: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*", "Access-Control-Max-Age": "7200"}, preStatus: 204,
			actual: map[string]string{"Access-Control-Allow-Origin": "*"}, args: []string{"--header", "Authorization: Bearer t"}, wantCode: exitOK,
			wantOutput: []string{"Verdict: ALLOWED", "Fetch standard says * never covers Authorization"}},
		{name: "expose headers", actual: plus(acao, "Access-Control-Expose-Headers", "X-Request-Id"), args: []string{"--read", "X-Total-Count", "--read", "X-Request-Id", "--read", "Content-Type"}, wantCode: exitOK,
			wantOutput: []string{`response.headers.get("X-Total-Count") will return null`}},
		{name: "max-age over cap", pre: plus(acao, "Access-Control-Allow-Methods", "PUT", "Access-Control-Max-Age", "86400"), preStatus: 204, actual: acao, args: []string{"--method", "PUT"}, wantCode: exitOK,
			wantOutput: []string{"Chromium caps it at 7200 s"}},
		{name: "missing Vary", actual: map[string]string{"Access-Control-Allow-Origin": doctorOrigin}, wantCode: exitOK,
			wantOutput: []string{"add Vary: Origin"}},
		{name: "safelisted content type", actual: acao, args: []string{"--method", "POST", "--content-type", "text/plain;charset=UTF-8"}, wantCode: exitOK,
			wantOutput: []string{"Preflight: not needed"}},
		{name: "forbidden header is dropped", actual: acao, args: []string{"--header", "Cookie: a=b"}, wantCode: exitOK,
			wantOutput: []string{"silently drops a script-set Cookie header", "Preflight: not needed"}},
		{name: "fix snippet", actual: map[string]string{}, args: []string{"--fix", "flask", "--credentials", "include"}, wantCode: exitFailed,
			wantOutput: []string{"flask:", `CORS(app, origins=["http://localhost:3000"], supports_credentials=True`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := corsServer(t, tt.pre, tt.actual, tt.preStatus)
			target := srv.URL + "/items"
			code, out, errOut := runDoctorCLI(t, append([]string{target, "--origin", doctorOrigin}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOutput {
				w = strings.ReplaceAll(w, "%s", target)
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q\noutput:\n%s", w, out)
				}
			}
		})
	}
}

// plus returns a copy of m with more key/value pairs.
func plus(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestDoctorRedirects(t *testing.T) {
	// final is another origin (another port); it echoes whatever Origin it got.
	var mu sync.Mutex
	var finalOrigins []string
	final := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		finalOrigins = append(finalOrigins, r.Header.Get("Origin"))
		mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", doctorOrigin)
	}))
	t.Cleanup(final.Close)
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		http.Redirect(w, r, final.URL+"/data", http.StatusFound)
	}))
	t.Cleanup(first.Close)

	t.Run("actual request redirected to another origin", func(t *testing.T) {
		code, out, _ := runDoctorCLI(t, first.URL+"/data", "--origin", doctorOrigin)
		want := "Access to fetch at '" + final.URL + "/data' (redirected from '" + first.URL + "/data') from origin 'http://localhost:3000' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'http://localhost:3000' that is not equal to the supplied origin. Have the server send the header with a valid value."
		if code != exitFailed || !strings.Contains(out, want) || !strings.Contains(out, "Origin: null") {
			t.Errorf("exit = %d, want 1 and %q with Origin: null in\n%s", code, want, out)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(finalOrigins) != 1 || finalOrigins[0] != "null" {
			t.Errorf("the redirect target saw Origin %q, want [null]", finalOrigins)
		}
	})
	t.Run("preflight redirected", func(t *testing.T) {
		code, out, _ := runDoctorCLI(t, first.URL+"/data", "--origin", doctorOrigin, "--method", "PUT")
		want := "Access to fetch at '" + first.URL + "/data' from origin 'http://localhost:3000' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request."
		if code != exitFailed || !strings.Contains(out, want) {
			t.Errorf("exit = %d, want 1 and %q in\n%s", code, want, out)
		}
	})
}

func TestDoctorUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, out, _ := runDoctorCLI(t, "http://"+addr+"/api", "--origin", doctorOrigin)
	for _, want := range []string{"NOT A CORS PROBLEM", "Failed to load resource: net::ERR_CONNECTION_REFUSED", "DevTools shows: GET http://" + addr + "/api net::ERR_CONNECTION_REFUSED", "nothing is listening on " + addr} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code != exitFailed {
		t.Errorf("exit = %d, want %d", code, exitFailed)
	}

	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is the point
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	code, out, _ = runDoctorCLI(t, tlsSrv.URL+"/api", "--origin", doctorOrigin)
	if code != exitFailed || !strings.Contains(out, "net::ERR_CERT_AUTHORITY_INVALID") || !strings.Contains(out, "not a CORS problem") {
		t.Errorf("untrusted TLS: exit = %d, output:\n%s", code, out)
	}
}

func TestDoctorJSON(t *testing.T) {
	srv := corsServer(t, map[string]string{"Access-Control-Allow-Origin": doctorOrigin}, map[string]string{}, 204)
	code, out, _ := runDoctorCLI(t, srv.URL+"/x", "--origin", doctorOrigin, "--method", "PUT", "--json", "--fix", "devproxy")
	var r doctor.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if code != exitFailed || r.Verdict != doctor.VerdictBlocked || r.Fault != "server" || !r.Preflight.Needed || len(r.Exchanges) != 1 {
		t.Errorf("exit %d, report %+v; want 1, blocked, server, preflight needed, 1 exchange", code, r)
	}
	want := "Access to fetch at '" + srv.URL + "/x' from origin 'http://localhost:3000' has been blocked by CORS policy: Method PUT is not allowed by Access-Control-Allow-Methods in preflight response."
	if r.Console != want {
		t.Errorf("console = %q, want %q", r.Console, want)
	}
	if !strings.Contains(r.FixSnippet, `target = "`+srv.URL+`"`) || !strings.Contains(r.FixSnippet, "strip_prefix = true") {
		t.Errorf("devproxy fix snippet:\n%s", r.FixSnippet)
	}
}

func TestDoctorUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no URL", nil, "want exactly one URL"},
		{"two URLs", []string{"http://a/", "http://b/"}, "want exactly one URL"},
		{"not http", []string{"ftp://a/"}, "is not an http:// or https:// URL"},
		{"bad origin", []string{"http://a/", "--origin", "localhost:3000"}, "--origin"},
		{"bad credentials", []string{"http://a/", "--credentials", "yes"}, "want omit, same-origin or include"},
		{"forbidden method", []string{"http://a/", "--method", "TRACE"}, "HTTP method is unsupported"},
		{"bad header", []string{"http://a/", "--header", "NoColon"}, `want "Name: value"`},
		{"bad fix", []string{"http://a/", "--fix", "rails"}, "--fix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runDoctorCLI(t, tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit = %d, stderr %q; want %d and %q", code, errOut, exitUsage, tt.want)
			}
		})
	}
}

// TestDoctorReportsRefusal: a call CORS allows but the server answers with
// an error is not ALLOWED: doctor exits 1, quotes the status and the first
// line of the body, and recognises a framework's CSRF page with its fix.
func TestDoctorReportsRefusal(t *testing.T) {
	djangoPage, err := os.ReadFile("../internal/web/testdata/csrf/django_origin.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name        string
		status      int
		contentType string
		body        string
		args        []string
		want        []string
	}{
		{"django csrf", 403, "text/html; charset=utf-8", string(djangoPage),
			[]string{"--method", "POST", "--content-type", "application/json", "--credentials", "include", "--fix", "django"},
			[]string{"Verdict: REFUSED", "CORS allowed, but the server refused: 403 Forbidden — Django's CSRF check: CSRF verification failed (Origin checking failed",
				`CSRF_TRUSTED_ORIGINS = ["http://localhost:3000"]`}},
		{"json error", 401, "application/json", "{\"detail\": \"Authentication credentials were not provided.\"}\n", nil,
			[]string{"Verdict: REFUSED", `CORS allowed, but the server refused: 401 Unauthorized — {"detail": "Authentication credentials were not provided."}`}},
		{"html error", 404, "text/html", "<!doctype html><html><head><title>x</title><style>p{}</style></head><body>\n<h1>No such item</h1><p>gone</p></body></html>", nil,
			[]string{"CORS allowed, but the server refused: 404 Not Found — No such item gone"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h := w.Header()
				h.Set("Access-Control-Allow-Origin", doctorOrigin)
				h.Set("Access-Control-Allow-Credentials", "true")
				h.Set("Vary", "Origin")
				if r.Method == http.MethodOptions {
					h.Set("Access-Control-Allow-Methods", "POST")
					h.Set("Access-Control-Allow-Headers", "content-type")
					h.Set("Access-Control-Max-Age", "7200")
					w.WriteHeader(http.StatusNoContent)
					return
				}
				h.Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			code, out, errOut := runDoctorCLI(t, append([]string{srv.URL + "/items", "--origin", doctorOrigin}, tt.args...)...)
			if code != exitFailed {
				t.Errorf("exit %d, want %d (stderr %q)", code, exitFailed, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestDoctorAssumesTheDevServersOrigin: without --origin, doctor calls from
// the dev server of the devproxy.toml here (where the page runs), else
// Vite's default, and says which it assumed.
func TestDoctorAssumesTheDevServersOrigin(t *testing.T) {
	origins := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origins <- r.Header.Get("Origin")
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
	}))
	t.Cleanup(srv.Close)
	withConfig := t.TempDir()
	testkit.WriteFile(t, withConfig+"/devproxy.toml", "[frontend]\ndev_server = \"http://localhost:4200\"\n")
	tests := []struct {
		name, dir, origin, said string
	}{
		{"devproxy.toml here", withConfig, "http://localhost:4200", "No --origin: assuming the page is at http://localhost:4200 (the dev_server in devproxy.toml).\n"},
		{"no config", t.TempDir(), "http://localhost:5173", "No --origin: assuming the page is at http://localhost:5173 (no devproxy.toml here, so Vite's default dev server).\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(tt.dir)
			code, out, errOut := runDoctorCLI(t, srv.URL+"/items")
			if code != exitOK || !strings.HasPrefix(out, tt.said) || !strings.Contains(out, "from origin "+tt.origin) {
				t.Errorf("exit %d, want 0 and the output to start with %q\nstdout:\n%s\nstderr:\n%s", code, tt.said, out, errOut)
			}
			if got := <-origins; got != tt.origin {
				t.Errorf("the server saw Origin %q, want %q", got, tt.origin)
			}
		})
	}
}
