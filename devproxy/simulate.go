package devproxy

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
)

// Network simulation: every request a route (or the frontend) serves goes
// through simulated, which applies the conditions of the moment — the
// route's delay, throttle and fail, [simulate]'s, and the status page's
// switches — before the mock or the proxy sees it. A request with no
// conditions costs one atomic load and a nil check.

// sim is one route's configured conditions, compiled with its table. Its
// buckets belong to the table: a reload starts them afresh.
type sim struct {
	delay    time.Duration
	down, up *bucket
	fail     config.Fail
	failKey  string // the config key that set fail, for the 503 page
}

func newSim(delay time.Duration, t config.Throttle, fail config.Fail, failKey string) sim {
	return sim{delay: delay, down: newBucket(t.Down), up: newBucket(t.Up), fail: fail, failKey: failKey}
}

// conditions are what one request gets.
type conditions struct {
	delay    time.Duration
	down, up link
	fail     config.Fail
	failWhy  string // who made it fail: the config key or the status page's switch
	offline  bool   // the status page's offline switch made it fail
}

func (c *conditions) isZero() bool {
	return c.delay == 0 && c.down.isZero() && c.up.isZero() && c.fail.Rate == 0
}

// describe is the network the request went through, as the status page
// and a HAR entry show it: "delay 300ms, throttle 1Mbps". A failure is
// described by the outcome it causes, when it happens.
func (c *conditions) describe() string {
	var parts []string
	if c.delay > 0 {
		parts = append(parts, "delay "+c.delay.String())
	}
	if r := c.down.rate(); r > 0 {
		parts = append(parts, "throttle "+r.String())
	}
	return strings.Join(parts, ", ")
}

// conditionsFor combines a route's own conditions with [simulate]'s and
// the status page's switches for it.
func (s *Server) conditionsFor(name string, own, global *sim) conditions {
	var c conditions
	ov := s.overrides.get(name)
	switch {
	case ov.network == networkNone:
		// Full speed, whatever the file says.
	case ov.preset != nil:
		c.delay = ov.preset.delay
		c.down, c.up = link{ov.preset.down}, link{ov.preset.up}
	default:
		c.delay = own.delay + global.delay
		c.down, c.up = link{own.down, global.down}, link{own.up, global.up}
	}
	c.fail, c.failWhy = own.fail, own.failKey
	if ov.offline != "" {
		c.fail = config.Fail{Rate: 1, Mode: ov.offline}
		c.failWhy, c.offline = "the status page's offline switch", true
	}
	return c
}

// simulated wraps a route's handler (mock or proxy; rt is nil for the
// static frontend) in its network conditions.
func (s *Server) simulated(name string, rt *route, own, global *sim, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := s.conditionsFor(name, own, global)
		if c.isZero() {
			next.ServeHTTP(w, r)
			return
		}
		if ri := infoFrom(r); ri != nil && ri.hdr != nil {
			ri.simulated = c.describe() // for the status page and HAR; only built while one is open
		}
		done := r.Context().Done()
		// The delay comes first, before the route's timeout starts: it
		// stands for the network between browser and server, which a
		// backend's timeout does not cover. A WebSocket's handshake waits
		// for it too.
		if !sleep(done, c.delay) {
			noteOutcome(r, outcomeClientClosed)
			w.WriteHeader(499)
			return
		}
		if c.fail.Rate > 0 && rand.Float64() < c.fail.Rate {
			s.simulateFailure(w, r, name, rt, c)
			return
		}
		if c.down.isZero() && c.up.isZero() {
			next.ServeHTTP(w, r)
			return
		}
		if !c.up.isZero() && r.Body != nil && r.Body != http.NoBody {
			r.Body = &throttledBody{ReadCloser: r.Body, up: c.up, done: done}
		}
		next.ServeHTTP(&throttledWriter{ResponseWriter: w, down: c.down, up: c.up, done: done}, r)
	})
}

// simulateFailure answers with a 503 page that says the failure is
// simulated, or drops the connection without an answer.
func (s *Server) simulateFailure(w http.ResponseWriter, r *http.Request, name string, rt *route, c conditions) {
	if c.fail.Mode == config.FailReset {
		noteOutcome(r, "simulated: connection reset ("+c.failWhy+")")
		if ri := infoFrom(r); ri != nil {
			ri.dropped = true
		}
		resetConnection(w)
		return
	}
	cause := fmt.Sprintf("devproxy simulated this failure: %s fails %s of the requests to %s", c.failWhy, percent(c.fail.Rate), name)
	fix := "remove fail from the route in devproxy.toml when you are done testing"
	if c.offline {
		cause = fmt.Sprintf("devproxy simulated this failure: %s is switched offline on the status page", name)
		fix = "switch it back online on the status page (" + config.ReservedPrefix + "/)"
	}
	noteOutcome(r, "simulated: 503 ("+c.failWhy+")")
	p := problem{Status: http.StatusServiceUnavailable, Error: "Service Unavailable (simulated)", Route: name, Cause: cause, Fix: fix}
	if rt != nil {
		p.Target = rt.Answer()
		// Without CORS headers a cross-origin fetch would see "blocked by CORS policy", not the 503.
		s.applyCORS(rt, r, w.Header())
	}
	s.writeProblem(w, r, s.pages.badGateway, p)
}

// percent writes a share as a percentage: "10%", "0.5%".
func percent(x float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", x*100), "0"), ".") + "%"
}

// resetConnection drops the browser's connection without an answer: with
// SO_LINGER 0 the close sends a TCP RST, which Chromium reports as
// net::ERR_CONNECTION_RESET. Where the connection cannot be taken over
// (HTTP/2), aborting the handler resets the stream instead.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc := tcpConn(conn); tc != nil {
		// Closed under TLS, not through it: a TLS close would first send
		// close_notify, which the browser reads as a clean end.
		_ = tc.SetLinger(0)
		tc.Close()
		return
	}
	conn.Close()
}

// tcpConn finds the TCP connection under the wrappers, or nil. Each of
// devproxy's connection wrappers has NetConn, as *tls.Conn does.
func tcpConn(c net.Conn) *net.TCPConn {
	for {
		switch v := c.(type) {
		case *net.TCPConn:
			return v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
}
