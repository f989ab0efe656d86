#!/usr/bin/env bash
# tests/engine/build.sh: build a Dockerfile with msbc's private dockerd (BuildKit, Debian's
# 20.10 client) and describe the image.
#
# usage: tests/engine/build.sh DOCKERFILE CONTEXT TAG [docker build options...]
#   e.g. --target T, --secret id=x,src=FILE, --build-arg K=V, --no-cache, --ssh default
# Output (stdout): the build's plain progress output (cache hits show as `CACHED`), then as
# the last line one JSON object:
#   {"tag":..,"id":..,"size":BYTES,"user":..,"entrypoint":[..]|null,"cmd":[..]|null,
#    "workdir":..,"env":[..],"exposed_ports":{..}|null,"healthcheck":{..}|null,
#    "labels":{..}|null,"build_seconds":N}
# Exit: the build's status; 3 when the engine is not running (run tests/engine/setup.sh).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/env.sh"
if [ $# -lt 3 ]; then
    sed -n '4,6p' "$0" >&2
    exit 2
fi
if [ "${MSBC_ENGINE:-}" != dockerd ]; then
    echo "msbc engine not running: run tests/engine/setup.sh first" >&2
    exit 3
fi
dockerfile=$1 context=$2 tag=$3
shift 3

start=$(date +%s.%N)
rc=0
DOCKER_BUILDKIT=1 BUILDKIT_PROGRESS=plain "$MSBC_ENGINE_DOCKER" build --progress=plain \
    --network host -f "$dockerfile" -t "$tag" "$@" "$context" 2>&1 || rc=$?
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
[ $rc = 0 ] || { echo "build failed ($rc)" >&2; exit $rc; }

"$MSBC_ENGINE_DOCKER" image inspect "$tag" | python3 -c '
import json, sys
tag, secs = sys.argv[1], float(sys.argv[2])
img = json.load(sys.stdin)[0]
c = img.get("Config") or {}
print(json.dumps({
    "tag": tag, "id": img["Id"], "size": img["Size"],
    "user": c.get("User", ""), "entrypoint": c.get("Entrypoint"), "cmd": c.get("Cmd"),
    "workdir": c.get("WorkingDir", ""), "env": c.get("Env") or [],
    "exposed_ports": c.get("ExposedPorts"), "healthcheck": c.get("Healthcheck"),
    "labels": c.get("Labels"), "build_seconds": secs,
}, separators=(",", ":")))
' "$tag" "$secs"
