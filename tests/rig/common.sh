# tests/rig/common.sh: paths shared by setup.sh, env.sh and stop.sh. Sourced (never run).
# Sets variables and functions only; safe under `set -u`.
#
# Everything lives under one state directory, outside the repository:
#   $MSBC_RIG_DIR (default ~/.cache/msbc-rig)
#     bin/        buildctl, buildkitd, df2llb, dockerfile-frontend, docker-buildx;
#                 bin/.key: the build key they were made with
#     go/         Go's build cache (a changed df2llb.go rebuilds in seconds, not minutes)
#     buildx/     Debian's docker-buildx package and the apt lists it was found with
#     registry/   docker-registry's config and storage (the base images)
#     imgcfg/     each base image's config, named as df2llb looks it up
#     state/      buildkitd's root (snapshots, build cache)
#     run/        buildkitd.pid, buildkitd.sock, registry.pid
#     log/        setup.log, go-build.log, apt.log, buildkitd.log, registry.log, push.log
MSBC_RIG_DIR=${MSBC_RIG_DIR:-${HOME:-/root}/.cache/msbc-rig}
# The registry the base images are served from; buildkitd mirrors docker.io and gcr.io to it.
# Not the shared rig's 127.0.0.1:5000, so both can run on one machine.
MSBC_RIG_REGISTRY=${MSBC_RIG_REGISTRY:-127.0.0.1:5050}
RIG_BIN=$MSBC_RIG_DIR/bin
RIG_RUN=$MSBC_RIG_DIR/run
RIG_LOG=$MSBC_RIG_DIR/log
RIG_SOCK=$RIG_RUN/buildkitd.sock
RIG_IMGCFG=$MSBC_RIG_DIR/imgcfg

# rig_pid NAME COMM: the pid in run/NAME.pid if it is alive and is COMM, else fails.
rig_pid() {
    local pid
    [ -s "$RIG_RUN/$1.pid" ] || return 1
    pid=$(cat "$RIG_RUN/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # A recycled pid must still be ours.
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
    echo "$pid"
}

# rig_ping: our buildkitd answers on its socket.
rig_ping() {
    [ -S "$RIG_SOCK" ] && [ -x "$RIG_BIN/buildctl" ] || return 1
    timeout 10 "$RIG_BIN/buildctl" --addr "unix://$RIG_SOCK" debug workers >/dev/null 2>&1
}

# registry_ping: our docker-registry answers.
registry_ping() {
    curl -sf --max-time 5 --noproxy '*' "http://$MSBC_RIG_REGISTRY/v2/" >/dev/null 2>&1
}
