#!/usr/bin/env bash
# tests/engine/stop.sh: stop msbc's private dockerd (only ours, by the pid in its pidfile) and
# undo what it leaves behind. Images and build cache stay in $MSBC_ENGINE_DIR for the next start.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/common.sh"

if pid=$(engine_pid); then
    echo "stopping dockerd pid $pid" >&2
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "dockerd pid $pid still alive after 30 s: SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
        sleep 1
    fi
else
    echo "dockerd not running (no live pid in $ENGINE_PIDFILE)" >&2
fi

# Leftover mounts under our exec and data roots (netns/default, overlay, shm), deepest first.
for root in "$ENGINE_EXEC" "$ENGINE_DATA"; do
    awk -v d="$root" 'index($2, d "/") == 1 {print $2}' /proc/mounts | sort -r |
        while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
            echo "could not unmount $m" >&2; done
done
rm -f "$ENGINE_PIDFILE" "$ENGINE_SOCK"
# Shared paths dockerd 20.10 creates whatever its exec root: remove them only if empty.
rmdir /run/docker/plugins /run/docker 2>/dev/null || true
rmdir /run/containerd/s /run/containerd 2>/dev/null || true
exit 0
