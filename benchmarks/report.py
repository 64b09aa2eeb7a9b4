"""Run the benchmarks and print a Markdown table of overheads and ratios.

    python benchmarks/report.py [--json FILE] [pytest args, e.g. -k breaker]

``--json FILE`` also writes the ns per call of every case, by group and library, for
``benchmarks/plot.py``.

Per call: the fastest round divided by the calls in a round (the least noisy estimate on
a shared machine; every library is measured the same way, in the same run). Overhead: per call minus
``plain`` in the same group. vs plain: per call over ``plain``'s per call (the target is
<= 1.5 for retries and breakers). vs fastest peer: steinresil's overhead over the fastest
peer's (the targets are <= 0.5 for breakers, <= 0.2 / 0.1 for retries). ``plain`` and
``wrapper`` (a do-nothing decorator) are baselines, not peers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from bench_support import BASELINES


def run(pytest_args: list[str]) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            str(Path(__file__).parent),
            "-q",
            "-p",
            "no:cacheprovider",
        ]
        # At least 100 us per round: pytest-benchmark otherwise calibrates a fast sync case
        # to one call per round now and then, and that round then pays a timer read.
        cmd += ["--benchmark-only", "--benchmark-min-time=0.0001", f"--benchmark-json={out}"]
        cmd += pytest_args
        subprocess.run(cmd, check=True)
        data = json.loads(out.read_text())
    groups: dict[str, dict[str, float]] = defaultdict(dict)
    for bench in data["benchmarks"]:
        per_call = bench["stats"]["min"] / bench["extra_info"].get("calls_per_round", 1)
        groups[bench["group"]][bench["param"]] = per_call * 1e9
    return groups


def table(groups: dict[str, dict[str, float]]) -> str:
    lines = [
        "| group | library | ns per call | overhead ns | vs plain | vs fastest peer |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for group, cases in sorted(groups.items()):
        plain = cases.get("plain", 0.0)
        peers = [
            cost - plain for name, cost in cases.items() if name not in {*BASELINES, "steinresil"}
        ]
        fastest = min(peers, default=float("nan"))
        for name, cost in sorted(cases.items(), key=lambda item: item[1]):
            overhead = cost - plain
            vs_plain = f"{cost / plain:.2f}" if name != "plain" and plain > 0 else ""
            ratio = f"{overhead / fastest:.2f}" if name not in BASELINES and fastest > 0 else ""
            lines.append(
                f"| {group} | {name} | {cost:,.0f} | {overhead:,.0f} | {vs_plain} | {ratio} |"
            )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    json_out = None
    if argv[:1] == ["--json"]:
        if len(argv) < 2:
            raise SystemExit("report.py: --json needs a file name")
        json_out, argv = Path(argv[1]), argv[2:]
    groups = run(argv)
    if json_out is not None:
        json_out.write_text(json.dumps(groups, indent=2, sort_keys=True) + "\n")
    print(table(groups))


if __name__ == "__main__":
    main(sys.argv[1:])
