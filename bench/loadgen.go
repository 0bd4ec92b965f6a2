package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

const (
	browserConns  = 6         // connections a browser opens per HTTP/1.1 origin
	wsConns       = 64        // WebSocket echo connections
	wsMessageSize = 1 << 10   // WebSocket echo payload
	maxSamples    = 1 << 21   // latency samples kept per scenario, so memory stays bounded
	copyBufSize   = 256 << 10 // client read/write buffer for the bulk transfers
)

// result is what one load scenario measured.
type result struct {
	ops     int64           // requests, page loads, round trips or events
	bytes   int64           // body bytes moved (transfers)
	elapsed time.Duration   // wall time of the measured part
	lat     []time.Duration // per-op latencies, at most maxSamples
	errs    int64
}

// add folds another slice of the same scenario into r.
func (r *result) add(o result) {
	r.ops += o.ops
	r.bytes += o.bytes
	r.elapsed += o.elapsed
	r.errs += o.errs
	if room := maxSamples - len(r.lat); room > 0 {
		r.lat = append(r.lat, o.lat[:min(room, len(o.lat))]...)
	}
}

func (r result) perSecond() float64 { return float64(r.ops) / r.elapsed.Seconds() }
func (r result) mibPerSecond() float64 {
	return float64(r.bytes) / (1 << 20) / r.elapsed.Seconds()
}

// samples collects latencies from many workers without a shared lock per op.
type samples struct {
	mu  sync.Mutex
	all []time.Duration
}

func (s *samples) add(part []time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if room := maxSamples - len(s.all); room < len(part) {
		part = part[:max(room, 0)]
	}
	s.all = append(s.all, part...)
}

func newClient(conns int, keepAlive bool) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		DisableKeepAlives:   !keepAlive,
		DisableCompression:  true,
		WriteBufferSize:     copyBufSize,
		ReadBufferSize:      copyBufSize,
	}, Timeout: 30 * time.Second}
}

// get fetches url and discards the body.
func get(c *http.Client, url string) error {
	res, err := c.Get(url)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return err
}

// loadGET runs conns workers on c that GET url back to back for d and
// records each latency.
func loadGET(c *http.Client, url string, conns int, d time.Duration) result {
	var s samples
	var wg sync.WaitGroup
	var nOps, nErrs atomic.Int64
	t0 := time.Now()
	deadline := t0.Add(d)
	for range conns {
		wg.Go(func() { // exits at the deadline
			lat := make([]time.Duration, 0, 1024)
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := get(c, url); err != nil {
					nErrs.Add(1)
					continue
				}
				lat = append(lat, time.Since(t))
			}
			nOps.Add(int64(len(lat)))
			s.add(lat)
		})
	}
	wg.Wait()
	return result{ops: nOps.Load(), elapsed: time.Since(t0), lat: s.all, errs: nErrs.Load()}
}

// loadPage fetches the pageFiles assets over browserConns fresh keep-alive
// connections, like a browser loading a page of modules, again and again
// for d (at least 3 times). Each latency is one whole page load.
func loadPage(base string, d time.Duration) result {
	urls := make([]string, pageFiles)
	for i := range urls {
		urls[i] = base + "/assets/" + assetName(i)
	}
	var r result
	t0 := time.Now()
	for len(r.lat) < 3 || time.Since(t0) < d {
		c := newClient(browserConns, true)
		var next atomic.Int64
		var errs atomic.Int64
		var wg sync.WaitGroup
		p0 := time.Now()
		for range browserConns {
			wg.Go(func() { // exits when every file is fetched
				for i := next.Add(1) - 1; i < pageFiles; i = next.Add(1) - 1 {
					if err := get(c, urls[i]); err != nil {
						errs.Add(1)
					}
				}
			})
		}
		wg.Wait()
		r.lat = append(r.lat, time.Since(p0))
		r.errs += errs.Load()
		r.ops += pageFiles
		c.CloseIdleConnections()
	}
	r.elapsed = time.Since(t0)
	return r
}

// download GETs the 64 MiB body repeatedly for d (at least twice).
func download(url string, d time.Duration) result {
	c := newClient(1, true)
	defer c.CloseIdleConnections()
	buf := make([]byte, copyBufSize)
	var r result
	t0 := time.Now()
	for r.ops < 2 || time.Since(t0) < d {
		res, err := c.Get(url)
		if err != nil {
			r.errs++
			return r
		}
		n, err := io.CopyBuffer(io.Discard, res.Body, buf)
		res.Body.Close()
		if err != nil || n != downloadSize {
			r.errs++
		}
		r.bytes += n
		r.ops++
	}
	r.elapsed = time.Since(t0)
	return r
}

// upload POSTs 64 MiB bodies repeatedly for d (at least twice).
func upload(url string, d time.Duration) result {
	c := newClient(1, true)
	defer c.CloseIdleConnections()
	chunk := make([]byte, copyBufSize)
	rand.Read(chunk)
	var r result
	t0 := time.Now()
	for r.ops < 2 || time.Since(t0) < d {
		body := io.LimitReader(repeatReader(chunk), downloadSize)
		req, _ := http.NewRequest(http.MethodPost, url, body)
		req.ContentLength = downloadSize
		res, err := c.Do(req)
		if err != nil {
			r.errs++
			return r
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.TrimSpace(string(got)) != strconv.Itoa(downloadSize) {
			r.errs++
		}
		r.bytes += downloadSize
		r.ops++
	}
	r.elapsed = time.Since(t0)
	return r
}

type repeatReader []byte

func (rr repeatReader) Read(p []byte) (int, error) { return copy(p, rr), nil }

// sse reads one stream of sseEvents events and records, for each, the time
// from the backend's write to this read.
func sse(url string) result {
	c := newClient(1, true)
	defer c.CloseIdleConnections()
	var r result
	t0 := time.Now()
	res, err := c.Get(url)
	if err != nil {
		r.errs++
		return r
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	for {
		line, err := br.ReadBytes('\n')
		now := time.Now().UnixNano()
		if v, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
			ts, perr := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if perr != nil {
				r.errs++
			} else {
				r.lat = append(r.lat, time.Duration(now-ts))
				r.ops++
			}
		}
		if err != nil {
			break
		}
	}
	if r.ops != sseEvents {
		r.errs++
	}
	r.elapsed = time.Since(t0)
	return r
}

// wsClients are wsConns open WebSocket connections to one target.
type wsClients []*websocket.Conn

// dialWS opens wsConns connections to url.
func dialWS(url string) (wsClients, error) {
	dl := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	var conns wsClients
	for range wsConns {
		c, _, err := dl.DialContext(context.Background(), url, nil)
		if err != nil {
			conns.close()
			return nil, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func (conns wsClients) close() {
	for _, c := range conns {
		c.Close()
	}
}

// echo has every connection send a 1 KiB message and wait for its echo,
// back to back, for d.
func (conns wsClients) echo(d time.Duration) result {
	var s samples
	var ops, errs atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	t0 := time.Now()
	for _, c := range conns {
		wg.Go(func() { // exits at the deadline or on an error
			msg := make([]byte, wsMessageSize)
			rand.Read(msg)
			lat := make([]time.Duration, 0, 1024)
			defer func() { ops.Add(int64(len(lat))); s.add(lat) }()
			c.SetReadDeadline(deadline.Add(5 * time.Second))
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
					errs.Add(1)
					return
				}
				_, got, err := c.ReadMessage()
				if err != nil || !bytes.Equal(got, msg) {
					errs.Add(1)
					return
				}
				lat = append(lat, time.Since(t))
			}
		})
	}
	wg.Wait()
	return result{ops: ops.Load(), elapsed: time.Since(t0), lat: s.all, errs: errs.Load()}
}
