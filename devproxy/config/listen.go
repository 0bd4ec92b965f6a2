package config

import (
	"cmp"
	"fmt"
	"net"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// ListenURL is listen as the user would write it: "https://localhost:3000"
// when devproxy serves TLS, the bare host:port otherwise.
func (c *Config) ListenURL() string {
	if c.HTTPS {
		return "https://" + c.Listen
	}
	return c.Listen
}

// ParseListen splits a listen value into the host:port to bind and whether
// it asks for TLS: "https://localhost:3000" serves HTTPS, "localhost:3000"
// and "http://localhost:3000" plain HTTP. problem says what is wrong, and
// fixed, when one can be guessed, is a corrected value.
func ParseListen(s string) (hostport string, https bool, problem, fixed string) {
	hostport = s
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		hostport = strings.TrimSuffix(rest, "/")
		switch strings.ToLower(scheme) {
		case "https":
			https = true
		case "http":
		case "wss":
			return "", false, fmt.Sprintf("listen %q has scheme %q", s, scheme), "https://" + hostport
		default:
			return "", false, fmt.Sprintf("listen %q has scheme %q", s, scheme), "http://" + hostport
		}
		if strings.ContainsAny(hostport, "/?#") {
			return "", false, fmt.Sprintf("listen %q has a path; devproxy serves every path on its port", s), scheme + "://" + hostport[:strings.IndexAny(hostport, "/?#")]
		}
	}
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		guess := ""
		if !strings.Contains(hostport, ":") && hostport != "" && !strings.ContainsAny(hostport, "/ ") {
			guess = net.JoinHostPort(hostport, "3000")
			if https {
				guess = "https://" + guess
			}
		}
		return "", false, fmt.Sprintf("listen %q is not host:port", s), guess
	}
	if !web.IsPort(port) {
		return "", false, fmt.Sprintf("listen %q: port %q is not a number from 0 to 65535", s, port), ""
	}
	return hostport, https, "", ""
}

// listenWant is what a listen value may look like, for messages.
const listenWant = `an address such as "localhost:3000", or "https://localhost:3000" for HTTPS and HTTP/2`

// readListen checks the listen key and stores it in cfg.
func (cr *configReader) readListen(cfg *Config, s string) {
	path := []string{"listen"}
	hostport, https, problem, fixed := ParseListen(s)
	if problem != "" {
		cr.failValue(path, problem, listenWant, cr.fixValue(path, quote(cmp.Or(fixed, "localhost:3000"))))
		return
	}
	cfg.Listen, cfg.HTTPS = hostport, https
	host, port, _ := net.SplitHostPort(hostport)
	if web.IsLoopbackHost(host) || cfg.AllowRemote {
		return
	}
	what := "host " + host
	if host == "" {
		what = "every network interface"
	}
	fixed = net.JoinHostPort("localhost", port)
	if https {
		fixed = "https://" + fixed
	}
	cr.failValue(path, fmt.Sprintf("listen %q binds %s, which other machines can reach", s, what),
		"a loopback address (localhost, 127.0.0.1, [::1]), or allow_remote = true to expose your backends on purpose",
		cr.fixValue(path, quote(fixed)))
}

// CheckListenAddr is the listen check for an address given on the command
// line ("localhost:3001" or "https://localhost:3001"); it returns what is
// wrong, or "".
func CheckListenAddr(addr string, allowRemote bool) string {
	hostport, _, problem, fixed := ParseListen(addr)
	if problem != "" {
		problem = strings.TrimPrefix(problem, "listen ")
		if fixed != "" {
			problem += fmt.Sprintf("; did you mean %s?", fixed)
		}
		return problem
	}
	host, _, _ := net.SplitHostPort(hostport)
	if !web.IsLoopbackHost(host) && !allowRemote {
		return fmt.Sprintf("%q is not a loopback address; exposing your backends to the network needs allow_remote = true in the config", addr)
	}
	return ""
}
