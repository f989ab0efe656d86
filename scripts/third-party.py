#!/usr/bin/env python3
"""The licences of the crates linked into msbc, for a release archive
(scripts/release.sh writes it as THIRD-PARTY-LICENSES).

    third-party.py TRIPLE > THIRD-PARTY-LICENSES

Follows `cargo metadata --filter-platform TRIPLE` from the msbc package
through normal dependencies only (not build or dev dependencies, nor proc
macros and what they use: they are not in the binary), and prints each crate with its version and licence
expression, then every licence or notice file those crates ship (LICENSE*,
LICENCE*, COPYING*, NOTICE*, UNLICENSE), each distinct text once, under the
crates that ship it. A crate that ships none is listed as such (its licence
expression is all its package says).
"""

import hashlib
import json
import os
import subprocess
import sys

PREFIXES = ("license", "licence", "copying", "notice", "unlicense")


def proc_macro(package):
    """A proc-macro crate runs in the compiler; neither it nor its dependencies are linked in."""
    return any("proc-macro" in t["kind"] for t in package["targets"])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    triple = sys.argv[1]
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", triple],
        check=True,
        capture_output=True,
    ).stdout
    meta = json.loads(out)
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = next(p["id"] for p in meta["packages"] if p["name"] == "msbc" and p["source"] is None)
    seen, todo = set(), [root]
    while todo:
        node = nodes[todo.pop()]
        for dep in node["deps"]:
            linked = any(k["kind"] is None for k in dep["dep_kinds"]) and not proc_macro(packages[dep["pkg"]])
            if linked and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                todo.append(dep["pkg"])
    crates = sorted((packages[i] for i in seen), key=lambda p: (p["name"], p["version"]))
    texts = {}
    missing = []
    for crate in crates:
        folder = os.path.dirname(crate["manifest_path"])
        files = sorted(f for f in os.listdir(folder) if f.lower().startswith(PREFIXES))
        files = [f for f in files if os.path.isfile(os.path.join(folder, f))]
        if not files:
            missing.append(f"{crate['name']} {crate['version']}")
        for name in files:
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                text = f.read().strip()
            key = hashlib.sha256(text.encode()).hexdigest()
            texts.setdefault(key, (text, []))[1].append(f"{crate['name']} {crate['version']} ({name})")
    print(f"msbc for {triple} links these {len(crates)} crates (name, version, licence):\n")
    for crate in crates:
        print(f"  {crate['name']} {crate['version']}: {crate.get('license') or 'see its licence file'}")
    if missing:
        print("\nThese crates' packages hold no licence file; their licence is the expression above:")
        for crate in missing:
            print(f"  {crate}")
    for text, users in sorted(texts.values(), key=lambda t: t[1][0]):
        print("\n" + "=" * 78)
        print("\n".join(users))
        print("-" * 78)
        print(text)


if __name__ == "__main__":
    main()
