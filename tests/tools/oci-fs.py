#!/usr/bin/env python3
"""The filesystem and config of the image in an OCI archive, as text to diff.

    python3 tests/tools/oci-fs.py image.tar            # one line per path
    python3 tests/tools/oci-fs.py --config image.tar   # the image config

`buildctl build --output type=oci,dest=image.tar` writes such an archive.
Layers are applied in order (whiteouts honoured); each path is printed with
its type, mode, owner, size and sha256 (files) or target (links), without
times, so two builds of the same thing print the same lines. Standard
library only.
"""

import hashlib
import io
import json
import sys
import tarfile


def blob(tar, digest):
    algo, hexd = digest.split(":", 1)
    return tar.extractfile(f"blobs/{algo}/{hexd}").read()


def image(tar):
    index = json.loads(tar.extractfile("index.json").read())
    desc = index["manifests"][0]
    manifest = json.loads(blob(tar, desc["digest"]))
    if "manifests" in manifest:  # an index: take the first image
        manifest = json.loads(blob(tar, manifest["manifests"][0]["digest"]))
    return manifest


def filesystem(path):
    entries = {}
    with tarfile.open(path) as tar:
        manifest = image(tar)
        for layer in manifest["layers"]:
            data = blob(tar, layer["digest"])
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as lt:
                for m in lt.getmembers():
                    name = "/" + m.name.lstrip("./").rstrip("/")
                    base = name.rsplit("/", 1)
                    if base[-1] == ".wh..wh..opq":
                        parent = base[0] + "/"
                        for k in [k for k in entries if k.startswith(parent)]:
                            del entries[k]
                        continue
                    if base[-1].startswith(".wh."):
                        gone = base[0] + "/" + base[-1][4:]
                        for k in [k for k in entries if k == gone or k.startswith(gone + "/")]:
                            del entries[k]
                        continue
                    if m.isfile():
                        h = hashlib.sha256(lt.extractfile(m).read()).hexdigest()[:16]
                        what = f"file size={m.size} sha256={h}"
                    elif m.isdir():
                        what = "dir"
                    elif m.issym():
                        what = f"symlink -> {m.linkname}"
                    elif m.islnk():
                        what = f"hardlink -> /{m.linkname.lstrip('./')}"
                    else:
                        what = f"type={m.type!r}"
                    entries[name] = f"{what} mode={m.mode:o} uid={m.uid} gid={m.gid}"
    return entries


def main():
    args = sys.argv[1:]
    if args and args[0] == "--config":
        with tarfile.open(args[1]) as tar:
            manifest = image(tar)
            config = json.loads(blob(tar, manifest["config"]["digest"]))
        print(json.dumps(config.get("config", {}), indent=2, sort_keys=True))
        return 0
    if len(args) != 1:
        print(__doc__)
        return 2
    for name, what in sorted(filesystem(args[0]).items()):
        print(f"{name} {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
