#!/usr/bin/env python3
"""The attestations in an OCI archive, one JSON object per line.

    python3 tests/tools/oci-attest.py image.tar

`buildctl build --output type=oci,dest=image.tar --opt attest:sbom=...`
writes an index holding the image and, for each platform, an attestation
manifest (`vnd.docker.reference.type: attestation-manifest`) whose layers are
in-toto statements. Each line is one statement: the platform of the image it
attests (`os/arch`), its predicate type, and for an SPDX SBOM the document's
`name`, `comment`, file names and package names; for a SLSA provenance the
build type and the frontend it names. Standard library only.
"""

import json
import sys
import tarfile


def blob(tar, digest):
    algo, hexd = digest.split(":", 1)
    return tar.extractfile(f"blobs/{algo}/{hexd}").read()


def main(path):
    with tarfile.open(path) as tar:
        index = json.loads(tar.extractfile("index.json").read())
        top = index["manifests"][0]
        inner = json.loads(blob(tar, top["digest"]))
        manifests = inner.get("manifests", [top])
        platforms = {}
        for m in manifests:
            p = m.get("platform", {})
            platforms[m["digest"]] = f'{p.get("os")}/{p.get("architecture")}'
        for m in manifests:
            ann = m.get("annotations", {})
            if ann.get("vnd.docker.reference.type") != "attestation-manifest":
                continue
            subject = platforms.get(ann.get("vnd.docker.reference.digest"), "?")
            manifest = json.loads(blob(tar, m["digest"]))
            for layer in manifest["layers"]:
                statement = json.loads(blob(tar, layer["digest"]))
                pred = statement.get("predicate", {})
                out = {
                    "platform": subject,
                    "predicateType": statement.get("predicateType"),
                }
                if "spdxVersion" in pred:
                    out["name"] = pred.get("name")
                    out["comment"] = pred.get("comment")
                    out["files"] = [f.get("fileName") for f in pred.get("files", [])]
                    out["packages"] = [p.get("name") for p in pred.get("packages", [])]
                if "buildType" in pred:
                    out["buildType"] = pred.get("buildType")
                    inv = pred.get("invocation", {}).get("parameters", {})
                    out["frontend"] = inv.get("frontend")
                print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
