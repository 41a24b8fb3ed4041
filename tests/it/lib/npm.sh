#!/usr/bin/env bash
# tests/it/lib/npm.sh DIR... -- sourced by the it scripts whose checks run node: installs
# each DIR's npm packages (npm ci from its package-lock.json) when its node_modules is
# missing or older than the lock (npm writes node_modules/.package-lock.json when it
# installs; a lock that gained packages since is newer). playwright-core is told never to
# download a browser (the checks use Debian's chromium). A DIR that cannot be installed is
# reported; its checks then SKIP, never PASS.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
for d in "$@"; do
    [ -d "$d/node_modules" ] && ! [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ] &&
        continue
    if ! command -v npm >/dev/null 2>&1; then
        echo "npm is not installed: the checks that need $d will SKIP"
        continue
    fi
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
        echo "npm ci in $d failed: the checks that need it will SKIP"
done
