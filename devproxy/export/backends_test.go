package export_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// backends are the servers behind every engine in the behaviour table:
// two echo servers (a and b) that say which one answered and what they
// received, plus the streams, cookies, redirects and CORS headers the rows
// ask for. One set serves all three engines.
type backends struct {
	a, b *httptest.Server
	// signals lets a row and a backend handler meet: the handler of request
	// id waits for (or reports) progress through the channel of that id.
	mu      sync.Mutex
	signals map[string]chan struct{}
}

// echoed is what an echo backend answers.
type echoed struct {
	Backend string      `json:"backend"`
	Method  string      `json:"method"`
	Path    string      `json:"path"`
	Query   string      `json:"query"`
	Host    string      `json:"host"`
	Header  http.Header `json:"header"`
}

const (
	sseEvents     = 3
	bodySize      = 16 << 20 // big enough to be more than any proxy buffer
	uploadHead    = 1 << 20  // bytes an upload sends before it waits for the backend to see them
	signalTimeout = 10 * time.Second
)

func startBackends(t *testing.T) *backends {
	t.Helper()
	b := &backends{signals: map[string]chan struct{}{}}
	b.a = httptest.NewServer(b.handler("a"))
	b.b = httptest.NewServer(b.handler("b"))
	t.Cleanup(b.a.Close)
	t.Cleanup(b.b.Close)
	return b
}

// signal returns the channel for id, creating it.
func (b *backends) signal(id string) chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch, ok := b.signals[id]
	if !ok {
		ch = make(chan struct{}, sseEvents)
		b.signals[id] = ch
	}
	return ch
}

func (b *backends) handler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		last := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		switch last {
		case "sse":
			b.serveSSE(w, r)
		case "download":
			serveDownload(w)
		case "upload":
			b.serveUpload(w, r)
		case "ws", "ws-strict":
			serveEcho(w, r, last == "ws")
		case "login":
			// A session cookie for the backend's own host and root path,
			// one for a deeper path (under ?base=) and another domain,
			// a cross-site one (Secure, SameSite=None) and, with ?under=,
			// one under the public prefix.
			w.Header().Add("Set-Cookie", "sid=s1; Domain=127.0.0.1; Path=/; HttpOnly")
			w.Header().Add("Set-Cookie", "pref=p2; Path="+r.URL.Query().Get("base")+"/settings; Domain=localhost")
			w.Header().Add("Set-Cookie", "cross=c3; Path=/; Secure; SameSite=None")
			if under := r.URL.Query().Get("under"); under != "" {
				// A backend that knows its public prefix.
				w.Header().Add("Set-Cookie", "own=o4; Path="+under+"/area")
			}
			w.WriteHeader(http.StatusNoContent)
		case "redirect":
			// ?to= is the URL (BACKEND: this server's host:port), ?header=
			// where it goes (default Location, with a 302).
			self := r.Context().Value(http.LocalAddrContextKey).(net.Addr).String()
			to := strings.ReplaceAll(r.URL.Query().Get("to"), "BACKEND", self)
			if h := r.URL.Query().Get("header"); h != "" {
				w.Header().Set(h, to)
				return
			}
			w.Header().Set("Location", to)
			w.WriteHeader(http.StatusFound)
		default:
			if r.URL.Query().Has("cors") {
				// A backend with its own (wrong, for credentials) CORS answer.
				w.Header().Set("Access-Control-Allow-Origin", "*")
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(echoed{Backend: name, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host, Header: r.Header})
		}
	})
}

// serveSSE sends sseEvents events, each only after the client said it
// received the one before: a proxy that holds events back never gets the
// next one.
func (b *backends) serveSSE(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	ack := b.signal(r.URL.Query().Get("id"))
	flusher := w.(http.Flusher)
	for i := 1; i <= sseEvents; i++ {
		fmt.Fprintf(w, "id: %d\ndata: event %d\n\n", i, i)
		flusher.Flush()
		if i == sseEvents {
			return
		}
		select {
		case <-ack:
		case <-r.Context().Done():
			return
		case <-time.After(signalTimeout):
			return
		}
	}
}

// downloadBody is the same pseudo-random body on every call.
func downloadBody() io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{19}), bodySize)
}

func serveDownload(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/octet-stream")
	io.Copy(w, downloadBody())
}

// serveUpload reads the body, reports when uploadHead bytes have arrived
// (so the client knows the proxy streams the upload rather than holding
// it until the end), and answers with its size and SHA-256.
func (b *backends) serveUpload(w http.ResponseWriter, r *http.Request) {
	seen := b.signal(r.URL.Query().Get("id"))
	h := sha256.New()
	n, err := io.CopyN(h, r.Body, uploadHead)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	seen <- struct{}{}
	m, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "%d %s", n+m, hex.EncodeToString(h.Sum(nil)))
}

// serveEcho is a WebSocket echo server. The strict one checks Origin as
// gorilla does by default (Origin's host must be the request's Host), as
// many backends do.
func serveEcho(w http.ResponseWriter, r *http.Request, anyOrigin bool) {
	up := websocket.Upgrader{}
	if anyOrigin {
		up.CheckOrigin = func(*http.Request) bool { return true }
	}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	defer conn.Close()
	for {
		kind, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if err := conn.WriteMessage(kind, msg); err != nil {
			return
		}
	}
}

// sha256Hex hashes a whole reader.
func sha256Hex(r io.Reader) (int64, string, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return n, hex.EncodeToString(h.Sum(nil)), err
}

// newID names one request's signal channel.
func newID() string { return strconv.FormatUint(rand.Uint64(), 36) }
