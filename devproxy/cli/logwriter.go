package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
)

const (
	// logFlushDelay batches a burst of log lines into one write: a page
	// load's hundreds of request lines cost a handful of syscalls, and a
	// human cannot see a 10 ms delay.
	logFlushDelay = 10 * time.Millisecond
	// maxLogBacklog bounds what waits for a slow terminal (a paused tmux
	// pane, Ctrl-S); beyond it lines are dropped and counted, so requests
	// never wait for the terminal.
	maxLogBacklog = 1 << 20
)

// logWriter buffers log output and writes it from a timer goroutine, so a
// request only copies its formatted line under a short lock. Lines that do
// not fit in maxLogBacklog are dropped; the next write says how many.
type logWriter struct {
	out io.Writer

	wmu sync.Mutex // serialises writes to out
	fmu sync.Mutex // held through a whole flush, so Close waits for one in progress and order is kept

	mu      sync.Mutex
	buf     []byte // lines waiting to be written
	spare   []byte // the previous buf, reused
	pending bool   // a flush is scheduled or running
	dropped int
	closed  bool
}

func newLogWriter(out io.Writer) *logWriter { return &logWriter{out: out} }

// Write queues p, which must hold whole lines. It never blocks on out
// unless the writer is closed.
func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.wmu.Lock()
		defer w.wmu.Unlock()
		return w.out.Write(p)
	}
	if len(w.buf)+len(p) > maxLogBacklog {
		w.dropped++
	} else {
		w.buf = append(w.buf, p...)
	}
	if !w.pending {
		w.pending = true
		time.AfterFunc(logFlushDelay, w.flush) // one timer per batch; it re-arms only while lines keep coming
	}
	w.mu.Unlock()
	return len(p), nil
}

// flush writes what is queued. Only one flush is scheduled or running at a
// time, so a slow out holds back the next batch instead of stacking goroutines.
func (w *logWriter) flush() {
	w.fmu.Lock()
	defer w.fmu.Unlock()
	w.mu.Lock()
	buf, dropped := w.buf, w.dropped
	w.buf, w.dropped = w.spare[:0], 0
	w.mu.Unlock()

	if dropped > 0 {
		buf = fmt.Appendf(buf, "devproxy: %s dropped: the terminal was not reading fast enough\n", plural(dropped, "log line", "log lines"))
	}
	if len(buf) > 0 {
		w.wmu.Lock()
		_, _ = w.out.Write(buf)
		w.wmu.Unlock()
	}

	w.mu.Lock()
	if cap(buf) <= 64<<10 {
		w.spare = buf[:0] // keep a modest buffer; let a burst's big one go
	} else {
		w.spare = nil
	}
	if (len(w.buf) > 0 || w.dropped > 0) && !w.closed {
		time.AfterFunc(logFlushDelay, w.flush)
	} else {
		w.pending = false
	}
	w.mu.Unlock()
}

// Close writes what is queued; later writes go straight to out.
func (w *logWriter) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.flush()
	return nil
}
