package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

const (
	downloadSize = 64 << 20 // the download row's body
	pageFiles    = 300      // a Vite page's worth of modules
	pageFileSize = 4 << 10  // a typical small ES module
	sseEvents    = 200      // events per SSE measurement
	sseInterval  = 5 * time.Millisecond
)

// backend is the origin every scenario talks to, directly or through a proxy.
type backend struct {
	srv      *http.Server
	addr     string
	assetDir string // the page-load files, also the static frontend's directory
}

// startBackend serves, on 127.0.0.1:0:
//
//	/text       a short plain-text body
//	/json       ~1 KiB of JSON
//	/download   64 MiB of bytes
//	/upload     a sink that counts the body
//	/sse        sseEvents events, each carrying the time it was written
//	/ws         a WebSocket echo
//	/assets/    the page-load files and bigFile
func startBackend(dir string) (*backend, error) {
	assets := filepath.Join(dir, "assets")
	if err := writeAssets(assets); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	jsonBody := []byte(`{"items":[` + strings.Repeat(`{"id":12345,"name":"example item","ok":true},`, 22) + `{"id":0}]}`)
	chunk := make([]byte, 256<<10)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

	mux := http.NewServeMux()
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello from the backend\n")
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jsonBody)
	})
	mux.HandleFunc("/download", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(downloadSize))
		for n := 0; n < downloadSize; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%d\n", n)
	})
	mux.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		rc := http.NewResponseController(w)
		t := time.NewTicker(sseInterval)
		defer t.Stop()
		for i := 0; i < sseEvents; i++ {
			select {
			case <-r.Context().Done():
				return
			case <-t.C:
			}
			// The payload is the write time, read back by the client in the same process.
			fmt.Fprintf(w, "data: %d\n\n", time.Now().UnixNano())
			if err := rc.Flush(); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for { // exits when the client closes the connection
			mt, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(mt, msg); err != nil {
				return
			}
		}
	})
	mux.Handle("/assets/", http.StripPrefix("/assets/", http.FileServer(http.Dir(assets))))

	b := &backend{srv: &http.Server{Handler: mux}, addr: ln.Addr().String(), assetDir: dir}
	go b.srv.Serve(ln) // exits when close shuts the server down
	return b, nil
}

func (b *backend) close() { b.srv.Close() }

// writeAssets creates the page-load files: assets/m000.js … m299.js.
func writeAssets(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	body := []byte("export const x = " + strings.Repeat("1+", pageFileSize/2-12) + "1;\n")
	for i := 0; i < pageFiles; i++ {
		if err := os.WriteFile(filepath.Join(dir, assetName(i)), body, 0o644); err != nil {
			return err
		}
	}
	// bigFile is a build output as large as a big source map: the static
	// frontend serves it (fileScenario), with sendfile when it can.
	big := make([]byte, downloadSize)
	for i := range big {
		big[i] = byte(i)
	}
	return os.WriteFile(filepath.Join(dir, bigFile), big, 0o644)
}

// bigFile is the name of the 64 MiB file in the asset directory.
const bigFile = "big.bin"

func assetName(i int) string { return fmt.Sprintf("m%03d.js", i) }
