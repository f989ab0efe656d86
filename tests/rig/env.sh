# tests/rig/env.sh: `. tests/rig/env.sh` points the tests at msbc's rig (a current BuildKit,
# started by setup.sh). Sourced: no `set -e`, no exit.
#   available:     MSBC_RIG=buildkitd, BUILDKIT_HOST=unix://.../buildkitd.sock, PATH += the rig's
#                  bin (buildctl, df2llb), DF2LLB_CONFIG_DIR (the base images' configs),
#                  MSBC_BUILDX (Debian's docker-buildx), MSBC_RIG_REGISTRY (the base images)
#   not available: MSBC_RIG unset and nothing else changed; the tests that need the rig skip
#                  with a printed reason.
__msbc_rig_here=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)
. "$__msbc_rig_here/common.sh"
if rig_pid buildkitd buildkitd >/dev/null && rig_ping && registry_ping; then
    export MSBC_RIG=buildkitd
    export MSBC_RIG_DIR MSBC_RIG_REGISTRY
    export BUILDKIT_HOST="unix://$RIG_SOCK"
    export DF2LLB_CONFIG_DIR="$RIG_IMGCFG"
    export MSBC_BUILDX="$RIG_BIN/docker-buildx"
    case ":$PATH:" in *":$RIG_BIN:"*) ;; *) export PATH="$RIG_BIN:$PATH" ;; esac
else
    unset MSBC_RIG
fi
unset __msbc_rig_here
