package devproxy

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
)

// setSwitch calls the switch API as the status page does, with extra
// headers (or header deletions, as "Name": "") applied on top.
func setSwitch(t *testing.T, p *testProxy, body string, header map[string]string) (int, string) {
	t.Helper()
	req := newRequest(t, "POST", p.URL+config.ReservedPrefix+"/override", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Devproxy", "1")
	req.Header.Set("Origin", p.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestSwitchesRefuseEveryOtherCaller: only devproxy's own page may flip a
// switch; a page on another site cannot, whichever request it can make.
func TestSwitchesRefuseEveryOtherCaller(t *testing.T) {
	t.Parallel()
	be, hits := countingBackend(t)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = %q\n", be.URL))
	const offline = `{"route": "/api", "offline": "503"}`
	tests := []struct {
		name   string
		body   string
		header map[string]string
		status int
	}{
		// What a foreign page can send without a preflight: a form POST or a simple fetch.
		{"form post from another site", "route=/api&offline=503", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Devproxy": "", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"text/plain fetch from another site", offline, map[string]string{"Content-Type": "text/plain", "X-Devproxy": "", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"no custom header", offline, map[string]string{"X-Devproxy": ""}, 403},
		{"foreign origin", offline, map[string]string{"Origin": "http://evil.example"}, 403},
		{"another port on localhost", offline, map[string]string{"Origin": "http://localhost:5173", "Sec-Fetch-Site": "same-site"}, 403},
		{"cross-site fetch metadata", offline, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"not JSON", offline, map[string]string{"Content-Type": "text/plain"}, 415},
		{"GET", "", nil, 405},
		{"unknown route", `{"route": "/nope", "offline": "503"}`, nil, 404},
		{"unknown mode", `{"route": "/api", "offline": "maybe"}`, nil, 400},
		{"unknown network", `{"route": "/api", "network": "dialup"}`, nil, 400},
		{"unknown field", `{"route": "/api", "offlne": "503"}`, nil, 400},
	}
	for _, tt := range tests {
		var status int
		if tt.name == "GET" {
			res, _ := get(t, "GET", p.URL+config.ReservedPrefix+"/override", nil)
			status = res.StatusCode
		} else {
			status, _ = setSwitch(t, p, tt.body, tt.header)
		}
		if status != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, status, tt.status)
		}
	}
	// None of them took the route offline.
	if res, body := get(t, "GET", p.URL+"/api/x", nil); res.StatusCode != 200 || body != "backend" || hits.Load() != 1 {
		t.Errorf("after the refused calls GET /api/x = %d %q (backend hits %d), want the backend", res.StatusCode, body, hits.Load())
	}
	// devproxy's own page (no Origin on a same-origin call in some browsers) may.
	if status, body := setSwitch(t, p, offline, map[string]string{"Origin": "", "Sec-Fetch-Site": ""}); status != 200 {
		t.Fatalf("own call = %d %s", status, body)
	}
	if res, _ := get(t, "GET", p.URL+"/api/x", nil); res.StatusCode != 503 {
		t.Errorf("after switching offline GET /api/x = %d, want 503", res.StatusCode)
	}
}

// TestSwitchesApplyLiveAndSurviveReload: offline and slow take effect on
// the next request, show in status.json, outlive a config reload, and go
// when switched back.
func TestSwitchesApplyLiveAndSurviveReload(t *testing.T) {
	t.Parallel()
	be, hits := countingBackend(t)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = %[1]q\n[routes.\"/slow\"]\ntarget = %[1]q\ndelay = \"400ms\"\n", be.URL))

	if status, body := setSwitch(t, p, `{"route": "/api", "offline": "503"}`, nil); status != 200 || !strings.Contains(body, `"offline":"503"`) {
		t.Fatalf("switch = %d %s", status, body)
	}
	res, body := get(t, "GET", p.URL+"/api/users", http.Header{"Accept": {"text/html"}})
	if res.StatusCode != 503 || !strings.Contains(body, "switched offline on the status page") || hits.Load() != 0 {
		t.Errorf("offline /api = %d (backend hits %d):\n%s", res.StatusCode, hits.Load(), body)
	}
	var rep statusReport
	getJSON(t, p.URL+config.ReservedPrefix+"/status.json", &rep)
	if got := routeRow(rep, "/api").Override; got == nil || got.Offline != "503" {
		t.Errorf("status.json /api override = %+v, want offline 503", got)
	}

	// "reset": the connection is dropped.
	setSwitch(t, p, `{"route": "/api", "offline": "reset"}`, nil)
	if _, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(p.URL + "/api/users"); err == nil {
		t.Error("offline reset: the request got an answer")
	}

	// Slow: a preset replaces the route's own conditions; "none" removes them.
	setSwitch(t, p, `{"route": "/api", "network": "fast-4g"}`, nil)
	if d, status, _ := timed(t, http.DefaultClient, "GET", p.URL+"/api/users", nil); status != 200 || d < 165*time.Millisecond {
		t.Errorf("/api on fast-4g = %d in %v, want 200 after at least 165ms", status, d)
	}
	setSwitch(t, p, `{"route": "/slow", "network": "none"}`, nil)
	if d, _, _ := timed(t, http.DefaultClient, "GET", p.URL+"/slow/x", nil); d >= 400*time.Millisecond {
		t.Errorf("/slow with network none took %v, want no delay", d)
	}

	// A reload keeps the switches.
	cfg, err := config.Parse(p.File, fmt.Appendf(nil, "[routes]\n\"/api\" = %[1]q\n\"/new\" = %[1]q\n[routes.\"/slow\"]\ntarget = %[1]q\ndelay = \"400ms\"\n", be.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := timed(t, http.DefaultClient, "GET", p.URL+"/slow/x", nil); d >= 400*time.Millisecond {
		t.Errorf("after a reload /slow took %v, want the switch kept", d)
	}

	// Back to the file's settings.
	setSwitch(t, p, `{"route": "/slow", "network": ""}`, nil)
	if d, _, _ := timed(t, http.DefaultClient, "GET", p.URL+"/slow/x", nil); d < 400*time.Millisecond {
		t.Errorf("/slow as configured took %v, want at least its 400ms delay", d)
	}
	setSwitch(t, p, `{"route": "/api"}`, nil)
	rep = statusReport{}
	getJSON(t, p.URL+config.ReservedPrefix+"/status.json", &rep)
	for _, r := range rep.Routes {
		if r.Override != nil {
			t.Errorf("status.json %s override = %+v after switching everything back", r.Name, r.Override)
		}
	}
}

// TestStaticFrontendSwitches: the static build has its row and switches
// too, so "what does my app do offline" covers its own files.
func TestStaticFrontendSwitches(t *testing.T) {
	t.Parallel()
	p := startProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\n", staticSite(t)))
	var rep statusReport
	getJSON(t, p.URL+config.ReservedPrefix+"/status.json", &rep)
	if r := routeRow(rep, "static"); !r.Up || r.Path != "/" || !strings.HasPrefix(r.Target, "static ") {
		t.Errorf("status.json static row = %+v, want an up row for / served from the build", r)
	}
	if status, body := setSwitch(t, p, `{"route": "static", "offline": "503"}`, nil); status != 200 {
		t.Fatalf("switch = %d %s", status, body)
	}
	if res, body := get(t, "GET", p.URL+"/", http.Header{"Accept": {"text/html"}}); res.StatusCode != 503 || !strings.Contains(body, "switched offline on the status page") {
		t.Errorf("offline static = %d:\n%s", res.StatusCode, body)
	}
	setSwitch(t, p, `{"route": "static", "offline": ""}`, nil)
	if res, _ := get(t, "GET", p.URL+"/", nil); res.StatusCode != 200 {
		t.Errorf("back online: GET / = %d", res.StatusCode)
	}
}

func routeRow(rep statusReport, name string) routeStatus {
	for _, r := range rep.Routes {
		if r.Name == name {
			return r
		}
	}
	return routeStatus{}
}
