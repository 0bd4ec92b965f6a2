package devproxy

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/devproxy/devproxy/devproxy/config"
)

// The HAR export (HAR 1.2, http://www.softwareishard.com/blog/har-12-spec/)
// is the feed's ring as a file DevTools, Playwright and HAR viewers load:
// every request devproxy logged, with the headers as the status page shows
// them (masked as the log masks them) and the start of each body, for the
// requests made while a status page was open.

// harLog is the top-level HAR object.
type harLog struct {
	Log harContent `json:"log"`
}

type harContent struct {
	Version string     `json:"version"`
	Creator harCreator `json:"creator"`
	Entries []harEntry `json:"entries"`
	Comment string     `json:"comment,omitempty"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harEntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	Comment         string      `json:"comment,omitempty"`
	// WebSocketMessages is Chrome's custom field for a WebSocket's
	// messages, which DevTools and HAR viewers read.
	WebSocketMessages []harWSMessage `json:"_webSocketMessages,omitempty"`
}

// harWSMessage is one message as Chrome writes it: type "send" (from the
// browser) or "receive", time in seconds since the epoch, opcode 1 (text)
// or 2 (binary, data in base64).
type harWSMessage struct {
	Type   string  `json:"type"`
	Time   float64 `json:"time"`
	Opcode int     `json:"opcode"`
	Data   string  `json:"data"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harCookie  `json:"cookies"`
	Headers     []harPair    `json:"headers"`
	QueryString []harPair    `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int64        `json:"headersSize"`
	BodySize    int64        `json:"bodySize"`
}

type harResponse struct {
	Status      int         `json:"status"`
	StatusText  string      `json:"statusText"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []harCookie `json:"cookies"`
	Headers     []harPair   `json:"headers"`
	Content     harBody     `json:"content"`
	RedirectURL string      `json:"redirectURL"`
	HeadersSize int64       `json:"headersSize"`
	BodySize    int64       `json:"bodySize"`
	Comment     string      `json:"comment,omitempty"`
}

type harPair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harCookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Expires  string `json:"expires,omitempty"`
	HTTPOnly bool   `json:"httpOnly,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
}

type harPostData struct {
	MimeType string    `json:"mimeType"`
	Params   []harPair `json:"params"`
	Text     string    `json:"text"`
	Comment  string    `json:"comment,omitempty"`
}

type harBody struct {
	Size     int64  `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// harTimings: devproxy sees when a request arrived, when its response
// headers left and when it ended; what the browser's side took (DNS,
// connecting, sending) it cannot know, so those are -1 ("not available").
type harTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
	SSL     float64 `json:"ssl"`
}

// harComment explains what the export holds and leaves out.
var harComment = fmt.Sprintf("Recorded by devproxy from its request log (the last %d requests). Headers are masked as devproxy's log masks them "+
	"(Authorization, Cookie and Set-Cookie values, headers set from ${VAR}). Headers and bodies are captured only while a status page is open; "+
	"each body is kept up to %d KiB, and %d MiB across the log (older requests lose theirs first). Bodies are as sent: "+
	"anything a page posted, a password typed into a form included, is in this file.", feedRingSize, harBodyCap>>10, harTotalCap>>20)

// buildHAR turns feed entries into a HAR log.
func buildHAR(entries []feedEntry, version string) harLog {
	h := harLog{Log: harContent{Version: "1.2", Creator: harCreator{Name: "devproxy", Version: version}, Entries: []harEntry{}, Comment: harComment}}
	for _, e := range entries {
		h.Log.Entries = append(h.Log.Entries, harEntryOf(e))
	}
	slices.SortStableFunc(h.Log.Entries, func(a, b harEntry) int { return strings.Compare(a.StartedDateTime, b.StartedDateTime) })
	return h
}

func harEntryOf(e feedEntry) harEntry {
	scheme := "http"
	if e.https {
		scheme = "https"
	}
	host := e.host
	if host == "" {
		host = "localhost" // an HTTP/1.0 client that sent no Host
	}
	rawURL := scheme + "://" + host + e.Path
	proto := e.proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	total := e.DurMS
	wait := min(float64(e.wait.Microseconds())/1000, total)
	if e.Open || e.wait == 0 {
		wait = total
	}
	he := harEntry{
		StartedDateTime: e.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		Time:            total,
		Request: harRequest{Method: e.Method, URL: rawURL, HTTPVersion: proto, Cookies: []harCookie{}, Headers: []harPair{},
			QueryString: queryPairs(e.Path), HeadersSize: -1, BodySize: -1},
		Response: harResponse{Status: e.Status, StatusText: http.StatusText(e.Status), HTTPVersion: proto, Cookies: []harCookie{},
			Headers: []harPair{}, HeadersSize: -1, BodySize: e.Bytes},
		Timings: harTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1, Send: 0, Wait: wait, Receive: total - wait},
	}
	if e.reqLen >= 0 {
		he.Request.BodySize = e.reqLen
	}
	var notes []string
	if e.Error != "" {
		notes = append(notes, e.Error)
	}
	if e.Mock {
		notes = append(notes, "answered by the route's mock")
	}
	if e.Simulated != "" {
		notes = append(notes, "simulated network: "+e.Simulated)
	}
	if e.Status == 0 {
		he.Response.BodySize = 0
	}
	if h := e.Headers; h != nil {
		he.Request.Headers = headerPairs(h.RequestIn)
		he.Request.Cookies = requestCookies(h.RequestIn)
		he.Response.Headers = headerPairs(h.ResponseOut)
		he.Response.Cookies = responseCookies(h.ResponseOut)
		he.Response.RedirectURL = h.ResponseOut.Get("Location")
		he.Response.Content.MimeType = h.ResponseOut.Get("Content-Type")
	} else {
		notes = append(notes, "headers and bodies not captured: no status page was open when this request was made")
	}
	he.Response.Content.Size = e.Bytes
	switch {
	case e.bodiesDropped:
		he.Response.Content.Comment = fmt.Sprintf("body dropped: devproxy keeps %d MiB of bodies across its log", harTotalCap>>20)
	case e.bodies != nil && e.Status != http.StatusSwitchingProtocols:
		he.Response.Content = responseContent(e, he.Response.Content.MimeType)
		if data, size := e.bodies.req.snapshot(); size > 0 {
			he.Request.PostData = postData(e, data, size)
			he.Request.BodySize = size
		}
	case e.bodies != nil:
		var note string
		he.WebSocketMessages, note = harWSMessages(&e.bodies.ws)
		if note != "" {
			notes = append(notes, note)
		}
	}
	he.Comment = strings.Join(notes, "; ")
	return he
}

// harWSMessages converts a WebSocket's captured messages, and says what
// they leave out.
func harWSMessages(c *capturedMessages) ([]harWSMessage, string) {
	msgs, dropped := c.snapshot()
	out := make([]harWSMessage, 0, len(msgs))
	var truncated, compressed int
	for _, m := range msgs {
		hm := harWSMessage{Type: "receive", Time: float64(m.at.UnixMicro()) / 1e6, Opcode: int(m.opcode)}
		if m.send {
			hm.Type = "send"
		}
		switch {
		case m.compressed:
			compressed++
		case m.opcode == 2:
			hm.Data = base64.StdEncoding.EncodeToString(m.data)
		default:
			hm.Data = string(m.data)
		}
		if m.size > len(m.data) && !m.compressed {
			truncated++
		}
		out = append(out, hm)
	}
	var notes []string
	if compressed > 0 {
		notes = append(notes, fmt.Sprintf("%d WebSocket messages were compressed (permessage-deflate): their data is not included", compressed))
	}
	if truncated > 0 {
		notes = append(notes, fmt.Sprintf("%d WebSocket messages were longer than %d KiB: their data is truncated", truncated, harBodyCap>>10))
	}
	if dropped > 0 {
		notes = append(notes, fmt.Sprintf("%d later WebSocket messages left out: devproxy keeps %d KiB of a connection's messages", dropped, harBodyCap>>10))
	}
	return out, strings.Join(notes, "; ")
}

// responseContent is the captured response body: text as is, other bytes
// in base64, a compressed body decoded when it was captured whole.
func responseContent(e feedEntry, mimeType string) harBody {
	data, size := e.bodies.res.snapshot()
	c := harBody{Size: size, MimeType: mimeType}
	truncated := size > int64(len(data))
	enc := ""
	if e.Headers != nil {
		enc = strings.ToLower(e.Headers.ResponseOut.Get("Content-Encoding"))
	}
	if enc != "" && enc != "identity" {
		decoded, ok := decodeBody(enc, data)
		if !ok || truncated {
			c.Comment = fmt.Sprintf("body not included: it is %s-encoded and devproxy did not decode it", enc)
			if truncated {
				c.Comment += fmt.Sprintf(" (only its first %d KiB were kept)", harBodyCap>>10)
			}
			return c
		}
		data, c.Size = decoded, int64(len(decoded))
	}
	c.Text, c.Encoding = bodyText(data)
	if truncated {
		c.Comment = fmt.Sprintf("truncated: devproxy keeps the first %d KiB (%d bytes) of each body; this one has %d bytes", harBodyCap>>10, harBodyCap, size)
	}
	return c
}

// decodeBody inflates a gzip or deflate body.
func decodeBody(enc string, data []byte) ([]byte, bool) {
	return inflate(enc, data, 16*harBodyCap)
}

func postData(e feedEntry, data []byte, size int64) *harPostData {
	mimeType := ""
	if e.Headers != nil {
		mimeType = e.Headers.RequestIn.Get("Content-Type")
	}
	p := &harPostData{MimeType: mimeType, Params: []harPair{}}
	text, enc := bodyText(data)
	if enc != "" {
		p.Comment = "binary body, base64-encoded"
	}
	p.Text = text
	if mt, _, _ := mime.ParseMediaType(mimeType); mt == "application/x-www-form-urlencoded" && size == int64(len(data)) {
		if vals, err := url.ParseQuery(string(data)); err == nil {
			for _, k := range slices.Sorted(maps.Keys(vals)) {
				for _, v := range vals[k] {
					p.Params = append(p.Params, harPair{Name: k, Value: v})
				}
			}
		}
	}
	if size > int64(len(data)) {
		p.Comment = strings.TrimPrefix(p.Comment+"; ", "; ") + fmt.Sprintf("truncated: devproxy keeps the first %d KiB of each body; this one has %d bytes", harBodyCap>>10, size)
	}
	return p
}

// bodyText is data as HAR text: UTF-8 as is, anything else in base64.
func bodyText(data []byte) (text, encoding string) {
	if utf8.Valid(data) {
		return string(data), ""
	}
	return base64.StdEncoding.EncodeToString(data), "base64"
}

func headerPairs(h http.Header) []harPair {
	out := []harPair{}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			out = append(out, harPair{Name: k, Value: v})
		}
	}
	return out
}

func queryPairs(path string) []harPair {
	out := []harPair{}
	_, q, ok := strings.Cut(path, "?")
	if !ok {
		return out
	}
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, harPair{Name: k, Value: v})
	}
	return out
}

// requestCookies lists the (masked) Cookie header's pairs.
func requestCookies(h http.Header) []harCookie {
	out := []harCookie{}
	for _, line := range h.Values("Cookie") {
		for _, pair := range strings.Split(line, ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(pair), "=")
			if name != "" {
				out = append(out, harCookie{Name: name, Value: value})
			}
		}
	}
	return out
}

// responseCookies lists the (masked) Set-Cookie lines with their attributes.
func responseCookies(h http.Header) []harCookie {
	out := []harCookie{}
	for _, line := range h.Values("Set-Cookie") {
		parts := strings.Split(line, ";")
		name, value, _ := strings.Cut(strings.TrimSpace(parts[0]), "=")
		if name == "" {
			continue
		}
		c := harCookie{Name: name, Value: value}
		for _, attr := range parts[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(attr), "=")
			switch strings.ToLower(k) {
			case "path":
				c.Path = v
			case "domain":
				c.Domain = v
			case "expires":
				if t, err := http.ParseTime(v); err == nil {
					c.Expires = t.UTC().Format(time.RFC3339)
				}
			case "httponly":
				c.HTTPOnly = true
			case "secure":
				c.Secure = true
			}
		}
		out = append(out, c)
	}
	return out
}

// serveHAR answers /__devproxy/har.json: the log as HAR, from the entry
// after ?after=ID (the status page's "clear"), as a download with ?download=1.
// A page from another site can neither read it (no CORS headers) nor,
// by the Sec-Fetch-Site check, make the browser fetch it for itself.
func (s *Server) serveHAR(w http.ResponseWriter, r *http.Request) {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		writeJSONError(w, http.StatusForbidden, "the HAR export is for devproxy's own status page and command line")
		return
	}
	after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	h := buildHAR(s.feed.entriesAfter(after), s.version)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("download") != "" {
		name := "devproxy-" + time.Now().Format("20060102-150405") + ".har"
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(h)
}

// harPath is where the HAR export is served.
const harPath = config.ReservedPrefix + "/har.json"
