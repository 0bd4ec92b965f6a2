package devproxy

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
	qrcode "github.com/skip2/go-qrcode"
)

func TestLANURLs(t *testing.T) {
	lan := []netip.Addr{netip.MustParseAddr("192.168.1.23"), netip.MustParseAddr("fd00::7")}
	tests := []struct {
		listen string
		remote bool
		want   string
	}{
		{"https://0.0.0.0:3000", true, "https://192.168.1.23:3000/"},
		{"https://:3000", true, "https://192.168.1.23:3000/ https://[fd00::7]:3000/"},
		{"https://192.168.1.23:3000", true, "https://192.168.1.23:3000/"},
		{"https://10.0.0.9:3000", true, ""}, // not an address of this machine's LAN list
		{"https://localhost:3000", false, ""},
		{"0.0.0.0:3000", true, ""}, // plain http: a phone would get no secure context, so no box
	}
	for _, tt := range tests {
		hostport, https, _, _ := config.ParseListen(tt.listen)
		cfg := &config.Config{Listen: hostport, HTTPS: https, AllowRemote: tt.remote}
		if got := strings.Join(LANURLs(cfg, "3000", lan), " "); got != tt.want {
			t.Errorf("LANURLs(%s, allow_remote=%v) = %q, want %q", tt.listen, tt.remote, got, tt.want)
		}
	}
}

// TestStatusPagePhoneBox: with an https listen and allow_remote, the
// status page gets the LAN URL, the plain-HTTP root certificate URL and
// QR codes of both, drawn by devproxy. The LAN address is made up: tests
// never send traffic to one.
func TestStatusPagePhoneBox(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("t.toml", []byte("listen = \"https://0.0.0.0:0\"\nallow_remote = true\n[routes]\n\"/api\" = \"http://127.0.0.1:1\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Config: cfg, Assets: testAssets(), Logger: slog.New(slog.DiscardHandler), CA: sharedCA(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv.lan = func() []netip.Addr { return []netip.Addr{netip.MustParseAddr("192.168.1.23")} }
	addr := serveServer(t, srv)
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	client := tlsClient(t, true)

	res, err := client.Get("https://" + addr + "/__devproxy/status.json")
	if err != nil {
		t.Fatal(err)
	}
	var st statusReport
	_ = json.NewDecoder(res.Body).Decode(&st)
	res.Body.Close()
	wantURL := "https://192.168.1.23:" + port + "/"
	if st.Phone == nil || len(st.Phone.URLs) != 1 || st.Phone.URLs[0] != wantURL || st.Phone.CAURL != "http://192.168.1.23:"+port+CAPath || !st.Phone.OwnCA {
		t.Fatalf("phone box %+v, want %s and its plain-HTTP root certificate URL", st.Phone, wantURL)
	}
	for _, which := range []string{"url", "ca"} {
		res, err := client.Get("https://" + addr + phoneQRPath + "?for=" + which)
		if err != nil {
			t.Fatal(err)
		}
		svg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		text := map[string]string{"url": wantURL, "ca": st.Phone.CAURL}[which]
		q, _ := qrcode.New(text, qrcode.Medium)
		dark := 0
		for _, row := range q.Bitmap() {
			for _, d := range row {
				if d {
					dark++
				}
			}
		}
		if res.Header.Get("Content-Type") != "image/svg+xml" || strings.Count(string(svg), "h1v1h-1z") != dark {
			t.Errorf("QR for %s: %s with %d modules, want an SVG with the %d dark modules of %q", which, res.Header.Get("Content-Type"),
				strings.Count(string(svg), "h1v1h-1z"), dark, text)
		}
	}
	if qr, err := QRTerminal(wantURL); err != nil || strings.Count(qr, "\n") < 10 {
		t.Errorf("terminal QR: %v\n%s", err, qr)
	}
}

// TestNoPhoneBoxOnLoopback: the box and its QR codes exist only when a
// phone could reach devproxy.
func TestNoPhoneBoxOnLoopback(t *testing.T) {
	t.Parallel()
	p := startProxy(t, httpsListen+"[routes]\n\"/api\" = \"http://127.0.0.1:1\"\n")
	client := tlsClient(t, true)
	res, err := client.Get(p.URL + "/__devproxy/status.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(b), `"phone"`) {
		t.Errorf("status.json of a loopback devproxy has a phone box:\n%s", b)
	}
	res, err = client.Get(p.URL + phoneQRPath)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("%s on loopback: %d, want 404", phoneQRPath, res.StatusCode)
	}
}
