package devproxy

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
)

// BenchmarkProxyGET measures one keep-alive GET through a real Server to a
// real backend over loopback, client and backend included, with request
// logging off and on (slog text into io.Discard; the console format has its own benchmark in cli). allocs/op counts
// all three parties; compare it with BenchmarkDirectGET.
func BenchmarkProxyGET(b *testing.B) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the backend\n")
	}))
	b.Cleanup(be.Close)
	for _, tt := range []struct {
		name string
		log  *slog.Logger
	}{
		{"log=off", slog.New(slog.DiscardHandler)},
		{"log=text", slog.New(slog.NewTextHandler(io.Discard, nil))},
	} {
		b.Run(tt.name, func(b *testing.B) {
			url := serveBench(b, "[routes.\"/api\"]\ntarget = \""+be.URL+"\"\nstrip_prefix = true\n", tt.log)
			benchGET(b, url+"/api/text")
		})
	}
}

// BenchmarkDirectGET is BenchmarkProxyGET's baseline: the client talks to
// the backend itself.
func BenchmarkDirectGET(b *testing.B) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the backend\n")
	}))
	b.Cleanup(be.Close)
	benchGET(b, be.URL+"/text")
}

func benchGET(b *testing.B, url string) {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(c.CloseIdleConnections)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := c.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("GET %s: %s", url, res.Status)
				return
			}
		}
	})
}

// serveBench serves configText with log until the benchmark ends and
// returns the proxy's base URL.
func serveBench(b *testing.B, configText string, log *slog.Logger) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), config.DefaultFile)
	if err := os.WriteFile(path, []byte(configText), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(Options{Config: cfg, Assets: os.DirFS("../static"), Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }() // exits when ctx is cancelled at cleanup
	b.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			b.Error("Serve did not return after cancel")
		}
	})
	return "http://" + ln.Addr().String()
}

// BenchmarkPlainProxyGET is the "plain" reference of go run ./bench: an
// httputil.ReverseProxy with a 256-connection idle pool and nothing else.
func BenchmarkPlainProxyGET(b *testing.B) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the backend\n")
	}))
	b.Cleanup(be.Close)
	u, err := url.Parse(be.URL)
	if err != nil {
		b.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	b.Cleanup(tr.CloseIdleConnections)
	px := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }, Transport: tr})
	b.Cleanup(px.Close)
	benchGET(b, px.URL+"/text")
}
