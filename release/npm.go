package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// launcher is the main npm package's `devproxy` command.
//
//go:embed launcher.js
var launcher []byte

// The fields every devproxy npm package shares.
const (
	npmLicense    = "MIT"
	npmRepository = "git+https://github.com/devproxy/devproxy.git"
	npmDesc       = "One origin for your frontend and its backends: no CORS errors, cookies that stick."
)

// packageJSON is the part of package.json the packages use, in the order
// npm writes it.
type packageJSON struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Description          string            `json:"description"`
	Keywords             []string          `json:"keywords,omitempty"`
	License              string            `json:"license"`
	Repository           string            `json:"repository"`
	Bin                  map[string]string `json:"bin,omitempty"`
	Files                []string          `json:"files"`
	Engines              map[string]string `json:"engines,omitempty"`
	OS                   []string          `json:"os,omitempty"`
	CPU                  []string          `json:"cpu,omitempty"`
	OptionalDependencies map[string]string `json:"optionalDependencies,omitempty"`
	// PreferUnplugged makes Yarn's Plug'n'Play unpack the binary to disk.
	PreferUnplugged bool `json:"preferUnplugged,omitempty"`
}

// mainPackageName is the package users install.
const mainPackageName = "devproxy"

// minNode is the oldest Node the launcher is written for.
const minNode = ">=18"

// writeMainPackage writes the devproxy package into dir: the launcher,
// README and LICENSE, and an optional dependency on every platform package
// at exactly this version (npm installs the one whose os and cpu match).
func writeMainPackage(dir, version, root string, ts []target) error {
	deps := map[string]string{}
	for _, t := range ts {
		deps[t.npmPackage()] = version
	}
	pkg := packageJSON{
		Name: mainPackageName, Version: version, Description: npmDesc,
		Keywords: []string{"proxy", "dev-server", "cors", "vite", "webpack", "nextjs", "cookies", "websocket"},
		License:  npmLicense, Repository: npmRepository,
		Bin:                  map[string]string{"devproxy": "bin/devproxy.js"},
		Files:                []string{"bin/devproxy.js"},
		Engines:              map[string]string{"node": minNode},
		OptionalDependencies: deps,
	}
	if err := writePackageJSON(dir, pkg); err != nil {
		return err
	}
	if err := writeFileIn(dir, "bin/devproxy.js", launcher, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"README.md", "LICENSE"} {
		if err := copyFile(filepath.Join(root, name), filepath.Join(dir, name), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writePlatformPackage writes t's package into dir around the binary
// already built at dir/bin/<exe>: package.json and LICENSE.
func writePlatformPackage(dir, version, root string, t target) error {
	pkg := packageJSON{
		Name: t.npmPackage(), Version: version,
		Description: fmt.Sprintf("The %s binary of devproxy; install the devproxy package, which uses it.", t.npmPlatform()),
		License:     npmLicense, Repository: npmRepository,
		Files: []string{"bin/" + t.exe()},
		OS:    []string{t.npmOS()}, CPU: []string{t.npmCPU()},
		PreferUnplugged: true,
	}
	if err := writePackageJSON(dir, pkg); err != nil {
		return err
	}
	return copyFile(filepath.Join(root, "LICENSE"), filepath.Join(dir, "LICENSE"), 0o644)
}

func writePackageJSON(dir string, pkg packageJSON) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // ">=18", not "\u003e=18"
	enc.SetIndent("", "  ")
	if err := enc.Encode(pkg); err != nil {
		return err
	}
	return writeFileIn(dir, "package.json", b.Bytes(), 0o644)
}

// npmPack runs `npm pack` on the package folders into dest and returns the
// tarballs' names, in the folders' order.
func npmPack(dest string, dirs []string) ([]string, error) {
	args := []string{"pack", "--json", "--pack-destination", dest, "--loglevel", "error"}
	cmd := exec.Command("npm", append(args, dirs...)...)
	cmd.Dir = dest
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_fund=false")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("npm pack: %w\n%s", err, stderr.String())
	}
	var packed []struct {
		Filename string `json:"filename"`
	}
	if err := json.Unmarshal(out, &packed); err != nil {
		return nil, fmt.Errorf("npm pack --json printed %q: %w", out, err)
	}
	names := make([]string, len(packed))
	for i, p := range packed {
		names[i] = p.Filename
	}
	return names, nil
}

// writeFileIn writes data to dir/name, creating the folders between.
func writeFileIn(dir, name string, data []byte, mode os.FileMode) error {
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, mode)
}

func copyFile(src, dst string, mode os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, mode)
}
