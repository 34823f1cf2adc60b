"""The one command-line tool of the platform: `ksd --help` lists its commands."""

from __future__ import annotations

import argparse
import sys

from ksd_tools import admin, audit, bench, simulate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ksd", description="National platform for regional cooperation (KSD).")
    subparsers = parser.add_subparsers(dest="command", required=True)
    admin.add_commands(subparsers)
    simulate.add_commands(subparsers)
    bench.add_commands(subparsers)
    audit.add_commands(subparsers)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except ValueError as error:
        print(f"ksd: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
