package devproxy

import (
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
)

// The token bucket on the fake clock of testing/synctest: exact times.

// paceOf is how long n bytes take through a fresh bucket at rate: the
// burst goes at once, the rest at the rate.
func paceOf(rate config.Rate, n int) time.Duration {
	b := newBucket(rate)
	return time.Duration((float64(n) - b.burst) / b.rate * float64(time.Second))
}

func TestBucketPacesAtItsRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, size = 125_000, 256 << 10 // 1Mbps
		w := &throttledWriter{ResponseWriter: httptest.NewRecorder(), down: link{newBucket(rate)}}
		start := time.Now()
		if n, err := w.Write(make([]byte, size)); n != size || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		if got, want := time.Since(start), paceOf(rate, size); got < want || got > want+time.Millisecond {
			t.Errorf("256 KiB at 1Mbps took %v, want %v (a 50 ms burst, then 125000 bytes/s)", got, want)
		}
	})
}

func TestBucketSharedByConcurrentRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, size = 50_000, 100_000
		shared := newBucket(rate)
		start := time.Now()
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				w := &throttledWriter{ResponseWriter: httptest.NewRecorder(), down: link{shared}}
				w.Write(make([]byte, size))
			})
		}
		wg.Wait()
		// Two bodies through one link take as long as one of twice the size.
		if got, want := time.Since(start), paceOf(rate, 2*size); got < want || got > want+10*time.Millisecond {
			t.Errorf("two 100 kB bodies sharing 400kbps took %v, want %v", got, want)
		}
	})
}

func TestBucketRefillsOnlyUpToItsBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket(10_000) // burst: 50 ms = 500 bytes, raised to minChunk
		time.Sleep(time.Hour)  // idle for long: the bucket is full, not an hour's worth
		if d := b.reserve(minChunk); d != 0 {
			t.Errorf("a full bucket made the first chunk wait %v", d)
		}
		if d, want := b.reserve(1000), 100*time.Millisecond; d != want {
			t.Errorf("the next 1000 bytes wait %v, want %v", d, want)
		}
	})
}

func TestLinkTakesTheSlowerBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := link{newBucket(1_000_000), newBucket(20_000)}
		if got := l.chunk(); got != 1000 {
			t.Errorf("chunk = %d, want the slower bucket's burst, 1000", got)
		}
		l.reserve(1000)
		if d, want := l.reserve(2000), 100*time.Millisecond; d != want {
			t.Errorf("wait = %v, want %v (2000 bytes at 20000 B/s)", d, want)
		}
	})
}

// A throttled WebSocket stream is paced both ways, and closing the
// connection ends a wait at once.
func TestThrottledConnPacesBothWaysAndCloseStopsIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, size = 32_000, 32_000
		inner, peer := net.Pipe()
		c := &throttledConn{Conn: inner, up: link{newBucket(rate)}, down: link{newBucket(rate)}, closed: make(chan struct{})}
		go func() { // exits when the pipe closes
			buf := make([]byte, size)
			io.ReadFull(peer, buf)
			peer.Write(buf)
		}()
		start := time.Now()
		if _, err := c.Write(make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		wrote := time.Since(start)
		if _, err := io.ReadFull(c, make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		read := time.Since(start) - wrote
		if want := paceOf(rate, size); wrote < want || read < want {
			t.Errorf("32 kB each way at 256kbps: written in %v, read in %v; want at least %v each", wrote, read, want)
		}

		// A write that must wait a long time returns as soon as the conn closes.
		slow := &throttledConn{Conn: inner, down: link{newBucket(1000)}, closed: make(chan struct{})}
		done := make(chan error, 1)
		go func() { _, err := slow.Write(make([]byte, 100_000)); done <- err }() // exits when slow closes
		synctest.Wait()
		closedAt := time.Now()
		slow.Close()
		peer.Close()
		if err := <-done; err == nil {
			t.Error("Write on a closed throttled conn succeeded")
		}
		if waited := time.Since(closedAt); waited != 0 {
			t.Errorf("Write returned %v after Close, want at once", waited)
		}
	})
}

// A request body is read no faster than the up link allows.
func TestThrottledBodyPacesUploads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, size = 64_000, 200_000
		body := &throttledBody{ReadCloser: io.NopCloser(strings.NewReader(strings.Repeat("x", size))), up: link{newBucket(rate)}}
		start := time.Now()
		n, err := io.Copy(io.Discard, body)
		if n != size || err != nil {
			t.Fatalf("Copy = %d, %v", n, err)
		}
		if got, want := time.Since(start), paceOf(rate, size); got < want || got > want+time.Millisecond {
			t.Errorf("a 200 kB upload at 512kbps took %v, want %v", got, want)
		}
	})
}
