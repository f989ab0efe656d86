#!/usr/bin/env bash
# scripts/release.sh DIR [--profile NAME] [--targets TRIPLE,...]
#
# Writes msbc's release archives into DIR, one per platform:
#   msbc-VERSION-linux-amd64.tar.gz  msbc-VERSION-linux-arm64.tar.gz  SHA256SUMS
# each holding one folder msbc-VERSION-linux-ARCH/ with the static msbc that scripts/dist.sh
# builds for that architecture, its shell completions (completions/msbc.bash, _msbc for zsh,
# msbc.fish, _msbc.ps1), LICENSE, THIRD-PARTY-LICENSES (the crates linked in and their licence
# texts: scripts/third-party.py) and README.md. VERSION is compiler/Cargo.toml's; `msbc --version`
# prints it with the commit (compiler/build.rs), and this script checks that it does. The archives
# are reproducible: sorted names, owner root, every mtime the commit's time.
#
# The arm64 binary is cross-built (scripts/cross.sh installs Debian's cross gcc and static glibc
# when we are root, or says what is missing). To install from an archive:
#   sha256sum -c --ignore-missing SHA256SUMS
#   tar -xzf msbc-VERSION-linux-amd64.tar.gz
#   install -m 0755 msbc-VERSION-linux-amd64/msbc /usr/local/bin/msbc
#
# --profile NAME builds with that cargo profile (default dist; the tests use `frontend-image`:
# unoptimized, built in a fraction of the time). --targets picks the platforms (default
# x86_64-unknown-linux-gnu,aarch64-unknown-linux-gnu).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
out=""
profile=dist
targets="x86_64-unknown-linux-gnu,aarch64-unknown-linux-gnu"
while [ "$#" -gt 0 ]; do
    case "$1" in
        --profile) profile="${2:?--profile needs a name}"; shift 2 ;;
        --targets) targets="${2:?--targets needs triples}"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) [ -z "$out" ] || { echo "error: one DIR only (see --help)" >&2; exit 2; }; out="$1"; shift ;;
    esac
done
[ -n "$out" ] || { usage >&2; exit 2; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$root"
# shellcheck source=scripts/cross.sh
. "$root/scripts/cross.sh"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' compiler/Cargo.toml | head -n 1)"
[ -n "$version" ] || { echo "error: no version in compiler/Cargo.toml" >&2; exit 1; }
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || true)"
if [ -n "$commit" ]; then
    expected="msbc $version ($commit)"
    epoch="$(git log -1 --format=%ct HEAD)"
    if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
        echo "warning: the work tree has uncommitted changes; the binaries say $commit" >&2
    fi
else
    expected="msbc $version"
    epoch=0
fi
[ -f LICENSE ] || { echo "error: no LICENSE at the top of the checkout" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
completions_done=false
archives=()
IFS=, read -r -a triples <<<"$targets"
for triple in "${triples[@]}"; do
    case "$triple" in
        x86_64-unknown-linux-gnu) arch=amd64 ;;
        aarch64-unknown-linux-gnu) arch=arm64 ;;
        *) echo "error: no release platform for $triple" >&2; exit 2 ;;
    esac
    echo "--- $triple ($profile)" >&2
    bin="$(bash scripts/dist.sh --profile "$profile" --target "$triple")"
    name="msbc-$version-linux-$arch"
    dir="$work/$name"
    mkdir -p "$dir/completions"
    cp "$bin" "$dir/msbc"
    chmod 0755 "$dir/msbc"
    cp LICENSE README.md "$dir/"
    python3 scripts/third-party.py "$triple" >"$dir/THIRD-PARTY-LICENSES"
    if runner="$(cross_runner "$triple")"; then
        said="$($runner "$dir/msbc" --version)"
        if [ "$said" != "$expected" ]; then
            echo "error: $triple: \`msbc --version\` says \"$said\", not \"$expected\"" >&2
            exit 1
        fi
        if ! $completions_done; then
            $runner "$dir/msbc" completions bash >"$work/msbc.bash"
            $runner "$dir/msbc" completions zsh >"$work/_msbc"
            $runner "$dir/msbc" completions fish >"$work/msbc.fish"
            $runner "$dir/msbc" completions powershell >"$work/_msbc.ps1"
            completions_done=true
        fi
    fi
    archives+=("$name")
done
$completions_done || { echo "error: none of the binaries runs here, so no completions" >&2; exit 1; }

cd "$work"
for name in "${archives[@]}"; do
    cp msbc.bash _msbc msbc.fish _msbc.ps1 "$name/completions/"
    chmod 0644 "$name"/completions/* "$name/LICENSE" "$name/README.md" "$name/THIRD-PARTY-LICENSES"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
        --format=gnu -c "$name" | gzip -n -9 >"$out/$name.tar.gz"
done
cd "$out"
sha256sum -- "${archives[@]/%/.tar.gz}" >SHA256SUMS
for name in "${archives[@]}"; do
    echo "$out/$name.tar.gz"
done
echo "$out/SHA256SUMS"
