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
#   skopeo copy --all oci:out/msbc-frontend docker://ghcr.io/OWNER/msbc:1
#
# The image is multi-platform: an OCI image index naming one image per
# platform, each with the static msbc for its architecture (linux/amd64 and
# linux/arm64; the arm64 one is cross-built: scripts/cross.sh installs
# Debian's cross toolchain or says what is missing).
# MSBC_FRONTEND_PLATFORMS=linux/amd64 builds one platform (then REF is that
# image, no index).
# MSBC_FRONTEND_BIN=PATH uses an already built static msbc instead of building
# (one platform, linux/amd64 unless MSBC_FRONTEND_PLATFORMS says otherwise).
# MSBC_FRONTEND_PROFILE=NAME builds with that cargo profile (default dist;
# the tests and CI use `frontend-image`: no optimization, built in a fraction
# of the time).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "$#" -eq 0 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
fi

# shellcheck source=scripts/cross.sh
. "$root/scripts/cross.sh"

bin="${MSBC_FRONTEND_BIN:-}"
image_platforms MSBC_FRONTEND
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
args=()
for platform in "${platforms[@]}"; do
    arch="$(platform_arch "$platform")"
    image_binary "${MSBC_FRONTEND_PROFILE:-dist}" "$platform" "$work/msbc-$arch" "$bin"
    args+=(--binary "$arch=$work/msbc-$arch")
done

python3 "$root/scripts/oci-image.py" "${args[@]}" "$@"
