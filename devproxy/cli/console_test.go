package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// BenchmarkConsoleRequestLine measures formatting one access-log line
// (the "request" record logRequests emits) into io.Discard.
func BenchmarkConsoleRequestLine(b *testing.B) {
	for _, color := range []bool{false, true} {
		name := "color=off"
		if color {
			name = "color=on"
		}
		b.Run(name, func(b *testing.B) {
			h := NewConsoleHandler(io.Discard, slog.LevelInfo, color)
			rec := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
			rec.AddAttrs(
				slog.String("method", "GET"),
				slog.String("path", "/api/users/42"),
				slog.String("route", "/api"),
				slog.Int("status", 200),
				slog.Duration("dur", 1234*time.Microsecond),
				slog.Int64("bytes", 1536),
			)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := h.Handle(ctx, rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestConsoleRequestLine(t *testing.T) {
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		color bool
		attrs []slog.Attr
		want  string
	}{
		{
			name:  "ok",
			attrs: []slog.Attr{slog.String("method", "GET"), slog.String("path", "/api/users"), slog.String("route", "/api"), slog.Int("status", 200), slog.Duration("dur", 3140*time.Microsecond), slog.Int64("bytes", 1536)},
			want:  "15:04:05 GET    /api/users → /api 200 3.1ms 1.5kB\n",
		},
		{
			name:  "error with cause",
			attrs: []slog.Attr{slog.String("method", "DELETE"), slog.String("path", "/x"), slog.String("route", "/"), slog.Int("status", 502), slog.Duration("dur", 1500*time.Millisecond), slog.Int64("bytes", 3<<20), slog.String("reason", "connection refused")},
			want:  "15:04:05 DELETE /x → / 502 1.5s 3.0MB connection refused\n",
		},
		{
			name: "cause and fix",
			attrs: []slog.Attr{slog.String("method", "POST"), slog.String("path", "/admin/login/"), slog.String("route", "/admin"), slog.Int("status", 403), slog.Duration("dur", 2*time.Millisecond), slog.Int64("bytes", 2567),
				slog.String("reason", "Django refused the request: CSRF verification failed"), slog.String("fix", "set change_origin = true")},
			want: "15:04:05 POST   /admin/login/ → /admin 403 2ms 2.5kB Django refused the request: CSRF verification failed — fix: set change_origin = true\n",
		},
		{
			name:  "colour",
			color: true,
			attrs: []slog.Attr{slog.String("method", "GET"), slog.String("path", "/"), slog.String("route", "frontend"), slog.Int("status", 404), slog.Duration("dur", 800*time.Nanosecond), slog.Int64("bytes", 12)},
			want:  "\x1b[2m15:04:05\x1b[0m GET    / \x1b[2m→ frontend\x1b[0m \x1b[33m404\x1b[0m 1µs 12B\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			rec := slog.NewRecord(at, slog.LevelInfo, "request", 0)
			rec.AddAttrs(tt.attrs...)
			if err := NewConsoleHandler(&out, slog.LevelInfo, tt.color).Handle(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("line = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConsoleHandlerFormatsRequests(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewConsoleHandler(&buf, slog.LevelInfo, false))
	log.Info("request", "method", "GET", "path", "/api/users", "route", "/api", "status", 200, "dur", 3*time.Millisecond, "bytes", int64(2048))
	log.Info("config reloaded", "routes", 3)
	log.Debug("hidden")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	if got := lines[0][9:]; got != "GET    /api/users → /api 200 3ms 2.0kB" {
		t.Errorf("request line = %q", got)
	}
	if got := lines[1][9:]; got != "config reloaded routes=3" {
		t.Errorf("other line = %q", got)
	}
	if strings.Contains(buf.String(), "\x1b[") {
		t.Error("colour codes without a terminal")
	}
	buf.Reset()
	slog.New(NewConsoleHandler(&buf, slog.LevelInfo, true)).Info("request", "method", "GET", "path", "/", "route", "frontend", "status", 502)
	if !strings.Contains(buf.String(), ansiRed+"502") {
		t.Errorf("a 502 is not red on a terminal: %q", buf.String())
	}
}

func TestJSONLogFormat(t *testing.T) {
	var out bytes.Buffer
	log, closeLog, err := newLogger(Options{Stdout: &out}, "json", false, false)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("request", "method", "GET", "status", 200)
	closeLog() // flushes the batched writer
	var rec map[string]any
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil || rec["msg"] != "request" || rec["method"] != "GET" {
		t.Errorf("json log %q: %v", out.String(), err)
	}
	if _, _, err := newLogger(Options{Stdout: &out}, "yaml", false, false); err == nil {
		t.Error("unknown --log-format accepted")
	}
}

// TestLogLinesCannotBeForged: a page can request any path; control bytes
// in it must not reach the terminal raw (fake lines, escape sequences).
func TestLogLinesCannotBeForged(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewConsoleHandler(&buf, slog.LevelInfo, false))
	evil := "/x\n12:00:00 GET /admin → /api 200 1ms 0B\x1b[31m"
	log.Info("request", "method", "GET", "path", evil, "route", "/api", "status", 404, "reason", "no such \x1b]0;title\x07")
	log.Warn("websocket origin refused", "path", evil, "origin", "http://e.test")
	log.Warn("config rejected; keeping previous", "err", "a.toml:1:1: bad\n    want: x")
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("raw control bytes in the log: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 { // the config error keeps its own lines; each forged path stays on one
		t.Errorf("got %d lines, want 5:\n%s", len(lines), out)
	}
	for _, l := range lines[:2] {
		if strings.HasPrefix(l, "12:00:00 GET /admin") {
			t.Errorf("forged log line: %q", l)
		}
	}
}
