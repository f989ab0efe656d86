#!/usr/bin/env python3
"""The rig's registry, for tests/rig/setup.sh (stdlib only; plain HTTP, loopback).

    registry.py HOST:PORT stale REF=ID...   prints each REF whose manifest in the registry
                                            does not name config ID (missing, or another image)
    registry.py HOST:PORT save DIR REF...   writes the config the registry serves for each REF
                                            into DIR, named as df2llb looks it up
                                            (docker.io/library/golang:1.23 ->
                                            docker.io_library_golang_1.23.json)

REF is a public reference (golang:1.23, gcr.io/distroless/static-debian12:nonroot); it lives in
the registry at its path without the host (library/golang, distroless/static-debian12), as
buildkitd's mirror asks for it.
"""

import json
import os
import sys
import urllib.error
import urllib.request

ACCEPT = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)
# Loopback only: never through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def split(ref):
    """(normalized reference, path in the registry, tag)"""
    name, tag = ref.rsplit(":", 1)
    first = name.split("/", 1)[0]
    if "/" not in name:
        host, path = "docker.io", "library/" + name
    elif "." in first or ":" in first or first == "localhost":
        host, path = first, name.split("/", 1)[1]
    else:
        host, path = "docker.io", name
    return f"{host}/{path}:{tag}", path, tag


def get(registry, url, accept=None):
    request = urllib.request.Request(f"http://{registry}{url}")
    if accept:
        request.add_header("Accept", accept)
    with OPENER.open(request, timeout=30) as response:
        return response.read()


def config_digest(registry, ref):
    """The config digest of REF's manifest, or None if the registry has no REF."""
    _, path, tag = split(ref)
    try:
        manifest = json.loads(get(registry, f"/v2/{path}/manifests/{tag}", ACCEPT))
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise
    return manifest.get("config", {}).get("digest")


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    registry, command, args = argv[1], argv[2], argv[3:]
    if command == "stale":
        for pair in args:
            ref, image_id = pair.rsplit("=", 1)
            if config_digest(registry, ref) != image_id:
                print(ref)
    elif command == "save" and args:
        out, refs = args[0], args[1:]
        os.makedirs(out, exist_ok=True)
        for ref in refs:
            normalized, path, _ = split(ref)
            digest = config_digest(registry, ref)
            if digest is None:
                sys.exit(f"registry.py: {registry} has no {ref}")
            blob = get(registry, f"/v2/{path}/blobs/{digest}")
            name = normalized.translate(str.maketrans("/:@", "___")) + ".json"
            with open(os.path.join(out, name + ".tmp"), "wb") as f:
                f.write(blob)
            os.replace(os.path.join(out, name + ".tmp"), os.path.join(out, name))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
