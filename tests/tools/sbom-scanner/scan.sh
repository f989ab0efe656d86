#!/bin/sh
# A stand-in SBOM generator for the tests (no real scanner image is reachable
# here), following BuildKit's SBOM scanner protocol
# (moby/buildkit docs/attestations/sbom-protocol.md): it scans the root
# filesystem at $BUILDKIT_SCAN_SOURCE and each one in
# $BUILDKIT_SCAN_SOURCE_EXTRAS, and writes one in-toto statement with an
# SPDX 2.3 JSON document per target to
# $BUILDKIT_SCAN_DESTINATION/<target>.spdx.json (as BuildKit's unbundling of
# the scanner's output reads it). Each document
# names its target, counts its files and lists, as SPDX files, those under
# usr/local/bin, app and go/bin (what the tests look for), and the Debian
# packages of var/lib/dpkg/status.
set -eu
: "${BUILDKIT_SCAN_DESTINATION:?}" "${BUILDKIT_SCAN_SOURCE:?}"

json() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

scan() {
    src=$1
    name=$(basename "$src")
    out="$BUILDKIT_SCAN_DESTINATION/$name.spdx.json"
    count=$(find "$src" -xdev -type f 2>/dev/null | wc -l)
    {
        printf '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[],'
        printf '"predicate":{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT",'
        printf '"name":"%s","documentNamespace":"https://msbc.invalid/sbom/%s",' "$(json "$name")" "$(json "$name")"
        printf '"creationInfo":{"created":"1970-01-01T00:00:00Z","creators":["Tool: msbc-test-scanner"]},'
        printf '"comment":"%s files","files":[' "$count"
        for dir in usr/local/bin app go/bin; do
            [ -d "$src/$dir" ] && find "$src/$dir" -maxdepth 2 -type f | sort | head -n 50
        done | awk -v root="$src/" '
            { p = substr($0, length(root)); id = p; gsub(/[^A-Za-z0-9.-]/, "-", id)
              gsub(/\\/, "\\\\", p); gsub(/"/, "\\\"", p)
              printf "%s{\"fileName\":\"%s\",\"SPDXID\":\"SPDXRef-File%s\",\"checksums\":[]}", (NR > 1 ? "," : ""), p, id }'
        printf '],"packages":['
        if [ -f "$src/var/lib/dpkg/status" ]; then
            sed -n 's/^Package: //p' "$src/var/lib/dpkg/status" | sort | head -n 500 | awk '
                { id = $0; gsub(/[^A-Za-z0-9.-]/, "-", id)
                  printf "%s{\"name\":\"%s\",\"SPDXID\":\"SPDXRef-Package-%s\",\"downloadLocation\":\"NOASSERTION\"}", (NR > 1 ? "," : ""), $0, id }'
        fi
        printf ']}}\n'
    } > "$out"
}

mkdir -p "$BUILDKIT_SCAN_DESTINATION"
scan "$BUILDKIT_SCAN_SOURCE"
if [ -n "${BUILDKIT_SCAN_SOURCE_EXTRAS:-}" ] && [ -d "$BUILDKIT_SCAN_SOURCE_EXTRAS" ]; then
    for extra in "$BUILDKIT_SCAN_SOURCE_EXTRAS"/*; do
        [ -d "$extra" ] && scan "$extra"
    done
fi
