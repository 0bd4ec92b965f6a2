#!/usr/bin/env node
// devproxy's launcher, the `devproxy` command of the npm package. npm
// installs devproxy's native binary for this machine as one optional
// dependency, @devproxy/<platform>-<arch> (the others are skipped by their
// "os" and "cpu" fields); this script runs it with the same arguments,
// terminal and exit status. No dependencies, no install script.
'use strict';

const { spawn } = require('child_process');

const platform = `${process.platform}-${process.arch}`;
const platformPackage = `@devproxy/${platform}`;
const exe = process.platform === 'win32' ? 'devproxy.exe' : 'devproxy';

let binary;
try {
  binary = require.resolve(`${platformPackage}/bin/${exe}`);
} catch {
  missing();
}

// stdio is inherited: devproxy writes to the same terminal (colours and
// all) and reads the same input.
const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' });

child.on('error', (err) => {
  const fix = err.code === 'EACCES' ? `\n  fix: chmod +x "${binary}"` : '';
  process.stderr.write(`devproxy: cannot run ${binary}: ${err.message}${fix}\n`);
  process.exit(1);
});

// A Ctrl-C in a terminal reaches devproxy directly, since it shares the
// launcher's process group (and console); forwarding covers a signal sent
// to the launcher alone: kill, a process manager, npm passing one on.
// devproxy takes a copy that arrives just after the first for the same
// keypress, not for a second one.
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const sig of signals) {
  process.on(sig, () => {
    // On Windows there are no signals to forward: child.kill would end
    // devproxy at once, without stopping what it started.
    if (process.platform !== 'win32') {
      child.kill(sig);
    }
  });
}

child.on('exit', (code, signal) => {
  if (signal === null) {
    process.exit(code);
  }
  // devproxy died of a signal: die of the same one, so the shell (and npm)
  // see what happened to it.
  for (const sig of signals) {
    process.removeAllListeners(sig);
  }
  process.kill(process.pid, signal);
  // Still alive after a moment: a signal Node ignores (SIGPIPE). Exit as a
  // shell reports a death by signal.
  setTimeout(() => process.exit(128 + (require('os').constants.signals[signal] || 0)), 500);
});

// missing explains what to run when the binary is not installed, and exits.
function missing() {
  const self = require('../package.json');
  const packages = Object.keys(self.optionalDependencies || {});
  const lines = [];
  if (packages.includes(platformPackage)) {
    lines.push(
      `devproxy: the devproxy binary for this machine (${platform}) is not installed: npm left out the optional package ${platformPackage}.`,
      '  npm does that with --omit=optional (or --no-optional), and with a package-lock.json written without it (offline, or on another OS by an older npm).',
      `  fix: npm i -D devproxy@${self.version} --include=optional`,
      `  or:  npm i -O ${platformPackage}@${self.version}   (saved as optional, so machines of other kinds skip it)`,
    );
  } else {
    lines.push(
      `devproxy: there is no prebuilt devproxy for this machine (${platform}); there is one for ${packages.map((p) => p.replace('@devproxy/', '')).join(', ')}.`,
      '  fix: build it from source with Go (see "From source" in devproxy\'s README) and run that binary',
    );
  }
  process.stderr.write(lines.join('\n') + '\n');
  process.exit(1);
}
