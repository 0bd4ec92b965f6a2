package devproxy

import (
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// benchConns is how many sockets the echo benchmark drives at once: a
// busy dev page (HMR, app sockets, several tabs) is far fewer, so this is
// a stress figure for the relay, not a typical load.
const benchConns = 64

// BenchmarkWebSocketEcho measures 1 KiB echo round trips per second over
// benchConns connections directly to a gorilla echo backend, through
// devproxy, and through a plain httputil.ReverseProxy, so the cost of the
// relay can be quoted as a ratio:
//
//	go test -run '^$' -bench WebSocketEcho -benchtime 2s ./devproxy/
func BenchmarkWebSocketEcho(b *testing.B) {
	be := newWSBackend(b, func(u *websocket.Upgrader) { u.EnableCompression = false })
	p := startWSProxy(b, "[routes]\n\"/ws\" = %q\n", be.URL)
	target, err := url.Parse(be.URL)
	if err != nil {
		b.Fatal(err)
	}
	plain := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	b.Cleanup(plain.Close)

	b.Run("direct", func(b *testing.B) { benchEcho(b, be.wsURL("/ws")) })
	b.Run("devproxy", func(b *testing.B) { benchEcho(b, p.url("/ws")) })
	b.Run("httputil", func(b *testing.B) { benchEcho(b, "ws"+strings.TrimPrefix(plain.URL, "http")+"/ws") })
}

// benchEcho spreads b.N round trips over benchConns sockets to url and
// reports round trips per second.
func benchEcho(b *testing.B, url string) {
	conns := make([]*websocket.Conn, benchConns)
	for i := range conns {
		c, _, err := wsDialer.Dial(url, nil)
		if err != nil {
			b.Fatalf("dial %s: %v", url, err)
		}
		defer c.Close()
		conns[i] = c
	}
	msg := make([]byte, 1024)
	_, _ = rand.NewChaCha8([32]byte{3}).Read(msg)

	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for _, c := range conns {
		wg.Go(func() { // exits after its share of b.N round trips, or on the first error
			buf := make([]byte, len(msg))
			for next.Add(1) <= int64(b.N) {
				if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
					b.Error(err)
					return
				}
				_, r, err := c.NextReader()
				if err == nil {
					_, err = io.ReadFull(r, buf)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "roundtrips/s")
}
