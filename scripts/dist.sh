#!/usr/bin/env bash
# scripts/dist.sh [--profile NAME] [--target TRIPLE]
#
# Builds the msbc binary we ship: static (glibc, `-C target-feature=+crt-static`) and not
# position-independent (`-C relocation-model=static`), with the `dist` profile (release with fat
# LTO, one codegen unit, no debug info), and prints its path. It is what the frontend image holds
# (scripts/frontend-image.sh) and what scripts/bench.sh measures. A process this short is mostly
# start-up: against `cargo build --release` (dynamic PIE) it skips loading four shared libraries
# and applying 19k relocations; with LTO that is 0.4 to 0.9 ms of a 1.5 to 2.9 ms run
# (`DYNAMIC=1 bash scripts/bench.sh` prints both).
#
# Trade-offs: its own code has no address randomization (the stack, heap and mmaps still do), and
# glibc's name lookup in a static binary uses only `files` and `dns` from nsswitch.conf.
# `cargo install --path compiler` keeps the usual dynamic PIE build.
#
# --profile NAME builds with that cargo profile instead (the tests use `frontend-image`: no
# optimization, built in a fraction of the time).
# --target TRIPLE builds for another architecture (x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu;
# default: this machine's): scripts/cross.sh installs what that needs (Debian's cross gcc and static
# glibc, Rust's std for it) or says why it cannot; the binary runs through qemu-user when installed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# shellcheck source=scripts/cross.sh
. "$root/scripts/cross.sh"

profile=dist
target=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --profile) profile="${2:?--profile needs a name}"; shift 2 ;;
        --target) target="${2:?--target needs a triple}"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

[ -n "$target" ] || target="$(cross_host)"
cross_setup "$target" || exit 1
# With --target, RUSTFLAGS reach only the target's crates (not build scripts or proc macros,
# which cannot be static).
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
    cargo build --profile "$profile" --locked --quiet --bin msbc --target "$target" >&2
bin="${CARGO_TARGET_DIR:-$root/target}/$target/$profile/msbc"
# No program interpreter and no shared libraries: static (readelf reads any architecture).
if readelf -lW "$bin" 2>/dev/null | grep -q 'INTERP' || readelf -dW "$bin" 2>/dev/null | grep -q 'NEEDED'; then
    echo "error: $bin is dynamically linked (is glibc's static libc.a installed? Debian: libc6-dev)" >&2
    exit 1
fi
if runner="$(cross_runner "$target")"; then
    $runner "$bin" --version >/dev/null || { echo "error: $bin does not run" >&2; exit 1; }
else
    echo "note: $bin not run (no qemu-user for $target here)" >&2
fi
echo "$bin"
