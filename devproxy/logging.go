package devproxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// requestInfo is filled in while a request is handled and logged when it ends.
type requestInfo struct {
	route   string // "/api", "frontend", "static", "devproxy"
	outcome string // why it failed, when it did
	id      uint64 // the status feed's entry id
	start   time.Time
	hdr     *exchangeHeaders // nil unless a status page is watching
	ws      *wsCountingConn  // a relayed WebSocket, for its message counts
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
		if s.feed.watched() { // header clones cost allocations; make them only for a viewer
			in := maskHeaders(r.Header, nil)
			in.Set("Host", r.Host)
			ri.hdr = &exchangeHeaders{RequestIn: in}
		}
		if isUpgrade(r) {
			rec.onHijack = func() {
				if ri.route != "devproxy" {
					e := ri.entry(r, http.StatusSwitchingProtocols, time.Since(start), 0)
					e.Open = true
					s.feed.publish(e)
				}
			}
		}
		// ReverseProxy aborts a response whose upstream body breaks off by
		// panicking with http.ErrAbortHandler; log the request on the way
		// out all the same, saying what happened.
		completed := false
		defer func() {
			if !completed && ri.outcome == "" {
				ri.outcome = "response aborted: the backend broke off mid-body, the client got a truncated response"
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
	if status == 0 {
		status = http.StatusOK
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
		attrs = append(attrs, slog.String("err", ri.outcome))
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// statusRecorder captures the status and body size for the log line. It
// implements Flush and Hijack itself (so streaming and WebSockets work and a
// hijack is logged as 101) and Unwrap for everything else.
type statusRecorder struct {
	http.ResponseWriter
	status   int
	bytes    int64
	ri       *requestInfo
	onHijack func() // publishes the 101 while the connection is still open
	// websocket is set for a WebSocket handshake: a hijacked connection is
	// then wrapped to count the messages relayed over it.
	websocket bool
}

// captureOut records the response headers as they leave devproxy.
func (w *statusRecorder) captureOut() {
	if w.ri != nil && w.ri.hdr != nil {
		w.ri.hdr.ResponseOut = maskHeaders(w.Header(), nil)
	}
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 || w.status < 200 {
		w.status = code
		if code >= 200 {
			w.captureOut()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.captureOut()
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusRecorder) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		if fc, ok := conn.(*framingConn); ok {
			fc.stopScanning()
		}
		w.status = http.StatusSwitchingProtocols
		if w.websocket && w.ri != nil && w.ri.route != "devproxy" {
			w.ri.ws = &wsCountingConn{Conn: conn}
			conn = w.ri.ws
		}
		w.captureOut()
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

// ConsoleHandler is a slog.Handler for people: one compact line per
// request ("GET /api/users → /api 200 3ms"), key=value for everything
// else, with colour when Color is set.
type ConsoleHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Leveler
	color bool
	attrs []slog.Attr
	group string // prefix for the keys of later attributes ("name.")
}

// NewConsoleHandler writes to w; records below level are dropped.
func NewConsoleHandler(w io.Writer, level slog.Leveler, color bool) *ConsoleHandler {
	return &ConsoleHandler{mu: &sync.Mutex{}, w: w, level: level, color: color}
}

// Enabled reports whether records at level l are written.
func (h *ConsoleHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// WithAttrs returns a handler that adds as to every record.
func (h *ConsoleHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &h2
}

// WithGroup returns a handler that writes later keys as name.key.
func (h *ConsoleHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

func (h *ConsoleHandler) paint(color, s string) string {
	if !h.color {
		return s
	}
	return color + s + ansiReset
}

// lineBufs recycles the buffers request lines are formatted into, so the
// access log costs no allocation per request beyond the duration's text.
var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// Handle writes one record as one line (or, for devproxy's own multi-line
// texts, an indented block).
func (h *ConsoleHandler) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message == "request" {
		bp := lineBufs.Get().(*[]byte)
		b := h.appendRequest((*bp)[:0], rec)
		// Formatted above without the lock; only the copy into w is serialised.
		h.mu.Lock()
		_, err := h.w.Write(b)
		h.mu.Unlock()
		if cap(b) <= 4<<10 { // let a line with a huge path go
			*bp = b
			lineBufs.Put(bp)
		}
		return err
	}
	var b strings.Builder
	b.WriteString(h.paint(ansiDim, rec.Time.Format("15:04:05")))
	b.WriteByte(' ')
	switch {
	case rec.Level >= slog.LevelError:
		b.WriteString(h.paint(ansiRed, "error "))
	case rec.Level >= slog.LevelWarn:
		b.WriteString(h.paint(ansiYellow, "warn  "))
	}
	b.WriteString(rec.Message)
	write := func(a slog.Attr) bool {
		v := a.Value.String()
		// Only devproxy's own multi-line texts (config errors, reload
		// diffs) keep their line breaks; anything else, which may come
		// from a request, is quoted so it cannot fake log lines or send
		// terminal escapes.
		multiLine := (a.Key == "err" || a.Key == "changes") && strings.Contains(v, "\n")
		switch {
		case multiLine:
			v = escapeControls(v, true)
		case strings.ContainsAny(v, " \"") || hasControls(v):
			v = strconv.Quote(v)
		}
		if multiLine {
			b.WriteString("\n  " + strings.ReplaceAll(v, "\n", "\n  "))
			return true
		}
		fmt.Fprintf(&b, " %s=%s", h.paint(ansiDim, a.Key), v)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	rec.Attrs(func(a slog.Attr) bool {
		a.Key = h.group + a.Key
		return write(a)
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

// appendRequest appends the line for a "request" record:
// "15:04:05 GET    /api/users → /api 200 3ms 1.5kB".
func (h *ConsoleHandler) appendRequest(b []byte, rec slog.Record) []byte {
	var method, path, route, errText string
	var status int64
	var dur time.Duration
	var size int64
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "method":
			method = a.Value.String()
		case "path":
			path = a.Value.String()
		case "route":
			route = a.Value.String()
		case "status":
			status = a.Value.Int64()
		case "dur":
			dur = a.Value.Duration()
		case "bytes":
			size = a.Value.Int64()
		case "err":
			errText = a.Value.String()
		}
		return true
	})
	color := ansiGreen
	switch {
	case status >= 500:
		color = ansiRed
	case status >= 400:
		color = ansiYellow
	case status >= 300 || status == 101:
		color = ansiCyan
	}
	b = h.startPaint(b, ansiDim)
	b = rec.Time.AppendFormat(b, "15:04:05")
	b = h.endPaint(b)
	b = append(b, ' ')
	b = appendSafe(b, method)
	for i := len(method); i < 6; i++ {
		b = append(b, ' ')
	}
	b = append(b, ' ')
	b = appendSafe(b, path)
	b = append(b, ' ')
	b = h.startPaint(b, ansiDim)
	b = append(b, "→ "...)
	b = appendSafe(b, route)
	b = h.endPaint(b)
	b = append(b, ' ')
	b = h.startPaint(b, color)
	b = strconv.AppendInt(b, status, 10)
	b = h.endPaint(b)
	b = append(b, ' ')
	b = append(b, roundDuration(dur).String()...)
	b = append(b, ' ')
	b = appendSize(b, size)
	if errText != "" {
		b = append(b, ' ')
		b = h.startPaint(b, color)
		b = appendSafe(b, errText)
		b = h.endPaint(b)
	}
	return append(b, '\n')
}

// hasControls reports whether s holds a control character (C0 or DEL),
// which a path or header from a web page could use to fake log lines or
// drive the terminal.
func hasControls(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// appendSafe appends s, quoted when it holds control characters; clean
// strings (nearly all) are appended as they are, without allocating.
func appendSafe(b []byte, s string) []byte {
	if !hasControls(s) {
		return append(b, s...)
	}
	return strconv.AppendQuote(b, s)
}

// escapeControls writes control characters as \xNN, keeping line breaks
// when keepNewlines is set.
func escapeControls(s string, keepNewlines bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 && !(keepNewlines && c == '\n') && c != '\t') || c == 0x7f {
			fmt.Fprintf(&b, `\x%02x`, c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (h *ConsoleHandler) startPaint(b []byte, color string) []byte {
	if !h.color {
		return b
	}
	return append(b, color...)
}

func (h *ConsoleHandler) endPaint(b []byte) []byte {
	if !h.color {
		return b
	}
	return append(b, ansiReset...)
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	case d > time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

func appendSize(b []byte, n int64) []byte {
	switch {
	case n >= 1<<20:
		return append(strconv.AppendFloat(b, float64(n)/(1<<20), 'f', 1, 64), "MB"...)
	case n >= 1<<10:
		return append(strconv.AppendFloat(b, float64(n)/(1<<10), 'f', 1, 64), "kB"...)
	default:
		return append(strconv.AppendInt(b, n, 10), 'B')
	}
}
