package testkit

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// LogRecorder is a slog.Handler that keeps every record and lets a test
// wait for one.
type LogRecorder struct {
	mu      sync.Mutex
	records []slog.Record
	notify  chan struct{} // closed and replaced on every record
}

// NewLogRecorder returns an empty recorder.
func NewLogRecorder() *LogRecorder { return &LogRecorder{notify: make(chan struct{})} }

// Logger returns a logger that writes to l.
func (l *LogRecorder) Logger() *slog.Logger { return slog.New(l) }

func (l *LogRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *LogRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *LogRecorder) WithGroup(string) slog.Handler            { return l }

func (l *LogRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	close(l.notify)
	l.notify = make(chan struct{})
	return nil
}

// Find returns the attributes (and "level") of the first record whose
// message is msg.
func (l *LogRecorder) Find(msg string) (map[string]string, bool) {
	if all := l.All(msg); len(all) > 0 {
		return all[0], true
	}
	return nil, false
}

// All returns the attributes of every record whose message is msg.
func (l *LogRecorder) All(msg string) []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, r := range l.records {
		if r.Message == msg {
			out = append(out, attrsOf(r))
		}
	}
	return out
}

// Records returns every record's message and attributes, in order; the
// message is under the key "msg".
func (l *LogRecorder) Records() []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]map[string]string, len(l.records))
	for i, r := range l.records {
		out[i] = attrsOf(r)
		out[i]["msg"] = r.Message
	}
	return out
}

func attrsOf(r slog.Record) map[string]string {
	attrs := map[string]string{"level": r.Level.String()}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
	return attrs
}

// Wait blocks until a record with message msg has been logged and returns
// its attributes, failing the test after timeout.
func (l *LogRecorder) Wait(t testing.TB, msg string, timeout time.Duration) map[string]string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		ch := l.notify
		l.mu.Unlock()
		if attrs, ok := l.Find(msg); ok {
			return attrs
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no %q log record within %s", msg, timeout)
		}
	}
}
