package trust

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/devproxy/localca"
	"github.com/devproxy/devproxy/internal/testkit"
)

func testRoot(t *testing.T) Root {
	t.Helper()
	ca, _, err := localca.Open(filepath.Join(t.TempDir(), "devproxy"))
	if err != nil {
		t.Fatal(err)
	}
	return Root{Cert: ca.Cert(), Path: ca.CertPath(), Name: ca.Name()}
}

// whats lists each report's What, failing the test on an error.
func whats(t *testing.T, reports []Report) []string {
	t.Helper()
	var out []string
	for _, r := range reports {
		if r.Err != nil {
			t.Fatalf("%s %s: %v", r.Store, r.Where, r.Err)
		}
		out = append(out, r.What)
	}
	return out
}

// TestNSSInstallIsIdempotentAndUndone: in a fresh home, the root goes into
// a newly made Chromium database and an existing Firefox profile with the
// CA trust flags; running again changes nothing; uninstall removes it.
func TestNSSInstallIsIdempotentAndUndone(t *testing.T) {
	t.Parallel()
	certutil, err := exec.LookPath("certutil")
	testkit.Require(t, err == nil, "certutil not found; install libnss3-tools")
	home := t.TempDir()
	profile := filepath.Join(home, ".mozilla", "firefox", "abc.default-release")
	if err := os.MkdirAll(profile, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(certutil, "-N", "--empty-password", "-d", "sql:"+profile).CombinedOutput(); err != nil {
		t.Fatalf("making a Firefox profile database: %v %s", err, out)
	}
	root := testRoot(t)
	o := Options{Root: root, Home: home}

	if got := strings.Join(whats(t, Run(NSS, o)), ","); got != "installed,installed" {
		t.Fatalf("first install: %s, want installed in Chromium's and Firefox's databases", got)
	}
	for _, db := range []string{filepath.Join(home, ".pki", "nssdb"), profile} {
		out, err := exec.Command(certutil, "-L", "-d", "sql:"+db).CombinedOutput()
		if err != nil || !strings.Contains(string(out), root.Name) || !strings.Contains(string(out), "C,,") {
			t.Errorf("certutil -L -d %s:\n%s\nwant %q with trust C,,", db, out, root.Name)
		}
	}
	if got := strings.Join(whats(t, Run(NSS, o)), ","); got != "already trusted,already trusted" {
		t.Errorf("second install: %s, want nothing changed", got)
	}
	o.Uninstall = true
	if got := strings.Join(whats(t, Run(NSS, o)), ","); got != "removed,removed" {
		t.Errorf("uninstall: %s", got)
	}
	if got := strings.Join(whats(t, Run(NSS, o)), ","); got != "not installed,not installed" {
		t.Errorf("second uninstall: %s", got)
	}
}

// TestSystemStoreWithUpdateCACertificates runs Debian's real
// update-ca-certificates on a CA tree in a temp directory (its flags move
// every path), so the test never touches this machine's store.
func TestSystemStoreWithUpdateCACertificates(t *testing.T) {
	t.Parallel()
	_, err := exec.LookPath("update-ca-certificates")
	testkit.Require(t, err == nil, "update-ca-certificates not found; install ca-certificates")
	tmp := t.TempDir()
	for _, d := range []string{"local", "share", "etc", "hooks"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// One distribution CA listed in the config, as on a real system (the
	// tool rebuilds the bundle only from a non-empty set).
	other, err := os.ReadFile("../config/testdata/tls/localhost.pem")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "share", "other.crt"), other, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(tmp, "ca-certificates.conf")
	if err := os.WriteFile(conf, []byte("other.crt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := caDir{name: "test bundle", dir: filepath.Join(tmp, "local"), update: []string{"update-ca-certificates", "--certsconf", conf,
		"--certsdir", filepath.Join(tmp, "share"), "--localcertsdir", filepath.Join(tmp, "local"),
		"--etccertsdir", filepath.Join(tmp, "etc"), "--hooksdir", filepath.Join(tmp, "hooks")},
		asRoot: true} // as if root: every directory it changes is the test's own
	root := testRoot(t)
	pemBytes, err := os.ReadFile(root.Path)
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(tmp, "etc", "ca-certificates.crt")
	inBundle := func() bool {
		b, _ := os.ReadFile(bundle)
		return strings.Contains(string(b), strings.TrimSpace(string(pemBytes)))
	}
	o := Options{Root: root}
	if got := whats(t, []Report{d.apply(o)}); got[0] != "installed" || !inBundle() {
		t.Fatalf("install: %v, in bundle %v", got, inBundle())
	}
	if got := whats(t, []Report{d.apply(o)}); got[0] != "already trusted" {
		t.Errorf("second install: %v", got)
	}
	o.Uninstall = true
	if got := whats(t, []Report{d.apply(o)}); got[0] != "removed" || inBundle() {
		t.Errorf("uninstall: %v, still in bundle %v", got, inBundle())
	}
}

// TestSystemStoreNeedsRootSaysWhatToRun: without root nothing is changed
// and the report holds the exact commands (asRoot false, whoever runs the
// test: CI runs as root).
func TestSystemStoreNeedsRootSaysWhatToRun(t *testing.T) {
	t.Parallel()
	root := testRoot(t)
	d := caDir{name: "test", dir: filepath.Join(t.TempDir(), "local"), update: []string{"update-ca-certificates"}}
	r := d.apply(Options{Root: root})
	if !r.Skipped || !strings.Contains(r.Fix, "sudo install -m 644 "+root.Path) || !strings.Contains(r.Fix, "sudo update-ca-certificates") {
		t.Errorf("report %+v, want skipped with the sudo commands", r)
	}
	if _, err := os.Stat(d.dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the store directory was touched (%v), want nothing changed without root", err)
	}
}
