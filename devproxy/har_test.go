package devproxy

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
	"github.com/gorilla/websocket"
)

// harFile is the part of a HAR the tests read.
type harFile struct {
	Log struct {
		Comment string     `json:"comment"`
		Entries []harEntry `json:"entries"`
	} `json:"log"`
}

// fetchHAR gets the export and checks it against HAR 1.2.
func fetchHAR(t *testing.T, url string) (harFile, string) {
	t.Helper()
	res, body := get(t, "GET", url, nil)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", url, res.StatusCode, body)
	}
	if err := testkit.ValidateHAR([]byte(body)); err != nil {
		t.Fatalf("the export is not valid HAR 1.2:\n%v", err)
	}
	var h harFile
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatal(err)
	}
	return h, body
}

func harEntryFor(t *testing.T, h harFile, method, urlSuffix string) harEntry {
	t.Helper()
	for _, e := range h.Log.Entries {
		if e.Request.Method == method && strings.HasSuffix(e.Request.URL, urlSuffix) {
			return e
		}
	}
	t.Fatalf("no HAR entry for %s …%s", method, urlSuffix)
	return harEntry{}
}

func headerValue(pairs []harPair, name string) string {
	for _, p := range pairs {
		if strings.EqualFold(p.Name, name) {
			return p.Value
		}
	}
	return ""
}

func TestHARExport(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("0123456789", 10_000) // 100,000 bytes: more than one body is kept
	binary := []byte{0x89, 'P', 'N', 'G', 0, 0xff, 0xfe}
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/users":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "set-cookie-secret", Path: "/", HttpOnly: true})
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `[{"id":1}]`)
		case "/api/echo":
			w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
			io.Copy(w, r.Body)
		case "/api/gzip":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			io.WriteString(zw, `{"compressed":true}`)
			zw.Close()
		case "/api/bin":
			w.Header().Set("Content-Type", "image/png")
			w.Write(binary)
		case "/api/big":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, big)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(be.Close)
	ws := newWSBackend(t, nil)
	p := startProxy(t, fmt.Sprintf(`
[routes]
"/api" = %q
"/ws" = %q
[routes."/api/mock"]
mock = { body = '{"mocked":true}' }
delay = "10ms"
`, be.URL, ws.URL))

	send := func(method, path, ctype, body string) {
		t.Helper()
		req := newRequest(t, method, p.URL+path, strings.NewReader(body))
		if body == "" {
			req.Body = http.NoBody
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Authorization", "Bearer secret-token")
		req.Header.Set("Cookie", "session=secret-cookie; theme=dark")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	send("GET", "/api/users?early=1", "", "") // before any status page: no headers, no bodies
	fc := dialFeed(t, p)
	send("GET", "/api/users?page=2&q=a%20b", "", "")
	send("POST", "/api/echo", "application/json", `{"name":"Ada"}`)
	send("POST", "/api/echo", "application/x-www-form-urlencoded", "user=ada&pw=typed")
	send("GET", "/api/gzip", "", "")
	send("GET", "/api/bin", "", "")
	send("GET", "/api/big", "", "")
	send("GET", "/api/missing", "", "")
	send("GET", "/api/mock/x", "", "")
	c, _ := dialWS(t, wsDialer, "ws://"+p.Addr+"/ws/live", http.Header{"Origin": {p.URL}})
	echo(t, c, websocket.TextMessage, []byte("hi"))
	c.Close()
	fc.waitEntry(func(e feedEntry) bool { return e.Path == "/ws/live" && !e.Open })

	h, raw := fetchHAR(t, p.URL+config.ReservedPrefix+"/har.json")
	if n := len(h.Log.Entries); n != 10 {
		t.Fatalf("%d entries, want 10 (9 requests and one WebSocket, listed once)", n)
	}
	for _, secret := range []string{"secret-token", "secret-cookie", "set-cookie-secret"} {
		if strings.Contains(raw, secret) {
			t.Errorf("the HAR contains %q: headers must be masked as the log masks them", secret)
		}
	}
	if !strings.Contains(h.Log.Comment, "64 KiB") || !strings.Contains(h.Log.Comment, "masked") {
		t.Errorf("log comment = %q, want the body cap and the masking explained", h.Log.Comment)
	}

	early := harEntryFor(t, h, "GET", "/api/users?early=1")
	if len(early.Request.Headers) != 0 || !strings.Contains(early.Comment, "no status page was open") || early.Response.Status != 200 {
		t.Errorf("early entry = %+v, want status 200, no headers and a comment saying why", early)
	}

	users := harEntryFor(t, h, "GET", "/api/users?page=2&q=a%20b")
	if users.Request.URL != p.URL+"/api/users?page=2&q=a%20b" {
		t.Errorf("url = %q", users.Request.URL)
	}
	if got := fmt.Sprint(users.Request.QueryString); got != "[{page 2} {q a b}]" {
		t.Errorf("queryString = %s", got)
	}
	if got := headerValue(users.Request.Headers, "Authorization"); got != "Bearer •••" {
		t.Errorf("Authorization = %q, want Bearer •••", got)
	}
	if cs := users.Request.Cookies; len(cs) != 2 || cs[0] != (harCookie{Name: "session", Value: "•••"}) || cs[1] != (harCookie{Name: "theme", Value: "•••"}) {
		t.Errorf("request cookies = %+v", cs)
	}
	if cs := users.Response.Cookies; len(cs) != 1 || cs[0].Name != "session" || cs[0].Value != "•••" || !cs[0].HTTPOnly || cs[0].Path != "/" {
		t.Errorf("response cookies = %+v", cs)
	}
	if users.Response.Content.Text != `[{"id":1}]` || users.Response.Content.MimeType != "application/json" || users.Response.Content.Size != 10 {
		t.Errorf("content = %+v", users.Response.Content)
	}
	if tm := users.Timings; tm.Wait <= 0 || tm.Wait > users.Time || tm.Send != 0 || tm.DNS != -1 {
		t.Errorf("timings = %+v for time %v", tm, users.Time)
	}

	posts := 0
	for _, e := range h.Log.Entries {
		if e.Request.Method != "POST" {
			continue
		}
		posts++
		pd := e.Request.PostData
		switch {
		case pd == nil:
			t.Errorf("POST without postData: %+v", e.Request)
		case pd.MimeType == "application/json" && (pd.Text != `{"name":"Ada"}` || e.Request.BodySize != 14 || e.Response.Content.Text != `{"name":"Ada"}`):
			t.Errorf("JSON post = %+v, response %+v", pd, e.Response.Content)
		case pd.MimeType == "application/x-www-form-urlencoded" && fmt.Sprint(pd.Params) != "[{pw typed} {user ada}]":
			t.Errorf("form params = %+v", pd.Params)
		}
	}
	if posts != 2 {
		t.Errorf("%d POST entries, want 2", posts)
	}

	if gz := harEntryFor(t, h, "GET", "/api/gzip"); gz.Response.Content.Text != `{"compressed":true}` || gz.Response.Content.Size != 19 {
		t.Errorf("gzip content = %+v, want it decoded", gz.Response.Content)
	}
	bin := harEntryFor(t, h, "GET", "/api/bin").Response.Content
	if bin.Encoding != "base64" || bin.Text != base64.StdEncoding.EncodeToString(binary) {
		t.Errorf("binary content = %+v", bin)
	}
	bigC := harEntryFor(t, h, "GET", "/api/big").Response.Content
	if len(bigC.Text) != harBodyCap || bigC.Size != int64(len(big)) || !strings.Contains(bigC.Comment, "first 64 KiB") {
		t.Errorf("big content: %d bytes of text, size %d, comment %q; want the first %d bytes and the cap noted", len(bigC.Text), bigC.Size, bigC.Comment, harBodyCap)
	}
	if m := harEntryFor(t, h, "GET", "/api/mock/x"); m.Response.Content.Text != `{"mocked":true}` || !strings.Contains(m.Comment, "mock") || !strings.Contains(m.Comment, "delay 10ms") {
		t.Errorf("mock entry = %+v", m)
	}
	if nf := harEntryFor(t, h, "GET", "/api/missing"); nf.Response.Status != 404 || nf.Response.StatusText != "Not Found" {
		t.Errorf("404 entry = %+v", nf.Response)
	}
	if w := harEntryFor(t, h, "GET", "/ws/live"); w.Response.Status != 101 || headerValue(w.Response.Headers, "Upgrade") != "websocket" {
		t.Errorf("websocket entry = %+v", w.Response)
	}

	// ?after= leaves out what the page cleared.
	var firstID uint64
	for _, e := range p.feed.entriesAfter(0) {
		if e.Path == "/api/users?page=2&q=a%20b" {
			firstID = e.ID
		}
	}
	later, _ := fetchHAR(t, fmt.Sprintf("%s%s/har.json?after=%d", p.URL, config.ReservedPrefix, firstID))
	if n := len(later.Log.Entries); n != 8 {
		t.Errorf("after the second request: %d entries, want 8", n)
	}

	res, _ := get(t, "GET", p.URL+config.ReservedPrefix+"/har.json?download=1", nil)
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="devproxy-`) || !strings.HasSuffix(cd, `.har"`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if res, _ := get(t, "GET", p.URL+config.ReservedPrefix+"/har.json", http.Header{"Sec-Fetch-Site": {"cross-site"}}); res.StatusCode != 403 {
		t.Errorf("a cross-site fetch of the HAR = %d, want 403", res.StatusCode)
	}
}

// TestWebSocketEntriesCountedOnce: a WebSocket is published when it opens
// (no messages yet) and when it closes (its messages in the bodies both
// entries share); once both have left the ring, it counts nothing of them.
func TestWebSocketEntriesCountedOnce(t *testing.T) {
	t.Parallel()
	f := newFeed()
	b := &capturedBodies{}
	ws := feedEntry{ID: 1, Time: time.Now(), Method: "GET", Path: "/ws", Status: 101, Open: true, bodies: b}
	f.publish(ws)
	b.ws.add(wsMessage{send: true, opcode: 1, data: bytes.Repeat([]byte("m"), 1000), size: 1000})
	ws.Open = false
	f.publish(ws)
	if f.kept != 1000 {
		t.Errorf("after the close the ring counts %d bytes, want the messages' 1000", f.kept)
	}
	for i := range feedRingSize { // push both out
		f.publish(feedEntry{ID: uint64(i + 2), Time: time.Now(), Method: "GET", Path: "/x"})
	}
	if f.kept != 0 {
		t.Errorf("with both entries gone the ring counts %d bytes, want 0", f.kept)
	}
}

// TestHARBodiesStayWithinTheTotalCap: the ring never holds more than
// harTotalCap of bodies; the oldest lose theirs first, and say so.
func TestHARBodiesStayWithinTheTotalCap(t *testing.T) {
	t.Parallel()
	f := newFeed()
	chunk := bytes.Repeat([]byte("x"), harBodyCap)
	n := harTotalCap/harBodyCap + 20
	for i := range n {
		b := &capturedBodies{}
		b.res.data, b.res.size = chunk, int64(len(chunk)) // shared, not copied: the test is about the accounting
		f.publish(feedEntry{ID: uint64(i + 1), Time: time.Now(), Method: "GET", Path: fmt.Sprintf("/%d", i), host: "localhost:3000", bodies: b})
	}
	if f.kept > harTotalCap {
		t.Errorf("the ring keeps %d bytes of bodies, more than %d", f.kept, harTotalCap)
	}
	entries := f.entriesAfter(0)
	if !entries[0].bodiesDropped || entries[len(entries)-1].bodies == nil {
		t.Errorf("the oldest entry dropped = %v, the newest kept = %v; want the oldest to go first", entries[0].bodiesDropped, entries[len(entries)-1].bodies != nil)
	}
	h := buildHAR([]feedEntry{entries[0], entries[len(entries)-1]}, "test")
	if c := h.Log.Entries[0].Response.Content.Comment; !strings.Contains(c, "body dropped") {
		t.Errorf("a dropped body's comment = %q", c)
	}
	data, _ := json.Marshal(h)
	if err := testkit.ValidateHAR(data); err != nil {
		t.Error(err)
	}
}

// TestHARStaticFileBodies: a static file goes out through the connection's
// ReadFrom (sendfile) unless a HAR is recording bodies; either way the
// log counts every byte, and while recording the HAR holds the text.
func TestHARStaticFileBodies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	js := strings.Repeat("console.log('a static module');\n", 1000) // 32 KB: past net/http's 512-byte sniff
	if err := os.WriteFile(filepath.Join(dir, "app.js"), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, fmt.Sprintf("[frontend]\nstatic = %q\n", dir))
	fetch := func(path string) {
		t.Helper()
		res, body := get(t, "GET", p.URL+path, nil)
		if res.StatusCode != 200 || body != js {
			t.Fatalf("GET %s = %d, %d bytes, want 200 and the file's %d", path, res.StatusCode, len(body), len(js))
		}
	}
	fetch("/app.js?early")
	fc := dialFeed(t, p)
	fetch("/app.js?recorded")
	fc.waitEntry(func(e feedEntry) bool { return strings.HasSuffix(e.Path, "recorded") })

	h, _ := fetchHAR(t, p.URL+config.ReservedPrefix+"/har.json")
	early := harEntryFor(t, h, "GET", "/app.js?early")
	if early.Response.BodySize != int64(len(js)) {
		t.Errorf("sendfile path: bodySize %d, want %d", early.Response.BodySize, len(js))
	}
	recorded := harEntryFor(t, h, "GET", "/app.js?recorded")
	if recorded.Response.BodySize != int64(len(js)) || recorded.Response.Content.Text != js {
		t.Errorf("recorded: bodySize %d, %d bytes of text, want the whole file (%d)", recorded.Response.BodySize, len(recorded.Response.Content.Text), len(js))
	}
}

// TestHARWebSocketMessages: while a status page is open, a WebSocket's data
// messages go into the HAR as Chrome writes them (_webSocketMessages):
// unmasked, reassembled from fragments, binary in base64; compressed
// messages are listed without data, and the entry says why.
func TestHARWebSocketMessages(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil) // echoes; offers permessage-deflate
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/ws\" = %q\n", be.URL))
	fc := dialFeed(t, p)
	origin := http.Header{"Origin": {p.URL}}

	long := strings.Repeat("0123456789", 1000) // 10,000 bytes: several frames from gorilla's 4 KiB writer
	binary := []byte{0, 1, 2, 0xff}
	c, _ := dialWS(t, wsDialer, "ws://"+p.Addr+"/ws/plain", origin)
	echo(t, c, websocket.TextMessage, []byte("hello"))
	echo(t, c, websocket.BinaryMessage, binary)
	echo(t, c, websocket.TextMessage, []byte(long))
	c.Close()
	fc.waitEntry(func(e feedEntry) bool { return e.Path == "/ws/plain" && !e.Open })

	z, _ := dialWS(t, &websocket.Dialer{HandshakeTimeout: wsWait, EnableCompression: true}, "ws://"+p.Addr+"/ws/deflate", origin)
	echo(t, z, websocket.TextMessage, []byte("squeeze me"))
	z.Close()
	fc.waitEntry(func(e feedEntry) bool { return e.Path == "/ws/deflate" && !e.Open })

	h, _ := fetchHAR(t, p.URL+config.ReservedPrefix+"/har.json")
	type msg struct {
		typ    string
		opcode int
		data   string
	}
	var got []msg
	plain := harEntryFor(t, h, "GET", "/ws/plain")
	last := 0.0
	for _, m := range plain.WebSocketMessages {
		got = append(got, msg{m.Type, m.Opcode, m.Data})
		if m.Time < last || m.Time < float64(time.Now().Add(-time.Hour).Unix()) {
			t.Errorf("message times %v then %v: want seconds since the epoch, in order", last, m.Time)
		}
		last = m.Time
	}
	b64 := base64.StdEncoding.EncodeToString(binary)
	want := []msg{{"send", 1, "hello"}, {"receive", 1, "hello"}, {"send", 2, b64}, {"receive", 2, b64}, {"send", 1, long}, {"receive", 1, long}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("_webSocketMessages:\n got %.300v\nwant %.300v", got, want)
	}

	deflate := harEntryFor(t, h, "GET", "/ws/deflate")
	if n := len(deflate.WebSocketMessages); n != 2 || deflate.WebSocketMessages[0].Data != "" {
		t.Errorf("compressed socket: %d messages %+v, want 2 listed without data", n, deflate.WebSocketMessages)
	}
	if !strings.Contains(deflate.Comment, "2 WebSocket messages were compressed (permessage-deflate)") {
		t.Errorf("compressed socket's comment = %q, want it to say the data is not included", deflate.Comment)
	}
}
