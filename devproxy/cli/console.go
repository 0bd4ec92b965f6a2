package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

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
		if lines, ok := a.Value.Any().([]string); ok {
			v = strings.Join(lines, "\n")
		}
		// Only devproxy's own multi-line texts (config errors, and the
		// changes of a reload, however many) keep their line breaks, as
		// an indented block; anything else, which may come from a
		// request, is quoted so it cannot fake log lines or send terminal
		// escapes.
		multiLine := a.Key == "changes" || (a.Key == "err" && strings.Contains(v, "\n"))
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
	var method, path, route, reason, fix string
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
		case "reason":
			reason = a.Value.String()
		case "fix":
			fix = a.Value.String()
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
	if reason != "" {
		b = append(b, ' ')
		b = h.startPaint(b, color)
		b = appendSafe(b, reason)
		b = h.endPaint(b)
	}
	if fix != "" {
		b = append(b, " — fix: "...)
		b = appendSafe(b, fix)
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
