package devproxy

import "net/http"

// rewriteResponse makes what a route's backend sent work at devproxy's
// origin: Set-Cookie, Location, CORS headers. (Arrives with the
// cookies/CORS issue.)
func (s *Server) rewriteResponse(rt *route, res *http.Response) {}
