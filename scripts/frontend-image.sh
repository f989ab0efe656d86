#!/usr/bin/env bash
# scripts/frontend-image.sh REF [--oci-dir DIR]
#
# Builds msbc's BuildKit frontend image from this checkout and pushes it to REF
# (registry/name:tag), with no Docker daemon: the static msbc scripts/dist.sh
# builds as /msbc in an image FROM scratch, entrypoint
# `/msbc frontend`, with the labels BuildKit reads (no network for the
# frontend, the subrequests it answers). scripts/oci-image.py writes the image
# (an OCI layout with --oci-dir) and pushes it over the registry API: plain
# HTTP for a loopback registry (127.0.0.1, localhost), HTTPS elsewhere
# (REGISTRY_USER/REGISTRY_PASSWORD for basic auth or a bearer token service).
# For other setups write the layout and push it with your tool:
#   bash scripts/frontend-image.sh --oci-dir out/msbc-frontend
#   skopeo copy oci:out/msbc-frontend docker://ghcr.io/OWNER/msbc:1
#
# MSBC_FRONTEND_BIN=PATH uses an already built static msbc instead of building.
# MSBC_FRONTEND_PROFILE=NAME builds with that cargo profile (default dist;
# the tests and CI use `frontend-image`: no optimization, built in a fraction
# of the time).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "$#" -eq 0 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi

bin="${MSBC_FRONTEND_BIN:-}"
if [ -z "$bin" ]; then
    bin="$(bash "$root/scripts/dist.sh" --profile "${MSBC_FRONTEND_PROFILE:-dist}")"
fi
if ldd "$bin" 2>&1 | grep -q '=>'; then
    echo "error: $bin is dynamically linked; the frontend image needs a static binary" >&2
    exit 1
fi
# The image needs no debug info (a third of the size); strip a copy if we can.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if command -v strip >/dev/null 2>&1 && strip -o "$work/msbc" "$bin" 2>/dev/null; then
    bin="$work/msbc"
fi

python3 "$root/scripts/oci-image.py" --binary "$bin" "$@"
