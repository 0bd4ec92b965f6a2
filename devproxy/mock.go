package devproxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
)

// mockHandler answers a route with its mock: the configured status,
// headers and body. A mock file is opened on every request, so an edit
// shows on the next one without a reload, and a file that is missing is a
// 500 page that names it (devproxy check warns about it too).
func (s *Server) mockHandler(rt *route) http.Handler {
	m := rt.Mock
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.answerCORS(w, r, rt) {
			return // a preflight devproxy answered itself
		}
		noteMocked(r)
		var (
			body  io.Reader
			size  int64
			first []byte // the start of a file whose extension names no type, to sniff
		)
		if m.File != "" {
			f, err := os.Open(m.File)
			if err == nil {
				defer f.Close()
			}
			var fi fs.FileInfo
			if err == nil {
				fi, err = f.Stat()
			}
			if err == nil && !fi.Mode().IsRegular() {
				err = errors.New("not a regular file")
			}
			if err != nil {
				s.mockFileProblem(w, r, rt, err)
				return
			}
			body, size = f, fi.Size()
			if m.ContentType(nil) == "" {
				first = make([]byte, 512)
				n, _ := io.ReadFull(f, first)
				first = first[:n]
				body = io.MultiReader(bytes.NewReader(first), f)
			}
		} else {
			body, size = strings.NewReader(m.Body), int64(len(m.Body))
		}
		h := w.Header()
		for k, v := range m.Headers {
			h.Set(k, v)
		}
		if ct := m.ContentType(first); ct != "" && size > 0 {
			h.Set("Content-Type", ct)
		}
		if h.Get("Cache-Control") == "" {
			h.Set("Cache-Control", "no-store") // an edited mock shows on the next request, never a cached one
		}
		s.applyCORS(rt, r, h)
		h.Set("Content-Length", strconv.FormatInt(size, 10))
		w.WriteHeader(m.Status)
		if r.Method != http.MethodHead {
			_, _ = io.Copy(w, body)
		}
	})
}

// mockFileProblem is the 500 page for a mock file devproxy cannot read.
func (s *Server) mockFileProblem(w http.ResponseWriter, r *http.Request, rt *route, err error) {
	m := rt.Mock
	cause := fmt.Sprintf("the mock file %s cannot be read: %v", m.FileName, err)
	if errors.Is(err, fs.ErrNotExist) {
		cause = fmt.Sprintf("the mock file %s does not exist (%s)", m.FileName, m.File)
	}
	noteOutcome(r, cause)
	s.writeProblem(w, r, s.pages.badGateway, problem{Status: http.StatusInternalServerError, Error: "Internal Server Error",
		Route: rt.name, Target: "mock " + m.String(), Cause: cause,
		Fix: fmt.Sprintf("create the file, or fix %s in devproxy.toml (it is relative to the config file); it is read on every request, no reload needed",
			config.DisplayKey([]string{"routes", rt.Path, "mock", "file"}))})
}
