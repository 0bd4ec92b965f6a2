package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// options say what to release and where.
type options struct {
	root    string    // the module's folder, where go.mod, README.md, LICENSE and VERSION are
	out     string    // the folder to write
	version string    // without the v: 0.3.0
	targets []target  // platforms to build
	mtime   time.Time // every archive entry's time
	pack    bool      // run npm pack on the package folders
	log     io.Writer // progress, one line per file; nil for none
}

// newOptions resolves the flags against the module the command runs in.
func newOptions(version, out, only string) (options, error) {
	root, err := moduleRoot()
	if err != nil {
		return options{}, err
	}
	v, err := resolveVersion(version, root)
	if err != nil {
		return options{}, err
	}
	ts, err := parseTargets(only)
	if err != nil {
		return options{}, err
	}
	if out, err = filepath.Abs(out); err != nil {
		return options{}, err
	}
	return options{root: root, out: out, version: v, targets: ts, mtime: sourceDate(root)}, nil
}

// moduleRoot finds devproxy's go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(data), "module github.com/devproxy/devproxy\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the devproxy module: run go run ./release in a devproxy checkout")
		}
		dir = parent
	}
}

// artifacts are the files a release wrote, as paths relative to its folder.
type artifacts struct {
	archives []string // devproxy_0.3.0_linux_amd64.tar.gz, ...
	packages []string // npm/devproxy, npm/linux-x64, ...: the npm package folders
	tarballs []string // npm/devproxy-0.3.0.tgz, ...: when packed
}

// release builds every target and writes the archives, SHA256SUMS and the
// npm packages into o.out, replacing an earlier release there.
func release(o options) (artifacts, error) {
	var a artifacts
	if err := cleanOut(o.out); err != nil {
		return a, err
	}
	npmDir := filepath.Join(o.out, "npm")
	// Two targets at a time: a link and a compression each, mostly one core.
	errs := make([]error, len(o.targets))
	sem := make(chan struct{}, max(2, runtime.NumCPU()))
	var wg sync.WaitGroup
	for i, t := range o.targets {
		sem <- struct{}{}
		wg.Go(func() { // exits when t is built and archived
			defer func() { <-sem }()
			errs[i] = releaseTarget(o, t)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return a, err
	}
	for _, t := range o.targets {
		name := archiveName(o.version, t)
		a.archives = append(a.archives, name)
		a.packages = append(a.packages, filepath.Join("npm", t.npmPlatform()))
		o.logf("%-40s %s", name, size(filepath.Join(o.out, name)))
	}
	if err := writeChecksums(o.out, a.archives); err != nil {
		return a, err
	}
	o.logf("%-40s %d archives", checksumsFile, len(a.archives))
	if err := verify(o.out, o.version, o.targets); err != nil {
		return a, fmt.Errorf("the release is not what it should be:\n%w", err)
	}
	o.logf("verified: checksums, and each archive's binary is its target's (header), stamped v%s, the npm package's", o.version)
	mainDir := filepath.Join(npmDir, mainPackageName)
	if err := writeMainPackage(mainDir, o.version, o.root, allTargets); err != nil {
		return a, err
	}
	// The main package first: its tarball leads the list.
	a.packages = append([]string{filepath.Join("npm", mainPackageName)}, a.packages...)
	if !o.pack {
		return a, nil
	}
	dirs := make([]string, len(a.packages))
	for i, p := range a.packages {
		dirs[i] = filepath.Join(o.out, p)
	}
	names, err := npmPack(npmDir, dirs)
	if err != nil {
		return a, err
	}
	for _, name := range names {
		a.tarballs = append(a.tarballs, filepath.Join("npm", name))
		o.logf("%-40s %s", filepath.Join("npm", name), size(filepath.Join(npmDir, name)))
	}
	return a, nil
}

// releaseTarget builds t's binary into its npm package folder, writes the
// package around it, and archives it.
func releaseTarget(o options, t target) error {
	pkgDir := filepath.Join(o.out, "npm", t.npmPlatform())
	bin := filepath.Join(pkgDir, "bin", t.exe())
	if err := buildBinary(o.root, t, o.version, bin); err != nil {
		return err
	}
	if err := writePlatformPackage(pkgDir, o.version, o.root, t); err != nil {
		return err
	}
	files := []archiveFile{
		{name: t.exe(), src: bin, mode: 0o755},
		{name: "README.md", src: filepath.Join(o.root, "README.md"), mode: 0o644},
		{name: "LICENSE", src: filepath.Join(o.root, "LICENSE"), mode: 0o644},
	}
	return writeArchive(filepath.Join(o.out, archiveName(o.version, t)), files, o.mtime)
}

// archiveName names t's archive as GoReleaser does.
func archiveName(version string, t target) string {
	ext := ".tar.gz"
	if t.goos == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("devproxy_%s_%s_%s%s", version, t.goos, t.goarch, ext)
}

// cleanOut empties out if it holds only what a release writes, so a
// mistyped -out never deletes anything else.
func cleanOut(out string) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(out, 0o755)
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if name := e.Name(); name != checksumsFile && name != "npm" && !strings.HasPrefix(name, "devproxy_") {
			return fmt.Errorf("%s holds %s, which a release does not write; not replacing it\n    fix:  -out a new or empty folder", out, name)
		}
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func (o options) logf(format string, args ...any) {
	if o.log != nil {
		fmt.Fprintf(o.log, format+"\n", args...)
	}
}

// size is a file's size for the progress lines: "9.8 MiB".
func size(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(fi.Size())/(1<<20))
}
