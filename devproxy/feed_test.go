package devproxy

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
	"github.com/gorilla/websocket"
)

// feedClient is a status page's WebSocket, read by the test.
type feedClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// dialFeed opens the status feed as the page served by p would, and reads
// the backlog up to the empty frame that marks the feed as live.
func dialFeed(t *testing.T, p *testProxy) *feedClient {
	t.Helper()
	return dialFeedWith(t, p, websocket.DefaultDialer)
}

func dialFeedWith(t *testing.T, p *testProxy, d *websocket.Dialer) *feedClient {
	t.Helper()
	h := http.Header{"Origin": {p.URL}}
	conn, res, err := d.Dial("ws://"+p.Addr+config.ReservedPrefix+"/feed", h)
	if err != nil {
		t.Fatalf("dial feed: %v (response %v)", err, res)
	}
	t.Cleanup(func() { conn.Close() })
	fc := &feedClient{t: t, conn: conn}
	for {
		if msg := fc.next(); len(msg.Entries) == 0 {
			return fc
		}
	}
}

func (fc *feedClient) next() feedMessage {
	fc.t.Helper()
	_ = fc.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := fc.conn.ReadMessage()
	if err != nil {
		fc.t.Fatalf("reading feed: %v", err)
	}
	var msg feedMessage
	if err := json.Unmarshal(data, &msg); err != nil {
		fc.t.Fatalf("feed frame %q: %v", data, err)
	}
	return msg
}

// waitEntry reads the feed until an entry satisfies ok.
func (fc *feedClient) waitEntry(ok func(feedEntry) bool) feedEntry {
	fc.t.Helper()
	for range 1000 { // bounded: each read has its own deadline
		for _, e := range fc.next().Entries {
			if ok(e) {
				return e
			}
		}
	}
	fc.t.Fatal("no matching feed entry in 1000 frames")
	return feedEntry{}
}

func TestFeedShowsProxiedRequestWithHeadersMasked(t *testing.T) {
	t.Setenv("DEVPROXY_TEST_TOKEN", "s3cret-token")
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", "yes")
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "backend-session-value", Path: "/"})
		fmt.Fprint(w, "hello")
	}))
	t.Cleanup(backend.Close)
	p := startProxy(t, fmt.Sprintf(`
[routes."/api"]
target = %q
change_origin = true
headers = { X-Token = "${DEVPROXY_TEST_TOKEN}", X-Plain = "visible" }
`, backend.URL))
	fc := dialFeed(t, p)

	req := newRequest(t, "GET", p.URL+"/api/users?page=2", nil)
	req.Header.Set("Authorization", "Bearer browser-secret")
	req.Header.Set("Cookie", "theme=dark; sid=browser-cookie-value")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	e := fc.waitEntry(func(e feedEntry) bool { return e.Path == "/api/users?page=2" })
	if e.Method != "GET" || e.Route != "/api" || e.Status != 200 || e.Bytes != 5 {
		t.Errorf("entry = %s %s route %q status %d bytes %d, want GET /api 200 5", e.Method, e.Path, e.Route, e.Status, e.Bytes)
	}
	if e.Headers == nil {
		t.Fatal("no headers captured while a viewer was connected")
	}
	h := e.Headers
	backendHost := strings.TrimPrefix(backend.URL, "http://")
	checks := []struct {
		name      string
		got, want string
	}{
		{"request_in Host", h.RequestIn.Get("Host"), p.Addr},
		{"request_out Host", h.RequestOut.Get("Host"), backendHost},
		{"request_in Authorization", h.RequestIn.Get("Authorization"), "Bearer " + web.Masked},
		{"request_in Cookie", h.RequestIn.Get("Cookie"), "theme=" + web.Masked + "; sid=" + web.Masked},
		{"request_out X-Token", h.RequestOut.Get("X-Token"), web.Masked},
		{"request_out X-Plain", h.RequestOut.Get("X-Plain"), "visible"},
		{"response_in X-Backend", h.ResponseIn.Get("X-Backend"), "yes"},
		{"response_out Set-Cookie", h.ResponseOut.Get("Set-Cookie"), "sid=" + web.Masked + "; Path=/"},
		{"upstream", h.Upstream, backend.URL + "/api/users?page=2"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	raw, _ := json.Marshal(e)
	for _, secret := range []string{"s3cret-token", "browser-secret", "browser-cookie-value", "backend-session-value"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("feed entry leaks %q: %s", secret, raw)
		}
	}
}

func TestFeedBacklogAndNoOwnRequests(t *testing.T) {
	t.Parallel()
	backend := echoBackend(t)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = %q\n", backend.URL))
	for _, path := range []string{"/api/one", config.ReservedPrefix + "/status.json", "/api/two"} {
		res, err := http.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	// A page opened after the traffic sees it, without headers (nobody was watching).
	h := http.Header{"Origin": {p.URL}}
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+p.Addr+config.ReservedPrefix+"/feed", h)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fc := &feedClient{t: t, conn: conn}
	msg := fc.next()
	var paths []string
	for _, e := range msg.Entries {
		paths = append(paths, e.Path)
		if e.Headers != nil {
			t.Errorf("entry %s has headers captured with no viewer connected", e.Path)
		}
	}
	if got, want := strings.Join(paths, ","), "/api/one,/api/two"; got != want {
		t.Errorf("backlog = %s, want %s (devproxy's own pages are not listed)", got, want)
	}
}

func TestFeedRefusesForeignOrigin(t *testing.T) {
	t.Parallel()
	p := startProxy(t, "[routes]\n\"/api\" = \"http://127.0.0.1:1\"\n")
	h := http.Header{"Origin": {"http://evil.example"}}
	_, res, err := websocket.DefaultDialer.Dial("ws://"+p.Addr+config.ReservedPrefix+"/feed", h)
	if err == nil {
		t.Fatal("a foreign origin opened the status feed")
	}
	if res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: response %v, want 403", res)
	}
}

func TestFeedShowsWebSocketUpgradeAs101(t *testing.T) {
	t.Parallel()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			mt, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if conn.WriteMessage(mt, data) != nil {
				return
			}
		}
	}))
	t.Cleanup(backend.Close)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/ws\" = %q\n", backend.URL))
	fc := dialFeed(t, p)

	conn, _, err := websocket.DefaultDialer.Dial("ws://"+p.Addr+"/ws/echo", http.Header{"Origin": {p.URL}})
	if err != nil {
		t.Fatal(err)
	}
	open := fc.waitEntry(func(e feedEntry) bool { return e.Path == "/ws/echo" })
	if open.Status != 101 || !open.Open {
		t.Errorf("while connected: status %d open %v, want 101 open", open.Status, open.Open)
	}
	for i := range 3 { // three messages each way: the backend echoes
		if err := conn.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 200*i))); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := conn.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	closed := fc.waitEntry(func(e feedEntry) bool { return e.ID == open.ID && !e.Open })
	if closed.Status != 101 || closed.MessagesIn != 3 || closed.MessagesOut != 3 {
		t.Errorf("after close: status %d, messages in %d out %d; want 101, 3 and 3", closed.Status, closed.MessagesIn, closed.MessagesOut)
	}
}

// A status page that stops reading must cost the proxy nothing: requests
// keep completing, and the feed drops that page's entries instead.
func TestFeedViewerThatNeverReadsNeverBlocksProxy(t *testing.T) {
	t.Parallel()
	backend := newRewriteBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/api\" = %q\n", backend.URL))
	// A small receive buffer makes the stuck socket fill after fewer requests.
	small := &websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		conn, err := net.Dial(network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4 << 10)
		}
		return conn, err
	}}
	dialFeedWith(t, p, small) // never read again after the backlog

	// Large request headers make every captured entry large, so the stuck
	// socket's buffers fill after a bounded number of requests. Once they
	// are full the viewer's queue fills, and small entries do that as well
	// at a fraction of the cost.
	big := strings.Repeat("x", 48<<10)
	queued := func() (n int) {
		p.feed.mu.Lock()
		defer p.feed.mu.Unlock()
		for v := range p.feed.viewers {
			n = max(n, len(v.ch))
		}
		return n
	}
	client := &http.Client{Timeout: 10 * time.Second}
	const maxRequests = 3000
	n := 0
	for ; n < maxRequests && p.feed.dropped.Load() == 0; n++ {
		req := newRequest(t, "GET", fmt.Sprintf("%s/api/%d", p.URL, n), nil)
		if queued() == 0 {
			req.Header.Set("X-Big", big)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("request %d while a viewer is stuck: %v", n, err)
		}
		res.Body.Close()
	}
	if p.feed.dropped.Load() == 0 {
		t.Fatalf("after %d requests the stuck viewer had missed nothing: is the feed buffering without bound?", n)
	}
	// The feed still works for a page that reads.
	fresh := dialFeed(t, p)
	res, err := client.Get(p.URL + "/api/after")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	fresh.waitEntry(func(e feedEntry) bool { return e.Path == "/api/after" })
	t.Logf("stuck viewer started missing entries after %d requests", n)
}

func TestFeedPublishNeverWaits(t *testing.T) {
	t.Parallel()
	f := newFeed()
	v, _ := f.subscribe() // nobody drains v.ch
	for i := range feedRingSize + viewerQueue + 10 {
		f.publish(feedEntry{ID: uint64(i + 1)})
	}
	if got, want := v.dropped.Load(), int64(feedRingSize+10); got != want {
		t.Errorf("dropped = %d, want %d", got, want)
	}
	_, backlog := f.subscribe()
	if len(backlog) != feedRingSize {
		t.Fatalf("backlog has %d entries, want %d", len(backlog), feedRingSize)
	}
	if first, last := backlog[0].ID, backlog[len(backlog)-1].ID; first != uint64(viewerQueue+11) || last != uint64(feedRingSize+viewerQueue+10) {
		t.Errorf("backlog ids %d..%d, want the newest %d, oldest first", first, last, feedRingSize)
	}
}

func TestMaskHeaders(t *testing.T) {
	t.Parallel()
	in := http.Header{
		"Authorization": {"Basic dXNlcjpwYXNz"},
		"Cookie":        {"a=1; b=2"},
		"Set-Cookie":    {"sid=abc; Domain=example.com; Secure", "plain=x"},
		"X-Key":         {"k"},
		"Accept":        {"text/html"},
	}
	got := web.MaskHeaders(in, map[string]bool{"X-Key": true})
	want := http.Header{
		"Authorization": {"Basic " + web.Masked},
		"Cookie":        {"a=" + web.Masked + "; b=" + web.Masked},
		"Set-Cookie":    {"sid=" + web.Masked + "; Domain=example.com; Secure", "plain=" + web.Masked},
		"X-Key":         {web.Masked},
		"Accept":        {"text/html"},
	}
	for k := range want {
		if strings.Join(got[k], "|") != strings.Join(want[k], "|") {
			t.Errorf("%s = %q, want %q", k, got[k], want[k])
		}
	}
	if in.Get("Authorization") != "Basic dXNlcjpwYXNz" {
		t.Error("maskHeaders changed its input")
	}
}

// BenchmarkFeedCost measures what the feed adds to one request: an entry
// published with nobody watching, and the header captures made while a
// status page is open.
//
//	go test -run '^$' -bench FeedCost ./devproxy/
func BenchmarkFeedCost(b *testing.B) {
	h := http.Header{
		"Accept": {"application/json"}, "Accept-Encoding": {"gzip, deflate, br"}, "Accept-Language": {"en-GB,en;q=0.9"},
		"Cookie": {"theme=dark; sid=0123456789abcdef"}, "User-Agent": {"Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"},
		"Referer": {"http://localhost:3000/app"}, "Authorization": {"Bearer abc.def.ghi"},
	}
	b.Run("publish", func(b *testing.B) {
		f := newFeed()
		for i := 0; b.Loop(); i++ {
			f.publish(feedEntry{ID: uint64(i), Method: "GET", Path: "/api/users", Route: "/api", Status: 200})
		}
	})
	b.Run("capture-4-hops", func(b *testing.B) {
		for b.Loop() {
			for range 4 {
				_ = web.MaskHeaders(h, nil)
			}
		}
	})
}
