package devproxy

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/localca"
	"github.com/devproxy/devproxy/devproxy/process"
)

const (
	// readHeaderTimeout cuts slowloris clients without limiting slow bodies.
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10 // generous for cookies, far below what a hostile client could use to exhaust memory
	// shutdownGrace bounds how long in-flight requests may finish after Ctrl-C.
	shutdownGrace = 5 * time.Second
)

// Options configures a Server.
type Options struct {
	// Config is the initial configuration; required.
	Config *config.Config
	// Assets holds the static/ pages (404.html, 502.html, waiting.html,
	// status.html, status.js); New fails when one is missing. main.go
	// passes the embedded copy.
	Assets fs.FS
	// Logger receives request and lifecycle logs. If nil, logs are discarded.
	Logger *slog.Logger
	// Version is shown on the status page.
	Version string
	// ReadHeaderTimeout bounds how long a client may take to send its
	// request headers (slowloris). If zero, 10 seconds.
	ReadHeaderTimeout time.Duration
	// Warnings, if set, returns warnings about a config that only the
	// caller can give, knowing the project (cli passes project.HMRWarnings:
	// a route on the dev server's hot-reload path). New and every reload
	// add them to the config's Warnings. If nil, there are none.
	Warnings func(*config.Config) []*config.Error
	// CA issues the certificates of an https listen (config.Config.HTTPS)
	// that has no [tls] table of its own; New fails without it then. The
	// command line opens it in the user's config directory.
	CA *localca.CA
	// OnReload, if set, is called after each reload attempt made by Watch
	// (including one when Watch starts) with nil when the saved config is
	// now in use, or the error that kept the previous one. It runs on the
	// watch goroutine, so a slow hook delays the next reload.
	OnReload func(error)
}

// Server is a running devproxy: it routes each request with the current,
// immutable route table.
type Server struct {
	table      atomic.Pointer[table]
	log        *slog.Logger
	assets     fs.FS
	pages      *pages
	version    string
	health     *health
	feed       *feed
	probe      *prober
	processes  atomic.Pointer[process.Supervisor] // shown on the status page; see ShowProcesses
	transports *transports
	handler    http.Handler
	started    time.Time
	// readHeaderTimeout cuts clients that trickle their headers.
	readHeaderTimeout time.Duration
	onReload          func(error)
	warnings          func(*config.Config) []*config.Error
	upgrades          upgradeTracker // relayed WebSockets, closed at shutdown, kept across reloads
	debounce          time.Duration  // reloadDebounce; tests that save hundreds of times shorten it
	overrides         overrides      // the status page's switches, kept across reloads

	// The TLS side of an https listen (https.go); nil for plain HTTP.
	tlsConfig    *tls.Config
	ca           *localca.CA // the local CA issuing the leaves, nil with [tls] files
	untrusted    atomic.Bool // "does not trust devproxy's CA" was logged
	refusedNames onceLog     // server names already logged as refused
	// lan lists this machine's LAN addresses for the phone box; tests
	// replace it (they must never send traffic to a LAN address).
	lan func() []netip.Addr

	mu        sync.Mutex
	configErr error // the last rejected config, shown on the status page
}

// New compiles opts.Config and parses the pages. It does not listen.
func New(opts Options) (*Server, error) {
	if opts.Config == nil {
		return nil, errors.New("devproxy: Options.Config is required")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pg, err := parsePages(opts.Assets)
	if err != nil {
		return nil, err
	}
	s := &Server{log: log, assets: opts.Assets, pages: pg, version: opts.Version, health: &health{}, feed: newFeed(), probe: newProber(), started: time.Now(),
		onReload: opts.OnReload, warnings: opts.Warnings, debounce: reloadDebounce, lan: LANAddresses}
	s.addWarnings(opts.Config)
	s.transports = newTransports(s.health, log)
	s.readHeaderTimeout = cmp.Or(opts.ReadHeaderTimeout, readHeaderTimeout)
	t, err := s.compileTable(opts.Config)
	if err != nil {
		return nil, err
	}
	s.table.Store(t)
	if err := s.setupTLS(opts.Config, opts.CA); err != nil {
		return nil, err
	}
	s.handler = s.logRequests(http.HandlerFunc(s.route))
	return s, nil
}

// addWarnings adds the caller's warnings (Options.Warnings) to cfg's.
func (s *Server) addWarnings(cfg *config.Config) {
	if s.warnings != nil {
		cfg.Warnings = append(cfg.Warnings, s.warnings(cfg)...)
	}
}

// Config returns the configuration currently in use.
func (s *Server) Config() *config.Config { return s.table.Load().cfg }

// ServeHTTP routes one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// route dispatches with one atomic load of the table: a request started
// before a reload finishes on the table it started with.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	t := s.table.Load()
	if s.refuseForeign(w, r, t) {
		return
	}
	if plainOnTLS(r) && !isCADownload(r) {
		s.redirectToHTTPS(w, r)
		return
	}
	if config.IsReserved(r.URL.Path) {
		noteRoute(r, "devproxy")
		s.serveOwn(w, r, t)
		return
	}
	if t.front != nil && isViteHMR(r) {
		// Vite's HMR client connects to the page's origin, often at "/"
		// with a token query; a user route matching that path must never
		// take the socket, or hot reload silently stops.
		noteRoute(r, "frontend")
		t.front.proxy.ServeHTTP(w, r)
		return
	}
	if rt := t.match(r.URL.Path); rt != nil {
		noteRoute(r, rt.name)
		rt.proxy.ServeHTTP(w, r)
		return
	}
	switch {
	case t.front != nil:
		noteRoute(r, "frontend")
		t.front.proxy.ServeHTTP(w, r)
	case t.static != nil:
		noteRoute(r, "static")
		t.static.ServeHTTP(w, r)
	default:
		noteRoute(r, "none")
		s.notFound(w, r, fmt.Sprintf("no route matches %s and no [frontend] is configured", r.URL.Path),
			"add a route for this path, or a [frontend] with dev_server or static")
	}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, cause, fix string) {
	noteOutcome(r, cause)
	s.writeProblem(w, r, s.pages.notFound, problem{Status: http.StatusNotFound, Cause: cause, Fix: fix, Routes: s.table.Load().cfg.RoutePaths()})
}

// Apply compiles cfg and makes it the current table. On error the current
// table stays in place. Requests already running finish on the table they
// started with; upstream connection pools and hijacked connections
// (WebSockets) are shared by all tables and left alone.
func (s *Server) Apply(cfg *config.Config) error {
	t, err := s.compileTable(cfg)
	if err != nil {
		return err
	}
	s.table.Store(t)
	return nil
}

// Serve accepts connections on every listener until ctx is done, then
// stops accepting, lets in-flight requests finish (bounded by
// shutdownGrace) and returns nil.
func (s *Server) Serve(ctx context.Context, lns ...net.Listener) error {
	if len(lns) == 0 {
		return errors.New("devproxy: Serve needs a listener")
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnContext:       withFramingConn,
		// OPTIONS * would be answered by net/http without calling the
		// handler, which would put badFraming's request count off by one.
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     s.stdErrorLog(),
	}
	// With an https listen, net/http serves HTTP/2 on the *tls.Conns the
	// listener hands it (tlslisten.go). Go's HTTP/2 server does not offer
	// RFC 8441 extended CONNECT (unless GODEBUG=http2xconnect=1), so
	// browsers open WebSockets on an HTTP/1.1 TLS connection, which the
	// route's proxy hijacks as over plain HTTP.
	errc := make(chan error, len(lns)) // one send per listener
	for _, ln := range lns {
		var l net.Listener = framingListener{ln}
		if s.tlsConfig != nil {
			l = s.newTLSListener(ln)
		}
		go func() { errc <- hs.Serve(l) }() // exits when hs shuts down or the listener fails
	}
	select {
	case <-ctx.Done():
		s.log.Info("stopping: finishing requests in flight (Ctrl-C again to quit at once)", "grace", shutdownGrace)
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			_ = hs.Close()
			return fmt.Errorf("serving: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// Shutdown does not see hijacked connections: close the relayed
	// WebSockets first, then wait for their handlers after the rest.
	s.upgrades.closeAll()
	s.feed.close() // Shutdown leaves hijacked connections (status pages) open
	err := hs.Shutdown(sctx)
	s.transports.closeIdle()
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("shutdown: some requests were still running and were cut", "grace", shutdownGrace)
		_ = hs.Close()
	}
	if err := s.upgrades.wait(sctx); err != nil {
		s.log.Warn("shutdown: some websocket relays did not finish", "grace", shutdownGrace)
	}
	return nil
}
