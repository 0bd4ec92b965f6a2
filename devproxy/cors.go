package devproxy

import "net/http"

// answerCORS answers a CORS preflight for a route with a cors table and
// reports whether it did. (Arrives with the cookies/CORS issue.)
func (s *Server) answerCORS(w http.ResponseWriter, r *http.Request, rt *route) bool {
	return false
}
