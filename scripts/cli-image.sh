#!/usr/bin/env bash
# scripts/cli-image.sh REF [--oci-dir DIR]
#
# Builds msbc's CLI image, for CI systems that run a job's script inside an image (GitLab CI,
# Jenkins, Tekton, GitHub Actions container jobs), and pushes it to REF (registry/name:tag), with
# no Docker daemon, as scripts/frontend-image.sh builds the frontend image: /usr/local/bin/msbc
# (the static msbc scripts/dist.sh builds) on a small root filesystem made of Debian bookworm
# packages: dash as /bin/sh, bash, coreutils, grep, sed, findutils, diffutils, tar, gzip, mawk,
# git (`msbc diff --rev` runs `git show`; not its Perl, server or mail programs), ca-certificates and libstdc++
# (GitHub's container jobs run their actions' Node.js in it). No entrypoint; the command is `sh`. Git trusts every folder
# (safe.directory *: CI systems check out as another user than the job's).
#
# The packages are resolved and downloaded by apt-get with its own state in the cache folder
# (not this machine's apt setup) and unpacked with `dpkg-deb -x`: no maintainer scripts run, so
# the few files they would make are written here (passwd, group, the CA bundle, awk). There is no
# apt or dpkg database inside: to add tools, build an image FROM it.
#
# Multi-platform like the frontend image: an OCI image index of linux/amd64 and linux/arm64.
#   MSBC_CLI_PLATFORMS=linux/amd64     one platform (REF is that image, no index)
#   MSBC_CLI_PROFILE=NAME              the cargo profile of msbc (default dist; tests: frontend-image)
#   MSBC_CLI_BIN=PATH                  an already built static msbc (one platform)
#   MSBC_CLI_CACHE=DIR                 apt state and .debs (default ~/.cache/msbc-cli-image)
#   MSBC_DEBIAN_MIRROR=URL             default http://deb.debian.org/debian (and -security beside it)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "$#" -eq 0 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
fi
# shellcheck source=scripts/cross.sh
. "$root/scripts/cross.sh"

packages="base-files dash bash coreutils grep sed findutils diffutils tar gzip mawk git ca-certificates libstdc++6"
# Resolved as dependencies but left out (half the size): Perl and what needs it, which only git's
# Perl commands (send-email, svn, cvsimport) and debconf use; git's manual pages.
leave_out="perl libperl5.36 perl-modules-5.36 liberror-perl debconf git-man"
mirror="${MSBC_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="${MSBC_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/msbc-cli-image}"
for tool in apt-get dpkg-deb tar; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: no $tool (the CLI image is made of Debian packages)" >&2; exit 1; }
done
epoch="$(git log -1 --format=%ct HEAD 2>/dev/null || echo 0)"

# apt-get with its own state for ARCH under the cache folder.
apt_for() { # ARCH ARGS...
    local arch="$1" dir="$cache/apt-$1"
    shift
    apt-get -q -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts="$dir/sources.list.d" \
        -o Dir::Etc::PreferencesParts="$dir/preferences.d" -o Dir::State="$dir/state" \
        -o Dir::State::status="$dir/status" -o Dir::Cache="$dir/cache" \
        -o APT::Architecture="$arch" -o APT::Architectures="$arch" -o Debug::NoLocking=1 "$@"
}

# Writes the root filesystem of ARCH as a tar file to OUT.
rootfs() { # ARCH OUT
    local arch="$1" out="$2" dir="$cache/apt-$1" fs name version deb
    mkdir -p "$dir/sources.list.d" "$dir/preferences.d" "$dir/state/lists/partial" "$dir/cache/archives/partial"
    : >"$dir/status"
    local keyring="signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
    cat >"$dir/sources.list" <<EOF
deb [$keyring] $mirror bookworm main
deb [$keyring] $mirror bookworm-updates main
deb [$keyring] ${mirror%/debian}/debian-security bookworm-security main
EOF
    echo "--- linux/$arch: Debian packages" >&2
    apt_for "$arch" update -qq >&2
    # shellcheck disable=SC2086 # one word a package
    local plan
    plan="$(apt_for "$arch" -s install --no-install-recommends $packages | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p')"
    [ -n "$plan" ] || { echo "error: apt-get resolved no packages for $arch" >&2; return 1; }
    plan="$(echo "$plan" | awk -v out="$leave_out" 'BEGIN { n = split(out, o, " "); for (i = 1; i <= n; i++) skip[o[i]] = 1 } !($1 in skip)')"
    # shellcheck disable=SC2086
    apt_for "$arch" -y -qq -d install --no-install-recommends $packages >&2
    fs="$work/rootfs-$arch"
    mkdir -p "$fs"
    while read -r name version; do
        deb="$(find "$dir/cache/archives" -maxdepth 1 -name "${name}_${version/:/%3a}_*.deb" | head -n 1)"
        [ -n "$deb" ] || { echo "error: $name $version was not downloaded" >&2; return 1; }
        dpkg-deb -x "$deb" "$fs"
    done <<<"$plan"
    echo "$plan" | sed 's/^/  /' >&2
    # What maintainer scripts would have made.
    mkdir -p "$fs/etc/ssl/certs" "$fs/root" "$fs/tmp" "$fs/home" "$fs/usr/local/bin"
    chmod 1777 "$fs/tmp"
    chmod 0700 "$fs/root"
    printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$fs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$fs/etc/group"
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$fs/etc/nsswitch.conf"
    printf '[safe]\n\tdirectory = *\n' >"$fs/etc/gitconfig"
    find "$fs/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat >"$fs/etc/ssl/certs/ca-certificates.crt"
    [ -e "$fs/usr/bin/awk" ] || ln -s mawk "$fs/usr/bin/awk"
    [ -e "$fs/usr/bin/which" ] || { [ -e "$fs/usr/bin/which.debianutils" ] && ln -s which.debianutils "$fs/usr/bin/which"; } || true
    # git's server, mail and foreign-VCS programs: not for a CI job's checkout (a fifth of the size).
    local prog
    for prog in git-daemon git-http-backend git-http-push git-imap-send git-shell scalar git-instaweb \
        git-send-email git-svn git-archimport git-cvsexportcommit git-cvsimport git-cvsserver; do
        rm -f "$fs/usr/lib/git-core/$prog" "$fs/usr/bin/$prog"
    done
    # /usr/bin/git is a second copy of git-core's git: one file.
    if cmp -s "$fs/usr/bin/git" "$fs/usr/lib/git-core/git"; then
        ln -sf ../lib/git-core/git "$fs/usr/bin/git"
    fi
    # Documentation, manuals and translations: not for a CI image (the copyright files stay).
    find "$fs/usr/share/doc" -type f ! -name copyright -delete
    find "$fs/usr/share/doc" -type l -delete
    rm -rf "$fs/usr/share/man" "$fs/usr/share/info" "$fs/usr/share/locale" "$fs/usr/share/lintian" \
        "$fs/usr/share/gitweb" "$fs/var/cache/debconf"
    find "$fs" -depth -type d -empty ! -path "$fs/tmp" ! -path "$fs/root" ! -path "$fs/home" \
        ! -path "$fs/usr/local/bin" -delete
    (cd "$fs" && LC_ALL=C tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
        --format=pax --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
        -cf "$out" ./*)
}

bin="${MSBC_CLI_BIN:-}"
image_platforms MSBC_CLI
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
args=()
for platform in "${platforms[@]}"; do
    arch="$(platform_arch "$platform")"
    image_binary "${MSBC_CLI_PROFILE:-dist}" "$platform" "$work/msbc-$arch" "$bin"
    rootfs "$arch" "$work/rootfs-$arch.tar"
    args+=(--binary "$arch=$work/msbc-$arch" --rootfs "$arch=$work/rootfs-$arch.tar")
done

python3 "$root/scripts/oci-image.py" --cli "${args[@]}" "$@"
