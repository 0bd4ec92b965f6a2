package devproxy

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devproxy/devproxy/devproxy/internal/web"
	"github.com/gorilla/websocket"
)

const (
	// feedRingSize is how many recent requests a newly opened status page
	// sees; with captured headers that is a few hundred kB at most.
	feedRingSize = 500
	// viewerQueue is how far a status page may lag before it misses
	// entries. The proxy never waits for a viewer: a full queue drops.
	viewerQueue = 256
	// feedBatch bounds one WebSocket message, so a page that reconnects
	// renders the backlog in a few frames instead of hundreds.
	feedBatch = 100
	// feedWriteWait cuts a viewer whose socket stopped draining.
	feedWriteWait = 10 * time.Second
	// feedPingEvery keeps idle feeds alive through anything that times out quiet sockets.
	feedPingEvery = 30 * time.Second
)

// feedEntry is one request as the status page shows it.
type feedEntry struct {
	ID     uint64    `json:"id"`
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Route  string    `json:"route"`
	Status int       `json:"status"`
	DurMS  float64   `json:"dur_ms"`
	Bytes  int64     `json:"bytes"`
	Error  string    `json:"error,omitempty"`
	// Fix is what would make a failed request work, when devproxy knows.
	Fix string `json:"fix,omitempty"`
	// Open marks a WebSocket that is still connected; its entry is sent
	// again, with the same ID, when it closes.
	Open bool `json:"open,omitempty"`
	// MessagesIn and MessagesOut count a WebSocket's messages from and to
	// the browser, once it has closed.
	MessagesIn  int64            `json:"messages_in,omitempty"`
	MessagesOut int64            `json:"messages_out,omitempty"`
	Headers     *exchangeHeaders `json:"headers,omitempty"`
	// Mock marks an answer from the route's mock; Simulated names the
	// network conditions devproxy applied ("delay 300ms, throttle").
	Mock      bool   `json:"mock,omitempty"`
	Simulated string `json:"simulated,omitempty"`

	// What only a HAR export needs; never sent to the page.
	host   string          // the Host the browser asked
	https  bool            // it came over TLS
	proto  string          // "HTTP/1.1"
	wait   time.Duration   // until the response headers
	reqLen int64           // the request's Content-Length, -1 when unknown
	bodies *capturedBodies // nil when no status page was open
	// keptAt is what bodies held when the entry was published: the ring
	// counts that, because a WebSocket's two entries share its bodies,
	// which grow with its messages after the first one is published.
	keptAt int
	// bodiesDropped: the bodies were captured, then dropped to keep harTotalCap.
	bodiesDropped bool
}

// exchangeHeaders are the headers of one request at each hop, web.Masked, so
// the page can show what devproxy rewrote. They are captured only while a
// status page is watching.
type exchangeHeaders struct {
	RequestIn   http.Header `json:"request_in"`             // as the browser sent it
	RequestOut  http.Header `json:"request_out,omitempty"`  // as devproxy sent it upstream
	Upstream    string      `json:"upstream,omitempty"`     // the URL devproxy requested
	ResponseIn  http.Header `json:"response_in,omitempty"`  // as the backend answered
	ResponseOut http.Header `json:"response_out,omitempty"` // as devproxy answered the browser
}

// feed keeps the last feedRingSize entries and fans new ones out to the
// connected status pages. publish holds the mutex only to copy an entry into
// the ring and do non-blocking sends, never across network I/O.
type feed struct {
	seq     atomic.Uint64
	viewing atomic.Int32 // connected viewers; headers are captured only when > 0
	dropped atomic.Int64 // entries any viewer missed because it lagged

	mu      sync.Mutex
	ring    []feedEntry
	next    int // where the next entry goes once the ring is full
	kept    int // body bytes the ring's entries hold, at most harTotalCap
	viewers map[*viewer]struct{}
	closed  chan struct{} // closed on shutdown: every viewer disconnects
	once    sync.Once
}

// viewer is one connected status page.
type viewer struct {
	ch      chan feedEntry
	dropped atomic.Int64
}

func newFeed() *feed {
	return &feed{viewers: map[*viewer]struct{}{}, closed: make(chan struct{})}
}

func (f *feed) newID() uint64 { return f.seq.Add(1) }

// watched reports whether any status page is connected.
func (f *feed) watched() bool { return f.viewing.Load() > 0 }

// publish records e and offers it to every viewer without waiting.
func (f *feed) publish(e feedEntry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e.keptAt = e.bodies.kept()
	f.kept += e.keptAt
	if len(f.ring) < feedRingSize {
		f.ring = append(f.ring, e)
	} else {
		f.kept -= f.ring[f.next].keptAt
		f.ring[f.next] = e
		f.next = (f.next + 1) % feedRingSize
	}
	f.trimBodies()
	for v := range f.viewers {
		select {
		case v.ch <- e:
		default: // a slow page misses entries; the request never waits for it
			v.dropped.Add(1)
			f.dropped.Add(1)
		}
	}
}

// trimBodies drops the captured bodies of the oldest entries until the
// ring holds at most harTotalCap of them. Called with f.mu held.
func (f *feed) trimBodies() {
	for i := 0; f.kept > harTotalCap && i < len(f.ring); i++ {
		e := &f.ring[(f.next+i)%len(f.ring)] // oldest first
		if e.bodies != nil {
			f.kept -= e.keptAt
			e.keptAt = 0
			e.bodies = nil
			e.bodiesDropped = true
		}
	}
}

// entriesAfter returns the ring's entries with an ID above after, oldest
// first, each once: a WebSocket's entry is published when it opens and
// again when it closes, and the later one wins.
func (f *feed) entriesAfter(after uint64) []feedEntry {
	f.mu.Lock()
	ordered := make([]feedEntry, 0, len(f.ring))
	ordered = append(ordered, f.ring[f.next:]...)
	ordered = append(ordered, f.ring[:f.next]...)
	f.mu.Unlock()
	last := make(map[uint64]int, len(ordered))
	for i, e := range ordered {
		last[e.ID] = i
	}
	out := ordered[:0]
	for i, e := range ordered {
		if e.ID > after && last[e.ID] == i {
			out = append(out, e)
		}
	}
	return out
}

// subscribe registers a viewer and returns the backlog, oldest first.
func (f *feed) subscribe() (*viewer, []feedEntry) {
	v := &viewer{ch: make(chan feedEntry, viewerQueue)}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.viewers[v] = struct{}{}
	f.viewing.Add(1)
	backlog := make([]feedEntry, 0, len(f.ring))
	backlog = append(backlog, f.ring[f.next:]...)
	backlog = append(backlog, f.ring[:f.next]...)
	return v, backlog
}

func (f *feed) unsubscribe(v *viewer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.viewers[v]; ok {
		delete(f.viewers, v)
		f.viewing.Add(-1)
	}
}

// close disconnects every viewer; called when the server shuts down,
// because http.Server.Shutdown leaves hijacked connections alone.
func (f *feed) close() { f.once.Do(func() { close(f.closed) }) }

// feedMessage is one WebSocket frame to the page.
type feedMessage struct {
	Entries []feedEntry `json:"entries"`
	// Dropped counts the entries this page missed because it lagged.
	Dropped int64 `json:"dropped"`
}

// serveFeed streams the request log to a status page over a WebSocket.
// gorilla's default CheckOrigin accepts only a page served by devproxy
// itself (Origin host == Host), so another site open in the browser cannot
// read the log of this one.
func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{HandshakeTimeout: 10 * time.Second}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.log.Warn("status feed refused", "origin", r.Header.Get("Origin"), "err", err)
		return // Upgrade has written the 400/403
	}
	defer conn.Close()
	v, backlog := s.feed.subscribe()
	defer s.feed.unsubscribe(v)

	gone := make(chan struct{})
	go func() { // exits when the page closes the socket or conn.Close runs
		defer close(gone)
		conn.SetReadLimit(1 << 10) // the page sends nothing but control frames
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()

	send := func(entries []feedEntry) bool {
		_ = conn.SetWriteDeadline(time.Now().Add(feedWriteWait))
		return conn.WriteJSON(feedMessage{Entries: entries, Dropped: v.dropped.Load()}) == nil
	}
	for len(backlog) > 0 {
		n := min(len(backlog), feedBatch)
		if !send(backlog[:n]) {
			return
		}
		backlog = backlog[n:]
	}
	if !send([]feedEntry{}) { // an empty first frame tells the page it is live
		return
	}
	ping := time.NewTicker(feedPingEvery)
	defer ping.Stop()
	for {
		select {
		case e := <-v.ch:
			batch := []feedEntry{e}
			for len(batch) < feedBatch {
				select {
				case e := <-v.ch:
					batch = append(batch, e)
					continue
				default:
				}
				break
			}
			if !send(batch) {
				return
			}
		case <-ping.C:
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(feedWriteWait)) != nil {
				return
			}
		case <-gone:
			return
		case <-s.feed.closed:
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "devproxy is shutting down"), time.Now().Add(time.Second))
			return
		}
	}
}

// noteUpstreamRequest records the request as devproxy sent it upstream,
// when a status page is watching. Called at the end of Rewrite.
func noteUpstreamRequest(in, out *http.Request, secret map[string]bool) {
	ri := infoFrom(in)
	if ri == nil || ri.hdr == nil {
		return
	}
	h := web.MaskHeaders(out.Header, secret)
	if out.Host != "" {
		h.Set("Host", out.Host) // net/http sends out.Host, not a header; show what the backend sees
	}
	ri.hdr.RequestOut = h
	ri.hdr.Upstream = out.URL.String()
}

// noteUpstreamResponse records the backend's response headers before
// devproxy rewrites them, when a status page is watching.
func noteUpstreamResponse(res *http.Response) {
	if ri := infoFrom(res.Request); ri != nil && ri.hdr != nil {
		ri.hdr.ResponseIn = web.MaskHeaders(res.Header, nil)
	}
}

// entry builds the feed entry for a finished (or just upgraded) request.
func (ri *requestInfo) entry(r *http.Request, status int, dur time.Duration, size int64) feedEntry {
	path := r.URL.Path
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	e := feedEntry{ID: ri.id, Time: ri.start, Method: r.Method, Path: path, Route: ri.route, Status: status,
		DurMS: float64(dur.Microseconds()) / 1000, Bytes: size, Error: ri.outcome, Fix: ri.fix,
		Mock: ri.mocked, Simulated: ri.simulated,
		host: r.Host, https: r.TLS != nil, proto: r.Proto, wait: ri.wait, reqLen: r.ContentLength, bodies: ri.bodies}
	if ri.ws != nil {
		e.MessagesIn, e.MessagesOut = ri.ws.in.messages.Load(), ri.ws.out.messages.Load()
	}
	if ri.hdr != nil {
		h := *ri.hdr // a copy: the handler may still fill in the original after a 101
		e.Headers = &h
	}
	return e
}
