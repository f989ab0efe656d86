# tests/engine/common.sh: paths shared by setup.sh, env.sh, stop.sh and build.sh.
# Sourced (never run). Sets variables only; safe under `set -u`.
#
# Everything lives under one state directory, outside the repository:
#   $MSBC_ENGINE_DIR (default ~/.cache/msbc-engine)
#     data/        dockerd --data-root (images, build cache)
#     exec/        dockerd --exec-root (its containerd, netns)
#     run/         dockerd.pid, docker.sock
#     client/      DOCKER_CONFIG for the client (keeps ~/.docker/config.json out of it)
#     rootfs/      base image tarballs, one per recipe hash: NAME-HASH.tar
#     work/        scratch root filesystems while a recipe runs
#     images/      NAME: "recipe-key image-id" of each imported image (setup.sh)
#     log/         dockerd.log, debootstrap.log, rootfs-NAME.log
MSBC_ENGINE_DIR=${MSBC_ENGINE_DIR:-${HOME:-/root}/.cache/msbc-engine}
ENGINE_DATA=$MSBC_ENGINE_DIR/data
ENGINE_EXEC=$MSBC_ENGINE_DIR/exec
ENGINE_RUN=$MSBC_ENGINE_DIR/run
ENGINE_PIDFILE=$ENGINE_RUN/dockerd.pid
ENGINE_SOCK=$ENGINE_RUN/docker.sock
ENGINE_CLIENT_CONFIG=$MSBC_ENGINE_DIR/client
ENGINE_LOG=$MSBC_ENGINE_DIR/log
# Debian's client (20.10, BuildKit built in). The machine's newer /usr/local/bin/docker has no
# buildx and refuses BuildKit builds, so never rely on PATH for it.
ENGINE_DOCKER=/usr/bin/docker
ENGINE_DOCKERD=/usr/sbin/dockerd

# engine_pid: prints the pid of our dockerd if it is alive, else fails.
engine_pid() {
    local pid
    [ -s "$ENGINE_PIDFILE" ] || return 1
    pid=$(cat "$ENGINE_PIDFILE" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # A recycled pid must still be a dockerd.
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
    echo "$pid"
}

# engine_ping: our daemon answers on its socket.
engine_ping() {
    [ -S "$ENGINE_SOCK" ] && [ -x "$ENGINE_DOCKER" ] || return 1
    DOCKER_CONFIG=$ENGINE_CLIENT_CONFIG timeout 10 "$ENGINE_DOCKER" -H "unix://$ENGINE_SOCK" \
        version --format '{{.Server.Version}}' >/dev/null 2>&1
}
