package devproxy

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
)

// staticHandler serves a built frontend from a directory.
//
// Files are opened through os.Root, so no path — "..", an encoded "%2e%2e"
// (already decoded by net/url), or a symlink pointing outside — can reach a
// file outside the build directory.
type staticHandler struct {
	root     *os.Root
	spa      bool
	dotfiles bool // serve .env, .git and friends (opt-in)
	// problem answers a 404 or 405 with an error page.
	problem func(w http.ResponseWriter, r *http.Request, status int, cause, fix string)
}

func newStaticHandler(fe config.Frontend, problem func(http.ResponseWriter, *http.Request, int, string, string)) (*staticHandler, error) {
	dir := fe.Static
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening static directory: %w", err)
	}
	return &staticHandler{root: root, spa: fe.SPA, dotfiles: fe.Dotfiles, problem: problem}, nil
}

func (h *staticHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		seg := firstSegment(r.URL.Path)
		h.problem(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s reached the static build, which answers only GET and HEAD", r.Method, r.URL.Path),
			fmt.Sprintf("if a backend handles %s, add a route for it: [%s] target = \"http://localhost:8080\"", r.URL.Path, config.DisplayKey([]string{"routes", seg})))
		return
	}
	urlPath := path.Clean("/" + r.URL.Path)
	name := strings.TrimPrefix(urlPath, "/")
	if name == "" {
		name = "."
	}
	if !h.dotfiles && isHidden(name) {
		// .env, .git/config and friends are never part of a build.
		h.problem(w, r, http.StatusNotFound, fmt.Sprintf("%s is a hidden file; devproxy does not serve dotfiles from the static directory", urlPath),
			"if you need it, set dotfiles = true in [frontend]")
		return
	}
	f, fi, err := h.open(name)
	if err == nil && fi.IsDir() {
		f.Close()
		if !strings.HasSuffix(r.URL.Path, "/") {
			// Relative links in the directory's index.html need the trailing slash.
			target := path.Base(urlPath) + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
		f, fi, err = h.open(path.Join(name, "index.html"))
	}
	if err != nil && h.spa && !hasExtension(urlPath) {
		// SPA history fallback: client-side routes like /users/42 get the app shell.
		f, fi, err = h.open("index.html")
	}
	if err != nil {
		fix := "check the path, or run your build again"
		if h.spa && hasExtension(urlPath) {
			fix = "the SPA fallback serves index.html only for paths without a file extension; " + fix
		}
		h.problem(w, r, http.StatusNotFound, fmt.Sprintf("no file %s in the static build", urlPath), fix)
		return
	}
	defer f.Close()
	hdr := w.Header()
	// no-cache: revalidate every time, so a rebuilt file is picked up at once
	// while unchanged files still cost only a 304.
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.ModTime().UnixNano(), fi.Size()))
	http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
}

// open opens a regular file or directory inside the root.
func (h *staticHandler) open(name string) (*os.File, fs.FileInfo, error) {
	f, err := h.root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		f.Close()
		return nil, nil, errors.New("not a regular file")
	}
	return f, fi, nil
}

// isHidden reports whether any segment of name starts with a dot, except
// /.well-known (RFC 8615), which builds do publish.
func isHidden(name string) bool {
	for _, seg := range strings.Split(name, "/") {
		if len(seg) > 1 && seg[0] == '.' && seg != ".well-known" {
			return true
		}
	}
	return false
}

func hasExtension(p string) bool {
	return strings.Contains(path.Base(p), ".")
}
