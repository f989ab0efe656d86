#!/usr/bin/env python3
"""msbc's frontend image as an OCI image, written and pushed with the standard
library only (scripts/frontend-image.sh runs it).

    oci-image.py --binary PATH [REF] [--oci-dir DIR]

The image: one layer holding /msbc (mode 0755, root, mtime 0: the same binary
gives the same digests), a config whose entrypoint is `/msbc frontend` and whose
labels tell BuildKit the frontend needs no network. REF is pushed over the
registry API v2 (blob uploads, then the manifest by tag): plain HTTP to a
loopback registry, HTTPS otherwise, with basic auth or a bearer token from
REGISTRY_USER/REGISTRY_PASSWORD when the registry asks. Prints the manifest
digest.
"""

import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request

LABELS = {
    # BuildKit runs a frontend whose image says so without network.
    "moby.buildkit.frontend.network.none": "true",
    # The subrequests (`--call targets|outline|check`) it answers.
    "moby.buildkit.frontend.caps": "moby.buildkit.frontend.subrequests",
    "org.opencontainers.image.title": "msbc",
    "org.opencontainers.image.description": "BuildKit frontend for build.kdl (msbc)",
}


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer(binary):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        with open(binary, "rb") as f:
            data = f.read()
        info = tarfile.TarInfo("msbc")
        info.size = len(data)
        info.mode = 0o755
        info.mtime = 0
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0, compresslevel=6) as g:
        g.write(tar_bytes)
    return tar_bytes, gz.getvalue()


def image(binary):
    tar_bytes, gz_bytes = layer(binary)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Entrypoint": ["/msbc", "frontend"],
            "Env": ["PATH=/"],
            "Labels": LABELS,
        },
        "rootfs": {"type": "layers", "diff_ids": [sha256(tar_bytes)]},
        "history": [{"created_by": "scripts/frontend-image.sh: /msbc (static)"}],
    }
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha256(config_bytes),
            "size": len(config_bytes),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": sha256(gz_bytes),
                "size": len(gz_bytes),
            }
        ],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    return config_bytes, gz_bytes, manifest_bytes


def write_layout(directory, blobs, manifest_bytes, tag):
    os.makedirs(os.path.join(directory, "blobs", "sha256"), exist_ok=True)
    for data in blobs + [manifest_bytes]:
        path = os.path.join(directory, "blobs", "sha256", sha256(data)[7:])
        with open(path, "wb") as f:
            f.write(data)
    with open(os.path.join(directory, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": sha256(manifest_bytes),
                "size": len(manifest_bytes),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    with open(os.path.join(directory, "index.json"), "w") as f:
        json.dump(index, f)


def split_ref(ref):
    m = re.fullmatch(r"([^/]+\.[^/]+|[^/]+:\d+|localhost)/(.+?)(?::([\w][\w.-]{0,127}))?", ref)
    if not m:
        sys.exit(f"error: {ref!r} is not registry/name[:tag] (a registry host is required)")
    return m.group(1), m.group(2), m.group(3) or "latest"


class Registry:
    def __init__(self, host):
        loopback = host.split(":")[0] in ("127.0.0.1", "localhost", "[::1]")
        self.base = ("http://" if loopback else "https://") + host
        self.auth = None

    def request(self, method, url, data=None, headers=None, retry=True):
        if url.startswith("/"):
            url = self.base + url
        req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
        if self.auth:
            req.add_header("Authorization", self.auth)
        try:
            return urllib.request.urlopen(req, timeout=120)
        except urllib.error.HTTPError as e:
            if e.code == 401 and retry and self.login(e.headers.get("WWW-Authenticate", "")):
                return self.request(method, url, data, headers, retry=False)
            body = e.read().decode(errors="replace")[:500]
            sys.exit(f"error: {method} {url}: HTTP {e.code}: {body}")
        except urllib.error.URLError as e:
            sys.exit(f"error: {method} {url}: {e.reason}")

    def login(self, challenge):
        user = os.environ.get("REGISTRY_USER", "")
        password = os.environ.get("REGISTRY_PASSWORD", "")
        basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if challenge.lower().startswith("basic"):
            self.auth = basic
            return bool(user)
        if not challenge.lower().startswith("bearer"):
            return False
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        query = {k: v for k, v in params.items() if k in ("service", "scope")}
        url = params.get("realm", "") + "?" + urllib.parse.urlencode(query)
        req = urllib.request.Request(url)
        if user:
            req.add_header("Authorization", basic)
        try:
            token = json.load(urllib.request.urlopen(req, timeout=60))
        except (urllib.error.URLError, ValueError) as e:
            sys.exit(f"error: token from {url}: {e}")
        self.auth = "Bearer " + (token.get("token") or token.get("access_token") or "")
        return True

    def push_blob(self, name, data):
        digest = sha256(data)
        try:
            head = self.request("HEAD", f"/v2/{name}/blobs/{digest}")
            if head.status == 200:
                return
        except SystemExit:
            pass
        start = self.request("POST", f"/v2/{name}/blobs/uploads/", data=b"")
        location = urllib.parse.urljoin(self.base + "/", start.headers["Location"])
        sep = "&" if "?" in location else "?"
        self.request(
            "PUT",
            f"{location}{sep}digest={urllib.parse.quote(digest)}",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )

    def push_manifest(self, name, tag, data):
        self.request(
            "PUT",
            f"/v2/{name}/manifests/{tag}",
            data=data,
            headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        )


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", required=True, help="a static msbc")
    p.add_argument("ref", nargs="?", help="registry/name:tag to push to")
    p.add_argument("--oci-dir", help="also write the image as an OCI layout here")
    a = p.parse_args()
    if not a.ref and not a.oci_dir:
        sys.exit("error: give REF to push to, --oci-dir DIR, or both")
    config_bytes, layer_bytes, manifest_bytes = image(a.binary)
    if a.oci_dir:
        tag = split_ref(a.ref)[2] if a.ref else "latest"
        write_layout(a.oci_dir, [config_bytes, layer_bytes], manifest_bytes, tag)
    if a.ref:
        host, name, tag = split_ref(a.ref)
        registry = Registry(host)
        for blob in (layer_bytes, config_bytes):
            registry.push_blob(name, blob)
        registry.push_manifest(name, tag, manifest_bytes)
    print(sha256(manifest_bytes))


if __name__ == "__main__":
    main()
