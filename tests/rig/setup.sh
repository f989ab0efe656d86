#!/usr/bin/env bash
# tests/rig/setup.sh: a current BuildKit for the tests that need one (needs_buildkitd,
# needs_df2llb, needs_frontend_rig, needs_frontend_buildx): buildctl, buildkitd, df2llb and the
# Dockerfile frontend built from the BuildKit source kept in ../shared/rig, a buildkitd, a
# docker-registry holding the engine's base images, and Debian's buildx. Idempotent: a second run
# only checks (seconds). Needs root.
#
# usage: tests/rig/setup.sh [packages|build]
#   packages  only Debian's packages (apt) and buildx.
#   build     also the Go build: no daemons, no engine needed. .ci/run runs `packages`, then
#             starts `build` in the background while the engine is set up.
#   (none)    the tools, then the daemons and the base images (needs the engine running:
#             tests/engine/setup.sh), then `. tests/rig/env.sh`.
# Exit 3, printing `SKIPPED: why`, when the BuildKit source is not there: ../shared/rig (beside
# the checkout) holds buildkit-v0.24.0.tar.gz, its .commit and df2llb.go. Nothing is written there.
# env:
#   MSBC_RIG_DIR       state directory (default ~/.cache/msbc-rig; see common.sh)
#   MSBC_RIG_SOURCE    where the BuildKit source is (default ../shared/rig beside the checkout)
#   MSBC_RIG_REGISTRY  the registry's address (default 127.0.0.1:5050)
#   DEB_MIRROR         Debian mirror (default: the one this machine's apt uses)
#
# What it makes, and how it is cached:
#   - Go 1.23 from bookworm-backports, runc, docker-registry: Debian's packages.
#   - BuildKit v0.24.0 (the newest that builds with Debian's Go 1.23) from the archive, with
#     `-mod=vendor` and no network; df2llb (BuildKit's Dockerfile-to-LLB conversion as a command)
#     from df2llb.go. The binaries are keyed by a hash of the archive, df2llb.go, the Go version
#     and the build function below: a cold build takes ~6 min on 2 cores, a warm run reuses them.
#   - docker-buildx: Debian's package from forky (bookworm and trixie have none that knows
#     `--call`), unpacked (its one binary runs on bookworm), downloaded once.
#   - The base images are the engine's (tests/engine), pushed by its dockerd to the registry; an
#     image is pushed again only when the engine's image id changed. buildkitd mirrors docker.io
#     and gcr.io to that registry, so FROM golang:1.23-bookworm gets the engine's stand-in, laid
#     out like the official image. Their configs are saved for df2llb (DF2LLB_CONFIG_DIR).
#     docker/dockerfile:1 (the `# syntax=` line msbc writes) is the Dockerfile frontend built
#     from the same source.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/common.sh"

BK_TAG=v0.24.0
SOURCE=${MSBC_RIG_SOURCE:-$ROOT/../shared/rig}
ARCHIVE=$SOURCE/buildkit-$BK_TAG.tar.gz
GO=/usr/lib/go-1.23/bin/go
# The engine's images the rig serves, by one tag each; every other tag of the same image that
# names one of these repositories is pushed too.
ENGINE_IMAGES="debian:bookworm-slim golang:1.23-bookworm node:22-bookworm python:3.12-slim-bookworm
gcr.io/distroless/static-debian12:nonroot eclipse-temurin:17-jdk"
ENGINE_REPOS="debian golang node python gcr.io/distroless/static-debian12 gcr.io/distroless/static eclipse-temurin maven"

log() { printf '[rig setup +%ds] %s\n' "$SECONDS" "$*" >&2; }
die() { log "error: $*"; exit 1; }
PHASE_START=0
phase() { PHASE_START=$SECONDS; log "$*"; }
phase_done() { log "$1: $((SECONDS - PHASE_START)) s"; }

what=${1:-all}
case $what in
    packages | build | all) ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

if [ ! -f "$ARCHIVE" ] || [ ! -f "$SOURCE/buildkit-$BK_TAG.commit" ] || [ ! -f "$SOURCE/df2llb.go" ]; then
    echo "SKIPPED: the rig (a current BuildKit): no BuildKit source at $SOURCE (buildkit-$BK_TAG.tar.gz, .commit, df2llb.go; shared/ beside the checkout, or MSBC_RIG_SOURCE)" >&2
    exit 3
fi
[ "$(id -u)" = 0 ] || die "needs root (apt, buildkitd)"

mkdir -p "$MSBC_RIG_DIR" "$RIG_BIN" "$RIG_RUN" "$RIG_LOG" "$RIG_IMGCFG" "$MSBC_RIG_DIR/registry"
# One setup at a time (.ci/run starts `build` in the background and the whole setup later).
exec 9>"$MSBC_RIG_DIR/setup.lock"
if ! flock -n 9; then
    log "waiting for another setup (lock $MSBC_RIG_DIR/setup.lock)"
    flock 9
fi
export DEBIAN_FRONTEND=noninteractive

mirror_of() { # first URI in this machine's apt sources ending in $1
    local u
    u=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$1" '$1 == "URIs:" && $2 ~ s"/?$" {print $2; exit}')
    [ -n "$u" ] || u=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk -v s="$1" '$1 == "deb" && $2 ~ s"/?$" {print $2; exit}')
    echo "${u%/}"
}
DEB_MIRROR=${DEB_MIRROR:-$(mirror_of /debian)}
DEB_MIRROR=${DEB_MIRROR:-http://deb.debian.org/debian}
# Wait for another apt (the engine's setup, .ci/run's) instead of failing on its lock.
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends)

###########################################################################################
# 1. Debian's packages: Go 1.23 (bookworm-backports), runc, docker-registry
###########################################################################################
phase "packages"
need=()
[ -x "$GO" ] || need+=(golang-1.23-go)
[ -x /usr/sbin/runc ] || need+=(runc)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
    if [ -x "$GO" ] || grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        :
    else
        log "adding bookworm-backports ($DEB_MIRROR) to apt's sources"
        cat >/etc/apt/sources.list.d/bookworm-backports.sources <<EOF
Types: deb
URIs: $DEB_MIRROR
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    log "apt-get install ${need[*]} (log: $RIG_LOG/apt.log)"
    { apt-get -o DPkg::Lock::Timeout=600 update -qq && "${APT[@]}" install "${need[@]}"; } \
        >"$RIG_LOG/apt.log" 2>&1 || { tail -20 "$RIG_LOG/apt.log" >&2; die "apt-get install ${need[*]}"; }
fi
[ -x "$GO" ] || die "no $GO after installing golang-1.23-go"

# docker-buildx from forky, with a private apt configuration: the machine's sources stay as
# they are. Downloaded once; remove $RIG_BIN/docker-buildx for another.
if ! "$RIG_BIN/docker-buildx" version >/dev/null 2>&1; then
    bx=$MSBC_RIG_DIR/buildx
    rm -rf "$bx" && mkdir -p "$bx/lists/partial" "$bx/cache/archives/partial" "$bx/deb"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEB_MIRROR forky main" >"$bx/sources.list"
    bxapt=(-o "Dir::Etc::SourceList=$bx/sources.list" -o Dir::Etc::SourceParts=/nonexistent
        -o "Dir::State::Lists=$bx/lists" -o "Dir::Cache=$bx/cache" -o Acquire::Languages=none
        -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false -o APT::Sandbox::User=root)
    log "docker-buildx: Debian's package from forky (log: $RIG_LOG/apt.log)"
    { apt-get "${bxapt[@]}" update && (cd "$bx/deb" && apt-get "${bxapt[@]}" download docker-buildx); } \
        >>"$RIG_LOG/apt.log" 2>&1 || { tail -20 "$RIG_LOG/apt.log" >&2; die "apt-get download docker-buildx"; }
    dpkg-deb -x "$bx"/deb/docker-buildx_*.deb "$bx/unpacked"
    install -m 0755 "$bx/unpacked/usr/libexec/docker/cli-plugins/docker-buildx" "$RIG_BIN/docker-buildx"
    rm -rf "$bx/lists" "$bx/cache" "$bx/unpacked"
fi
log "buildx: $("$RIG_BIN/docker-buildx" version)"
phase_done "packages"
[ "$what" != packages ] || exit 0

###########################################################################################
# 2. BuildKit: buildctl, buildkitd, df2llb, dockerfile-frontend
###########################################################################################
BINS="buildctl buildkitd df2llb dockerfile-frontend"
build_go() { # SRC: the Go build, offline, from the vendored modules
    local src=$1 commit ld
    commit=$(cat "$SOURCE/buildkit-$BK_TAG.commit")
    mkdir -p "$src/cmd/df2llb"
    cp "$SOURCE/df2llb.go" "$src/cmd/df2llb/main.go"
    export PATH=/usr/lib/go-1.23/bin:$PATH GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=vendor \
        CGO_ENABLED=0 GOCACHE=$MSBC_RIG_DIR/go/cache GOPATH=$MSBC_RIG_DIR/go/path
    ld="-s -w -X github.com/moby/buildkit/version.Version=$BK_TAG -X github.com/moby/buildkit/version.Revision=$commit"
    (cd "$src" && go build -trimpath -ldflags "$ld" -o "$RIG_BIN/" ./cmd/buildctl ./cmd/buildkitd ./cmd/df2llb)
    ld="-s -w -X main.Version=$BK_TAG -X main.Revision=$commit"
    (cd "$src" && go build -trimpath -ldflags "$ld" -o "$RIG_BIN/dockerfile-frontend" \
        ./frontend/dockerfile/cmd/dockerfile-frontend)
}
phase "BuildKit $BK_TAG"
key=$( {
    sha256sum "$ARCHIVE" "$SOURCE/df2llb.go" | cut -d' ' -f1
    "$GO" version
    declare -f build_go
} | sha256sum | cut -c1-16)
have=1
for b in $BINS; do [ -x "$RIG_BIN/$b" ] || have=0; done
if [ $have = 1 ] && [ "$(cat "$RIG_BIN/.key" 2>/dev/null)" = "$key" ]; then
    log "binaries: cached (key $key)"
else
    log "go build $BINS from $ARCHIVE (~6 min cold on 2 cores; log: $RIG_LOG/go-build.log)"
    src=$MSBC_RIG_DIR/src
    rm -rf "$src" && mkdir -p "$src"
    tar -xzf "$ARCHIVE" -C "$src"
    rm -f "$RIG_BIN/.key"
    (build_go "$src") >"$RIG_LOG/go-build.log" 2>&1 || { tail -30 "$RIG_LOG/go-build.log" >&2; die "go build"; }
    rm -rf "$src"
    echo "$key" >"$RIG_BIN/.key"
fi
log "buildkit: $("$RIG_BIN/buildctl" --version)"
phase_done "BuildKit $BK_TAG"

[ "$what" = all ] || { log "tools done in ${SECONDS}s"; exit 0; }

###########################################################################################
# 3. The daemons: docker-registry on $MSBC_RIG_REGISTRY, buildkitd on run/buildkitd.sock
###########################################################################################
phase "daemons"
. "$ROOT/tests/engine/common.sh"
engine_pid >/dev/null && engine_ping || die "the engine is not running (tests/engine/setup.sh starts it): its images are the rig's"
dk() { DOCKER_CONFIG=$ENGINE_CLIENT_CONFIG "$ENGINE_DOCKER" -H "unix://$ENGINE_SOCK" "$@"; }

mkdir -p "$MSBC_RIG_DIR/registry/data"
cat >"$MSBC_RIG_DIR/registry/config.yml" <<EOF
# written by tests/rig/setup.sh
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $MSBC_RIG_DIR/registry/data
  delete:
    enabled: true
http:
  addr: $MSBC_RIG_REGISTRY
EOF

# overlayfs when this kernel lets us mount it, else the native snapshotter (slower).
snapshotter=native
probe=$(mktemp -d "$MSBC_RIG_DIR/ovl.XXXX")
mkdir -p "$probe"/{l,u,w,m}
if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
    umount "$probe/m"
    snapshotter=overlayfs
fi
rm -rf "$probe"
cat >"$MSBC_RIG_DIR/buildkitd.toml.new" <<EOF
# written by tests/rig/setup.sh
root = "$MSBC_RIG_DIR/state"

[grpc]
  address = ["unix://$RIG_SOCK"]

[worker.oci]
  enabled = true
  snapshotter = "$snapshotter"
  binary = "/usr/sbin/runc"
  # RUN steps reach Debian's mirror, PyPI and npm as the host does.
  networkMode = "host"
  max-parallelism = 2
  gc = true
  gckeepstorage = "10GB"

[worker.containerd]
  enabled = false

# Base images come from the rig's registry only.
[registry."docker.io"]
  mirrors = ["$MSBC_RIG_REGISTRY"]

[registry."gcr.io"]
  mirrors = ["$MSBC_RIG_REGISTRY"]

[registry."$MSBC_RIG_REGISTRY"]
  http = true
EOF
if cmp -s "$MSBC_RIG_DIR/buildkitd.toml.new" "$MSBC_RIG_DIR/buildkitd.toml"; then
    rm -f "$MSBC_RIG_DIR/buildkitd.toml.new"
else
    mv "$MSBC_RIG_DIR/buildkitd.toml.new" "$MSBC_RIG_DIR/buildkitd.toml"
    if pid=$(rig_pid buildkitd buildkitd); then
        log "buildkitd.toml changed: stopping buildkitd (pid $pid)"
        kill "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
fi

wait_for() { # SECONDS CMD...: until CMD succeeds
    local i n=$1
    shift
    for ((i = 0; i < n * 5; i++)); do "$@" && return 0; sleep 0.2; done
    return 1
}
if pid=$(rig_pid registry docker-registry); then
    log "registry already running (pid $pid, $MSBC_RIG_REGISTRY)"
else
    registry_ping && die "something else answers on $MSBC_RIG_REGISTRY (set MSBC_RIG_REGISTRY to a free address)"
    # setsid: the daemons outlive this script and the tests.
    setsid /usr/bin/docker-registry serve "$MSBC_RIG_DIR/registry/config.yml" \
        >>"$RIG_LOG/registry.log" 2>&1 </dev/null 9>&- &
    echo $! >"$RIG_RUN/registry.pid"
    wait_for 20 registry_ping || { tail -5 "$RIG_LOG/registry.log" >&2; die "docker-registry did not answer"; }
    log "registry started (pid $(cat "$RIG_RUN/registry.pid"), $MSBC_RIG_REGISTRY)"
fi
if pid=$(rig_pid buildkitd buildkitd) && wait_for 30 rig_ping; then
    log "buildkitd already running (pid $pid)"
else
    [ -z "${pid:-}" ] || die "buildkitd pid $pid does not answer (see $RIG_LOG/buildkitd.log)"
    rm -f "$RIG_SOCK"
    PATH=$RIG_BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        setsid "$RIG_BIN/buildkitd" --config "$MSBC_RIG_DIR/buildkitd.toml" \
        >>"$RIG_LOG/buildkitd.log" 2>&1 </dev/null 9>&- &
    echo $! >"$RIG_RUN/buildkitd.pid"
    wait_for 60 rig_ping || { tail -20 "$RIG_LOG/buildkitd.log" >&2; die "buildkitd did not answer"; }
    log "buildkitd started (pid $(cat "$RIG_RUN/buildkitd.pid"), unix://$RIG_SOCK, $snapshotter)"
fi
phase_done "daemons"

###########################################################################################
# 4. Base images: the engine's, pushed to the registry; their configs for df2llb
###########################################################################################
phase "base images"
reg() { python3 "$HERE/registry.py" "$MSBC_RIG_REGISTRY" "$@"; }
# registry_path REF: where a public reference lives in the rig's registry (buildkitd's mirror
# keeps the path and drops the host): golang:1.23 -> library/golang, gcr.io/a/b:c -> a/b.
registry_path() {
    local name=${1%:*}
    if [[ $name != */* ]]; then
        echo "library/$name"
    elif [[ ${name%%/*} == *.* ]]; then
        echo "${name#*/}"
    else
        echo "$name"
    fi
}
# push REF ID: the engine's image ID as REF in the registry.
push() {
    local local_ref
    local_ref=$MSBC_RIG_REGISTRY/$(registry_path "$1"):${1##*:}
    log "push $1"
    dk tag "$2" "$local_ref"
    dk push "$local_ref" >>"$RIG_LOG/push.log" 2>&1 || { tail -5 "$RIG_LOG/push.log" >&2; die "docker push $local_ref"; }
    dk rmi "$local_ref" >/dev/null
}

# Every tag of the engine's images in ENGINE_REPOS, with the image id it names.
declare -A id_of=()
for image in $ENGINE_IMAGES; do
    id=$(dk image inspect --format '{{.Id}}' "$image" 2>/dev/null) ||
        die "the engine has no $image (tests/engine/setup.sh makes it)"
    id_of[$id]=1
done
pairs=()
while read -r ref id; do
    [ -n "${id_of[$id]:-}" ] || continue
    case " $ENGINE_REPOS " in *" ${ref%:*} "*) pairs+=("$ref=$id") ;; esac
done < <(dk images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}')
# Pushed again only where the registry's manifest names another image (or none).
stale=$(reg stale "${pairs[@]}") || die "the registry at $MSBC_RIG_REGISTRY does not answer"
for pair in "${pairs[@]}"; do
    case $'\n'"$stale"$'\n' in *$'\n'"${pair%=*}"$'\n'*) push "${pair%=*}" "${pair##*=}" ;; esac
done

# docker/dockerfile:1, the `# syntax=` line of msbc's Dockerfiles: the Dockerfile frontend of
# the same source, with the labels of the official image. Made in the engine, pushed, removed.
fe_ref=docker/dockerfile:1
fe_stamp=$MSBC_RIG_DIR/registry/dockerfile-frontend
fe_id=$(cat "$fe_stamp" 2>/dev/null || true)
if [ -z "$fe_id" ] || [ -n "$(reg stale "$fe_ref=${fe_id#* }")" ] || [ "${fe_id%% *}" != "$(cat "$RIG_BIN/.key")" ]; then
    fe=$(mktemp -d)
    mkdir -p "$fe/bin"
    cp "$RIG_BIN/dockerfile-frontend" "$fe/bin/"
    caps=moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts
    local_ref=$MSBC_RIG_REGISTRY/$(registry_path $fe_ref):1
    log "push $fe_ref"
    tar --numeric-owner --owner=0 --group=0 -C "$fe" -cf - . |
        dk import --change 'ENTRYPOINT ["/bin/dockerfile-frontend"]' \
            --change 'LABEL moby.buildkit.frontend.network.none="true"' \
            --change "LABEL moby.buildkit.frontend.caps=\"$caps\"" - "$local_ref" >/dev/null
    rm -rf "$fe"
    fe_id=$(dk image inspect --format '{{.Id}}' "$local_ref")
    dk push "$local_ref" >>"$RIG_LOG/push.log" 2>&1 || { tail -5 "$RIG_LOG/push.log" >&2; die "docker push $local_ref"; }
    dk rmi "$local_ref" >/dev/null
    echo "$(cat "$RIG_BIN/.key") $fe_id" >"$fe_stamp"
fi

# The configs df2llb reads: those of the served images, as the registry serves them.
rm -rf "$RIG_IMGCFG"
reg save "$RIG_IMGCFG" "${pairs[@]%=*}" "$fe_ref" || die "saving the image configs"
log "$((${#pairs[@]} + 1)) references served: ${pairs[*]%=*} $fe_ref"
phase_done "base images"

log "done in ${SECONDS}s; use: . $HERE/env.sh"
