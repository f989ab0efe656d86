#!/usr/bin/env bash
# Fuzzes msbc in-process for N inputs (half generated specs, half mutated
# seeds), in release mode: `bash tests/tools/fuzz.sh N [SEED]`.
# Prints progress, inputs per second and the total. A failing input is saved
# in target/fuzz-crashes/ (and shrunk by proptest); fix the compiler and add
# it as tests/fixtures/fuzz/NAME.kdl, which `fuzz_regressions` replays.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
count="${1:-100000}"
export MSBC_FUZZ_COUNT="$count"
if [ -n "${2:-}" ]; then
    export MSBC_FUZZ_SEED="$2"
fi
start=$(date +%s)
set +e
cargo test --release -q --test integration fuzz::fuzz_long -- --ignored --nocapture --exact 2>&1 |
    grep -v -E '^(running [0-9]+ tests?|\.|)$'
status=${PIPESTATUS[0]}
set -e
echo "fuzz.sh: $count inputs requested, $(($(date +%s) - start)) s wall time (with the build), exit $status"
exit "$status"
