package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// harTimeout bounds the whole export: the log is at most a few MiB.
const harTimeout = 30 * time.Second

func runHAR(ctx context.Context, c Options, args []string) int {
	fs := newFlagSet(c, "har", "[flags]",
		"Save the request log of the running devproxy as a HAR 1.2 file (what the status page's Export HAR\n"+
			"saves): the last requests with their timings, headers masked as the log masks them, and the start of\n"+
			"each body. Headers and bodies are captured only while a status page is open. devproxy is found at\n"+
			"the config's listen address, on this machine. Exit status 1 when no devproxy answers there.")
	path := configFlag(fs)
	listen := fs.String("listen", "", "the `ADDR` devproxy serves on, when it was started with --listen")
	out := fs.String("out", "", "write the HAR to `FILE` instead of standard output")
	if code, ok := noArgs(fs, args); !ok {
		return code
	}
	var (
		addr    string
		https   bool
		ownCert string // the [tls] cert, trusted as devproxy's own
	)
	if *listen != "" {
		var problem string
		if addr, https, problem, _ = config.ParseListen(*listen); problem != "" {
			fmt.Fprintf(c.Stderr, "devproxy har: --listen %s\n", problem)
			return exitUsage
		}
	} else {
		cfg, ok := loadConfig(c, *path, explicitFlag(fs, "config"))
		if !ok {
			return exitFailed
		}
		addr, https = cfg.Listen, cfg.HTTPS
		if cfg.TLS != nil {
			ownCert = cfg.TLS.Cert
		}
	}
	base, problem := localURL(addr, https)
	if problem != "" {
		fmt.Fprintf(c.Stderr, "devproxy har: %s\n", problem)
		return exitUsage
	}
	client, err := harClient(https, ownCert)
	if err != nil {
		fmt.Fprintf(c.Stderr, "devproxy har: %v\n", err)
		return exitFailed
	}
	defer client.CloseIdleConnections()
	data, entries, err := fetchHAR(ctx, client, base+config.ReservedPrefix+"/har.json")
	if err != nil {
		fmt.Fprintf(c.Stderr, "devproxy har: %v\n", err)
		return exitFailed
	}
	return writeOut(c, "har", *out, data, fmt.Sprintf(": %d requests from %s", entries, base))
}

// localURL is the base URL to reach a devproxy listening on addr from this
// machine, or what is wrong with addr: har talks only to loopback. Over
// https the host is localhost, the name devproxy's certificate carries.
func localURL(addr string, https bool) (url, problem string) {
	host, port, err := net.SplitHostPort(addr)
	switch {
	case err != nil:
		return "", fmt.Sprintf("listen %q is not host:port", addr)
	case port == "0":
		return "", fmt.Sprintf("listen %q is any free port: give the address devproxy printed when it started, e.g. --listen localhost:3001", addr)
	}
	if web.IsUnspecifiedHost(host) {
		// Every interface includes loopback, of the same family.
		if strings.Contains(host, ":") {
			host = "::1"
		} else {
			host = "127.0.0.1"
		}
	}
	if !web.IsLoopbackHost(host) {
		return "", fmt.Sprintf("listen %q is not a loopback address: devproxy har only asks a devproxy on this machine over loopback", addr)
	}
	if https {
		return "https://" + net.JoinHostPort("localhost", port), ""
	}
	return "http://" + net.JoinHostPort(host, port), ""
}

// harClient asks over loopback only, never through an HTTP proxy from the
// environment; over https it trusts what a browser that ran devproxy
// trust does (the system's roots and devproxy's local CA), and the
// config's own [tls] certificate.
func harClient(https bool, ownCert string) (*http.Client, error) {
	tr := &http.Transport{Proxy: nil}
	if https {
		roots, err := doctorRoots(ownCert)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: roots}
	}
	return &http.Client{Transport: tr}, nil
}

// fetchHAR gets the export and checks that it is a HAR log.
func fetchHAR(ctx context.Context, client *http.Client, url string) (data []byte, entries int, err error) {
	ctx, cancel := context.WithTimeout(ctx, harTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	res, err := client.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, 0, fmt.Errorf("nothing answers at %s: is devproxy running? (started with --listen? pass the same --listen here)", url)
		}
		return nil, 0, err
	}
	defer res.Body.Close()
	data, err = io.ReadAll(res.Body)
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", url, err)
	}
	var h struct {
		Log struct {
			Entries []json.RawMessage `json:"entries"`
		} `json:"log"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(data, &h) != nil || h.Log.Entries == nil {
		return nil, 0, fmt.Errorf("%s answered %s, which is not devproxy's HAR export: is devproxy what listens there?", url, res.Status)
	}
	return data, len(h.Log.Entries), nil
}
