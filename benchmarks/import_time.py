"""How long ``import X`` takes, for steinresil and its peers, in fresh interpreters.

    python benchmarks/import_time.py [--runs 31]

Each run is a new interpreter with ``-X importtime``; the median of the runs is reported
for the package's own modules (its "self" times summed) and for everything its import
pulls in (the top-level cumulative time). Bytecode is compiled first so no run pays for
compiling. Read the numbers as ratios: a loaded machine moves them all.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import statistics
import subprocess
import sys
from pathlib import Path

PACKAGES = ("steinresil", "tenacity", "backoff", "stamina", "pybreaker", "circuitbreaker")


def measure(package: str) -> tuple[float, float]:
    """(own modules, total) in milliseconds, from one fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {package}"],
        capture_output=True,
        text=True,
        check=True,
    )
    own = total = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self" in line:
            continue
        self_us, cumulative_us, name = (part.strip() for part in line[12:].split("|"))
        if name.strip().split(".")[0] == package:
            own += int(self_us)
        if name == package:
            total = int(cumulative_us)
    return own / 1000, total / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    arguments = parser.parse_args()
    print("| package | own modules ms | with what it imports ms |")
    print("|---|---:|---:|")
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        compileall.compile_dir(Path(spec.origin).parent, quiet=1)
        runs = [measure(package) for _ in range(arguments.runs)]
        own = statistics.median(r[0] for r in runs)
        total = statistics.median(r[1] for r in runs)
        print(f"| {package} | {own:.1f} | {total:.1f} |")


if __name__ == "__main__":
    main()
