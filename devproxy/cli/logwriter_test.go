package cli

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
)

// blockingWriter stands for a terminal that stopped reading: Write waits
// until release is closed.
type blockingWriter struct {
	entered chan struct{} // closed on the first Write
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *blockingWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestLogWriterKeepsOrderAndFlushesOnClose(t *testing.T) {
	out := testkit.NewBuffer()
	w := newLogWriter(out)
	var want strings.Builder
	for i := range 1000 {
		line := fmt.Sprintf("line %d\n", i)
		want.WriteString(line)
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if got := out.String(); got != want.String() {
		t.Errorf("output after Close has %d bytes, want the %d bytes written, in order", len(got), want.Len())
	}
	w.Write([]byte("after close\n"))
	if got := out.String(); !strings.HasSuffix(got, "after close\n") {
		t.Errorf("a write after Close was not written through; output ends %q", got[max(0, len(got)-20):])
	}
}

func TestLogWriterFlushesWithoutClose(t *testing.T) {
	out := testkit.NewBuffer()
	w := newLogWriter(out)
	defer w.Close()
	w.Write([]byte("GET / 200\n"))
	out.WaitFor(t, regexp.MustCompile(regexp.QuoteMeta("GET / 200")))
}

func TestLogWriterDropsInsteadOfBlocking(t *testing.T) {
	out := &blockingWriter{entered: make(chan struct{}), release: make(chan struct{})}
	w := newLogWriter(out)
	w.Write([]byte("first\n"))
	select {
	case <-out.entered: // the flush goroutine is now stuck in out.Write
	case <-time.After(5 * time.Second):
		t.Fatal("the first line was never flushed")
	}
	line := []byte(strings.Repeat("x", 1023) + "\n")
	n := 2*maxLogBacklog/len(line) + 1
	for range n { // must return although out is blocked
		w.Write(line)
	}
	close(out.release)
	w.Close()
	got := out.String()
	kept := strings.Count(got, string(line))
	dropped := n - kept
	if dropped <= 0 || kept == 0 {
		t.Fatalf("kept %d of %d lines, want some kept and some dropped", kept, n)
	}
	if want := fmt.Sprintf("devproxy: %d log lines dropped", dropped); !strings.Contains(got, want) {
		t.Errorf("output does not report the drop; want %q", want)
	}
}
