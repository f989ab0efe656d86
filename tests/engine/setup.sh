#!/usr/bin/env bash
# tests/engine/setup.sh: a private dockerd (Debian's docker.io 20.10, BuildKit built in) and
# offline base images under the names msbc's generated Dockerfiles use. Idempotent: a second
# run only checks (seconds). Needs root.
#
# usage: tests/engine/setup.sh [IMAGE...]
#   IMAGE: debian go node python distroless rust java (default: all). Build only what a test needs.
# env:
#   MSBC_ENGINE_DIR      state directory (default ~/.cache/msbc-engine; see common.sh)
#   MSBC_ENGINE_REBUILD  1: ignore cached rootfs tarballs and re-import every image
#   DEB_MIRROR SEC_MIRROR  Debian mirrors (default: the ones this machine's apt uses)
# Then: `. tests/engine/env.sh` and tests/engine/build.sh; tests/engine/stop.sh stops the daemon.
#
# How the images are made: one `debootstrap --variant=minbase` root filesystem (the
# debian:bookworm-slim stand-in); each toolchain image is a copy of it plus `apt-get install`
# in a chroot (Debian's own packages: these are stand-ins, not the official images). Each
# rootfs is tarred once, named by a hash of its recipe (the recipe functions' source below,
# the mirrors and the host's extra CA certificates), and `docker import`ed as one layer with
# the image config set by --change. Changing a recipe function rebuilds that image and those
# derived from it; nothing else.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/common.sh"

# Bump to invalidate every cached tarball.
RECIPE_VERSION=1
ROOTFS=$MSBC_ENGINE_DIR/rootfs
WORK=$MSBC_ENGINE_DIR/work
DEFPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf '[engine setup +%ds] %s\n' "$SECONDS" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (dockerd, debootstrap, chroot)"

ALL_IMAGES="debian go node python distroless rust java"
WANT=${*:-$ALL_IMAGES}
for w in $WANT; do
    case " $ALL_IMAGES " in *" $w "*) ;; *) die "unknown image '$w' (known: $ALL_IMAGES)" ;; esac
done

mkdir -p "$MSBC_ENGINE_DIR" "$ENGINE_DATA" "$ENGINE_EXEC" "$ENGINE_RUN" "$ENGINE_CLIENT_CONFIG" \
    "$ENGINE_LOG" "$ROOTFS" "$WORK"
# One setup at a time (tests may call it concurrently).
exec 9>"$MSBC_ENGINE_DIR/setup.lock"
flock 9

export DEBIAN_FRONTEND=noninteractive

###########################################################################################
# 1. Host packages: Debian's docker.io (dockerd + client 20.10) and debootstrap.
###########################################################################################
need=()
{ [ -x "$ENGINE_DOCKERD" ] && [ -x "$ENGINE_DOCKER" ]; } || need+=(docker.io)
[ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
# The registry that tests/lock.rs serves on 127.0.0.1 (msbc lock against a real registry API).
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
if [ ${#need[@]} -gt 0 ]; then
    log "apt-get install ${need[*]}"
    # Keep the package's init script from starting a system-wide dockerd.
    made_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    rc=0
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; } || rc=$?
    [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
    [ $rc = 0 ] || die "apt-get install ${need[*]} failed ($rc)"
fi

###########################################################################################
# 2. The private daemon (own data/exec roots and socket, no bridge, no iptables).
###########################################################################################
start_daemon() {
    if engine_pid >/dev/null && engine_ping; then
        log "dockerd already running (pid $(engine_pid), unix://$ENGINE_SOCK)"
        return 0
    fi
    if pid=$(engine_pid); then
        log "dockerd pid $pid alive but not answering; waiting"
    else
        rm -f "$ENGINE_PIDFILE" "$ENGINE_SOCK"
        log "starting dockerd (log: $ENGINE_LOG/dockerd.log)"
        # setsid: the daemon outlives this script and the test that called it.
        setsid "$ENGINE_DOCKERD" \
            --data-root "$ENGINE_DATA" --exec-root "$ENGINE_EXEC" --pidfile "$ENGINE_PIDFILE" \
            --host "unix://$ENGINE_SOCK" \
            --bridge=none --iptables=false --ip-masq=false --ip-forward=false \
            >>"$ENGINE_LOG/dockerd.log" 2>&1 </dev/null 9>&- &
        DAEMON_STARTING=$!
    fi
}
wait_daemon() {
    local i
    for i in $(seq 1 120); do
        engine_ping && { log "dockerd ready (pid $(engine_pid))"; return 0; }
        if [ -n "${DAEMON_STARTING:-}" ] && ! kill -0 "$DAEMON_STARTING" 2>/dev/null; then
            tail -20 "$ENGINE_LOG/dockerd.log" >&2
            die "dockerd exited during start (see $ENGINE_LOG/dockerd.log)"
        fi
        sleep 0.5
    done
    tail -20 "$ENGINE_LOG/dockerd.log" >&2
    die "dockerd not ready after 60 s"
}
DAEMON_STARTING=
start_daemon   # comes up while the root filesystems are made; waited for before imports

dk() { DOCKER_CONFIG=$ENGINE_CLIENT_CONFIG "$ENGINE_DOCKER" -H "unix://$ENGINE_SOCK" "$@"; }

###########################################################################################
# 3. Root filesystems
###########################################################################################
mirror_of() {   # first URI in this machine's apt sources ending in $1
    local u
    u=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$1" '$1 == "URIs:" && $2 ~ s"/?$" {print $2; exit}')
    [ -n "$u" ] || u=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk -v s="$1" '$1 == "deb" && $2 ~ s"/?$" {print $2; exit}')
    echo "${u%/}"
}
DEB_MIRROR=${DEB_MIRROR:-$(mirror_of /debian)}
DEB_MIRROR=${DEB_MIRROR:-http://deb.debian.org/debian}
SEC_MIRROR=${SEC_MIRROR:-$(mirror_of /debian-security)}
SEC_MIRROR=${SEC_MIRROR:-${DEB_MIRROR%/debian}/debian-security}

# mounts_under DIR: mount points at or below DIR, deepest first.
mounts_under() {
    awk -v d="$1" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/mounts | sort -r
}
umount_under() {
    local m
    for m in $(mounts_under "$1"); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}
# safe_rm DIR: never recurse into a still-mounted /dev or /proc.
safe_rm() {
    umount_under "$1"
    [ -z "$(mounts_under "$1")" ] || die "still mounted under $1: $(mounts_under "$1" | tr '\n' ' ')"
    rm -rf --one-file-system "$1"
}

# chroot_run ROOT SCRIPT: run SCRIPT with bash -euo pipefail in ROOT, with /proc, /dev, the
# host's DNS and no service starts; everything is undone afterwards.
chroot_run() (
    local root=$1 script=$2
    trap 'rm -f "$root/usr/sbin/policy-rc.d"; : >"$root/etc/resolv.conf"; umount_under "$root/proc"; umount_under "$root/dev"' EXIT
    mount -t proc proc "$root/proc"
    mount --bind /dev "$root/dev"
    rm -f "$root/etc/resolv.conf" && cat /etc/resolv.conf >"$root/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
    chroot "$root" /usr/bin/env -i PATH=$DEFPATH HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
        /bin/bash -euo pipefail -c "$script"
)

# What every image drops at the end: apt lists and caches, logs, docs, temp files.
CLEAN='apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/lib/dpkg/*-old \
    /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log /var/log/bootstrap.log \
    /tmp/* /var/tmp/* /root/.cache /root/.wget-hsts
if [ -d /usr/share/doc ]; then
    find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
    find /usr/share/doc -mindepth 1 -type d -empty -delete
fi
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/groff/* /usr/share/lintian/* /usr/share/linda/*
if [ -d /usr/share/locale ]; then
    find /usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
fi'

# ---- recipes: each takes ROOT (an empty dir for debian, a copy of debian for the others) ----
# Their source text is part of the cache key: edit them and the image is rebuilt.

recipe_debian() {
    local root=$1
    debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$DEB_MIRROR" \
        >"$ENGINE_LOG/debootstrap.log" 2>&1 || { tail -20 "$ENGINE_LOG/debootstrap.log" >&2; return 1; }
    rm -f "$root/etc/apt/sources.list"
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $DEB_MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SEC_MIRROR
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # As in the official -slim images: later installs leave out docs, man pages, locales.
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
    echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
    echo localhost >"$root/etc/hostname"
    # This machine reaches PyPI and npm through a TLS-intercepting egress whose CA is in the
    # host's /usr/local/share/ca-certificates: trust it inside the images too, or pip and npm
    # fail in builds.
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
    chroot_run "$root" "apt-get update -qq
apt-get -y -qq upgrade >/dev/null
update-ca-certificates >/dev/null
$CLEAN
cat /etc/debian_version >/.msbc-version"
}

recipe_go() {   # golang:1.23-bookworm: Go 1.23 from bookworm-backports at /usr/local/go
    chroot_run "$1" "cat >/etc/apt/sources.list.d/backports.sources <<EOF
Types: deb
URIs: $DEB_MIRROR
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt-get update -qq
apt-get install -y -qq golang-1.23-go git curl openssh-client gcc libc6-dev make pkg-config >/dev/null
ln -sfn /usr/lib/go-1.23 /usr/local/go
# As in the official image, go is found only through the config's PATH (/usr/local/go/bin):
# a build that ignores the image's config fails here as it would with the real image.
if [ -e /usr/bin/go ] || [ -e /usr/local/bin/go ]; then echo 'go must not be on the default PATH' >&2; exit 1; fi
mkdir -p /go/src /go/bin && chmod -R 1777 /go
$CLEAN
/usr/local/go/bin/go env GOVERSION | sed 's/^go//' >/.msbc-version"
}

# node:20-bookworm(-slim) stand-in. Debian bookworm packages Node.js 18 (18.20.4+dfsg-1~deb12u*)
# and npm 9.2.0; there is no Node 20 in bookworm or bookworm-backports. Good enough for
# `npm ci` and `node server.js`; the tags are the specs' names, not the version inside.
# git and openssh-client are in because the full node image has them (git deps, ssh-keyscan);
# the -slim tag is the same image.
recipe_node() {
    chroot_run "$1" "apt-get update -qq
apt-get install -y -qq nodejs npm git openssh-client >/dev/null
groupadd --gid 1000 node
useradd --uid 1000 --gid node --shell /bin/bash --create-home node
$CLEAN
node -p 'process.versions.node' >/.msbc-version"
}

# python:3.12-slim-bookworm stand-in: Debian bookworm has Python 3.11 (3.11.2) only.
# `python`/`pip` on PATH as in the official image; pip may install system-wide there, so drop
# Debian's EXTERNALLY-MANAGED marker.
recipe_python() {
    chroot_run "$1" "apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
ln -sf /usr/bin/python3 /usr/local/bin/python
ln -sf /usr/bin/python3-config /usr/local/bin/python-config 2>/dev/null || true
ln -sf /usr/bin/pip3 /usr/local/bin/pip; ln -sf /usr/bin/pip3 /usr/local/bin/pip3
rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED
printf '[global]\nroot-user-action = ignore\n' >/etc/pip.conf
$CLEAN
python3 -c 'import platform; print(platform.python_version())' >/.msbc-version"
}

# rust:1.83-slim-bookworm stand-in: Debian has no recent Rust (the specs' Cargo.lock v4 needs
# cargo >= 1.78), so the image gets this machine's own rustup toolchain (the one that builds
# msbc: rustc, cargo and the x86_64 std; no docs, no sources) at /usr/local/rust, plus gcc to link.
recipe_rust() {
    local root=$1 sysroot
    sysroot=$(rustc --print sysroot 2>/dev/null) || { echo "no rustc on PATH" >&2; return 1; }
    mkdir -p "$root/usr/local/rust/bin" "$root/usr/local/rust/lib" "$root/usr/local/cargo/bin"
    cp "$sysroot/bin/rustc" "$sysroot/bin/cargo" "$root/usr/local/rust/bin/"
    tar -C "$sysroot/lib" --exclude='./rustlib/src' --exclude='./rustlib/*/analysis' -cf - . |
        tar -C "$root/usr/local/rust/lib" -xf -
    chroot_run "$root" "apt-get update -qq
apt-get install -y -qq gcc libc6-dev >/dev/null
ln -sf /usr/local/rust/bin/rustc /usr/local/cargo/bin/rustc
ln -sf /usr/local/rust/bin/cargo /usr/local/cargo/bin/cargo
$CLEAN
/usr/local/rust/bin/rustc --version | cut -d' ' -f2 >/.msbc-version"
}

# eclipse-temurin:17-jdk / maven:3.9.9-eclipse-temurin-17 stand-in: Debian's OpenJDK 17 (headless
# JDK) and Maven 3.8.7. As in the official images, java is found only through the config's PATH
# (/opt/java/openjdk/bin, JAVA_HOME=/opt/java/openjdk): Debian's /usr/bin/java, javac, ...
# alternatives links are removed, so a build that ignores the image's config fails here as it
# would with the real image. mvn stays in /usr/bin (the official maven image links it there too)
# and finds java through JAVA_HOME. One image for the -jdk, -jre and maven tags.
recipe_java() {
    # The slim base leaves out man pages, but openjdk's alternatives want man1 to exist.
    chroot_run "$1" "mkdir -p /usr/share/man/man1
apt-get update -qq
apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
jdk=\$(ls -d /usr/lib/jvm/java-17-openjdk-*)
mkdir -p /opt/java
ln -sfn \"\$jdk\" /opt/java/openjdk
for f in /usr/bin/* /usr/sbin/*; do
    case \$(readlink -f \"\$f\") in /usr/lib/jvm/*) rm -f \"\$f\" ;; esac
done
if command -v java >/dev/null || command -v javac >/dev/null; then echo 'java must not be on the default PATH' >&2; exit 1; fi
/opt/java/openjdk/bin/java -version
JAVA_HOME=/opt/java/openjdk mvn -v >/dev/null
$CLEAN
/opt/java/openjdk/bin/java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.version = //p' >/.msbc-version"
}

# gcr.io/distroless/static-debian12:nonroot stand-in: users, /tmp, /home/nonroot, CA bundle,
# os-release; no shell, no libc. ROOT is empty; the CA bundle comes from the debian tarball.
recipe_distroless() {
    local root=$1
    mkdir -p "$root"/{etc/ssl/certs,tmp,home/nonroot,root,var/lib,usr/bin,usr/sbin,bin,sbin}
    cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532::/home/nonroot:/sbin/nologin
EOF
    cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
EOF
    cat >"$root/etc/os-release" <<'EOF'
PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="12"
VERSION="Debian GNU/Linux 12 (bookworm)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
EOF
    echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
    tar -xOf "$(tarball_of debian)" ./etc/ssl/certs/ca-certificates.crt >"$root/etc/ssl/certs/ca-certificates.crt"
    [ -s "$root/etc/ssl/certs/ca-certificates.crt" ] || { echo "no CA bundle in the debian tarball" >&2; return 1; }
    chmod 1777 "$root/tmp"; chmod 700 "$root/root" "$root/home/nonroot"
    chown 65532:65532 "$root/home/nonroot"
    echo 12 >"$root/.msbc-version"
}

# ---- image configs (docker import --change) and tags; part of each image's key ----
CHANGES_debian=("ENV PATH=$DEFPATH" 'CMD ["bash"]')
TAGS_debian=(debian:bookworm-slim debian:12-slim debian:bookworm debian:12 debian:stable-slim)
CHANGES_go=("ENV PATH=/go/bin:/usr/local/go/bin:$DEFPATH" "ENV GOLANG_VERSION=@VERSION@"
    'ENV GOTOOLCHAIN=local' 'ENV GOPATH=/go' 'WORKDIR /go')
TAGS_go=(golang:1.23-bookworm golang:1.23)
CHANGES_node=("ENV PATH=$DEFPATH" 'ENV NODE_VERSION=@VERSION@' 'CMD ["node"]')
# The specs' names (node-web: NODE_VERSION 20.18; the node preset: 22), the major-version
# ones, and 18's (the Node.js inside; the rig's tests build with NODE_VERSION=18); all one image.
TAGS_node=(node:20-bookworm-slim node:20-bookworm node:20.18-bookworm-slim node:20.18-bookworm
    node:20-slim node:20 node:22-bookworm-slim node:22-bookworm node:22-slim node:22
    node:18-bookworm-slim node:18-bookworm node:18-slim node:18)
CHANGES_python=("ENV PATH=$DEFPATH" 'ENV LANG=C.UTF-8' 'ENV PYTHON_VERSION=@VERSION@' 'CMD ["python3"]')
TAGS_python=(python:3.12-slim-bookworm python:3.11-slim-bookworm python:3.11-slim python:3.12-slim
    python:3.11-bookworm python:3.12-bookworm)
CHANGES_distroless=("ENV PATH=$DEFPATH" 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'
    'USER 65532' 'WORKDIR /home/nonroot')
TAGS_distroless=(gcr.io/distroless/static-debian12:nonroot gcr.io/distroless/static:nonroot)
CHANGES_rust=("ENV PATH=/usr/local/cargo/bin:$DEFPATH" 'ENV CARGO_HOME=/usr/local/cargo'
    'ENV RUST_VERSION=@VERSION@')
TAGS_rust=(rust:1.83-slim-bookworm rust:1.83-bookworm rust:1.83-slim rust:1.83)
CHANGES_java=("ENV PATH=/opt/java/openjdk/bin:$DEFPATH" 'ENV JAVA_HOME=/opt/java/openjdk'
    'ENV LANG=C.UTF-8' 'ENV JAVA_VERSION=@VERSION@' 'ENV MAVEN_HOME=/usr/share/maven'
    'CMD ["jshell"]')
TAGS_java=(eclipse-temurin:17-jdk eclipse-temurin:17-jre eclipse-temurin:17
    maven:3.9.9-eclipse-temurin-17 maven:3.9-eclipse-temurin-17)

# ---- keys, tarballs ----
ca_fingerprint() { cat /usr/local/share/ca-certificates/*.crt 2>/dev/null | sha256sum | cut -c1-64; }
declare -A KEY=()
key_of() {   # rootfs key: recipe source + parent key (+ mirrors and CAs for the base)
    local n=$1
    if [ -z "${KEY[$n]:-}" ]; then
        local parent
        case $n in
            debian) parent="$RECIPE_VERSION $DEB_MIRROR $SEC_MIRROR $(ca_fingerprint) $(declare -f chroot_run) $CLEAN" ;;
            *) parent=$(key_of debian) ;;
        esac
        # The rust image copies this machine's toolchain: a new one makes a new image.
        [ "$n" != rust ] || parent="$parent $(rustc --version 2>/dev/null)"
        KEY[$n]=$( { echo "$parent"; declare -f "recipe_$n"; } | sha256sum | cut -c1-16)
    fi
    echo "${KEY[$n]}"
}
tarball_of() { echo "$ROOTFS/$1-$(key_of "$1").tar"; }

# make_rootfs NAME: the tarball for NAME, built unless cached.
make_rootfs() {
    local n=$1 tar root t0=$SECONDS
    tar=$(tarball_of "$n")
    if [ -s "$tar" ] && [ "${MSBC_ENGINE_REBUILD:-0}" != 1 ]; then
        log "rootfs $n: cached ($(basename "$tar"))"
        return 0
    fi
    root=$WORK/$n
    safe_rm "$root"
    mkdir -p "$root"
    case $n in
        debian|distroless) ;;
        *) tar -C "$root" -xf "$(tarball_of debian)" ;;
    esac
    log "rootfs $n: building (log: $ENGINE_LOG/rootfs-$n.log)"
    if ! "recipe_$n" "$root" >"$ENGINE_LOG/rootfs-$n.log" 2>&1; then
        tail -30 "$ENGINE_LOG/rootfs-$n.log" >&2
        safe_rm "$root"
        die "rootfs $n failed"
    fi
    [ -z "$(mounts_under "$root")" ] || die "leftover mounts under $root"
    mv "$root/.msbc-version" "${tar%.tar}.version"
    tar --numeric-owner --one-file-system -C "$root" \
        --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' --exclude='./run/*' \
        --exclude='./tmp/*' --exclude='./var/tmp/*' -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    safe_rm "$root"
    # older tarballs of this image (other recipe keys)
    find "$ROOTFS" -maxdepth 1 -name "$n-*.tar" ! -name "$(basename "$tar")" -delete
    find "$ROOTFS" -maxdepth 1 -name "$n-*.version" ! -name "$(basename "${tar%.tar}").version" -delete
    log "rootfs $n: done in $((SECONDS - t0))s, $(du -m "$tar" | cut -f1) MB, version $(cat "${tar%.tar}.version")"
}

# import_image NAME: docker import the tarball with its config, then tag every alias.
import_image() {
    local n=$1 tar version imgkey c cur_id new_id stamp=$MSBC_ENGINE_DIR/images/$1
    tar=$(tarball_of "$n")
    version=$(cat "${tar%.tar}.version")
    local -n changes="CHANGES_$n" tags="TAGS_$n"
    local args=()
    for c in "${changes[@]}"; do args+=(--change "${c//@VERSION@/$version}"); done
    imgkey=$( { key_of "$n"; printf '%s\n' "${args[@]}"; } | sha256sum | cut -c1-16)
    # The stamp (not a label: labels would leak into every image built FROM it) says which
    # recipe made the image id that the first tag names.
    cur_id=$(dk image inspect --format '{{.Id}}' "${tags[0]}" 2>/dev/null || true)
    if [ -n "$cur_id" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$imgkey $cur_id" ] &&
        [ "${MSBC_ENGINE_REBUILD:-0}" != 1 ]; then
        log "image $n: up to date (${tags[0]})"
        new_id=$cur_id
    else
        log "image $n: docker import -> ${tags[0]}"
        dk import "${args[@]}" "$tar" "${tags[0]}" >/dev/null
        new_id=$(dk image inspect --format '{{.Id}}' "${tags[0]}")
        mkdir -p "${stamp%/*}" && echo "$imgkey $new_id" >"$stamp"
    fi
    for c in "${tags[@]:1}"; do dk tag "${tags[0]}" "$c"; done
    # The image an older recipe made, now untagged.
    if [ -n "$cur_id" ] && [ "$cur_id" != "$new_id" ]; then dk image rm "$cur_id" >/dev/null 2>&1 || true; fi
    log "image $n: $(dk image inspect --format '{{.Size}}' "${tags[0]}") bytes; tags: ${tags[*]}"
}

want() { case " $WANT " in *" $1 "*) return 0 ;; esac; return 1; }

needs_build() { [ ! -s "$(tarball_of "$1")" ] || [ "${MSBC_ENGINE_REBUILD:-0}" = 1 ]; }

# Root filesystems are made in a tmpfs: dpkg's fsyncs made it ~3x slower on disk, and only
# the tarballs are kept. MSBC_ENGINE_TMPFS=0 builds on disk instead.
building=
for n in debian $WANT; do needs_build "$n" && building=1; done
if [ -n "$building" ] && [ "${MSBC_ENGINE_TMPFS:-1}" = 1 ] && ! mountpoint -q "$WORK"; then
    if mount -t tmpfs -o mode=0755,size=75% msbc-engine-work "$WORK"; then
        trap 'umount_under "$WORK"' EXIT
    else
        log "no tmpfs for $WORK: building on disk (slower)"
    fi
fi

# The base tarball is needed by every image; then each image's rootfs and import run in
# parallel (downloads and dpkg overlap with imports; 2 cores are enough).
make_rootfs debian
wait_daemon
pids=()
for n in $ALL_IMAGES; do
    want "$n" || continue
    if [ "$n" = debian ]; then import_image debian & else ( make_rootfs "$n"; import_image "$n" ) & fi
    pids+=("$!:$n")
done
fail=
for p in "${pids[@]}"; do wait "${p%%:*}" || fail="$fail ${p#*:}"; done
[ -z "$fail" ] || die "images failed:$fail"
log "done in ${SECONDS}s; use: . $HERE/env.sh"
