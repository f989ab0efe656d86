"""Parse Dockerfiles with BuildKit's own parser (PyPI `dockerfile`) and
print, for each file given, a JSON list of its instructions:
{"cmd", "flags", "value", "json", "heredocs": [{"name", "content"}], "line"}.
Exit 1 with the parser's message when a file does not parse."""
import json
import sys

import dockerfile


def utf8(flag):
    """The binding hands flags over decoded as Latin-1 (one code point per
    byte: `--mount=target=/x\xf0\x9f\xa6\x80` for `/x🦀`); values and the
    original line are right. Undo that: re-encoding as Latin-1 gives back
    the exact bytes, which are the UTF-8 of the Dockerfile."""
    try:
        return flag.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return flag


def main(paths):
    result = []
    for path in paths:
        try:
            commands = dockerfile.parse_file(path)
        except dockerfile.GoParseError as e:
            print(f"{path}: {e}", file=sys.stderr)
            return 1
        except UnicodeDecodeError as e:
            # The binding cut a string inside a UTF-8 sequence.
            print(f"{path}: the parser binding returned invalid UTF-8: {e}", file=sys.stderr)
            return 1
        result.append([
            {
                "cmd": c.cmd,
                "flags": [utf8(f) for f in c.flags],
                "value": list(c.value),
                "json": c.json,
                "heredocs": [{"name": h.name, "content": h.content} for h in c.heredocs],
                "line": c.start_line,
            }
            for c in commands
        ])
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
