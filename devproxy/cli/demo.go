package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/devproxy/devproxy/devproxy"
	"github.com/devproxy/devproxy/devproxy/config"
)

// demoConfig is the built-in config `devproxy demo` runs: a "dev server"
// serving the demo page and an API on another port, both behind devproxy.
const demoConfig = `
listen = %q

[frontend]
dev_server = "http://127.0.0.1:%d"   # stands in for npm run dev

[routes."/api"]
target = "http://127.0.0.1:%d"       # stands in for your backend
strip_prefix = true                   # /api/login reaches the API as /login
`

func runDemo(ctx context.Context, c Options, args []string) int {
	fs := newFlagSet(c, "demo", "[flags]", "Run a demo page and API with devproxy in front of both. Open the printed URL.")
	listen := fs.String("listen", "localhost:3000", "serve the demo on `ADDR`")
	quiet := fs.Bool("quiet", false, "do not log every request")
	if code, ok := noArgs(fs, args); !ok {
		return code
	}
	log, closeLog, _ := newLogger(c, "text", *quiet, false)
	defer closeLog()

	page, err := serveDemo(ctx, demoPageHandler(c))
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy demo:", err)
		return exitFailed
	}
	api, err := serveDemo(ctx, demoAPI())
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy demo:", err)
		return exitFailed
	}
	cfg, err := config.Parse("demo (built-in)", fmt.Appendf(nil, demoConfig, *listen, page, api), nil)
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy demo:", err)
		return exitUsage
	}
	srv, err := devproxy.New(devproxy.Options{Config: cfg, Assets: c.Assets, Logger: log, Version: Version()})
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy demo:", err)
		return exitFailed
	}
	lns, err := devproxy.Listen(cfg.Listen)
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy demo:", err, "(try --listen localhost:3001)")
		return exitUsage
	}
	printBanner(c.Stdout, cfg, lns, nil)
	fmt.Fprintf(c.Stdout, "Open %s : the page and the API come from two different ports, yet the browser sees one origin.\nCtrl-C stops the demo.\n", devproxy.URL(cfg, lns))
	if err := srv.Serve(ctx, lns...); err != nil {
		fmt.Fprintln(c.Stderr, "devproxy demo:", err)
		return exitFailed
	}
	return exitOK
}

// serveDemo serves h on a loopback port until ctx is done and returns the port.
func serveDemo(ctx context.Context, h http.Handler) (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second} // slowloris guard, as devproxy has
	go func() { _ = hs.Serve(ln) }()                                    // exits when hs.Close runs below
	context.AfterFunc(ctx, func() { _ = hs.Close() })
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// demoPageHandler is the demo's dev server: the page at /, and a 404 for
// anything else (the browser's /favicon.ico among them), as a dev server
// would answer.
func demoPageHandler(c Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, c.Assets, "demo/index.html")
	})
}

// demoAPI is a tiny backend: a login that sets a session cookie, and an
// endpoint that reads it back.
func demoAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		// Domain and Path as a backend on its own port would set them: a
		// browser at localhost:3000 would drop this cookie, devproxy rewrites it.
		http.SetCookie(w, &http.Cookie{Name: "session", Value: hex.EncodeToString(b), Domain: "127.0.0.1", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		writeDemoJSON(w, map[string]any{"signed_in": true, "note": "the API set a session cookie for Domain=127.0.0.1, Path=/; devproxy rewrote it to this origin and Path=/api"})
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "", Path: "/", MaxAge: -1})
		writeDemoJSON(w, map[string]any{"signed_in": false})
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie("session")
		writeDemoJSON(w, map[string]any{
			"signed_in":  err == nil,
			"session":    map[bool]string{true: ck.String(), false: ""}[err == nil],
			"api_host":   r.Host,
			"forwarded":  r.Header.Get("X-Forwarded-Host"),
			"served_at":  time.Now().Format(time.RFC3339),
			"api_origin": "http://" + r.Context().Value(http.LocalAddrContextKey).(net.Addr).String(),
		})
	})
	return mux
}

func writeDemoJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
