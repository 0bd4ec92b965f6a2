package trust

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

var defaultStores = []string{System, NSS}

// caDir is a Linux distribution's directory of extra CA certificates and
// the command that rebuilds the bundle every TLS client reads from it.
// Changing any of them needs root.
type caDir struct {
	name   string
	dir    string
	update []string
	asRoot bool // devproxy runs as root: set by systemStore, so tests can say either
}

var linuxCADirs = []caDir{
	{name: "Debian/Ubuntu CA bundle", dir: "/usr/local/share/ca-certificates", update: []string{"update-ca-certificates"}},
	{name: "Fedora/RHEL CA bundle", dir: "/etc/pki/ca-trust/source/anchors", update: []string{"update-ca-trust", "extract"}},
	{name: "Arch CA bundle", dir: "/etc/ca-certificates/trust-source/anchors", update: []string{"trust", "extract-compat"}},
}

// fileName is how the root is called as a file in a CA directory: the
// serial keeps a re-created CA from overwriting the old one's file.
func fileName(r Root) string {
	return "devproxy-" + hex.EncodeToString(r.Cert.SerialNumber.Bytes()[:4]) + ".crt"
}

func systemStore(o Options) Report {
	for _, d := range linuxCADirs {
		if _, err := exec.LookPath(d.update[0]); err == nil && exists(filepath.Dir(d.dir)) {
			d.asRoot = os.Geteuid() == 0
			return d.apply(o)
		}
	}
	return Report{Store: System, Where: "system CA store", Skipped: true,
		What: "skipped: no known CA store (update-ca-certificates, update-ca-trust, trust) on this system",
		Fix:  "add " + o.Root.Path + " to your distribution's CA certificates"}
}

// apply copies the root into d and rebuilds the bundle, or removes it.
func (d caDir) apply(o Options) Report {
	dst := filepath.Join(d.dir, fileName(o.Root))
	r := Report{Store: System, Where: d.name + " (" + dst + ")"}
	want, err := os.ReadFile(o.Root.Path)
	if err != nil {
		r.Err = err
		return r
	}
	have, _ := os.ReadFile(dst)
	present := bytes.Equal(have, want)
	update := strings.Join(d.update, " ")
	switch {
	case o.Uninstall && !exists(dst):
		r.What = "not installed"
		return r
	case !o.Uninstall && present:
		r.What = "already trusted"
		return r
	case !d.asRoot:
		r.Skipped = true
		r.What = "skipped: changing the system store needs root"
		if o.Uninstall {
			r.Fix = fmt.Sprintf("sudo rm %s && sudo %s", dst, update)
		} else {
			r.Fix = fmt.Sprintf("sudo install -m 644 %s %s && sudo %s", o.Root.Path, dst, update)
		}
		return r
	}
	if o.Uninstall {
		r.What = "removed"
		if err := os.Remove(dst); err != nil {
			r.Err = err
			return r
		}
	} else {
		r.What = "installed"
		if err := os.MkdirAll(d.dir, 0o755); err != nil {
			r.Err = err
			return r
		}
		if err := os.WriteFile(dst, want, 0o644); err != nil {
			r.Err = err
			return r
		}
	}
	r.Err = run(d.update[0], d.update[1:]...)
	return r
}
