#!/usr/bin/env python3
"""msbc's images as OCI images, written and pushed with the standard library
only (scripts/frontend-image.sh and scripts/cli-image.sh run it).

    oci-image.py --binary [ARCH=]PATH... [--cli --rootfs ARCH=TAR...] [REF] [--oci-dir DIR]

The frontend image (the default): one layer holding /msbc (mode 0755, root,
mtime 0: the same binary gives the same digests), a config whose entrypoint is
`/msbc frontend` and whose labels tell BuildKit the frontend needs no network.
The CLI image (--cli): the root filesystem in TAR as its first layer, then
/usr/local/bin/msbc, no entrypoint and `sh` as its command (CI systems run
their scripts in it).

One --binary per architecture (amd64, arm64; a bare PATH is amd64): with one,
REF is that image; with several, REF is an OCI image index naming each
image by its platform (linux/amd64, linux/arm64/v8). REF is pushed over the
registry API v2 (blob uploads, the images by digest, then REF's tag): plain
HTTP to a loopback registry, HTTPS otherwise, with basic auth or a bearer
token from REGISTRY_USER/REGISTRY_PASSWORD when the registry asks. Prints the
digest of what REF names.
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

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"

# The OCI platform of each architecture we build (arm64 images say v8, as
# the official ones do; BuildKit and dockerd match either).
PLATFORMS = {
    "amd64": {"architecture": "amd64", "os": "linux"},
    "arm64": {"architecture": "arm64", "os": "linux", "variant": "v8"},
}

LABELS = {
    # BuildKit runs a frontend whose image says so without network.
    "moby.buildkit.frontend.network.none": "true",
    # The subrequests (`--call targets|outline|check`) it answers.
    "moby.buildkit.frontend.caps": "moby.buildkit.frontend.subrequests",
    "org.opencontainers.image.title": "msbc",
    "org.opencontainers.image.description": "BuildKit frontend for build.kdl (msbc)",
}

CLI_LABELS = {
    "org.opencontainers.image.title": "msbc",
    "org.opencontainers.image.description": "msbc with a shell and git, for CI jobs",
}

CLI_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def gzipped(tar_bytes):
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0, compresslevel=6) as g:
        g.write(tar_bytes)
    return gz.getvalue()


def binary_layer(binary, path):
    """A layer holding the file `binary` at `path` (and its folders)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        with open(binary, "rb") as f:
            data = f.read()
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            folder = tarfile.TarInfo("/".join(parts[:depth]))
            folder.type = tarfile.DIRTYPE
            folder.mode = 0o755
            folder.mtime = 0
            tar.addfile(folder)
        info = tarfile.TarInfo("/".join(parts))
        info.size = len(data)
        info.mode = 0o755
        info.mtime = 0
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return tar_bytes, gzipped(tar_bytes)


def tar_layer(path):
    """A layer from a tar file as it is (a root filesystem)."""
    with open(path, "rb") as f:
        tar_bytes = f.read()
    return tar_bytes, gzipped(tar_bytes)


def image(arch, binary, rootfs=None):
    """One platform's image: (blobs, manifest bytes)."""
    if rootfs is None:
        layers = [binary_layer(binary, "msbc")]
        settings = {"Entrypoint": ["/msbc", "frontend"], "Env": ["PATH=/"], "Labels": LABELS}
        history = ["scripts/frontend-image.sh: /msbc (static)"]
    else:
        layers = [tar_layer(rootfs), binary_layer(binary, "usr/local/bin/msbc")]
        settings = {"Cmd": ["sh"], "Env": ["PATH=" + CLI_PATH], "Labels": CLI_LABELS}
        history = [
            "scripts/cli-image.sh: a root filesystem from Debian packages",
            "scripts/cli-image.sh: /usr/local/bin/msbc (static)",
        ]
    config = dict(PLATFORMS[arch])
    config.update(
        {
            "config": settings,
            "rootfs": {"type": "layers", "diff_ids": [sha256(t) for t, _ in layers]},
            "history": [{"created_by": h} for h in history],
        }
    )
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha256(config_bytes),
            "size": len(config_bytes),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": sha256(gz),
                "size": len(gz),
            }
            for _, gz in layers
        ],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    return [gz for _, gz in layers] + [config_bytes], manifest_bytes


def index(manifests):
    """An OCI image index of `[(arch, manifest bytes)]`."""
    body = {
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": [
            {
                "mediaType": MANIFEST,
                "digest": sha256(data),
                "size": len(data),
                "platform": PLATFORMS[arch],
            }
            for arch, data in manifests
        ],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def write_layout(directory, blobs, top_bytes, media_type, tag):
    os.makedirs(os.path.join(directory, "blobs", "sha256"), exist_ok=True)
    for data in blobs + [top_bytes]:
        path = os.path.join(directory, "blobs", "sha256", sha256(data)[7:])
        with open(path, "wb") as f:
            f.write(data)
    with open(os.path.join(directory, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": media_type,
                "digest": sha256(top_bytes),
                "size": len(top_bytes),
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

    def push_manifest(self, name, tag, data, media_type=MANIFEST):
        self.request(
            "PUT",
            f"/v2/{name}/manifests/{tag}",
            data=data,
            headers={"Content-Type": media_type},
        )


def arch_and_path(value, what):
    arch, sep, path = value.partition("=")
    if not sep:
        return "amd64", value
    if arch not in PLATFORMS:
        sys.exit(f"error: {what} {value!r}: the architecture is one of {', '.join(PLATFORMS)}")
    return arch, path


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--binary",
        action="append",
        required=True,
        metavar="[ARCH=]PATH",
        help="a static msbc for ARCH (amd64, arm64; default amd64); once per architecture",
    )
    p.add_argument("--cli", action="store_true", help="the CLI image (needs --rootfs)")
    p.add_argument(
        "--rootfs",
        action="append",
        default=[],
        metavar="ARCH=TAR",
        help="the CLI image's root filesystem for ARCH, a tar file",
    )
    p.add_argument("ref", nargs="?", help="registry/name:tag to push to")
    p.add_argument("--oci-dir", help="also write the image as an OCI layout here")
    a = p.parse_args()
    if not a.ref and not a.oci_dir:
        sys.exit("error: give REF to push to, --oci-dir DIR, or both")
    binaries = dict(arch_and_path(b, "--binary") for b in a.binary)
    if len(binaries) != len(a.binary):
        sys.exit("error: one --binary per architecture")
    rootfs = dict(arch_and_path(r, "--rootfs") for r in a.rootfs)
    if a.cli and set(rootfs) != set(binaries):
        sys.exit("error: --cli needs one --rootfs per --binary architecture")
    if not a.cli and rootfs:
        sys.exit("error: --rootfs is for the CLI image (--cli)")
    images = []
    blobs = []
    for arch in sorted(binaries):
        image_blobs, manifest_bytes = image(arch, binaries[arch], rootfs.get(arch))
        images.append((arch, manifest_bytes))
        blobs.extend(image_blobs)
    if len(images) == 1:
        top, media_type = images[0][1], MANIFEST
    else:
        top, media_type = index(images), INDEX
    if a.oci_dir:
        tag = split_ref(a.ref)[2] if a.ref else "latest"
        manifests = [m for _, m in images] if len(images) > 1 else []
        write_layout(a.oci_dir, blobs + manifests, top, media_type, tag)
    if a.ref:
        host, name, tag = split_ref(a.ref)
        registry = Registry(host)
        for blob in blobs:
            registry.push_blob(name, blob)
        if len(images) > 1:
            for _, manifest_bytes in images:
                registry.push_manifest(name, sha256(manifest_bytes), manifest_bytes)
        registry.push_manifest(name, tag, top, media_type)
    print(sha256(top))


if __name__ == "__main__":
    main()
