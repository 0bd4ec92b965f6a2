package devproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAcceptEncodingPassesThrough(t *testing.T) {
	t.Parallel()
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "accept-encoding="+r.Header.Get("Accept-Encoding"))
	}))
	t.Cleanup(be.Close)
	px := startProxy(t, "[routes]\n\"/api\" = \""+be.URL+"\"\n")
	tests := []struct {
		name, sent, want string
	}{
		{"none sent, none added", "", "accept-encoding="},
		{"browser's value kept", "gzip, br", "accept-encoding=gzip, br"},
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	t.Cleanup(client.CloseIdleConnections)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, px.URL+"/api", nil)
			if tt.sent != "" {
				req.Header.Set("Accept-Encoding", tt.sent)
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if got := string(body); got != tt.want {
				t.Errorf("backend saw %q, want %q", got, tt.want)
			}
		})
	}
}
