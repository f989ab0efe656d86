#!/usr/bin/env bash
# scripts/bench-frontend.sh [--runs N] [--registry HOST:PORT] [--spec DIR]
#
# The time msbc's BuildKit frontend adds to a warm build: the sample service
# (default specs/go) built by one BuildKit (buildctl at $BUILDKIT_HOST), in
# the same run, three ways, each warmed once and then timed N times (default
# 5), interleaved:
#   msbc        buildctl --frontend gateway.v0 --opt source=MSBC_IMAGE (build.kdl)
#   builtin     buildctl --frontend dockerfile.v0, msbc's Dockerfile without
#               its `# syntax=` line (BuildKit's built-in Dockerfile frontend)
#   dockerfile  the same Dockerfile with `# syntax=docker/dockerfile:1`
#               (BuildKit's Dockerfile frontend as an image, like msbc's)
# Prints each run, the medians, what the frontend adds and the ratios.
# With BEFORE=PATH (an older static msbc, e.g. scripts/dist.sh at an earlier
# commit) a fourth route, before, builds through a frontend image of it, and
# the ratio msbc/before is printed: before and after in one run.
#
# The msbc image is built from this checkout (scripts/frontend-image.sh,
# release profile unless MSBC_FRONTEND_PROFILE is set; MSBC_FRONTEND_BIN
# reuses a binary) and pushed to REGISTRY/msbc/frontend:bench (default
# 127.0.0.1:5000, which must hold the spec's base images and
# docker/dockerfile:1, as the rig's does: /work/shared/rig).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=5
registry=127.0.0.1:5000
spec="$root/specs/go"
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --registry) registry="$2"; shift 2 ;;
    --spec) spec="$(cd "$2" && pwd)"; shift 2 ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$runs" in '' | *[!0-9]* | 0) echo "error: --runs takes a positive number" >&2; exit 2 ;; esac
command -v buildctl >/dev/null || { echo "error: no buildctl on PATH" >&2; exit 2; }
[ -n "${BUILDKIT_HOST:-}" ] || { echo "error: BUILDKIT_HOST is not set" >&2; exit 2; }
buildctl debug workers >/dev/null || { echo "error: no buildkitd answers at $BUILDKIT_HOST" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$spec/." "$work/"
cd "$work"

image="$registry/msbc/frontend:bench"
echo "building and pushing $image" >&2
# Only this machine's platform: the other's build would not be measured.
case "$(uname -m)" in aarch64 | arm64) own=linux/arm64 ;; *) own=linux/amd64 ;; esac
MSBC_FRONTEND_PLATFORMS="${MSBC_FRONTEND_PLATFORMS:-$own}" bash "$root/scripts/frontend-image.sh" "$image" >/dev/null
routes=(msbc builtin dockerfile)
if [ -n "${BEFORE:-}" ]; then
    before_image="$registry/msbc/frontend:bench-before"
    echo "building and pushing $before_image from $BEFORE ($("$BEFORE" --version))" >&2
    MSBC_FRONTEND_BIN="$(realpath "$BEFORE")" MSBC_FRONTEND_PLATFORMS="$own" \
        bash "$root/scripts/frontend-image.sh" "$before_image" >/dev/null
    routes+=(before)
fi

msbc="${MSBC:-$root/target/debug/msbc}"
[ -x "$msbc" ] || (cd "$root" && cargo build --quiet --bin msbc)
"$msbc" compile -o Dockerfile.image 2>/dev/null
grep -q '^# syntax=' Dockerfile.image || { echo "error: msbc's Dockerfile has no # syntax= line" >&2; exit 1; }
sed '/^# syntax=/d' Dockerfile.image >Dockerfile.builtin
[ -f Dockerfile.image.dockerignore ] && cp Dockerfile.image.dockerignore Dockerfile.builtin.dockerignore

build() { # ROUTE
    local args=(build --local context=. --local dockerfile=.)
    case "$1" in
    msbc) args+=(--frontend gateway.v0 --opt "source=$image") ;;
    before) args+=(--frontend gateway.v0 --opt "source=$before_image") ;;
    builtin) args+=(--frontend dockerfile.v0 --opt filename=Dockerfile.builtin) ;;
    dockerfile) args+=(--frontend dockerfile.v0 --opt filename=Dockerfile.image) ;;
    esac
    local start end
    start=$(date +%s.%N)
    if ! buildctl "${args[@]}" >"$work/log.$1" 2>&1; then
        echo "error: the $1 build failed:" >&2
        tail -n 20 "$work/log.$1" >&2
        exit 1
    fi
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}

declare -A times
for r in "${routes[@]}"; do
    echo "warm-up $r: $(build "$r") s" >&2
done
for i in $(seq 1 "$runs"); do
    line="run $i:"
    for r in "${routes[@]}"; do
        t=$(build "$r")
        times[$r]="${times[$r]:-} $t"
        line="$line $r $(printf '%.3f' "$t") s"
    done
    echo "$line"
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
m_msbc=$(echo "${times[msbc]}" | median)
m_builtin=$(echo "${times[builtin]}" | median)
m_image=$(echo "${times[dockerfile]}" | median)
printf 'median of %d warm builds of %s: msbc frontend %.3f s, built-in Dockerfile frontend %.3f s, docker/dockerfile:1 image %.3f s\n' \
    "$runs" "${spec#"$root"/}" "$m_msbc" "$m_builtin" "$m_image"
awk -v m="$m_msbc" -v b="$m_builtin" -v d="$m_image" 'BEGIN {
    printf "the msbc frontend adds %+.3f s to the built-in route (ratio %.2f) and %+.3f s to the docker/dockerfile:1 route (ratio %.2f)\n", m - b, m / b, m - d, m / d
}'
if [ -n "${BEFORE:-}" ]; then
    m_before=$(echo "${times[before]}" | median)
    awk -v m="$m_msbc" -v b="$m_before" 'BEGIN {
        printf "this msbc frontend %.3f s against the one before %.3f s: ratio %.2f\n", m, b, m / b
    }'
fi
