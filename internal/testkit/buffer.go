package testkit

import (
	"bytes"
	"regexp"
	"sync"
	"testing"
	"time"
)

// OutputWait bounds how long Buffer.WaitFor waits for output to appear.
const OutputWait = 10 * time.Second

// Buffer collects output written from several goroutines (a command's
// stdout, a log) and signals every write.
type Buffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

// NewBuffer returns an empty Buffer.
func NewBuffer() *Buffer { return &Buffer{written: make(chan struct{}, 1)} }

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.written <- struct{}{}:
	default: // a signal is already pending
	}
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitFor returns re's submatches once the output matches it, failing the
// test after OutputWait.
func (b *Buffer) WaitFor(t testing.TB, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(OutputWait)
	for {
		if m := re.FindStringSubmatch(b.String()); m != nil {
			return m
		}
		select {
		case <-b.written:
		case <-deadline:
			t.Fatalf("output never matched %s; got:\n%s", re, b.String())
		}
	}
}
