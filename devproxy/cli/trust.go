package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/devproxy/devproxy/devproxy/localca"
	"github.com/devproxy/devproxy/devproxy/trust"
)

// caDir is where devproxy's local CA lives: <user config dir>/devproxy
// ($XDG_CONFIG_HOME or ~/.config on Linux, ~/Library/Application Support
// on macOS, %AppData% on Windows).
func caDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the user config directory for devproxy's CA: %w", err)
	}
	return filepath.Join(dir, "devproxy"), nil
}

// openCA opens (creating on first use) the local CA and says so when it
// made a new one.
func openCA(w io.Writer) (*localca.CA, error) {
	dir, err := caDir()
	if err != nil {
		return nil, err
	}
	ca, created, err := localca.Open(dir)
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(w, "created devproxy's local CA in %s (%s); the key never leaves that directory\n", dir, ca.Name())
	}
	return ca, nil
}

func runTrust(_ context.Context, c Options, args []string) int {
	fs := newFlagSet(c, "trust", "[--store system|nss|all] [--uninstall]",
		"Install devproxy's local CA (created on first use in your user config directory) where browsers and tools\n"+
			"look for trusted roots, so https://localhost pages devproxy serves are trusted without warnings.\n"+
			"  nss     Chromium's NSS database ($HOME/.pki/nssdb, created if missing) and every Firefox profile (certutil)\n"+
			"  system  the OS store: Debian/Fedora/Arch CA bundle (needs root: prints the sudo commands),\n"+
			"          the macOS login keychain, the Windows user Root store\n"+
			"Running it again changes nothing; --uninstall removes the root again (the CA files stay until you delete them).")
	store := fs.String("store", "all", "install in `STORE`: system, nss or all (every store this OS has)")
	uninstall := fs.Bool("uninstall", false, "remove the root instead of installing it")
	if code, ok := noArgs(fs, args); !ok {
		return code
	}
	var stores []string
	switch *store {
	case "all":
		stores = trust.DefaultStores()
	case trust.NSS, trust.System:
		stores = []string{*store}
	default:
		fmt.Fprintf(c.Stderr, "devproxy trust: --store %q: want system, nss or all\n", *store)
		return exitUsage
	}
	ca, err := openCA(c.Stdout)
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy trust:", err)
		return exitFailed
	}
	home, err := os.UserHomeDir()
	if err != nil {
		fmt.Fprintln(c.Stderr, "devproxy trust:", err)
		return exitFailed
	}
	fmt.Fprintf(c.Stdout, "devproxy's CA: %s (%s)\n", ca.CertPath(), ca.Name())
	o := trust.Options{Root: trust.Root{Cert: ca.Cert(), Path: ca.CertPath(), Name: ca.Name()}, Home: home, Uninstall: *uninstall}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	failed, done := false, 0
	for _, s := range stores {
		for _, r := range trust.Run(s, o) {
			what := r.What
			switch {
			case r.Err != nil:
				what = "failed: " + r.Err.Error()
				failed = true
			case r.Skipped:
				failed = failed || *store != "all" // asked for this store by name: not done is a failure
			default:
				done++
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Store, r.Where, what)
			if r.Fix != "" {
				fmt.Fprintf(tw, "  \t\trun: %s\n", r.Fix)
			}
		}
	}
	tw.Flush()
	if done == 0 && !failed {
		failed = true // --store all, and every store was skipped
	}
	if *uninstall {
		fmt.Fprintf(c.Stdout, "The CA itself is still in %s; delete that directory to remove it for good (a new one is made on the next https start).\n", ca.Dir())
	} else {
		fmt.Fprintf(c.Stdout, "For Node scripts and tests (Node reads no OS store):\n  export NODE_EXTRA_CA_CERTS=%s\n", ca.CertPath())
		fmt.Fprintln(c.Stdout, "A browser that was already open may need a restart to pick the root up. Undo with: devproxy trust --uninstall")
	}
	if failed {
		return exitFailed
	}
	return exitOK
}
