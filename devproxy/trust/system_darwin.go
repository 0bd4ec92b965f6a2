package trust

import "path/filepath"

var defaultStores = []string{System, NSS}

// systemStore trusts the root in the user's login keychain: every macOS
// browser but Firefox reads it, and it needs no sudo (macOS asks for the
// user's password in a dialog).
func systemStore(o Options) Report {
	keychain := filepath.Join(o.Home, "Library", "Keychains", "login.keychain-db")
	r := Report{Store: System, Where: "macOS login keychain (" + keychain + ")"}
	trusted := run("security", "verify-cert", "-c", o.Root.Path) == nil
	switch {
	case o.Uninstall && !trusted:
		r.What = "not installed"
	case o.Uninstall:
		r.What = "removed"
		if r.Err = run("security", "remove-trusted-cert", o.Root.Path); r.Err == nil {
			r.Err = run("security", "delete-certificate", "-c", o.Root.Name, keychain)
		}
	case trusted:
		r.What = "already trusted"
	default:
		r.What = "installed"
		r.Err = run("security", "add-trusted-cert", "-r", "trustRoot", "-k", keychain, o.Root.Path)
	}
	return r
}
