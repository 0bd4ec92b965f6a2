package devproxy

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
)

// phoneQRPath serves the status page's QR codes: ?for=url (the LAN URL)
// or ?for=ca (the root certificate over plain HTTP). They encode only
// URLs devproxy built itself, never text from the request.
const phoneQRPath = config.ReservedPrefix + "/phone-qr.svg"

// phoneStatus is the status page's "open on your phone" box, present for
// an https listen with allow_remote when this machine has a LAN address.
type phoneStatus struct {
	URLs  []string `json:"urls"`   // https://LAN-IP:PORT/, one per LAN address
	CAURL string   `json:"ca_url"` // http://LAN-IP:PORT/__devproxy/root.crt: plain HTTP, so a phone fetches it before it trusts the CA
	// OwnCA is false with [tls] files: then the phone must trust whatever
	// signed them, and devproxy has nothing to offer for download.
	OwnCA bool `json:"own_ca"`
}

// phone returns the box for a request that arrived on r's port, or nil.
func (s *Server) phone(r *http.Request, t *table) *phoneStatus {
	la, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	if !ok {
		return nil
	}
	port := strconv.Itoa(la.Port)
	urls := LANURLs(t.cfg, port, s.lan())
	if len(urls) == 0 {
		return nil
	}
	return &phoneStatus{URLs: urls, CAURL: CAURL(urls[0]), OwnCA: s.ca != nil}
}

// CAURL turns a LAN https URL into the plain-HTTP address of the root
// certificate on the same port.
func CAURL(lanURL string) string {
	return "http://" + strings.TrimSuffix(strings.TrimPrefix(lanURL, "https://"), "/") + CAPath
}

// servePhoneQR draws the QR code of the LAN URL or of the CA download.
func (s *Server) servePhoneQR(w http.ResponseWriter, r *http.Request, t *table) {
	ph := s.phone(r, t)
	if ph == nil {
		s.notFound(w, r, "no LAN URL: the phone box needs an https listen, allow_remote = true and a LAN address", "")
		return
	}
	text := ph.URLs[0]
	if r.URL.Query().Get("for") == "ca" {
		text = ph.CAURL
	}
	svg, err := qrSVG(text)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(svg))
}
