#!/usr/bin/env bash
# tests/engine/image-sizes.sh: build every spec that builds offline (the test
# spec_builds::every_spec_is_built_or_explained, with the engine of setup.sh) and
# write the table of final image sizes into docs/testing.md, between the
# `<!-- image-sizes:begin -->` and `<!-- image-sizes:end -->` lines.
# usage: bash tests/engine/image-sizes.sh [--print]   (--print: stdout only, docs/testing.md untouched)
# Exit 3 when the engine is not running (run tests/engine/setup.sh first).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. tests/engine/env.sh
if [ "${MSBC_ENGINE:-}" != dockerd ]; then
    echo "msbc engine not running: run tests/engine/setup.sh first" >&2
    exit 3
fi
table=$(mktemp)
trap 'rm -f "$table"' EXIT
MSBC_IMAGE_SIZES=$table cargo test -q -p msbc --test integration \
    spec_builds::every_spec_is_built_or_explained -- --exact >&2
[ -s "$table" ] || { echo "the test wrote no table" >&2; exit 1; }
if [ "${1:-}" = --print ]; then
    cat "$table"
    exit 0
fi
python3 - docs/testing.md "$table" <<'PY'
import sys
readme, table = sys.argv[1], open(sys.argv[2]).read()
text = open(readme).read()
begin, end = "<!-- image-sizes:begin -->\n", "<!-- image-sizes:end -->\n"
if begin not in text or end not in text:
    sys.exit(f"{readme}: no {begin.strip()} / {end.strip()} lines")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(readme, "w").write(head + begin + table + end + tail)
print(f"{readme}: image size table updated", file=sys.stderr)
PY
