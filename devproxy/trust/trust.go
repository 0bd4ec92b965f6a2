package trust

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"os/exec"
	"strings"
)

// Store names, as `devproxy trust --store` spells them.
const (
	NSS    = "nss"    // Chromium's ($HOME/.pki/nssdb) and Firefox profiles' NSS databases, through certutil
	System = "system" // the OS store: Debian/Fedora/Arch CA bundle, macOS login keychain, Windows user Root store
)

// Root is the certificate to install.
type Root struct {
	Cert *x509.Certificate
	Path string // its PEM file
	Name string // the nickname it has in a store
}

// Options say where and what.
type Options struct {
	Root Root
	// Home is the user's home directory (for the NSS databases).
	Home string
	// Uninstall removes the root instead of installing it.
	Uninstall bool
}

// Report is what happened in one store or database.
type Report struct {
	Store string // NSS or System
	Where string // the database or store, for the user
	What  string // "installed", "already trusted", "removed", "not installed", or why it was skipped
	// Fix, for a skipped store, is the command that would do it (sudo …)
	// or the package to install.
	Fix     string
	Skipped bool  // a prerequisite is missing (root, certutil): nothing was changed
	Err     error // it failed
}

// DefaultStores is what --store all covers on this system.
func DefaultStores() []string { return defaultStores }

// Run installs (or with o.Uninstall removes) the root in store.
func Run(store string, o Options) []Report {
	switch store {
	case NSS:
		return nssStore(o)
	case System:
		return []Report{systemStore(o)}
	}
	return []Report{{Store: store, Err: fmt.Errorf("unknown store %q: want %s, %s or all", store, System, NSS)}}
}

// run runs a command, returning its combined output in the error when it fails.
func run(name string, args ...string) error {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if msg == "" {
			return fmt.Errorf("%s: %w", name, err)
		}
		return fmt.Errorf("%s: %w: %s", name, err, firstLine(msg))
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
