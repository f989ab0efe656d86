# tests/engine/env.sh: `. tests/engine/env.sh` points the Docker client at msbc's private
# dockerd (started by setup.sh). Sourced: no `set -e`, no exit.
#   available:     MSBC_ENGINE=dockerd, DOCKER_HOST=unix://.../docker.sock,
#                  DOCKER_CONFIG (a private client config), MSBC_ENGINE_DOCKER=/usr/bin/docker,
#                  DOCKER_BUILDKIT=1
#   not available: MSBC_ENGINE unset (and DOCKER_HOST too, if it pointed at our socket);
#                  tests then skip with a printed reason.
__msbc_engine_here=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)
. "$__msbc_engine_here/common.sh"
if engine_pid >/dev/null && engine_ping; then
    export MSBC_ENGINE=dockerd
    export MSBC_ENGINE_DIR
    export DOCKER_HOST="unix://$ENGINE_SOCK"
    export DOCKER_CONFIG="$ENGINE_CLIENT_CONFIG"
    export MSBC_ENGINE_DOCKER="$ENGINE_DOCKER"
    export DOCKER_BUILDKIT=1
else
    unset MSBC_ENGINE MSBC_ENGINE_DOCKER
    [ "${DOCKER_HOST:-}" != "unix://$ENGINE_SOCK" ] || unset DOCKER_HOST DOCKER_CONFIG
fi
unset __msbc_engine_here
