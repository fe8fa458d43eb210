"""The `convenor` command line."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("convenor: no commands yet", file=sys.stderr)
    return 2
