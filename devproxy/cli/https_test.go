package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

// isolateUserDirs points HOME and the user config directory at a temp dir,
// so the CA and the NSS database the commands make are the test's own.
// (t.Setenv: these tests are not parallel.)
func isolateUserDirs(t *testing.T) (home, caDir string) {
	t.Helper()
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	return home, filepath.Join(home, ".config", "devproxy")
}

// TestServeHTTPSWithLocalCA: `devproxy serve --listen https://…` creates the
// CA on first use, serves HTTP/2 with a certificate that verifies against
// it, and `devproxy doctor` against the https URL trusts it too.
func TestServeHTTPSWithLocalCA(t *testing.T) {
	_, caDir := isolateUserDirs(t)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "http://localhost:5173")
		io.WriteString(w, "proto "+r.Header.Get("X-Forwarded-Proto"))
	}))
	t.Cleanup(be.Close)
	path := filepath.Join(t.TempDir(), config.DefaultFile)
	if err := os.WriteFile(path, fmt.Appendf(nil, "[routes]\n\"/api\" = %q\n", be.URL), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, stop := serveInBackground(t, "serve", "--config", path, "--listen", "https://127.0.0.1:0")
	base := out.WaitFor(t, regexp.MustCompile(`→  (https://127\.0\.0\.1:\d+)/`))[1]
	if !strings.Contains(out.String(), "created devproxy's local CA in "+caDir) {
		t.Errorf("banner does not say the CA was created in %s:\n%s", caDir, out)
	}
	pemBytes, err := os.ReadFile(filepath.Join(caDir, "root.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemBytes)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}, Timeout: testkit.OutputWait}
	defer client.CloseIdleConnections()
	res, err := client.Get(base + "/api/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.ProtoMajor != 2 || string(body) != "proto https" {
		t.Errorf("GET over %s: %q, want HTTP/2 and X-Forwarded-Proto https upstream", res.Proto, body)
	}

	code, stdout, stderr := runDoctorCLI(t, base+"/api/x", "--origin", "http://localhost:5173")
	if code != exitOK || !strings.Contains(stdout, "Verdict: ALLOWED") {
		t.Errorf("doctor %s/api/x: exit %d\n%s%s\nwant ALLOWED: it should trust devproxy's CA", base, code, stdout, stderr)
	}

	if code := stop(); code != exitOK {
		t.Errorf("exit status %d; stderr: %s", code, errOut)
	}
}

// TestTrustCommandNSS: `devproxy trust --store nss` in a fresh HOME puts the
// CA in Chromium's NSS database, says so per database and prints the
// NODE_EXTRA_CA_CERTS line; again changes nothing; --uninstall removes it.
func TestTrustCommandNSS(t *testing.T) {
	_, err := exec.LookPath("certutil")
	testkit.Require(t, err == nil, "certutil not found; install libnss3-tools")
	home, caDir := isolateUserDirs(t)
	run := func(args ...string) (int, string) {
		code, out, errOut := runMain(append([]string{"trust"}, args...)...)
		return code, out + errOut
	}
	nssdb := filepath.Join(home, ".pki", "nssdb")
	code, out := run("--store", "nss")
	if code != exitOK || !regexp.MustCompile(`nss\s+`+regexp.QuoteMeta(nssdb)+` \(Chromium, Chrome\)\s+installed`).MatchString(out) ||
		!strings.Contains(out, "NODE_EXTRA_CA_CERTS="+filepath.Join(caDir, "root.crt")) || !strings.Contains(out, "created devproxy's local CA") {
		t.Fatalf("trust --store nss: exit %d\n%s", code, out)
	}
	if code, out := run("--store", "nss"); code != exitOK || !strings.Contains(out, "already trusted") || strings.Contains(out, "created") {
		t.Errorf("second trust: exit %d\n%s", code, out)
	}
	if code, out := run("--store", "nss", "--uninstall"); code != exitOK || !strings.Contains(out, "removed") || !strings.Contains(out, "still in "+caDir) {
		t.Errorf("trust --uninstall: exit %d\n%s", code, out)
	}
	if code, out := run("--store", "bogus"); code != exitUsage || !strings.Contains(out, "want system, nss or all") {
		t.Errorf("trust --store bogus: exit %d\n%s", code, out)
	}
}

// TestServeRefusesOpenCADirectory: a CA directory others can read is
// refused at start with the chmod to run.
func TestServeRefusesOpenCADirectory(t *testing.T) {
	_, caDir := isolateUserDirs(t)
	if err := os.MkdirAll(caDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(caDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), config.DefaultFile)
	if err := os.WriteFile(path, []byte("listen = \"https://127.0.0.1:0\"\n[routes]\n\"/api\" = \"http://127.0.0.1:1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"serve", "--config", path}, Options{Stdout: &out, Stderr: &errOut, Assets: os.DirFS("../../static")})
	if code != exitUsage || !strings.Contains(errOut.String(), "run chmod 700 "+caDir) {
		t.Errorf("exit %d, stderr %q; want 2 and the chmod to run", code, errOut.String())
	}
}

// TestBannerShowsPhoneURL: an https listen with allow_remote prints the LAN
// URL, its QR code and where the phone gets the CA (the address is made
// up: tests never connect to a LAN address).
func TestBannerShowsPhoneURL(t *testing.T) {
	cfg, err := config.Parse("t.toml", []byte("listen = \"https://0.0.0.0:3443\"\nallow_remote = true\n[routes]\n\"/api\" = \"http://127.0.0.1:1\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	var out bytes.Buffer
	printBanner(&out, cfg, []net.Listener{ln}, []netip.Addr{netip.MustParseAddr("192.168.1.23")})
	want := []string{"→  https://localhost:" + port + "/", "on your phone (same Wi-Fi): https://192.168.1.23:" + port + "/",
		"open http://192.168.1.23:" + port + "/__devproxy/root.crt there", "▀"}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Errorf("banner lacks %q:\n%s", w, out.String())
		}
	}
}
