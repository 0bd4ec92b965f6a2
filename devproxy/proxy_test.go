package devproxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/process"
	"github.com/devproxy/devproxy/internal/testkit"
)

// echoBackend answers with what it received, as JSON.
type seenRequest struct {
	Method string
	Path   string
	Raw    string
	Query  string
	Host   string
	Header http.Header
	Body   string
}

func echoBackend(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(seenRequest{r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Host, r.Header, string(body)})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func doJSON(t *testing.T, req *http.Request) seenRequest {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("%s %s = %d: %s", req.Method, req.URL, res.StatusCode, b)
	}
	var seen seenRequest
	if err := json.NewDecoder(res.Body).Decode(&seen); err != nil {
		t.Fatal(err)
	}
	return seen
}

func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestProxyRoutesPathsAndHost(t *testing.T) {
	t.Parallel()
	a, b := echoBackend(t), echoBackend(t)
	p := startProxy(t, fmt.Sprintf(`
[routes."/api"]
target = %q
[routes."/auth"]
target = "%s/base"
strip_prefix = true
change_origin = true
[routes."/v1"]
target = %q
rewrite = { from = "^/v1/(.*)$", to = "/v2/$1" }
`, a.URL, b.URL, b.URL))
	host := strings.TrimPrefix(p.URL, "http://")
	tests := []struct {
		name, path, wantPath, wantHost, wantQuery string
	}{
		{"kept path and Host", "/api/users?id=1", "/api/users", host, "id=1"},
		{"strip, base path, change_origin", "/auth/login?next=%2Fx", "/base/login", strings.TrimPrefix(b.URL, "http://"), "next=%2Fx"},
		{"rewrite", "/v1/things", "/v2/things", host, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := doJSON(t, newRequest(t, "GET", p.URL+tt.path, nil))
			if seen.Path != tt.wantPath || seen.Host != tt.wantHost || seen.Query != tt.wantQuery {
				t.Errorf("backend saw path %q host %q query %q, want %q %q %q", seen.Path, seen.Host, seen.Query, tt.wantPath, tt.wantHost, tt.wantQuery)
			}
		})
	}
}

func TestProxyForwardedHeadersAndConfiguredHeaders(t *testing.T) {
	be := echoBackend(t)
	t.Setenv("DEVPROXY_TEST_KEY", "k-123")
	p := startProxy(t, fmt.Sprintf(`
[routes."/api"]
target = %q
headers = { "X-Api-Key" = "${DEVPROXY_TEST_KEY}", "X-Source" = "devproxy" }
`, be.URL))
	req := newRequest(t, "GET", p.URL+"/api/x", nil)
	req.Header.Set("X-Forwarded-For", "10.9.8.7")
	// A hop-by-hop header named by Connection must not reach the backend (RFC 9110 7.6.1).
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "secret")
	seen := doJSON(t, req)
	checks := map[string]string{
		"X-Forwarded-For":   "10.9.8.7, 127.0.0.1",
		"X-Forwarded-Host":  strings.TrimPrefix(p.URL, "http://"),
		"X-Forwarded-Proto": "http",
		"X-Api-Key":         "k-123",
		"X-Source":          "devproxy",
		"X-Hop":             "",
	}
	for k, want := range checks {
		if got := strings.Join(seen.Header.Values(k), ", "); got != want {
			t.Errorf("backend saw %s = %q, want %q", k, got, want)
		}
	}
}

func TestProxyForwardsEveryMethodAndBody(t *testing.T) {
	t.Parallel()
	be := echoBackend(t)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = %q\n", be.URL))
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"} {
		req := newRequest(t, m, p.URL+"/api/m", strings.NewReader("body-"+m))
		if m == "OPTIONS" {
			req.Header.Set("Origin", "http://localhost:5173")
			req.Header.Set("Access-Control-Request-Method", "PUT")
		}
		seen := doJSON(t, req)
		if seen.Method != m || seen.Body != "body-"+m {
			t.Errorf("%s: backend saw %s with body %q", m, seen.Method, seen.Body)
		}
	}
}

// sseBackend streams the event "first", then, once release is closed,
// the event second, and keeps the stream open until the client leaves.
func sseBackend(t *testing.T, release <-chan struct{}, second string) *httptest.Server {
	t.Helper()
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprintf(w, "data: %s\n\n", second)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(be.Close)
	return be
}

// TestProxyStreamsSSE: an event reaches the client while the backend
// handler is still running, i.e. it is flushed, not buffered.
func TestProxyStreamsSSE(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	be := sseBackend(t, release, "second")
	defer close(release)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/events\" = %q\n", be.URL))
	res, err := http.Get(p.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	line := make(chan string, 1)
	go func() { // exits when the body is closed or a line arrives
		l, _ := bufio.NewReader(res.Body).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		if l != "data: first\n" {
			t.Errorf("first line = %q", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SSE event not delivered while the backend handler is still running: the proxy buffers")
	}
}

// TestProxyCancelsUpstreamWhenClientLeaves: an aborted fetch or a closed
// EventSource must stop the backend's work at once.
func TestProxyCancelsUpstreamWhenClientLeaves(t *testing.T) {
	t.Parallel()
	started, cancelled := make(chan struct{}), make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		close(started)
		select {
		case <-r.Context().Done():
			close(cancelled)
		case <-time.After(30 * time.Second):
		}
	}))
	t.Cleanup(be.Close)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/events\" = %q\n", be.URL))
	ctx, cancel := context.WithCancel(context.Background())
	req := newRequest(t, "GET", p.URL+"/events", nil).WithContext(ctx)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	<-started
	cancel()
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("backend request not cancelled after the client went away")
	}
}

// TestProxyLargeBodiesBoundedMemory streams 128 MiB up and down; the heap
// must not grow with the body size. Four times the allowed growth is enough
// to expose a body held in memory, at half the cost of 256 MiB.
func TestProxyLargeBodiesBoundedMemory(t *testing.T) {
	const size = 128 << 20
	chunk := make([]byte, 64<<10)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			n, _ := io.Copy(io.Discard, r.Body)
			fmt.Fprint(w, n)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(size))
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(be.Close)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/big\" = %q\n", be.URL))

	runtime.GC()
	peak := sampleHeap(t)

	res, err := http.Get(p.URL + "/big/down")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || n != size {
		t.Fatalf("download: %d bytes, %v", n, err)
	}
	up, err := http.Post(p.URL+"/big/up", "application/octet-stream", io.LimitReader(repeatReader(chunk), size))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(up.Body)
	up.Body.Close()
	if string(got) != fmt.Sprint(size) {
		t.Fatalf("upload: backend counted %s bytes, want %d", got, size)
	}
	if grow := peak(); grow > 32<<20 {
		t.Errorf("heap grew by %d MiB while streaming %d MiB: bodies are buffered", grow>>20, size>>20)
	}
}

// sampleHeap samples the heap in the background until the returned
// function is called; that returns the peak growth over the starting heap.
func sampleHeap(t *testing.T) (peakGrowth func() uint64) {
	t.Helper()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	stop, result := make(chan struct{}), make(chan uint64, 1)
	go func() { // exits when peakGrowth is called
		var peak uint64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				result <- peak - min(peak, base)
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(stop); return <-result }
}

// repeatReader repeats its bytes forever.
type repeatReader []byte

func (r repeatReader) Read(b []byte) (int, error) { return copy(b, r), nil }

// TestLocalhostTargetReachesIPv6OnlyBackend: "localhost" works when the
// backend listens only on ::1 (Node proxies fail with ECONNREFUSED here).
func TestLocalhostTargetReachesIPv6OnlyBackend(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatalf("this test needs an IPv6 loopback: %v", err)
	}
	be := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "v6 only")
	})}}
	be.Start()
	t.Cleanup(be.Close)
	port := ln.Addr().(*net.TCPAddr).Port
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = \"http://localhost:%d\"\n", port))
	res, err := http.Get(p.URL + "/api")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "v6 only" {
		t.Errorf("got %d %q, want 200 \"v6 only\"", res.StatusCode, body)
	}
}

func TestUpstreamDownExplainsInHTMLAndJSON(t *testing.T) {
	t.Parallel()
	dead := testkit.FreeAddr(t)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = \"http://%s\"\n", dead))
	req := newRequest(t, "GET", p.URL+"/api/users", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("HTML: status %d type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"nothing is listening on " + dead, "is your backend running?", "/api", "http://" + dead, "/__devproxy/"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("502 page lacks %q", want)
		}
	}

	req = newRequest(t, "GET", p.URL+"/api/users", nil)
	req.Header.Set("Accept", "application/json")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var prob problem
	err = json.NewDecoder(res.Body).Decode(&prob)
	res.Body.Close()
	if err != nil || res.StatusCode != 502 || prob.Status != 502 || prob.Route != "/api" || prob.Cause != "nothing is listening on "+dead {
		t.Errorf("JSON 502 = %d %+v (%v)", res.StatusCode, prob, err)
	}
}

func TestUpstreamTimeoutIs504(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // hangs before sending headers
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(be.Close)
	defer close(release)
	p := startProxy(t, fmt.Sprintf("[routes.\"/slow\"]\ntarget = %q\ntimeout = \"200ms\"\n", be.URL))
	req := newRequest(t, "GET", p.URL+"/slow", nil)
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var prob problem
	_ = json.NewDecoder(res.Body).Decode(&prob)
	res.Body.Close()
	if res.StatusCode != http.StatusGatewayTimeout || !strings.Contains(prob.Cause, "did not send response headers within 200ms") {
		t.Errorf("got %d %+v, want 504 naming the timeout", res.StatusCode, prob)
	}
}

// TestTimeoutDoesNotCutStreams: the route timeout covers the wait for
// headers only; a body that keeps streaming past it is untouched.
func TestTimeoutDoesNotCutStreams(t *testing.T) {
	t.Parallel()
	next := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(be.Close)
	p := startProxy(t, fmt.Sprintf("[routes.\"/s\"]\ntarget = %q\ntimeout = \"100ms\"\n", be.URL))
	res, err := http.Get(p.URL + "/s")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	for i := range 3 {
		line, err := rd.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: %d\n", i) {
			t.Fatalf("event %d: %q, %v", i, line, err)
		}
		_, _ = rd.ReadString('\n')
		// Wait past the timeout before the next event, measured by the
		// proxy's own clock: a timer that fires proves the time passed.
		<-time.After(150 * time.Millisecond)
		next <- struct{}{}
	}
}

// TestRetryHoldsRequestWhileBackendRestarts: a backend that answered
// recently and now refuses connections gets time to come back.
func TestRetryHoldsRequestWhileBackendRestarts(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "up") })
	first := &httptest.Server{Listener: ln, Config: &http.Server{Handler: handler}}
	first.Start()
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, fmt.Sprintf("[routes.\"/api\"]\ntarget = \"http://%s\"\nretry = \"10s\"\n", addr), slog.New(logs))
	get := func() (int, string, error) {
		res, err := http.Get(p.URL + "/api")
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), nil
	}
	if code, body, err := get(); err != nil || code != 200 || body != "up" {
		t.Fatalf("first request: %d %q %v", code, body, err)
	}
	first.Close() // the backend "restarts": its port refuses connections

	type result struct {
		code int
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() { c, b, err := get(); done <- result{c, b, err} }() // exits when the request completes
	logs.Wait(t, "backend refused the connection; waiting for it to restart", 10*time.Second)

	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("rebinding %s: %v", addr, err)
	}
	second := &httptest.Server{Listener: ln2, Config: &http.Server{Handler: handler}}
	second.Start()
	t.Cleanup(second.Close)
	select {
	case r := <-done:
		if r.err != nil || r.code != 200 || r.body != "up" {
			t.Errorf("held request: %d %q %v, want 200 \"up\"", r.code, r.body, r.err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("held request never completed")
	}
}

// TestNoRetryForBackendThatWasNeverUp: a backend that is simply not running
// fails at once with the helpful page, even with a long retry.
func TestNoRetryForBackendThatWasNeverUp(t *testing.T) {
	t.Parallel()
	p := startProxy(t, fmt.Sprintf("[routes.\"/api\"]\ntarget = \"http://%s\"\nretry = \"1h\"\n", testkit.FreeAddr(t)))
	client := &http.Client{Timeout: 10 * time.Second} // far below the retry: a held request would time out
	res, err := client.Get(p.URL + "/api")
	if err != nil {
		t.Fatalf("request was held instead of failing at once: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("status %d, want 502", res.StatusCode)
	}
}

func TestDevServerNotUpShowsWaitingPage(t *testing.T) {
	t.Parallel()
	addr := testkit.FreeAddr(t)
	p := startProxy(t, fmt.Sprintf("[frontend]\ndev_server = \"http://%s\"\n", addr))
	req := newRequest(t, "GET", p.URL+"/", nil)
	req.Header.Set("Accept", "text/html")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("status %d Retry-After %q, want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	for _, want := range []string{`http-equiv="refresh"`, "Waiting for the dev server", "npm run dev", `rel="icon"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("waiting page lacks %q", want)
		}
	}
	// A module request from the page, fetch or curl: the same answer as JSON.
	prob := getProblem(t, p.URL+"/src/main.ts", "*/*")
	if prob.res.StatusCode != http.StatusServiceUnavailable || prob.res.Header.Get("Retry-After") != "1" || prob.res.Header.Get("Content-Type") != "application/json" ||
		prob.Status != 503 || prob.Cause != "the dev server is not up: nothing is listening on "+addr {
		t.Errorf("non-HTML request: %d Retry-After %q %q %+v, want 503 JSON saying the dev server is not up",
			prob.res.StatusCode, prob.res.Header.Get("Retry-After"), prob.res.Header.Get("Content-Type"), prob)
	}
	// The browser's icon request: never the page, never a 5xx.
	if fav := getProblem(t, p.URL+"/favicon.ico", "image/avif,image/webp,image/*,*/*;q=0.8"); fav.res.StatusCode != http.StatusNotFound {
		t.Errorf("/favicon.ico while the dev server is down: %d, want 404", fav.res.StatusCode)
	}
}

// TestDevServerStartingSaysSo: while the command devproxy started has not
// opened the dev server's port, a non-browser client gets a 503 that says
// the dev server is starting and names the command.
func TestDevServerStartingSaysSo(t *testing.T) {
	t.Parallel()
	addr := testkit.FreeAddr(t)
	sv, err := process.Start([]config.Process{{Name: "frontend", Command: "sleep 60", Ready: addr}}, testkit.NewBuffer(), false, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	p := startProxy(t, fmt.Sprintf("[frontend]\ndev_server = \"http://%s\"\n", addr))
	p.ShowProcesses(sv)
	prob := getProblem(t, p.URL+"/", "*/*")
	want := "the dev server is starting: frontend (sleep 60) does not accept connections on " + addr + " yet"
	if prob.res.StatusCode != http.StatusServiceUnavailable || prob.res.Header.Get("Retry-After") != "1" || prob.Cause != want {
		t.Errorf("curl while the dev server starts: %d Retry-After %q cause %q, want 503, Retry-After 1, %q",
			prob.res.StatusCode, prob.res.Header.Get("Retry-After"), prob.Cause, want)
	}
}

// answer is a JSON problem body with the response it came in.
type answer struct {
	res    *http.Response
	Status int
	Cause  string
}

// getProblem GETs url with Accept and decodes the JSON problem body, if any.
func getProblem(t *testing.T, url, accept string) answer {
	t.Helper()
	req := newRequest(t, "GET", url, nil)
	req.Header.Set("Accept", accept)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	a := answer{res: res}
	_ = json.NewDecoder(res.Body).Decode(&a)
	return a
}

func TestDevServerGetsItsOwnHost(t *testing.T) {
	t.Parallel()
	be := echoBackend(t)
	p := startProxy(t, fmt.Sprintf("[frontend]\ndev_server = %q\n", be.URL))
	seen := doJSON(t, newRequest(t, "POST", p.URL+"/some/page?x=1", strings.NewReader("b")))
	if seen.Host != strings.TrimPrefix(be.URL, "http://") || seen.Path != "/some/page" || seen.Method != "POST" {
		t.Errorf("dev server saw %s %s host %q", seen.Method, seen.Path, seen.Host)
	}
	if got := seen.Header.Get("X-Forwarded-Host"); got != p.Addr {
		t.Errorf("X-Forwarded-Host = %q, want %q", got, p.Addr)
	}
}

func TestNoRouteNoFrontendIs404(t *testing.T) {
	t.Parallel()
	be := echoBackend(t)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = %q\n", be.URL))
	res, err := http.Get(p.URL + "/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	var prob problem
	_ = json.NewDecoder(res.Body).Decode(&prob)
	res.Body.Close()
	if res.StatusCode != 404 || len(prob.Routes) != 1 || prob.Routes[0] != "/api" {
		t.Errorf("got %d %+v, want 404 listing the routes", res.StatusCode, prob)
	}
}

// TestSlowUploadNotCutByTimeout: an upload that takes longer than the route
// timeout but keeps moving reaches the backend whole; only a stall is cut.
func TestSlowUploadNotCutByTimeout(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprint(w, n)
	}))
	t.Cleanup(be.Close)
	p := startProxy(t, fmt.Sprintf("[routes.\"/up\"]\ntarget = %q\ntimeout = \"400ms\"\n", be.URL))
	pr, pw := io.Pipe()
	go func() { // exits after the last chunk is written (or the pipe is closed by the client)
		for range 10 { // 10 chunks, 100 ms apart: 1 s in all, more than twice the timeout
			<-time.After(100 * time.Millisecond) // the pace of a slow upload is the behaviour under test
			if _, err := pw.Write(make([]byte, 1024)); err != nil {
				return
			}
		}
		pw.Close()
	}()
	res, err := http.Post(p.URL+"/up", "application/octet-stream", pr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "10240" {
		t.Errorf("slow upload: %d %q, want 200 \"10240\" (the whole body)", res.StatusCode, body)
	}
}

// TestRetryGivesUpOnceThenFailsFast: when a restarting backend does not
// come back within the hold, later requests fail at once instead of each
// waiting the whole retry time again.
func TestRetryGivesUpOnceThenFailsFast(t *testing.T) {
	t.Parallel()
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "up") }))
	logs := testkit.NewLogRecorder()
	p := startProxyLogged(t, fmt.Sprintf("[routes.\"/api\"]\ntarget = %q\nretry = \"300ms\"\n", be.URL), slog.New(logs))
	res, err := http.Get(p.URL + "/api")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	be.Close() // stays down
	res, err = http.Get(p.URL + "/api")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	logs.Wait(t, "backend did not come back; failing requests at once until it answers", 5*time.Second)
	holds := len(logs.All("backend refused the connection; waiting for it to restart"))
	res, err = http.Get(p.URL + "/api")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("status %d, want 502", res.StatusCode)
	}
	if n := len(logs.All("backend refused the connection; waiting for it to restart")); n != holds {
		t.Errorf("the request after the give-up was held again (%d holds, want %d)", n, holds)
	}
}
