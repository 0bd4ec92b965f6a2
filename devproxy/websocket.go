package devproxy

import (
	"net/http"
	"strings"
)

// isUpgrade reports whether r asks to switch protocols (a WebSocket handshake).
func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && headerHasToken(r.Header, "Connection", "upgrade") && r.Header.Get("Upgrade") != ""
}

// headerHasToken reports whether a comma-separated header contains token (case-insensitive).
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// allowUpgrade checks a handshake before it is forwarded; when it refuses,
// it has written the response. (Origin checks arrive with the WebSocket issue.)
func (s *Server) allowUpgrade(w http.ResponseWriter, r *http.Request, rt *route) bool {
	return true
}
