#!/usr/bin/env python3
"""Compare two LLB graphs op for op, as `buildctl debug dump-llb` prints them.

    buildctl debug dump-llb < a.llb > a.json
    buildctl debug dump-llb < b.llb > b.json
    python3 tests/tools/llb-diff.py [--ignore-attr NAME]... [--strict] a.json b.json

Ops are compared by structure, not digest: an op's inputs are replaced by
the structure of the ops they name, and `local.unique` (a random attribute
BuildKit's Go client adds to local sources) is dropped. Identical ops are
counted; the others are paired by their step (`[stage i/n]` of
`llb.customname`, or the source identifier) and their differences printed
field by field. `--ignore-attr NAME` drops another source attribute (e.g.
`local.excludepatterns`, which BuildKit's frontend reads from a
`.dockerignore` that `df2llb` does not see); `--strict` exits 1 unless
every op has its twin. Standard library only.
"""

import hashlib
import json
import signal
import sys


def load(path):
    ops = {}
    order = []
    with open(path) as f:
        text = f.read()
    decoder = json.JSONDecoder()
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        entry, pos = decoder.raw_decode(text, pos)
        ops[entry["Digest"]] = entry
        order.append(entry["Digest"])
    return ops, order


IGNORED = {"local.unique"}


def canonical(ops):
    """digest -> (structural key, op with inputs replaced by keys)."""
    memo = {}

    def visit(d):
        if d in memo:
            return memo[d]
        op = json.loads(json.dumps(ops[d]["Op"]))
        inputs = [visit(i["digest"])[0] for i in op.get("inputs", [])]
        op["inputs"] = inputs
        src = op.get("Op", {}).get("source")
        if src and "attrs" in src:
            for name in IGNORED:
                src["attrs"].pop(name, None)
            if not src["attrs"]:
                del src["attrs"]
        key = hashlib.sha256(json.dumps(op, sort_keys=True).encode()).hexdigest()[:12]
        memo[d] = (key, op)
        return memo[d]

    for d in ops:
        visit(d)
    return memo


def step(entry):
    name = entry.get("OpMetadata", {}).get("description", {}).get("llb.customname", "")
    if name.startswith("[") and "]" in name:
        label = name[1 : name.index("]")]
        if label != "internal":
            return label
    src = entry["Op"].get("Op", {}).get("source")
    if src:
        return src["identifier"]
    if not entry["Op"].get("Op"):
        return "(terminal)"
    return name


def diff(a, b, path=""):
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            out += diff(a.get(k), b.get(k), f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f"{path}[{i}]")
    elif a != b:
        out.append(f"  {path}:\n    A: {json.dumps(a)}\n    B: {json.dumps(b)}")
    return out


def main():
    args = sys.argv[1:]
    strict = "--strict" in args
    args = [a for a in args if a != "--strict"]
    while len(args) > 1 and args[0] == "--ignore-attr":
        IGNORED.add(args[1])
        args = args[2:]
    if len(args) != 2:
        print(__doc__)
        return 2
    a_ops, a_order = load(args[0])
    b_ops, b_order = load(args[1])
    a_can, b_can = canonical(a_ops), canonical(b_ops)
    b_keys = {b_can[d][0] for d in b_order}
    a_keys = {a_can[d][0] for d in a_order}
    same = [d for d in a_order if a_can[d][0] in b_keys]
    ignored = ", ".join(sorted(IGNORED))
    print(f"A: {len(a_order)} ops, B: {len(b_order)} ops, {len(same)} identical (modulo {ignored})")
    for d in same:
        print(f"  = {step(a_ops[d])}")
    b_by_step = {}
    for d in b_order:
        if b_can[d][0] not in a_keys:
            b_by_step.setdefault(step(b_ops[d]), []).append(d)
    for d in a_order:
        if a_can[d][0] in b_keys:
            continue
        s = step(a_ops[d])
        match = b_by_step.get(s, [])
        if not match:
            print(f"  - only in A: {s}")
            continue
        e = match.pop(0)
        print(f"  ~ {s}: differs")
        # Inputs are compared through their own entries above.
        a_op = dict(a_can[d][1])
        b_op = dict(b_can[e][1])
        a_op.pop("inputs", None)
        b_op.pop("inputs", None)
        for line in diff(a_op, b_op):
            print(line)
        if len(a_can[d][1]["inputs"]) != len(b_can[e][1]["inputs"]):
            print(f"  .inputs: A has {len(a_can[d][1]['inputs'])}, B has {len(b_can[e][1]['inputs'])}")
    for s, rest in b_by_step.items():
        for _ in rest:
            print(f"  + only in B: {s}")
    twins = len(same) == len(a_order) == len(b_order)
    return 1 if strict and not twins else 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
    sys.exit(main())
