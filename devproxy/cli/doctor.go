package cli

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/doctor"
	"github.com/devproxy/devproxy/devproxy/internal/web"
	"github.com/devproxy/devproxy/devproxy/localca"
)

// headerFlags collects repeated --header "Name: value" flags.
type headerFlags []doctor.Header

func (h *headerFlags) String() string { return "" }

func (h *headerFlags) Set(v string) error {
	f, err := doctor.ParseHeader(v)
	if err != nil {
		return err
	}
	*h = append(*h, f)
	return nil
}

// listFlags collects a repeated flag's values.
type listFlags []string

func (l *listFlags) String() string { return strings.Join(*l, ",") }

func (l *listFlags) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func runDoctor(ctx context.Context, c Options, args []string) int {
	fs := newFlagSet(c, "doctor", "URL [flags]",
		"Say what the browser will do with a cross-origin fetch(URL) from a page at --origin: the exact console error,\n"+
			"why, whose side must change, and the fix. Sends the requests the browser would send.\n"+
			"Exit status: 0 the browser allows the call, 1 it blocks it (or the server is unreachable, or refuses it\n"+
			"with an error status), 2 usage error.")
	o := doctor.Options{UserAgent: "devproxy-doctor/" + Version()}
	fs.StringVar(&o.Origin, "origin", "", "the `ORIGIN` of the page that makes the call (default: the dev_server of ./devproxy.toml, else "+doctor.DefaultOrigin+")")
	fs.StringVar(&o.Method, "method", "GET", "the `METHOD` passed to fetch()")
	fs.Var((*headerFlags)(&o.Headers), "header", "set a request header `'NAME: VALUE'` as the script does (repeatable)")
	fs.StringVar(&o.ContentType, "content-type", "", "the request body's `TYPE`, as --header 'Content-Type: TYPE' sets it")
	fs.StringVar(&o.Credentials, "credentials", "same-origin", "fetch()'s credentials `MODE`: omit, same-origin or include")
	fs.Var((*listFlags)(&o.Read), "read", "a response `HEADER` the script reads (repeatable); checks Access-Control-Expose-Headers")
	fs.StringVar(&o.Fix, "fix", "", "print a config snippet for `STACK`: "+strings.Join(doctor.FixStacks, ", "))
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.DurationVar(&o.Timeout, "timeout", doctor.DefaultTimeout, "give up on each request after `DURATION`")
	caFile := fs.String("ca", "", "a PEM `FILE` of extra trusted roots for https URLs (devproxy's own local CA is trusted without it)")
	if code, ok := parseDoctorArgs(fs, args, &o.URL); !ok {
		return code
	}
	if o.Origin == "" {
		var why string
		o.Origin, why = assumedOrigin()
		note := c.Stdout
		if *asJSON {
			note = c.Stderr // stdout stays JSON
		}
		fmt.Fprintf(note, "No --origin: assuming the page is at %s (%s).\n\n", o.Origin, why)
	}
	roots, err := doctorRoots(*caFile)
	if err != nil {
		fmt.Fprintf(c.Stderr, "devproxy doctor: %v\n", err)
		return exitUsage
	}
	o.RootCAs = roots
	r, err := doctor.Run(ctx, o)
	if err != nil {
		fmt.Fprintf(c.Stderr, "devproxy doctor: %v\n", err)
		return exitUsage
	}
	if *asJSON {
		enc := json.NewEncoder(c.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
	} else {
		r.Print(c.Stdout)
	}
	if r.Allowed() {
		return exitOK
	}
	return exitFailed
}

// assumedOrigin is the page origin doctor assumes without --origin, and
// why: the page usually runs on the dev server, so its origin is the
// dev_server of the devproxy.toml here; without one, Vite's default.
func assumedOrigin() (origin, why string) {
	cfg, err := config.Load(config.DefaultFile)
	switch {
	case err == nil && cfg.Frontend.DevServer != "":
		u, _ := url.Parse(cfg.Frontend.DevServer) // a URL: config checked it
		return web.OriginOf(u), "the dev_server in " + config.DefaultFile
	case err == nil:
		return doctor.DefaultOrigin, config.DefaultFile + " has no dev_server, so Vite's default dev server"
	case !errors.Is(err, fs.ErrNotExist):
		return doctor.DefaultOrigin, config.DefaultFile + " has errors, so Vite's default dev server"
	}
	return doctor.DefaultOrigin, "no " + config.DefaultFile + " here, so Vite's default dev server"
}

// doctorRoots is the system's roots plus devproxy's local CA (when one
// exists: an https devproxy is checked as a browser that ran `devproxy
// trust` sees it) and the --ca file.
func doctorRoots(caFile string) (*x509.CertPool, error) {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if dir, err := caDir(); err == nil {
		if pemBytes, err := os.ReadFile(filepath.Join(dir, localca.CertFile)); err == nil {
			roots.AppendCertsFromPEM(pemBytes)
		}
	}
	if caFile != "" {
		pemBytes, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		if !roots.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("--ca %s holds no PEM certificate", caFile)
		}
	}
	return roots, nil
}

// parseDoctorArgs lets the URL come before or after the flags, as in
// "devproxy doctor URL --origin …".
func parseDoctorArgs(fs *flagSet, args []string, u *string) (int, bool) {
	arg, code, ok := oneArg(fs, args, "want exactly one URL", nil)
	if !ok {
		return code, false
	}
	*u = arg
	return 0, true
}
