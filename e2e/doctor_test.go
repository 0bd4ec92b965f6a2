package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/doctor"
)

// TestDoctorMatchesChromium makes the same cross-origin fetch in headless
// Chromium and with devproxy doctor, and checks that doctor's verdict and
// console text are exactly what Chromium printed.
func TestDoctorMatchesChromium(t *testing.T) {
	t.Parallel()
	page := blankPage(t)
	origin := page.URL // http://127.0.0.1:PORT: a different origin from api (another port)

	var api *httptest.Server
	api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		pre := r.Method == http.MethodOptions
		switch r.URL.Path {
		case "/no-acao":
		case "/wildcard":
			h.Set("Access-Control-Allow-Origin", "*")
		case "/twice":
			h.Add("Access-Control-Allow-Origin", origin)
			h.Add("Access-Control-Allow-Origin", origin)
		case "/preflight-500":
			h.Set("Access-Control-Allow-Origin", origin)
			if pre {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
		case "/patch":
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", "PATCH")
		case "/header":
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Headers", "content-type")
		case "/credentials":
			h.Set("Access-Control-Allow-Origin", origin)
		case "/auth-star":
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Allow-Headers", "*")
		case "/redirect":
			// 127.0.0.1 → localhost is a cross-origin hop: the next request carries Origin: null.
			h.Set("Access-Control-Allow-Origin", "*")
			http.Redirect(w, r, strings.Replace(api.URL, "127.0.0.1", "localhost", 1)+"/echo", http.StatusFound)
			return
		case "/echo":
			h.Set("Access-Control-Allow-Origin", origin)
		case "/preflight-mismatch":
			h.Set("Access-Control-Allow-Origin", "http://localhost:3000")
		case "/preflight-credentials":
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", "PUT")
		case "/ok":
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Vary", "Origin")
		}
		if pre {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(api.Close)

	tests := []struct {
		name, path, init string
		args             []string
		wantAllowed      bool
	}{
		{name: "no ACAO", path: "/no-acao", init: `{}`},
		{name: "wildcard with credentials", path: "/wildcard", init: `{credentials: "include"}`, args: []string{"--credentials", "include"}},
		{name: "multiple ACAO", path: "/twice", init: `{}`},
		{name: "preflight not ok", path: "/preflight-500", init: `{method: "PUT"}`, args: []string{"--method", "PUT"}},
		{name: "patch is case-sensitive", path: "/patch", init: `{method: "patch"}`, args: []string{"--method", "patch"}},
		{name: "header not allowed", path: "/header", init: `{method: "POST", headers: {"Content-Type": "application/json", "X-Custom-Header": "v"}}`,
			args: []string{"--method", "POST", "--content-type", "application/json", "--header", "X-Custom-Header: v"}},
		{name: "credentials without ACAC", path: "/credentials", init: `{credentials: "include"}`, args: []string{"--credentials", "include"}},
		{name: "redirect taints the origin", path: "/redirect", init: `{}`},
		{name: "authorization covered by star", path: "/auth-star", init: `{headers: {"Authorization": "Bearer t"}}`, args: []string{"--header", "Authorization: Bearer t"}, wantAllowed: true},
		{name: "preflight ACAO mismatch", path: "/preflight-mismatch", init: `{method: "DELETE"}`, args: []string{"--method", "DELETE"}},
		{name: "preflight without ACAC", path: "/preflight-credentials", init: `{method: "PUT", credentials: "include"}`, args: []string{"--method", "PUT", "--credentials", "include"}},
		{name: "allowed", path: "/ok", init: `{}`, wantAllowed: true},
	}
	b := newPage(t)
	if status := b.Goto(origin + "/"); status != http.StatusOK {
		t.Fatalf("page status %d", status)
	}
	seen := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := api.URL + tt.path
			var outcome string
			b.Eval(fmt.Sprintf(`try { await fetch(%q, %s); return "allowed"; } catch (e) { return "blocked: " + e; }`, target, tt.init), &outcome)
			browserText := ""
			if outcome != "allowed" { // the console line arrives with the rejection
				i, m := b.WaitConsole(seen, "Access to fetch at", 5*time.Second)
				browserText, seen = m.Text, i+1
			}

			code, out, errOut := runDoctor(t, append([]string{target, "--origin", origin, "--json"}, tt.args...)...)
			var r doctor.Report
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("doctor --json: %v\n%s%s", err, out, errOut)
			}
			if gotAllowed := outcome == "allowed"; gotAllowed != tt.wantAllowed {
				t.Fatalf("Chromium: %s, want allowed=%v", outcome, tt.wantAllowed)
			}
			if (r.Verdict == doctor.VerdictAllowed) != tt.wantAllowed || (code == 0) != tt.wantAllowed {
				t.Errorf("doctor verdict %s exit %d, Chromium: %s", r.Verdict, code, outcome)
			}
			if r.Console != browserText {
				t.Errorf("console text differs\nchromium: %s\ndoctor:   %s", browserText, r.Console)
			}
		})
	}
}

// TestDoctorUnreachableMatchesChromium: with nothing listening, Chromium
// prints a net:: error, not a CORS message, and so does doctor.
func TestDoctorUnreachableMatchesChromium(t *testing.T) {
	t.Parallel()
	page := blankPage(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	target := closed.URL + "/api"
	closed.Close()

	b := newPage(t)
	b.Goto(page.URL + "/")
	var outcome string
	b.Eval(fmt.Sprintf(`try { await fetch(%q); return "allowed"; } catch (e) { return "blocked: " + e; }`, target), &outcome)
	b.WaitConsole(0, "net::ERR_", 5*time.Second)
	var texts []string
	for _, m := range b.Console() {
		if strings.Contains(m.Text, "net::ERR_") {
			texts = append(texts, m.Text)
		}
	}
	code, out, _ := runDoctor(t, target, "--origin", page.URL, "--json")
	var r doctor.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	if outcome == "allowed" || code != 1 || r.Verdict != doctor.VerdictUnreachable {
		t.Fatalf("Chromium: %s; doctor: %s exit %d", outcome, r.Verdict, code)
	}
	if len(texts) != 1 || texts[0] != r.Console {
		t.Errorf("console text differs\nchromium: %q\ndoctor:   %q", texts, r.Console)
	}
}

// runDoctor runs "devproxy doctor args..." and returns exit status and output.
func runDoctor(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append([]string{"doctor"}, args...)...)
}
