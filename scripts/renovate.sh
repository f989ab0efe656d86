#!/usr/bin/env bash
# Renovate, pinned, installed once from npm into a cache folder, then run with the arguments:
#
#   bash scripts/renovate.sh --version
#   bash scripts/renovate.sh --platform=local --dry-run=extract ...   # what tests/renovate.rs runs
#   RENOVATE_BIN=1 bash scripts/renovate.sh   # print the path of the installed `renovate` and exit
#
# 39.x is the last line that runs on Node 20 (Debian's nodejs; 40 and later need Node 22+).
# The cache is MSBC_RENOVATE_CACHE, else ~/.cache/msbc/renovate-VERSION: CI keeps it between
# runs. Needs node and npm; the install needs the npm registry once, the runs no network.
set -euo pipefail
VERSION=39.264.1
dir=${MSBC_RENOVATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/msbc/renovate-$VERSION}
bin=$dir/node_modules/.bin/renovate
if [ ! -x "$bin" ]; then
    command -v npm >/dev/null || { echo "scripts/renovate.sh: npm is not installed" >&2; exit 3; }
    mkdir -p "$dir"
    # One install at a time (tests may start it in parallel).
    exec 9>"$dir.lock"
    flock 9
    if [ ! -x "$bin" ]; then
        # Optional native modules (re2, better-sqlite3) are left out: Renovate falls back to
        # JavaScript without them, and nothing is compiled.
        npm install --prefix "$dir" --no-audit --no-fund --omit=optional --ignore-scripts \
            --loglevel=error "renovate@$VERSION" >&2
    fi
    exec 9>&-
fi
if [ -n "${RENOVATE_BIN:-}" ]; then
    echo "$bin"
    exit 0
fi
exec "$bin" "$@"
