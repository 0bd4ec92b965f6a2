package devproxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
	"github.com/gorilla/websocket"
)

// Network simulation over real sockets. The machine these run on is shared
// and often loaded, so every timing is measured against the same request
// without the simulation, in the same test, and compared as a difference:
// the lower bounds are what the code guarantees (a timer or the token
// bucket never lets a request through early), the upper bounds leave room
// for the scheduler.

// timed runs one request and returns how long it took, its status and body.
func timed(t *testing.T, c *http.Client, method, url string, body []byte) (time.Duration, int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := newRequest(t, method, url, rd)
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return time.Since(start), res.StatusCode, got
}

// TestDelayAddsItsDurationBeforeTheHeaders: delay = "300ms" adds at least
// 300 ms and at most 350 ms. Five delayed and five undelayed requests
// alternate on one warm connection; every delayed one takes at least the
// delay (a timer never fires early), and the fastest delayed one is
// within 50 ms of the delay plus the fastest undelayed one. The minimum
// of five keeps a scheduler stall on a loaded machine out of the bound.
func TestDelayAddsItsDurationBeforeTheHeaders(t *testing.T) {
	t.Parallel()
	const delay, slack = 300 * time.Millisecond, 50 * time.Millisecond
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(be.Close)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/fast\" = %[1]q\n[routes.\"/slow\"]\ntarget = %[1]q\ndelay = %[2]q\n", be.URL, delay.String()))
	c := &http.Client{}
	t.Cleanup(c.CloseIdleConnections)
	timed(t, c, "GET", p.URL+"/fast", nil) // warm the connections
	var fast, slow []time.Duration
	for range 5 {
		d, _, _ := timed(t, c, "GET", p.URL+"/fast", nil)
		fast = append(fast, d)
		d, status, body := timed(t, c, "GET", p.URL+"/slow", nil)
		if status != 200 || string(body) != "ok" {
			t.Fatalf("GET /slow = %d %q", status, body)
		}
		if d < delay {
			t.Errorf("a delayed request took %v, less than the delay %v", d, delay)
		}
		slow = append(slow, d)
	}
	added := slices.Min(slow) - slices.Min(fast)
	t.Logf("delay %v: added %v (fastest delayed %v, fastest undelayed %v)", delay, added, slices.Min(slow), slices.Min(fast))
	if added > delay+slack {
		t.Errorf("delay %v added %v, want at most %v", delay, added, delay+slack)
	}
}

// TestThrottleTimesA256KiBBody: at "1Mbps" (125,000 bytes/s) 256 KiB take
// (262,144 − 6,250 burst) / 125,000 = 2.05 s, each way. The measured
// difference to the unthrottled transfer must be within ±20% of that. The
// lower bound is the token bucket's promise; the upper bound is how much
// the scheduler may add on a loaded machine.
func TestThrottleTimesA256KiBBody(t *testing.T) {
	t.Parallel()
	const size = 256 << 10
	payload := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			n, _ := io.Copy(io.Discard, r.Body)
			fmt.Fprint(w, n)
			return
		}
		w.Write(payload)
	}))
	t.Cleanup(be.Close)
	p := startProxy(t, fmt.Sprintf("[routes]\n\"/fast\" = %[1]q\n[routes.\"/slow\"]\ntarget = %[1]q\nthrottle = \"1Mbps\"\n", be.URL))
	want := paceOf(125_000, size)
	for _, dir := range []struct{ name, method string }{{"download", "GET"}, {"upload", "POST"}} {
		t.Run(dir.name, func(t *testing.T) {
			t.Parallel()
			var body []byte
			if dir.method == "POST" {
				body = payload
			}
			c := &http.Client{}
			t.Cleanup(c.CloseIdleConnections)
			fast, _, _ := timed(t, c, dir.method, p.URL+"/fast", body)
			slow, status, got := timed(t, c, dir.method, p.URL+"/slow", body)
			if status != 200 || (dir.method == "GET" && !bytes.Equal(got, payload)) || (dir.method == "POST" && string(got) != fmt.Sprint(size)) {
				t.Fatalf("%s /slow = %d, %d bytes", dir.method, status, len(got))
			}
			added := slow - fast
			t.Logf("%s 256 KiB at 1Mbps: %v throttled, %v not; added %v, expected %v (%+.1f%%)", dir.name, slow, fast, added, want,
				100*(added.Seconds()-want.Seconds())/want.Seconds())
			if slow < want {
				t.Errorf("%s took %v, less than the bucket allows (%v)", dir.name, slow, want)
			}
			// The lower bound above is exact: the bucket never lets a body
			// through faster. Above it, a wait that overruns by more than
			// one bucket slice (50 ms) is not made up, by design (no
			// bursts), and a loaded CI machine overruns: 2.9 s instead of
			// 2.05 s was seen under go test -race -count 4 beside Chromium.
			// +50% still catches a body throttled twice (+100%).
			if added.Seconds() > 1.5*want.Seconds() || added.Seconds() < 0.8*want.Seconds() {
				t.Errorf("%s: throttling added %v, want %v (-20%%, +50%%)", dir.name, added, want)
			}
		})
	}
}

// TestThrottledSSEStaysIncremental: under a throttle each event still
// leaves as soon as the link allows, never held until the stream ends.
func TestThrottledSSEStaysIncremental(t *testing.T) {
	t.Parallel()
	const big = 32 << 10
	release := make(chan struct{})
	be := sseBackend(t, release, strings.Repeat("x", big))
	p := startProxy(t, fmt.Sprintf("[routes.\"/events\"]\ntarget = %q\nthrottle = \"256kbps\"\n", be.URL))
	res, err := http.Get(p.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines := make(chan string, 4)
	go func() { // exits when the body is closed
		rd := bufio.NewReaderSize(res.Body, 2*big)
		for {
			l, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			if l != "\n" {
				lines <- l
			}
		}
	}()
	if l := waitFor(t, lines, "the first event while the stream is open"); l != "data: first\n" {
		t.Fatalf("first line = %q", l)
	}
	start := time.Now()
	close(release)
	l := waitFor(t, lines, "the second event while the stream is open")
	took := time.Since(start)
	if len(l) != len("data: \n")+big {
		t.Fatalf("second event has %d bytes, want %d", len(l), big+7)
	}
	if want := paceOf(32_000, big); took < want {
		t.Errorf("a 32 KiB event at 256kbps arrived in %v, want at least %v", took, want)
	}
}

// TestThrottledWebSocketAndDelayedHandshake: the relayed byte stream is
// paced both ways and stays message by message; delay holds the
// handshake.
func TestThrottledWebSocketAndDelayedHandshake(t *testing.T) {
	t.Parallel()
	be := newWSBackend(t, nil)
	p := startWSProxy(t, "[routes.\"/ws\"]\ntarget = %[1]q\nthrottle = \"256kbps\"\n[routes.\"/late\"]\ntarget = %[1]q\ndelay = \"200ms\"\n", be.URL)

	start := time.Now()
	late, _ := dialWS(t, wsDialer, p.url("/late/x"), nil)
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("the handshake through delay = 200ms took %v", took)
	}
	echo(t, late, websocket.TextMessage, []byte("after the delay"))

	c, _ := dialWS(t, wsDialer, p.url("/ws/x"), nil)
	// A small message goes through at once: the stream is paced, not buffered.
	start = time.Now()
	echo(t, c, websocket.TextMessage, []byte("hello"))
	if took := time.Since(start); took > time.Second {
		t.Errorf("a 5-byte echo took %v under a 256kbps throttle", took)
	}
	// 32 KiB up and back: each direction waits for the link.
	msg := bytes.Repeat([]byte{7}, 32<<10)
	start = time.Now()
	echo(t, c, websocket.BinaryMessage, msg)
	took := time.Since(start)
	if want := 2 * paceOf(32_000, len(msg)+10); took < want {
		t.Errorf("a 32 KiB echo at 256kbps took %v, want at least %v (both directions paced)", took, want)
	}
	t.Logf("32 KiB WebSocket echo at 256kbps: %v", took)
}

// TestFailResetIsATCPReset: mode "reset" drops the browser's connection
// with a TCP reset (the browser's net::ERR_CONNECTION_RESET), over https
// too, where the socket sits under TLS and the framing scanner.
func TestFailResetIsATCPReset(t *testing.T) {
	overBothSchemes(t, func(t *testing.T, listen string) {
		p := startProxy(t, listen+"[routes.\"/drop\"]\nmock = { body = \"ok\" }\nfail = { rate = 1, mode = \"reset\" }\n")
		conn := dialProxy(t, p)
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(conn, "GET /drop HTTP/1.1\r\nHost: "+p.Addr+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		n, err := conn.Read(make([]byte, 512))
		if n != 0 || !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("read %d bytes, %v; want the connection reset (ECONNRESET)", n, err)
		}
	})
}

// TestFailRatesWithinABinomialBound: fail = 0.3 over 1,000 requests gives
// 300 ± 6σ 503s (σ = √(1000·0.3·0.7) ≈ 14.5, so 213–387: a real random
// source, and a bound it misses with probability about 2·10⁻⁹). The reset
// mode over 300 requests: 150 ± 6σ (σ ≈ 8.7) dropped connections.
func TestFailRatesWithinABinomialBound(t *testing.T) {
	t.Parallel()
	p := startProxy(t, `
[routes."/flaky"]
mock = { body = "ok" }
fail = 0.3

[routes."/drop"]
mock = { body = "ok" }
fail = { rate = 0.5, mode = "reset" }

[routes."/never"]
mock = { body = "ok" }
fail = 0

[routes."/always"]
mock = { body = "ok" }
fail = 1
`)
	bound := func(n int, p float64) (lo, hi int) {
		mean, sigma := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
		return int(math.Ceil(mean - 6*sigma)), int(math.Floor(mean + 6*sigma))
	}
	t.Run("503", func(t *testing.T) {
		t.Parallel()
		c := &http.Client{}
		t.Cleanup(c.CloseIdleConnections)
		failed := 0
		var page []byte
		for range 1000 {
			res, err := c.Get(p.URL + "/flaky")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			switch res.StatusCode {
			case 503:
				failed++
				page = body
			case 200:
			default:
				t.Fatalf("status %d", res.StatusCode)
			}
		}
		lo, hi := bound(1000, 0.3)
		t.Logf("fail = 0.3: %d of 1000 failed (6σ bound %d–%d)", failed, lo, hi)
		if failed < lo || failed > hi {
			t.Errorf("%d of 1000 requests failed with fail = 0.3, want %d–%d", failed, lo, hi)
		}
		if !bytes.Contains(page, []byte("devproxy simulated this failure")) || !bytes.Contains(page, []byte(`routes.\"/flaky\".fail = 0.3`)) {
			t.Errorf("the 503 does not say it is simulated and by which key:\n%s", page)
		}
	})
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		// A new connection per request: net/http retries a request on a
		// reused connection that was reset, which would hide the failure.
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		dropped, resets := 0, 0
		for range 300 {
			res, err := c.Get(p.URL + "/drop")
			if err != nil {
				dropped++
				if errors.Is(err, syscall.ECONNRESET) {
					resets++
				}
				continue
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
		}
		lo, hi := bound(300, 0.5)
		t.Logf("fail = 0.5 reset: %d of 300 dropped, %d of them as a TCP reset (6σ bound %d–%d)", dropped, resets, lo, hi)
		if dropped < lo || dropped > hi {
			t.Errorf("%d of 300 connections dropped with fail rate 0.5, want %d–%d", dropped, lo, hi)
		}
		if resets == 0 {
			t.Error("no dropped connection was a TCP reset (ECONNRESET)")
		}
	})
	t.Run("0 and 1", func(t *testing.T) {
		t.Parallel()
		for range 50 {
			if res, _ := get(t, "GET", p.URL+"/never", nil); res.StatusCode != 200 {
				t.Fatalf("fail = 0 answered %d", res.StatusCode)
			}
			if res, _ := get(t, "GET", p.URL+"/always", nil); res.StatusCode != 503 {
				t.Fatalf("fail = 1 answered %d", res.StatusCode)
			}
		}
	})
}

// TestSimulateAppliesToTheFrontend: [simulate] slows the static build too,
// and its delay adds to a route's own.
func TestSimulateAppliesToTheFrontend(t *testing.T) {
	t.Parallel()
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api") }))
	t.Cleanup(be.Close)
	dir := t.TempDir()
	testkit.WriteFile(t, dir+"/index.html", "<!doctype html><p>app</p>")
	p := startProxy(t, fmt.Sprintf("[simulate]\ndelay = \"150ms\"\n[frontend]\nstatic = %q\n[routes.\"/api\"]\ntarget = %q\ndelay = \"100ms\"\n", dir, be.URL))
	if d, status, body := timed(t, http.DefaultClient, "GET", p.URL+"/", nil); status != 200 || !strings.Contains(string(body), "app") || d < 150*time.Millisecond {
		t.Errorf("GET / = %d %q in %v, want the page after at least 150ms", status, body, d)
	}
	if d, _, body := timed(t, http.DefaultClient, "GET", p.URL+"/api/x", nil); string(body) != "api" || d < 250*time.Millisecond {
		t.Errorf("GET /api/x = %q in %v, want at least 250ms ([simulate] 150ms + the route's 100ms)", body, d)
	}
	var rep statusReport
	getJSON(t, p.URL+config.ReservedPrefix+"/status.json", &rep)
	if rep.Simulate != "delay 150ms throttle off" || len(rep.Networks) != len(config.Networks) {
		t.Errorf("status.json simulate = %q, %d networks", rep.Simulate, len(rep.Networks))
	}
}

// getJSON decodes the JSON answer to a GET of url into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := jsonDecode(res.Body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
