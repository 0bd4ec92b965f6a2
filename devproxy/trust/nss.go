package trust

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// certutilPackage names the package that brings certutil, per system.
func certutilPackage() string {
	if runtime.GOOS == "darwin" {
		return "brew install nss"
	}
	return "sudo apt-get install libnss3-tools (Fedora: nss-tools, Arch: nss)"
}

// nssDB is one NSS certificate database.
type nssDB struct {
	dir    string // certutil's -d argument, with its sql: or dbm: prefix
	path   string // the directory, for the user
	app    string
	create bool // made when missing (Chromium's); Firefox profiles exist or not
}

// nssDatabases lists Chromium's database (Linux and the BSDs; on macOS and
// Windows Chromium uses the OS store) and every Firefox profile's.
func nssDatabases(home string) []nssDB {
	var dbs []nssDB
	if runtime.GOOS != "darwin" && runtime.GOOS != "windows" {
		dir := filepath.Join(home, ".pki", "nssdb")
		dbs = append(dbs, nssDB{dir: "sql:" + dir, path: dir, app: "Chromium, Chrome", create: true})
	}
	for _, pattern := range []string{
		".mozilla/firefox/*",                              // Linux
		"snap/firefox/common/.mozilla/firefox/*",          // Ubuntu's snap
		".var/app/org.mozilla.firefox/.mozilla/firefox/*", // Flatpak
		"Library/Application Support/Firefox/Profiles/*",  // macOS
	} {
		profiles, _ := filepath.Glob(filepath.Join(home, filepath.FromSlash(pattern)))
		for _, p := range profiles {
			switch {
			case exists(filepath.Join(p, "cert9.db")):
				dbs = append(dbs, nssDB{dir: "sql:" + p, path: p, app: "Firefox"})
			case exists(filepath.Join(p, "cert8.db")):
				dbs = append(dbs, nssDB{dir: "dbm:" + p, path: p, app: "Firefox"})
			}
		}
	}
	return dbs
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// nssStore adds the root to (or removes it from) every NSS database, with
// trust flags C,, (a CA trusted to issue server certificates).
func nssStore(o Options) []Report {
	certutil, err := exec.LookPath("certutil")
	if err != nil {
		return []Report{{Store: NSS, Where: "NSS databases (Chromium, Firefox)", What: "skipped: certutil not found", Fix: certutilPackage(), Skipped: true}}
	}
	dbs := nssDatabases(o.Home)
	if len(dbs) == 0 {
		return []Report{{Store: NSS, Where: "NSS databases", What: "skipped: no Firefox profile found", Skipped: true}}
	}
	reports := make([]Report, 0, len(dbs))
	for _, db := range dbs {
		r := Report{Store: NSS, Where: db.path + " (" + db.app + ")"}
		present := run(certutil, "-L", "-d", db.dir, "-n", o.Root.Name) == nil
		switch {
		case o.Uninstall && !present:
			r.What = "not installed"
		case o.Uninstall:
			r.Err = run(certutil, "-D", "-d", db.dir, "-n", o.Root.Name)
			r.What = "removed"
		case present:
			r.What = "already trusted"
		default:
			if db.create && !exists(filepath.Join(db.path, "cert9.db")) {
				if err := os.MkdirAll(db.path, 0o700); err != nil {
					r.Err = err
					break
				}
				if err := run(certutil, "-N", "--empty-password", "-d", db.dir); err != nil {
					r.Err = fmt.Errorf("creating the database: %w", err)
					break
				}
			}
			r.Err = run(certutil, "-A", "-d", db.dir, "-t", "C,,", "-n", o.Root.Name, "-i", o.Root.Path)
			r.What = "installed"
		}
		reports = append(reports, r)
	}
	return reports
}
