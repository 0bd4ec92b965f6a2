package devproxy

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

const (
	// probeTimeout bounds the status page's health dial: a loopback port
	// answers or refuses in microseconds, a remote one gets a moment.
	probeTimeout = 500 * time.Millisecond
	// probeCacheFor lets several open status pages (each polling every 2 s)
	// share one dial per backend.
	probeCacheFor = 3 * time.Second
)

// prober answers "is anything listening on this backend?" lazily: only when
// the status page asks, with a TCP dial whose result is cached briefly.
type prober struct {
	d net.Dialer

	mu    sync.Mutex
	cache map[string]probeResult // host:port → last result
}

type probeResult struct {
	up  bool
	err string
	at  time.Time
}

func newProber() *prober {
	return &prober{d: net.Dialer{Timeout: probeTimeout}, cache: map[string]probeResult{}}
}

// check returns a result for every addr, dialling (in parallel, without
// holding the mutex) those whose cached result is stale.
func (p *prober) check(ctx context.Context, addrs []string) map[string]probeResult {
	out := make(map[string]probeResult, len(addrs))
	var stale []string
	seen := map[string]bool{} // routes often share a backend: one dial each
	p.mu.Lock()
	for _, a := range addrs {
		if r, ok := p.cache[a]; ok && time.Since(r.at) < probeCacheFor {
			out[a] = r
		} else if !seen[a] {
			seen[a] = true
			stale = append(stale, a)
		}
	}
	p.mu.Unlock()

	results := make([]probeResult, len(stale))
	var wg sync.WaitGroup
	for i, a := range stale {
		wg.Go(func() { // exits when the dial answers or probeTimeout passes
			dctx, cancel := context.WithTimeout(ctx, probeTimeout)
			defer cancel()
			// localhost is both 127.0.0.1 and ::1, as for the proxy.
			conn, err := web.DialLocal(dctx, &p.d, "tcp", a)
			r := probeResult{up: err == nil, at: time.Now()}
			if err != nil {
				r.err = err.Error()
			} else {
				conn.Close()
			}
			results[i] = r
		})
	}
	wg.Wait()

	p.mu.Lock()
	defer p.mu.Unlock()
	for i, a := range stale {
		p.cache[a] = results[i]
		out[a] = results[i]
	}
	return out
}
