package devproxy

import (
	"bufio"
	"context"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// requestInfo is filled in while a request is handled and logged when it ends.
type requestInfo struct {
	route   string // "/api", "frontend", "static", "devproxy"
	outcome string // why it failed, when it did
	fix     string // what would make it work, when devproxy knows
	warn    bool   // log the line at warn: something broke that the user should look at
	id      uint64 // the status feed's entry id
	start   time.Time
	hdr     *exchangeHeaders // nil unless a status page is watching
	ws      *wsCountingConn  // a relayed WebSocket, for its message counts
	bodies  *capturedBodies  // nil unless a status page is watching: the start of each body, for HAR
	wait    time.Duration    // from the start until the response headers were written
	// mocked is set when the route's mock answered; simulated describes
	// the network conditions applied (only while a status page watches).
	mocked    bool
	simulated string
	// dropped is set when a simulated failure dropped the connection
	// without an answer: the log shows status 0, as browsers do.
	dropped bool
}

type requestInfoKey struct{}

// loggedRequest holds what logRequests needs per request in one allocation.
type loggedRequest struct {
	rec statusRecorder
	ctx infoCtx
}

// infoCtx answers requestInfoKey without a context.WithValue.
type infoCtx struct {
	context.Context
	ri requestInfo
}

func (c *infoCtx) Value(key any) any {
	if _, ok := key.(requestInfoKey); ok {
		return &c.ri
	}
	return c.Context.Value(key)
}

func infoFrom(r *http.Request) *requestInfo {
	ri, _ := r.Context().Value(requestInfoKey{}).(*requestInfo)
	return ri
}

func noteRoute(r *http.Request, name string) {
	if ri := infoFrom(r); ri != nil {
		ri.route = name
	}
}

func noteOutcome(r *http.Request, outcome string) {
	if ri := infoFrom(r); ri != nil {
		ri.outcome = outcome
	}
}

// noteMocked records that the route's mock answered r.
func noteMocked(r *http.Request) {
	if ri := infoFrom(r); ri != nil {
		ri.mocked = true
	}
}

// noteFix records the fix for the outcome noted on r.
func noteFix(r *http.Request, fix string) {
	if ri := infoFrom(r); ri != nil {
		ri.fix = fix
	}
}

// Outcomes of a response that did not complete. A browser that goes away
// (closed tab, es.close(), a killed curl) is normal and not the backend's
// fault; only a read error from upstream is.
const (
	outcomeClientClosed = "client closed the connection"
	outcomeBackendBroke = "response aborted: the backend broke off mid-body, the client got a truncated response"
)

// logRequests writes one line per request: method, path, route, status,
// duration, size, and the cause when it failed.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// One allocation holds the recorder, the context and the request's info.
		lr := &loggedRequest{
			rec: statusRecorder{ResponseWriter: w, websocket: strings.EqualFold(r.Header.Get("Upgrade"), "websocket")},
			ctx: infoCtx{Context: r.Context(), ri: requestInfo{id: s.feed.newID(), start: start}},
		}
		rec, ri := &lr.rec, &lr.ctx.ri
		rec.ri = ri
		if s.feed.watched() { // header clones and body copies cost allocations; make them only for a viewer
			in := web.MaskHeaders(r.Header, nil)
			in.Set("Host", r.Host)
			ri.hdr = &exchangeHeaders{RequestIn: in}
			ri.bodies = &capturedBodies{}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = &capturingBody{ReadCloser: r.Body, c: &ri.bodies.req}
			}
		}
		if web.IsUpgrade(r) {
			rec.onHijack = func() {
				if ri.route != "devproxy" {
					e := ri.entry(r, http.StatusSwitchingProtocols, time.Since(start), 0)
					e.Open = true
					s.feed.publish(e)
				}
			}
		}
		// ReverseProxy aborts a response whose body copy fails by panicking
		// with http.ErrAbortHandler, whichever side failed; log the request
		// on the way out all the same, saying which one it was.
		completed := false
		defer func() {
			if !completed && ri.outcome == "" {
				if clientGone(r, rec) {
					ri.outcome = outcomeClientClosed
				} else {
					ri.outcome, ri.warn = outcomeBackendBroke, true
				}
			}
			s.logRequest(r, rec, ri, start)
		}()
		next.ServeHTTP(rec, r.WithContext(&lr.ctx))
		completed = true
	})
}

// logRequest writes the one line for a finished request.
func (s *Server) logRequest(r *http.Request, rec *statusRecorder, ri *requestInfo, start time.Time) {
	status := rec.status
	switch {
	case ri.dropped:
		status = 0
	case status == 0:
		status = http.StatusOK
	}
	if ri.hdr != nil && status == http.StatusSwitchingProtocols {
		// ReverseProxy fills in the 101's headers after the hijack that
		// captured them: take them again now that the handler is done.
		ri.hdr.ResponseOut = web.MaskHeaders(rec.Header(), nil)
	}
	if ri.route != "devproxy" { // the status page's own polling would flood its log
		s.feed.publish(ri.entry(r, status, time.Since(start), rec.bytes))
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", ri.route),
		slog.Int("status", status),
		slog.Duration("dur", time.Since(start)),
		slog.Int64("bytes", rec.bytes),
	}
	if ri.outcome != "" {
		attrs = append(attrs, slog.String("reason", ri.outcome))
	}
	if ri.fix != "" {
		attrs = append(attrs, slog.String("fix", ri.fix))
	}
	level := slog.LevelInfo
	if ri.warn {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// clientGone reports whether the browser side of r went away: net/http
// cancels the request's context when it sees the connection close, and a
// write to a closed connection fails.
func clientGone(r *http.Request, rec *statusRecorder) bool {
	return r.Context().Err() != nil || rec.writeFailed
}

// statusRecorder captures the status and body size for the log line. It
// implements Flush and Hijack itself (so streaming and WebSockets work and a
// hijack is logged as 101) and Unwrap for everything else.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	ri     *requestInfo
	// writeFailed is set once a write to the client fails: it went away.
	writeFailed bool
	onHijack    func() // publishes the 101 while the connection is still open
	// websocket is set for a WebSocket handshake: a hijacked connection is
	// then wrapped to count the messages relayed over it.
	websocket bool
}

// captureOut records the response headers as they leave devproxy.
func (w *statusRecorder) captureOut() {
	if w.ri != nil && w.ri.hdr != nil {
		w.ri.hdr.ResponseOut = web.MaskHeaders(w.Header(), nil)
	}
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 || w.status < 200 {
		w.status = code
		if code >= 200 {
			w.answered()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.answered()
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	if err != nil {
		w.writeFailed = true
	}
	if w.ri != nil && w.ri.bodies != nil {
		w.ri.bodies.res.add(b[:n])
	}
	return n, err
}

// answered notes when the final response headers leave, and what they are.
func (w *statusRecorder) answered() {
	if w.ri != nil {
		w.ri.wait = time.Since(w.ri.start)
	}
	w.captureOut()
}

// ReadFrom lets a copy into the response reach net/http's own ReadFrom,
// which sends a file of known length with sendfile(2) (a static build's
// 30 MB source map) through framingConn.ReadFrom. While a HAR records
// bodies, the copy goes through Write, which records them.
func (w *statusRecorder) ReadFrom(src io.Reader) (int64, error) {
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if !ok || (w.ri != nil && w.ri.bodies != nil) {
		return io.Copy(writerOnly{w}, src)
	}
	if w.status == 0 {
		w.status = http.StatusOK
		w.answered()
	}
	n, err := rf.ReadFrom(src)
	w.bytes += n
	if err != nil {
		w.writeFailed = true
	}
	return n, err
}

// writerOnly hides every method but Write, so io.Copy does not call
// ReadFrom on it again.
type writerOnly struct{ io.Writer }

func (w *statusRecorder) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		if fc, ok := conn.(interface{ stopScanning() }); ok { // plain or TLS framingConn
			fc.stopScanning()
		}
		w.status = http.StatusSwitchingProtocols
		if w.websocket && w.ri != nil && w.ri.route != "devproxy" {
			w.ri.ws = &wsCountingConn{Conn: conn}
			if b := w.ri.bodies; b != nil { // a status page is open: keep the messages for a HAR
				w.ri.ws.in.capture = &messageCapture{to: &b.ws, send: true}
				w.ri.ws.out.capture = &messageCapture{to: &b.ws}
			}
			conn = w.ri.ws
		}
		w.answered()
		if w.onHijack != nil {
			w.onHijack()
		}
	}
	return conn, brw, err
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// stdErrorLog routes net/http's own complaints into slog at debug level.
func (s *Server) stdErrorLog() *log.Logger {
	return slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)
}
