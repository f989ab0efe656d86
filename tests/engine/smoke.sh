#!/usr/bin/env bash
# tests/engine/smoke.sh: end-to-end check of the engine (run setup.sh first, as root).
# Builds, in a temporary directory, Dockerfiles in the style msbc writes with `--syntax none`:
#   go      golang:1.23-bookworm -> distroless nonroot; image a few MB; after a source edit the
#           `go mod download` layer is CACHED and the build step reruns
#   node    node:20.18-bookworm `npm ci` of express from the npm registry (npmrc as a build
#           secret) -> node:20.18-bookworm-slim as user node
#   python  python:3.12-slim-bookworm venv + `pip install flask` from PyPI -> same base, non-root
# Prints one line per check and `N passed, N failed`; exits 1 if any failed, 3 if no engine.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/env.sh"
if [ "${MSBC_ENGINE:-}" != dockerd ]; then
    echo "msbc engine not running: run tests/engine/setup.sh first" >&2
    exit 3
fi
T=$(mktemp -d /tmp/msbc-engine-smoke.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() {   # check NAME COMMAND...
    if "${@:2}"; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
build() {   # build NAME DOCKERFILE CONTEXT TAG [opts]: log in $T/NAME.log, JSON in $T/NAME.json
    local name=$1
    shift
    if bash "$HERE/build.sh" "$@" >"$T/$name.log" 2>&1; then
        tail -1 "$T/$name.log" >"$T/$name.json"
    else
        tail -20 "$T/$name.log" >&2
        : >"$T/$name.json"
        return 1
    fi
}
jq_() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
# cached LOG STEP: the build step whose title contains STEP was a cache hit
cached() { python3 - "$1" "$2" <<'EOF'
import re, sys
log, step = open(sys.argv[1]).read(), sys.argv[2]
ids = [m.group(1) for m in re.finditer(r"^#(\d+) \[[^\]]*\] (.*)$", log, re.M) if step in m.group(2)]
sys.exit(0 if ids and all(re.search(rf"^#{i} CACHED$", log, re.M) for i in ids) else 1)
EOF
}
tag=msbc-engine-smoke

# ---------------------------------------------------------------- go
G=$T/go
mkdir -p "$G/cmd/server"
printf 'module example.com/orders\n\ngo 1.23\n' >"$G/go.mod"
: >"$G/go.sum"
cat >"$G/cmd/server/main.go" <<'EOF'
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-version" {
		fmt.Println("orders v1")
		return
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
	log.Fatal(http.ListenAndServe(":8080", nil))
}
EOF
cat >"$G/Dockerfile" <<'EOF'
ARG GO_VERSION=1.23

FROM --platform=${BUILDPLATFORM} golang:${GO_VERSION}-bookworm AS deps
ENV CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod,id=go-mod,sharing=shared \
    --mount=type=cache,target=/root/.cache/go-build,id=go-build,sharing=shared \
    go mod download

FROM deps AS build
COPY . ./
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod,id=go-mod,sharing=shared \
    --mount=type=cache,target=/root/.cache/go-build,id=go-build,sharing=shared \
    ["/bin/sh", "-c", "set -eu\nGOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath -ldflags=\"-s -w\" -o /out/server ./cmd/server"]

FROM gcr.io/distroless/static-debian12:nonroot AS orders
COPY --from=build /out/server /usr/local/bin/server
USER nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/server"]
EOF
check "go: build" build go1 "$G/Dockerfile" "$G" "$tag/go:1"
check "go: image under 20 MB" test "$(jq_ "$T/go1.json" 'd["size"]' 2>/dev/null || echo 999999999)" -lt 20000000
check "go: user nonroot" test "$(jq_ "$T/go1.json" 'd["user"]' 2>/dev/null)" = nonroot
check "go: exec-form entrypoint" test "$(jq_ "$T/go1.json" 'd["entrypoint"]' 2>/dev/null)" = "['/usr/local/bin/server']"
check "go: binary runs" test "$("$MSBC_ENGINE_DOCKER" run --rm "$tag/go:1" -version 2>/dev/null)" = "orders v1"
sed -i 's/orders v1/orders v2/' "$G/cmd/server/main.go"
check "go: rebuild after a source edit" build go2 "$G/Dockerfile" "$G" "$tag/go:2"
check "go: go mod download CACHED" cached "$T/go2.log" "go mod download"
check "go: go build reran" eval '! cached "$T/go2.log" "go build"'
check "go: new binary" test "$("$MSBC_ENGINE_DOCKER" run --rm "$tag/go:2" -version 2>/dev/null)" = "orders v2"

# ---------------------------------------------------------------- node
N=$T/node
mkdir -p "$N"
cat >"$N/package.json" <<'EOF'
{ "name": "smoke", "version": "1.0.0", "private": true, "dependencies": { "express": "4.21.2" } }
EOF
cat >"$N/server.js" <<'EOF'
const express = require("express");
console.log(typeof express === "function" ? "express ok" : "express missing", process.version);
EOF
printf 'registry=https://registry.npmjs.org/\n' >"$T/npmrc"
cat >"$N/Dockerfile" <<'EOF'
ARG NODE_VERSION=20.18

FROM node:${NODE_VERSION}-bookworm AS deps
WORKDIR /app
COPY package.json ./
RUN --mount=type=cache,target=/root/.npm,id=npm,sharing=shared \
    --mount=type=secret,id=npmrc,target=/root/.npmrc,required=true \
    ["/bin/sh", "-c", "npm install --package-lock-only --no-audit --no-fund\nnpm ci --omit=dev --no-audit --no-fund"]

FROM node:${NODE_VERSION}-bookworm-slim AS web
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules/
COPY package.json server.js ./
USER node
ENTRYPOINT ["node", "server.js"]
EOF
check "node: npm ci from the registry" build node1 "$N/Dockerfile" "$N" "$tag/node:1" --secret "id=npmrc,src=$T/npmrc"
check "node: runs as node with express" eval '"$MSBC_ENGINE_DOCKER" run --rm "$tag/node:1" 2>/dev/null | grep -q "^express ok"'
check "node: user node" test "$(jq_ "$T/node1.json" 'd["user"]' 2>/dev/null)" = node

# ---------------------------------------------------------------- python
P=$T/python
mkdir -p "$P/app"
printf 'flask==3.0.3\n' >"$P/requirements.txt"
printf 'import flask, sys\nprint("flask ok", sys.version.split()[0])\n' >"$P/app/main.py"
cat >"$P/Dockerfile" <<'EOF'
ARG PYTHON_VERSION=3.12
ARG VENV=/opt/venv

FROM python:${PYTHON_VERSION}-slim-bookworm AS venv
ARG VENV
RUN python -m venv ${VENV}
ENV PATH=${VENV}/bin:${PATH}
WORKDIR /src
COPY requirements.txt ./
RUN --mount=type=cache,target=/root/.cache/pip,id=pip,sharing=shared \
    pip install -r requirements.txt

FROM python:${PYTHON_VERSION}-slim-bookworm AS api
ARG VENV
ENV PYTHONDONTWRITEBYTECODE=1 PATH=${VENV}/bin:${PATH}
RUN groupadd --system --gid 10001 api && useradd --system --uid 10001 --gid api --no-create-home --shell /usr/sbin/nologin api
COPY --from=venv ${VENV} ${VENV}/
WORKDIR /srv
COPY app/ ./app/
USER api:api
ENTRYPOINT ["python", "app/main.py"]
EOF
check "python: pip install flask from PyPI" build py1 "$P/Dockerfile" "$P" "$tag/python:1"
check "python: venv copied to the runtime works" eval '"$MSBC_ENGINE_DOCKER" run --rm "$tag/python:1" 2>/dev/null | grep -q "^flask ok"'

"$MSBC_ENGINE_DOCKER" image rm "$tag/go:1" "$tag/go:2" "$tag/node:1" "$tag/python:1" >/dev/null 2>&1
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
