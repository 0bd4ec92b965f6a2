package web

import (
	"net/http"
	"strings"
)

// IsToken reports whether s is an RFC 9110 §5.6.2 token: the syntax of
// header names and method names.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// HeaderHasToken reports whether a comma-separated header contains token
// (case-insensitive).
func HeaderHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// IsUpgrade reports whether r asks to switch protocols (a WebSocket
// handshake). Any method counts, as it does for httputil.ReverseProxy.
func IsUpgrade(r *http.Request) bool {
	return HeaderHasToken(r.Header, "Connection", "upgrade") && r.Header.Get("Upgrade") != ""
}
