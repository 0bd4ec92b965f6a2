package export_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// The checks of the behaviour table's rows. Each returns every way the
// engine differs from what devproxy does, or nil.

const (
	indexHTML     = "<!doctype html><title>app shell</title>"
	appJS         = "console.log('app')"
	allowedOrigin = "http://allowed.test"
	foreignOrigin = "http://evil.test"
	rowTimeout    = 15 * time.Second
)

// proxy is a client of one engine.
type proxy struct {
	addr, url string
	b         *backends
	client    *http.Client
}

func newProxy(addr string, b *backends) *proxy {
	return &proxy{addr: addr, url: "http://" + addr, b: b, client: &http.Client{
		Timeout:       rowTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request; header "Host" sets the Host.
func (p *proxy) do(method, path string, header map[string]string, body io.Reader) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, p.url+path, body)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := p.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res, data, err
}

// echo GETs path and decodes the echo backend's answer.
func (p *proxy) echo(path string, header map[string]string) (echoed, error) {
	var e echoed
	res, body, err := p.do("GET", path, header, nil)
	if err != nil {
		return e, err
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &e) != nil {
		return e, fmt.Errorf("GET %s = %d %.200q, want 200 from an echo backend", path, res.StatusCode, body)
	}
	return e, nil
}

// expectEcho checks which backend answered path and what path and query it saw.
func (p *proxy) expectEcho(path, backend, upPath, upQuery string) error {
	e, err := p.echo(path, nil)
	if err != nil {
		return err
	}
	if e.Backend != backend || e.Path != upPath || e.Query != upQuery {
		return fmt.Errorf("GET %s reached backend %s as %s?%s, want backend %s as %s?%s", path, e.Backend, e.Path, e.Query, backend, upPath, upQuery)
	}
	return nil
}

func checkPrefixRouting(p *proxy) error {
	return errors.Join(
		p.expectEcho("/api/users?id=1", "a", "/api/users", "id=1"),
		p.expectEcho("/api", "a", "/api", ""),
		notRouted(p, "/apix"), // a prefix matches whole path segments only
	)
}

// notRouted checks that path falls through to the static build.
func notRouted(p *proxy, path string) error {
	res, body, err := p.do("GET", path, nil, nil)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK || string(body) != indexHTML {
		return fmt.Errorf("GET %s = %d %.200q, want the static build's index.html (no route matches)", path, res.StatusCode, body)
	}
	return nil
}

func checkLongestMatch(p *proxy) error {
	return errors.Join(
		p.expectEcho("/api/v2/items", "b", "/items", ""),
		p.expectEcho("/api/v2x", "a", "/api/v2x", ""),
	)
}

func checkStripPrefix(p *proxy) error {
	return errors.Join(
		p.expectEcho("/api/v2", "b", "/", ""),
		p.expectEcho("/api/v2/?q=1", "b", "/", "q=1"),
		p.expectEcho("/api/v2/a/b?q=1", "b", "/a/b", "q=1"),
		// The prefix removed, in place of one the browser made up; none where nothing was removed.
		p.expectHeader("/api/v2/x", "X-Forwarded-Prefix", "/evil", "/api/v2"),
		p.expectHeader("/api/x", "X-Forwarded-Prefix", "/evil", ""),
	)
}

// expectHeader sends header name = sent to path and checks what the echo
// backend received ("" for none).
func (p *proxy) expectHeader(path, name, sent, want string) error {
	e, err := p.echo(path, map[string]string{name: sent})
	if err != nil {
		return err
	}
	if got := strings.Join(e.Header.Values(name), ", "); got != want {
		return fmt.Errorf("GET %s with %s: %s: upstream %s = %q, want %q", path, name, sent, name, got, want)
	}
	return nil
}

func checkRewrite(p *proxy) error {
	return errors.Join(
		p.expectEcho("/rw/old/thing?x=1", "a", "/rw/new/thing", "x=1"),
		p.expectEcho("/rw/other", "a", "/rw/other", ""),
		p.expectEcho("/rw2/42/tail", "a", "/items/42/tailx", ""), // a named group, ${n} and a {n,} repeat
		p.expectEcho("/rw2/4/tail", "a", "/rw2/4/tail", ""),
	)
}

func checkUpstreamHeaders(p *proxy) error {
	e, err := p.echo("/hdr/echo", map[string]string{"X-Token": "from-the-browser"})
	if err != nil {
		return err
	}
	want := map[string]string{
		"Host":              p.addr, // not change_origin: the browser's Host
		"X-Static":          "plain value",
		"X-Token":           "Bearer " + secretToken,
		"X-Forwarded-For":   "127.0.0.1",
		"X-Forwarded-Host":  p.addr,
		"X-Forwarded-Proto": "http",
	}
	e.Header.Set("Host", e.Host)
	var errs []error
	for k, v := range want {
		if got := e.Header.Values(k); len(got) != 1 || got[0] != v {
			errs = append(errs, fmt.Errorf("upstream %s = %q, want %q", k, got, v))
		}
	}
	return errors.Join(errs...)
}

func checkChangeOrigin(p *proxy) error {
	e, err := p.echo("/co/echo", map[string]string{"Origin": p.url, "Referer": p.url + "/page?x=1"})
	if err != nil {
		return err
	}
	target := "http://" + p.b.a.Listener.Addr().String()
	var errs []error
	if e.Host != p.b.a.Listener.Addr().String() {
		errs = append(errs, fmt.Errorf("upstream Host = %q, want the target's %q", e.Host, p.b.a.Listener.Addr()))
	}
	// The page's own origin is presented as the target's, so a backend that
	// compares Origin with Host (Django's CSRF check) accepts it.
	if got := e.Header.Get("Origin"); got != target {
		errs = append(errs, fmt.Errorf("upstream Origin = %q for the page's own %s, want the target's %q", got, p.url, target))
	}
	if got := e.Header.Get("Referer"); got != target+"/page?x=1" {
		errs = append(errs, fmt.Errorf("upstream Referer = %q, want %q", got, target+"/page?x=1"))
	}
	// A foreign page's stays, for the backend to refuse.
	errs = append(errs, p.expectHeader("/co/echo", "Origin", foreignOrigin, foreignOrigin))
	return errors.Join(errs...)
}

// dialWS opens a WebSocket through the proxy, with origin as Origin
// unless it is empty.
func (p *proxy) dialWS(path, origin string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	d := websocket.Dialer{HandshakeTimeout: rowTimeout}
	return d.Dial("ws://"+p.addr+path, h)
}

// echoOnce sends a random binary message and checks it comes back.
func echoOnce(conn *websocket.Conn) error {
	msg := make([]byte, 64<<10)
	rand.Read(msg)
	conn.NetConn().SetDeadline(time.Now().Add(rowTimeout))
	if err := conn.WriteMessage(websocket.BinaryMessage, msg); err != nil {
		return err
	}
	_, got, err := conn.ReadMessage()
	if err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return errors.New("the echoed message differs from the one sent")
	}
	return nil
}

func checkWebSocketEcho(p *proxy) error {
	conn, res, err := p.dialWS("/stream/ws", "")
	if err != nil {
		return fmt.Errorf("handshake through /stream: %v (%s)", err, status(res))
	}
	defer conn.Close()
	return echoOnce(conn)
}

func checkWebSocketChangeOrigin(p *proxy) error {
	// A page on the proxy's own origin; the backend accepts only its own.
	conn, res, err := p.dialWS("/co/ws-strict", p.url)
	if err != nil {
		return fmt.Errorf("handshake from %s through /co to a backend that checks Origin: %v (%s)", p.url, err, status(res))
	}
	defer conn.Close()
	return echoOnce(conn)
}

func checkWebSocketForeignOrigin(p *proxy) error {
	conn, res, err := p.dialWS("/stream/ws", foreignOrigin)
	if err == nil {
		conn.Close()
		return fmt.Errorf("a handshake from %s was accepted, want 403", foreignOrigin)
	}
	if res == nil || res.StatusCode != http.StatusForbidden {
		return fmt.Errorf("a handshake from %s got %v (%s), want 403", foreignOrigin, err, status(res))
	}
	return nil
}

func status(res *http.Response) string {
	if res == nil {
		return "no response"
	}
	return res.Status
}

// checkSSE reads events one at a time; the backend sends the next only
// after the row received the one before, so a proxy that buffers the
// stream stalls here.
func checkSSE(p *proxy) error {
	id := newID()
	res, err := p.client.Get(p.url + "/stream/sse?id=" + id)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return fmt.Errorf("Content-Type = %q, want text/event-stream", ct)
	}
	events := make(chan string)
	go func() { // exits at the end of the body, which the deferred Close forces
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events <- data
			}
		}
	}()
	ack := p.b.signal(id)
	for i := 1; i <= sseEvents; i++ {
		select {
		case got, ok := <-events:
			if want := fmt.Sprintf("event %d", i); !ok || got != want {
				return fmt.Errorf("event %d = %q (stream open: %t), want %q", i, got, ok, want)
			}
		case <-time.After(signalTimeout):
			return fmt.Errorf("event %d did not arrive while the backend waited for it to be read: the stream is buffered", i)
		}
		ack <- struct{}{}
	}
	return nil
}

// checkUpload sends a large body whose first part must reach the backend
// before the rest is sent: the proxy streams uploads.
func checkUpload(p *proxy) error {
	id := newID()
	pr, pw := io.Pipe()
	seen := p.b.signal(id)
	sent := make(chan error, 1)
	go func() { // exits when the body is written or the pipe is closed
		body := downloadBody()
		_, err := io.CopyN(pw, body, uploadHead)
		if err == nil {
			select {
			case <-seen:
				_, err = io.Copy(pw, body)
			case <-time.After(signalTimeout):
				err = errors.New("the backend did not receive the start of the upload while the rest waited: the upload is buffered")
			}
		}
		pw.CloseWithError(err)
		sent <- err
	}()
	req, err := http.NewRequest("POST", p.url+"/stream/upload?id="+id, pr)
	if err != nil {
		return err
	}
	res, err := p.client.Do(req)
	if werr := <-sent; werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	n, sum, _ := sha256Hex(downloadBody())
	if want := fmt.Sprintf("%d %s", n, sum); res.StatusCode != http.StatusOK || string(got) != want {
		return fmt.Errorf("upload = %d %q, want 200 %q", res.StatusCode, got, want)
	}
	return nil
}

func checkDownload(p *proxy) error {
	res, err := p.client.Get(p.url + "/stream/download")
	if err != nil {
		return err
	}
	defer res.Body.Close()
	n, sum, err := sha256Hex(res.Body)
	if err != nil {
		return err
	}
	wn, wsum, _ := sha256Hex(downloadBody())
	if n != wn || sum != wsum {
		return fmt.Errorf("download: %d bytes sha256 %s, want %d bytes %s", n, sum, wn, wsum)
	}
	return nil
}

// checkCookies: cookies set by the backend behind /acct (strip_prefix)
// land on the proxy's host; Path=/ stays the whole site, a Path the backend
// already wrote under the prefix stays, another Path is mapped under it.
func checkCookies(p *proxy) error {
	res, _, err := p.do("GET", "/acct/login?under=/acct", nil, nil)
	if err != nil {
		return err
	}
	return expectCookies(res, map[string]string{"sid": "/", "pref": "/acct/settings", "own": "/acct/area"})
}

// expectCookies checks that each named cookie has no Domain (an empty one
// is ignored by browsers: host-only either way) and the given Path.
func expectCookies(res *http.Response, want map[string]string) error {
	var errs []error
	for _, line := range res.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("Set-Cookie %q: %v", line, err))
			continue
		}
		path, ok := want[c.Name]
		if !ok {
			continue
		}
		delete(want, c.Name)
		if c.Domain != "" || c.Path != path {
			errs = append(errs, fmt.Errorf("Set-Cookie %q: Domain %q Path %q, want no Domain and Path %q", line, c.Domain, c.Path, path))
		}
	}
	for name := range want {
		errs = append(errs, fmt.Errorf("no Set-Cookie for %s in %q", name, res.Header.Values("Set-Cookie")))
	}
	return errors.Join(errs...)
}

// mapped is one URL a backend sends and what the browser must see.
type mapped struct{ sent, want string }

// checkRedirects asks the backend behind route to send each URL in header
// and checks what arrives, resolved against the request as a browser
// resolves it. BACKEND in a URL is the backend's own host:port.
func (p *proxy) checkRedirects(route, header string, cases []mapped) error {
	var errs []error
	for _, c := range cases {
		res, _, err := p.do("GET", route+"/redirect?header="+header+"&to="+url.QueryEscape(c.sent), nil, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got := res.Header.Get(header)
		if header == "Refresh" {
			_, got, _ = strings.Cut(got, "url=")
		}
		if resolved, err := res.Request.URL.Parse(got); err != nil || resolved.String() != c.want {
			errs = append(errs, fmt.Errorf("%s %q became %q, want %q", header, c.sent, res.Header.Get(header), c.want))
		}
	}
	return errors.Join(errs...)
}

// loopbackAlias is backend a's address spelt with localhost.
func (p *proxy) loopbackAlias() string {
	_, port, _ := net.SplitHostPort(p.b.a.Listener.Addr().String())
	return "localhost:" + port
}

// checkLocation: redirects from the backend behind /acct (strip_prefix)
// keep the browser on the proxy, under the route.
func checkLocation(p *proxy) error {
	return p.checkRedirects("/acct", "Location", []mapped{
		{"http://BACKEND/login?next=/x", p.url + "/acct/login?next=/x"},
		{"http://" + p.loopbackAlias() + "/", p.url + "/acct"}, // another spelling of the backend's loopback address
		{"/login", p.url + "/acct/login"},                      // the backend's own path
		{"/acct/already", p.url + "/acct/already"},             // already public
		{p.url + "/login", p.url + "/acct/login"},              // its own path on the proxy's origin (it trusts X-Forwarded-Host)
		{p.url + "/acct/x", p.url + "/acct/x"},                 // already public there
		{"http://other.test/x", "http://other.test/x"},         // someone else's
	})
}

func checkRedirectsPassthrough(p *proxy) error {
	self := p.b.a.Listener.Addr().String()
	return p.checkRedirects("/raw", "Location", []mapped{
		{"/login", p.url + "/login"}, // a page of the frontend
		{"http://BACKEND/x", "http://" + self + "/x"},
	})
}

func checkContentLocation(p *proxy) error {
	return p.checkRedirects("/acct", "Content-Location", []mapped{
		{"http://BACKEND/items/1", p.url + "/acct/items/1"},
		{"/items/2", p.url + "/acct/items/2"},
	})
}

func checkRefresh(p *proxy) error {
	return p.checkRedirects("/acct", "Refresh", []mapped{{"0; url=http://BACKEND/login", p.url + "/acct/login"}})
}

// corsHeaders are the response's Access-Control-* headers.
func corsHeaders(res *http.Response) http.Header {
	h := http.Header{}
	for k, v := range res.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			h[k] = v
		}
	}
	return h
}

func preflight(p *proxy, origin string) (*http.Response, error) {
	res, _, err := p.do("OPTIONS", "/cors/data", map[string]string{
		"Origin":                         origin,
		"Access-Control-Request-Method":  "PUT",
		"Access-Control-Request-Headers": "x-custom",
	}, nil)
	return res, err
}

func checkPreflightAllowed(p *proxy) error {
	res, err := preflight(p, allowedOrigin)
	if err != nil {
		return err
	}
	h := corsHeaders(res)
	var errs []error
	if res.StatusCode != http.StatusNoContent {
		errs = append(errs, fmt.Errorf("preflight = %d, want 204 answered by the proxy", res.StatusCode))
	}
	exact := map[string]string{"Access-Control-Allow-Origin": allowedOrigin, "Access-Control-Allow-Credentials": "true", "Access-Control-Max-Age": "600"}
	for k, v := range exact {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			errs = append(errs, fmt.Errorf("%s = %q, want %q", k, got, v))
		}
	}
	if m := h.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "PUT") {
		errs = append(errs, fmt.Errorf("Access-Control-Allow-Methods = %q, want PUT in it", m))
	}
	if a := h.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(a), "x-custom") {
		errs = append(errs, fmt.Errorf("Access-Control-Allow-Headers = %q, want x-custom in it", a))
	}
	if !hasToken(res.Header, "Vary", "Origin") {
		errs = append(errs, fmt.Errorf("Vary = %q, want Origin in it", res.Header.Values("Vary")))
	}
	return errors.Join(errs...)
}

func checkCORSAllowed(p *proxy) error {
	res, body, err := p.do("GET", "/cors/data?cors", map[string]string{"Origin": allowedOrigin}, nil)
	if err != nil {
		return err
	}
	h := corsHeaders(res)
	var errs []error
	if res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"backend":"a"`)) {
		errs = append(errs, fmt.Errorf("GET = %d %.100q, want 200 from the backend", res.StatusCode, body))
	}
	// The backend's own "*" is replaced: a second Access-Control-Allow-Origin is a CORS error of its own.
	for k, v := range map[string]string{"Access-Control-Allow-Origin": allowedOrigin, "Access-Control-Allow-Credentials": "true"} {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			errs = append(errs, fmt.Errorf("%s = %q, want exactly %q", k, got, v))
		}
	}
	if !hasToken(res.Header, "Vary", "Origin") {
		errs = append(errs, fmt.Errorf("Vary = %q, want Origin in it", res.Header.Values("Vary")))
	}
	return errors.Join(errs...)
}

func checkPreflightRefused(p *proxy) error {
	res, err := preflight(p, foreignOrigin)
	if err != nil {
		return err
	}
	if h := corsHeaders(res); res.StatusCode != http.StatusForbidden || len(h) > 0 {
		return fmt.Errorf("preflight from %s = %d %v, want 403 without CORS headers", foreignOrigin, res.StatusCode, h)
	}
	return nil
}

func checkCORSRefused(p *proxy) error {
	res, body, err := p.do("GET", "/cors/data?cors", map[string]string{"Origin": foreignOrigin}, nil)
	if err != nil {
		return err
	}
	if h := corsHeaders(res); res.StatusCode != http.StatusOK || len(h) > 0 {
		return fmt.Errorf("GET from %s = %d %v %.100q, want 200 from the backend without CORS headers (its own \"*\" removed)", foreignOrigin, res.StatusCode, h, body)
	}
	return nil
}

func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func checkStatic(p *proxy) error {
	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"/", 200, indexHTML},
		{"/users/42", 200, indexHTML}, // a client-side route
		{"/app.js", 200, appJS},
		{"/missing.js", 404, ""}, // a file with an extension is not the app shell
	}
	var errs []error
	for _, c := range cases {
		res, body, err := p.do("GET", c.path, nil, nil)
		switch {
		case err != nil:
			errs = append(errs, err)
		case res.StatusCode != c.status || c.body != "" && string(body) != c.body:
			errs = append(errs, fmt.Errorf("GET %s = %d %.80q, want %d %q", c.path, res.StatusCode, body, c.status, c.body))
		case c.status == 200 && res.Header.Get("Cache-Control") != "no-cache":
			errs = append(errs, fmt.Errorf("GET %s: Cache-Control %q, want no-cache", c.path, res.Header.Get("Cache-Control")))
		}
	}
	return errors.Join(errs...)
}

func checkDotfiles(p *proxy) error {
	res, body, err := p.do("GET", "/.env", nil, nil)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusNotFound || bytes.Contains(body, []byte("SECRET")) {
		return fmt.Errorf("GET /.env = %d %.80q, want 404", res.StatusCode, body)
	}
	return nil
}

func checkForeignHost(p *proxy) error {
	return p.expectHosts(map[string]int{"evil.example": 403, "app.test": 200, "localhost": 200, "x.localhost": 200, "sub.test": 200})
}

func checkHostSuffix(p *proxy) error {
	return p.expectHosts(map[string]int{"a.sub.test": 200, "a.b.sub.test": 200})
}

// expectHosts GETs a route with each Host and checks the status.
func (p *proxy) expectHosts(want map[string]int) error {
	var errs []error
	for host, want := range want {
		res, _, err := p.do("GET", "/api/x", map[string]string{"Host": host}, nil)
		if err != nil {
			errs = append(errs, err)
		} else if res.StatusCode != want {
			errs = append(errs, fmt.Errorf("Host %s = %d, want %d", host, res.StatusCode, want))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

func checkHostIPLiteral(p *proxy) error {
	return p.expectHosts(map[string]int{"192.0.2.10": 200, "[2001:db8::1]": 200}) // an IP cannot be rebound to another site
}

// checkSecureOnPlainHTTP: on plain http to a name that is not loopback,
// where the browser drops Secure cookies, devproxy drops Secure and
// lowers SameSite=None to Lax so the cookie is kept.
func checkSecureOnPlainHTTP(p *proxy) error {
	res, _, err := p.do("GET", "/acct/login", map[string]string{"Host": "app.test"}, nil)
	if err != nil {
		return err
	}
	for _, line := range res.Header.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil && c.Name == "cross" {
			if c.Secure || c.SameSite != http.SameSiteLaxMode {
				return fmt.Errorf("Set-Cookie %q at http://app.test, want it without Secure and with SameSite=Lax", line)
			}
			return nil
		}
	}
	return fmt.Errorf("no Set-Cookie for cross in %q", res.Header.Values("Set-Cookie"))
}

func checkCaseSensitive(p *proxy) error {
	return notRouted(p, "/API/users") // no route: the SPA fallback answers
}

func checkForwardedFor(p *proxy) error {
	e, err := p.echo("/hdr/echo", map[string]string{"X-Forwarded-For": "203.0.113.7"})
	if err != nil {
		return err
	}
	if got, want := strings.Join(e.Header.Values("X-Forwarded-For"), ", "), "203.0.113.7, 127.0.0.1"; got != want {
		return fmt.Errorf("upstream X-Forwarded-For = %q, want %q (the client's chain, then the client)", got, want)
	}
	return nil
}

func checkDevServerHost(p *proxy) error {
	e, err := p.echo("/some/page", nil)
	if err != nil {
		return err
	}
	if want := p.b.a.Listener.Addr().String(); e.Backend != "a" || e.Path != "/some/page" || e.Host != want || e.Header.Get("X-Forwarded-Host") != p.addr {
		return fmt.Errorf("dev server got %s %s with Host %q and X-Forwarded-Host %q, want backend a, the same path, Host %q (its own) and X-Forwarded-Host %q",
			e.Backend, e.Path, e.Host, e.Header.Get("X-Forwarded-Host"), want, p.addr)
	}
	return nil
}

// checkDevServerUntouched: the dev server's redirects and cookies reach
// the browser as it sent them.
func checkDevServerUntouched(p *proxy) error {
	self := p.b.a.Listener.Addr().String()
	errs := []error{p.checkRedirects("", "Location", []mapped{{"http://BACKEND/x", "http://" + self + "/x"}})}
	res, _, err := p.do("GET", "/login", nil, nil)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if got := res.Header.Values("Set-Cookie"); len(got) != 3 || !strings.Contains(got[0], "Domain=127.0.0.1") {
		errs = append(errs, fmt.Errorf("the dev server's Set-Cookie became %q, want it untouched", got))
	}
	return errors.Join(errs...)
}

// checkDevServerWebSocket: a hot-reload socket from the page's own origin
// reaches a dev server that checks Origin against its own Host.
func checkDevServerWebSocket(p *proxy) error {
	conn, res, err := p.dialWS("/hmr/ws-strict", p.url)
	if err != nil {
		return fmt.Errorf("handshake from %s to the dev server: %v (%s)", p.url, err, status(res))
	}
	defer conn.Close()
	return echoOnce(conn)
}

func checkBasePath(p *proxy) error {
	return errors.Join(
		p.expectEcho("/v1/items?x=1", "b", "/base/items", "x=1"),
		p.expectEcho("/v1", "b", "/base/", ""),
	)
}

// checkBasePathResponses: cookies and redirects from a backend under a
// base path are mapped to the route.
func checkBasePathResponses(p *proxy) error {
	errs := []error{p.checkRedirects("/v1", "Location", []mapped{
		{"http://BACKEND/base/login", p.url + "/v1/login"},
		{"/base/login", p.url + "/v1/login"},
		{"http://BACKEND/elsewhere", "http://" + p.b.b.Listener.Addr().String() + "/elsewhere"}, // outside the base path
	})}
	res, _, err := p.do("GET", "/v1/login?base=/base", nil, nil)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, expectCookies(res, map[string]string{"sid": "/", "pref": "/v1/settings"}))
	return errors.Join(errs...)
}

// mockUsers is the mock file of the static suite's /mockfile route.
const mockUsers = `[{"id":1,"name":"Ada"}]`

// checkMock checks one mocked answer: status, body, Content-Type, a
// header of the mock's own and devproxy's Cache-Control.
func checkMock(p *proxy, method, path string, status int, body, ctype string, header [2]string) error {
	res, got, err := p.do(method, path, nil, nil)
	switch {
	case err != nil:
		return err
	case res.StatusCode != status || string(got) != body:
		return fmt.Errorf("%s %s = %d %.100q, want %d %q", method, path, res.StatusCode, got, status, body)
	case res.Header.Get("Content-Type") != ctype:
		return fmt.Errorf("%s %s: Content-Type %q, want %q", method, path, res.Header.Get("Content-Type"), ctype)
	case res.Header.Get(header[0]) != header[1] || res.Header.Get("Cache-Control") != "no-store":
		return fmt.Errorf("%s %s: %s %q, Cache-Control %q; want %q and no-store", method, path, header[0], res.Header.Get(header[0]), res.Header.Get("Cache-Control"), header[1])
	}
	return nil
}

func checkMockBody(p *proxy) error {
	const body = `{"id": 1, "see": "{path}"}` // braces are no placeholder, a "$" no variable
	return errors.Join(
		checkMock(p, "GET", "/mock", 201, body, "application/json", [2]string{"X-Mock", "yes"}),
		checkMock(p, "POST", "/mock/deeper?x=1", 201, body, "application/json", [2]string{"X-Mock", "yes"}),
	)
}

func checkMockFile(p *proxy) error {
	return errors.Join(
		checkMock(p, "GET", "/mockfile", 200, mockUsers, "application/json", [2]string{"X-Total-Count", "1"}),
		checkMock(p, "GET", "/mockfile/7", 200, mockUsers, "application/json", [2]string{"X-Total-Count", "1"}),
	)
}
