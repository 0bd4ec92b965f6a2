package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// semver is a release version, with or without the leading v: npm needs it
// without, Go's tags and `devproxy version` have it.
var semver = regexp.MustCompile(`^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)

// versionFile holds the version a build from a clone gets, beside go.mod.
const versionFile = "VERSION"

// pickVersion chooses the release version, without its v: the -version
// flag, else the tag HEAD is exactly on (when it is a version), else the
// VERSION file.
func pickVersion(flagValue, headTag, fileText string) (string, error) {
	if flagValue != "" {
		m := semver.FindStringSubmatch(flagValue)
		if m == nil {
			return "", fmt.Errorf("-version %q is not a version\n    want: MAJOR.MINOR.PATCH, optionally with a v and a -prerelease\n    fix:  -version v0.4.0", flagValue)
		}
		return m[1], nil
	}
	if m := semver.FindStringSubmatch(headTag); m != nil {
		return m[1], nil
	}
	text := strings.TrimSpace(fileText)
	if m := semver.FindStringSubmatch(text); m != nil {
		return m[1], nil
	}
	if text == "" {
		return "", fmt.Errorf("no version: HEAD is on no version tag and there is no %s file\n    fix:  echo 0.1.0 > %s   (or -version v0.1.0)", versionFile, versionFile)
	}
	return "", fmt.Errorf("%s: %q is not a version\n    want: MAJOR.MINOR.PATCH, e.g. 0.4.0", versionFile, text)
}

// resolveVersion reads the tag and the VERSION file for pickVersion.
func resolveVersion(flagValue, root string) (string, error) {
	tag := ""
	if flagValue == "" {
		tag = gitOutput(root, "describe", "--tags", "--exact-match", "HEAD")
	}
	data, err := os.ReadFile(filepath.Join(root, versionFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	return pickVersion(flagValue, tag, string(data))
}

// fallbackDate stamps archives built outside a git checkout without
// SOURCE_DATE_EPOCH (zip cannot store times before 1980).
var fallbackDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// sourceDate is the time every archive entry gets: SOURCE_DATE_EPOCH
// (https://reproducible-builds.org/specs/source-date-epoch/), else HEAD's
// commit time, else fallbackDate.
func sourceDate(root string) time.Time {
	for _, s := range []string{os.Getenv("SOURCE_DATE_EPOCH"), gitOutput(root, "log", "-1", "--format=%ct")} {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil && sec > 315532800 { // after 1980-01-01
			return time.Unix(sec, 0).UTC()
		}
	}
	return fallbackDate
}

// gitOutput runs git in dir and returns its trimmed output, or "" when git
// fails (no git, not a checkout, no such tag).
func gitOutput(dir string, args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
