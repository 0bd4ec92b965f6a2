package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy"
	"github.com/devproxy/devproxy/devproxy/cli"
	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/localca"
	"github.com/devproxy/devproxy/internal/testkit"
)

// The https tests need a Chromium that trusts devproxy's CA the way a
// user's does after `devproxy trust`, and no --ignore-certificate-errors:
// a second driver whose HOME is a temp directory where `devproxy trust
// --store nss` (run as its own process, with that HOME) put the CA into
// $HOME/.pki/nssdb, the NSS database Chromium on Linux reads. The shared
// browser stays as it is and does not trust the CA.

// cliArgsEnv makes the test binary run the devproxy command line with these
// arguments (separated by \x1f) and exit with its status.
const cliArgsEnv = "DEVPROXY_E2E_CLI_ARGS"

// runCLIHelper is the test binary as `devproxy`, when cliArgsEnv is set.
func runCLIHelper() {
	args, ok := os.LookupEnv(cliArgsEnv)
	if !ok {
		return
	}
	os.Exit(cli.Main(context.Background(), strings.Split(args, "\x1f"), cli.Options{Stdout: os.Stdout, Stderr: os.Stderr, Assets: assets}))
}

var trusted struct {
	once sync.Once
	home string
	ca   *localca.CA
	b    *browser
	err  error
}

// trustedBrowser returns the Chromium that trusts devproxy's CA, and that CA.
func trustedBrowser(t testing.TB) (*browser, *localca.CA) {
	t.Helper()
	requireBrowser(t)
	_, err := exec.LookPath("certutil")
	testkit.Require(t, err == nil, "certutil not found; install libnss3-tools")
	trusted.once.Do(func() { trusted.err = setUpTrustedBrowser(testdataDir(t)) })
	if trusted.err != nil {
		t.Fatal(trusted.err)
	}
	return trusted.b, trusted.ca
}

func setUpTrustedBrowser(dir string) error {
	home, err := os.MkdirTemp("", "devproxy-e2e-home-")
	if err != nil {
		return err
	}
	trusted.home = home
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), env...), cliArgsEnv+"=trust\x1f--store\x1fnss")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("devproxy trust --store nss: %v\n%s", err, out)
	}
	if trusted.ca, err = localca.Load(filepath.Join(home, ".config", "devproxy")); err != nil {
		return err
	}
	trusted.b, err = launchBrowser(dir, env...)
	return err
}

// closeTrustedBrowser ends the trusted Chromium and removes its HOME.
func closeTrustedBrowser() {
	closeBrowser(trusted.b)
	if trusted.home != "" {
		os.RemoveAll(trusted.home)
	}
}

// newTrustedPage opens a page in the Chromium that trusts devproxy's CA.
func newTrustedPage(t testing.TB) *page {
	t.Helper()
	b, _ := trustedBrowser(t)
	return openPage(t, b)
}

// httpsProxy is a devproxy with listen = "https://localhost:PORT", bound on
// both loopback addresses as `devproxy` binds localhost.
type httpsProxy struct {
	*devproxy.Server
	URL  string // https://localhost:PORT
	Port string
}

// startHTTPSProxy serves configText (whose listen it sets) over https with
// the trusted browser's CA; configText may use %[1]s for the port.
func startHTTPSProxy(t testing.TB, configText string, ca *localca.CA, log *slog.Logger) *httpsProxy {
	t.Helper()
	lns, err := devproxy.Listen("localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(lns[0].Addr().String())
	if strings.Contains(configText, "%[1]s") {
		configText = fmt.Sprintf(configText, port)
	}
	path := filepath.Join(t.TempDir(), config.DefaultFile)
	if err := os.WriteFile(path, []byte("listen = \"https://localhost:"+port+"\"\n"+configText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config:\n%s\nerror: %v", configText, err)
	}
	srv, err := devproxy.New(devproxy.Options{Config: cfg, Assets: assets, Logger: log, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	testkit.ServeUntilDone(t, 10*time.Second, func(ctx context.Context) error { return srv.Serve(ctx, lns...) })
	return &httpsProxy{Server: srv, URL: "https://localhost:" + port, Port: port}
}
