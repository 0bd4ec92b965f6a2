package devproxy

import (
	"context"
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
			attrs: []slog.Attr{slog.String("method", "DELETE"), slog.String("path", "/x"), slog.String("route", "/"), slog.Int("status", 502), slog.Duration("dur", 1500*time.Millisecond), slog.Int64("bytes", 3<<20), slog.String("err", "connection refused")},
			want:  "15:04:05 DELETE /x → / 502 1.5s 3.0MB connection refused\n",
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
