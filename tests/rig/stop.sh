#!/usr/bin/env bash
# tests/rig/stop.sh: stop the rig's buildkitd and docker-registry (only ours, by the pids in
# run/). Binaries, base images and build cache stay in $MSBC_RIG_DIR for the next setup.sh.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/common.sh"

stop() { # NAME COMM
    local pid
    if pid=$(rig_pid "$1" "$2"); then
        echo "stopping $1 pid $pid" >&2
        kill -TERM "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && { echo "$1 pid $pid still alive after 10 s: SIGKILL" >&2; kill -KILL "$pid"; }
    else
        echo "$1 not running (no live pid in $RIG_RUN/$1.pid)" >&2
    fi
    rm -f "$RIG_RUN/$1.pid"
}
stop buildkitd buildkitd
stop registry docker-registry
# What buildkitd leaves mounted under its root, deepest first.
awk -v d="$MSBC_RIG_DIR/state" 'index($2, d "/") == 1 {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "could not unmount $m" >&2; done
rm -f "$RIG_SOCK"
exit 0
