#!/usr/bin/env bash
# What the npm package's launcher adds to devproxy's start: builds the
# release for this machine, installs its npm tarballs offline into a scratch
# project, and times `devproxy version` four ways with hyperfine
# (apt-get install hyperfine): the bare binary, node's own start, the
# launcher (node_modules/.bin/devproxy, what package.json scripts run),
# and npx devproxy.
#
#	bash bench/launcher.sh [hyperfine flags, e.g. --runs 200]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench/launcher.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

target="$(go env GOOS)/$(go env GOARCH)"
go run ./release -targets "$target" -out "$tmp/dist" >/dev/null
mkdir "$tmp/app"
echo '{ "name": "scratch-app", "private": true }' > "$tmp/app/package.json"
(cd "$tmp/app" && npm i -D "$tmp"/dist/npm/*.tgz --offline --no-audit --no-fund --loglevel=error --cache "$tmp/npm-cache" >/dev/null)

cd "$tmp/app"
bare=$(node -p 'require.resolve(`@devproxy/${process.platform}-${process.arch}/bin/devproxy`)')
hyperfine --warmup 5 -N "$@" \
  -n bare "$bare version" \
  -n 'node -e 0' 'node -e 0' \
  -n launcher 'node_modules/.bin/devproxy version' \
  -n 'npx devproxy' 'npx --offline devproxy version'
