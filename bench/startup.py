"""Wall-clock start of the `ksd` command line, before and after, in one run on one machine.

Runs each case in turn (round-robin, so the other developers' load falls on all of them alike) and
prints the median wall-clock time, and the CPU time the process used (user+sys), which the other
developers' load disturbs far less. "no bytecode" points PYTHONPYCACHEPREFIX at an empty folder: with the machine's
PYTHONDONTWRITEBYTECODE=1 every import is compiled from source, as before `make install` compiled.
`--before <tree>` is a checkout of the earlier commit (its sources are put first on PYTHONPATH).

    .venv/bin/python bench/startup.py --before /tmp/h2-base --rounds 5
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGES = ["contracts/src", "services/common/src", "services/intake/src", "services/agreement/src",
            "services/mapping/src", "services/reporting/src", "tools/src"]
KSD = [sys.executable, "-c", "import sys; from ksd_tools.cli import main; sys.exit(main())"]
NEW_TARGETS = {"admin": "ksd_tools.admin", "simulate": "ksd_tools.simulate", "bench": "ksd_tools.bench",
               "audit verify|checkpoint": "ksd_tools.audit.commands",
               "audit rebuild|replay": "ksd_tools.audit.rebuild_commands"}


def cases(before: Path | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    empty = tempfile.mkdtemp(prefix="no-pycache-")
    trees: dict[str, dict[str, str]] = {"after": {}}
    if before:
        trees = {"before": {"PYTHONPATH": os.pathsep.join(str(before / p) for p in PACKAGES)}, **trees}
    found: dict[str, tuple[list[str], dict[str, str]]] = {
        "baseline: python -c pass": ([sys.executable, "-c", "pass"], {})}
    for tree, env in trees.items():
        for bytecode, extra in (("bytecode", {}), ("no bytecode", {"PYTHONPYCACHEPREFIX": empty})):
            e = {**env, **extra}
            found[f"{tree}, {bytecode}: ksd --help"] = ([*KSD, "--help"], e)
            found[f"{tree}, {bytecode}: ksd admin token create (to the Kafka send)"] = (
                [*KSD, "admin", "token", "create", "--role", "regency", "--region", "99.99"], e)
            if tree == "after":
                for command, module in NEW_TARGETS.items():
                    found[f"{tree}, {bytecode}: ksd {command} (its imports)"] = (
                        [sys.executable, "-c", f"import ksd_tools.cli, {module}"], e)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runs = cases(args.before)
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, (command, env) in runs.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seconds[name].append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    print(f"| case | wall, median of {args.rounds} | wall min | CPU (user+sys), median |\n|---|---|---|---|")
    for name, values in seconds.items():
        wall, fastest, used = statistics.median(values), min(values), statistics.median(cpu[name])
        print(f"| {name} | {wall:.2f} s | {fastest:.2f} s | {used:.2f} s |")


if __name__ == "__main__":
    main()
