package config

import (
	"cmp"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/devproxy/devproxy/devproxy/internal/web"
)

var mockKeys = []string{"status", "body", "file", "headers"}

// Mock is a fixed answer a route gives instead of forwarding: the target,
// if the route has one, is never contacted.
type Mock struct {
	// Status is the response status; 200 when only a body or file is given.
	Status int
	// Body is the answer as written in the config. Empty when File is set.
	Body string
	// File is the absolute path of a file whose content is the answer. It
	// is read on every request, so editing it needs no reload. Empty when
	// Body is used.
	File string
	// FileName is File as written (relative to the config file), for messages.
	FileName string
	// Headers are set on the answer. Unless they give a Content-Type, it
	// comes from File's extension, or for a Body from its content.
	Headers map[string]string
}

// String describes the answer: "200 mocks/users.json", "404 body (17 bytes)", "204".
func (m *Mock) String() string {
	switch {
	case m.File != "":
		return fmt.Sprintf("%d %s", m.Status, m.FileName)
	case m.Body != "":
		return fmt.Sprintf("%d body (%d bytes)", m.Status, len(m.Body))
	}
	return fmt.Sprint(m.Status)
}

// ContentType is the Content-Type of the mock's answer: its Content-Type
// header when it sets one; else from File's extension; else, for a body,
// JSON when it is JSON, or what first (the answer's first bytes) looks
// like to http.DetectContentType ("" for an empty answer).
func (m *Mock) ContentType(first []byte) string {
	if t, ok := m.Headers["Content-Type"]; ok {
		return t
	}
	if m.File != "" {
		if t := mime.TypeByExtension(filepath.Ext(m.File)); t != "" {
			return t
		}
	} else {
		first = []byte(m.Body)
		if json.Valid(first) {
			return "application/json"
		}
	}
	if len(first) == 0 {
		return ""
	}
	return http.DetectContentType(first)
}

// bodyless reports whether a response with status never has a body (RFC 9110 §6.4.1).
func bodyless(status int) bool {
	return status == http.StatusNoContent || status == http.StatusNotModified || status < 200
}

// readMock reads a route's mock table.
func (cr *configReader) readMock(tbl map[string]any, path []string, route string) *Mock {
	cr.checkKeys(tbl, path, mockKeys)
	m := &Mock{Status: http.StatusOK}
	_, hasStatus := tbl["status"]
	_, hasBody := tbl["body"]
	_, hasFile := tbl["file"]
	if !hasStatus && !hasBody && !hasFile {
		cr.failKey(path, fmt.Sprintf("route %q: the mock says nothing to answer", route),
			"a status, and a body or a file (relative to the config file)",
			cmp.Or(cr.fixValue(path, `{ status = 200, file = "mocks/users.json" }`), cr.fixUnderHeader(path, "status = 200", `file = "mocks/users.json"`)))
		return nil
	}
	if hasStatus {
		v := tbl["status"]
		n, isInt := v.(int64)
		switch {
		case !isInt:
			fix := ""
			if s, isStr := v.(string); isStr {
				if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 200 && n <= 599 {
					fix = cr.fixValue(with(path, "status"), strconv.Itoa(n))
				}
			}
			cr.typeErr(with(path, "status"), v, "an HTTP status from 200 to 599 (a number)", fix)
		case n < 200 || n > 599:
			cr.failValue(with(path, "status"), fmt.Sprintf("route %q: mock status %d is not one a mock can answer with", route, n),
				"an HTTP status from 200 to 599", cr.fixValue(with(path, "status"), "200"))
		default:
			m.Status = int(n)
		}
	}
	if hasBody && hasFile {
		cr.failKey(with(path, "file"), fmt.Sprintf("route %q: the mock has both body and file", route),
			"one of them: body for a short answer written here, file for one kept in a file; delete the other", "")
		return m
	}
	if s, ok := cr.str(tbl, path, "body"); ok {
		m.Body = s
	}
	if s, ok := cr.str(tbl, path, "file"); ok {
		m.FileName = s
		m.File = cr.mockFile(with(path, "file"), route, s)
	}
	if (m.Body != "" || m.File != "") && bodyless(m.Status) {
		at := with(path, "status")
		if _, ok := tbl["status"]; !ok {
			at = path
		}
		cr.failValue(at, fmt.Sprintf("route %q: a %d response has no body, but the mock gives one", route, m.Status),
			"a status that carries a body, or no body and no file", cr.fixValue(with(path, "status"), "200"))
	}
	if hs, ok := cr.table(tbl, path, "headers"); ok {
		m.Headers = cr.mockHeaders(hs, with(path, "headers"), route)
	}
	return m
}

// mockFile resolves a mock file against the config's directory. A missing
// file is a warning, not an error, so it can be written after the config:
// until then the route answers with a 500 page that names it.
func (cr *configReader) mockFile(key []string, route, name string) string {
	p := name
	if !filepath.IsAbs(p) && cr.dir != "" {
		p = filepath.Join(cr.dir, p)
	}
	fi, err := os.Stat(p)
	switch {
	case name == "":
		cr.failValue(key, fmt.Sprintf("route %q: the mock's file is empty", route), "a path relative to the config file", cr.fixValue(key, `"mocks/users.json"`))
	case err != nil:
		cr.warn(key, fmt.Sprintf("route %q: mock file %s does not exist; until it does, the route answers with a 500 page naming it", route, name),
			"create the file (it is read on every request: no reload needed), or fix the path, which is relative to the config file", "")
	case fi.IsDir():
		cr.failValue(key, fmt.Sprintf("route %q: mock file %s is a directory", route, name), "a file whose content is the answer, e.g. \"mocks/users.json\"", "")
	}
	return p
}

// mockHeaders reads the mock's response headers.
func (cr *configReader) mockHeaders(tbl map[string]any, path []string, route string) map[string]string {
	out := map[string]string{}
	for name, v := range tbl {
		hp := with(path, name)
		s, ok := v.(string)
		switch {
		case !ok:
			cr.typeErr(hp, v, "a string", "")
		case !web.IsToken(name):
			cr.failKey(hp, fmt.Sprintf("route %q: %q is not a valid header name", route, name), "letters, digits and !#$%&'*+-.^_`|~", "")
		case strings.ContainsAny(s, "\r\n\x00"):
			cr.failValue(hp, fmt.Sprintf("route %q: mock header %s contains a line break or NUL", route, name), "a single-line value", "")
		default:
			out[http.CanonicalHeaderKey(name)] = s
		}
	}
	return out
}
