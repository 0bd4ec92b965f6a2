package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/devproxy/devproxy/devproxy/doctor"
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
	fs.StringVar(&o.Origin, "origin", doctor.DefaultOrigin, "the origin of the page that makes the call")
	fs.StringVar(&o.Method, "method", "GET", "the method passed to fetch()")
	fs.Var((*headerFlags)(&o.Headers), "header", "a request header the script sets, \"Name: value\" (repeatable)")
	fs.StringVar(&o.ContentType, "content-type", "", "the request's Content-Type (same as --header \"Content-Type: …\")")
	fs.StringVar(&o.Credentials, "credentials", "same-origin", "fetch()'s credentials mode: omit, same-origin or include")
	fs.Var((*listFlags)(&o.Read), "read", "a response header the script reads (repeatable); checks Access-Control-Expose-Headers")
	fs.StringVar(&o.Fix, "fix", "", "print a config snippet for: "+strings.Join(doctor.FixStacks, ", "))
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.DurationVar(&o.Timeout, "timeout", doctor.DefaultTimeout, "per-request timeout")
	if code, ok := parseDoctorArgs(fs, args, &o.URL); !ok {
		return code
	}
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

// parseDoctorArgs lets the URL come before or after the flags, as in
// "devproxy doctor URL --origin …".
func parseDoctorArgs(fs *flag.FlagSet, args []string, u *string) (int, bool) {
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code, false
	}
	if len(pos) != 1 {
		fmt.Fprintln(fs.Output(), "devproxy doctor: want exactly one URL")
		fs.Usage()
		return exitUsage, false
	}
	*u = pos[0]
	return 0, true
}
