"""Draw per-call overhead per library and group from `report.py --json` output.

    python benchmarks/report.py --json run1.json     # a few minutes
    python benchmarks/plot.py run1.json [run2.json ...]

writes benchmarks/overhead.png and its copy for the docs, docs/img/overhead.png (or
where `-o FILE`, given once or more, says).

With several runs, each case keeps its fastest run (the report already keeps the fastest
round of each run: the least noisy estimate on a shared machine). Overhead is ns per call
minus the group's `plain` case, as in the report's table. Needs matplotlib (in the `dev`
extra); draws headless.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")  # no display needed: this only writes a file
import matplotlib.pyplot as plt  # after mpl.use: the backend is chosen first

# The groups with peers, in reading order; the others have nothing to compare with.
GROUPS = [
    ("breaker-closed-sync", "breaker, closed, sync"),
    ("breaker-closed-async", "breaker, closed, async"),
    ("breaker-open-sync", "breaker, open (rejecting), sync"),
    ("breaker-open-async", "breaker, open (rejecting), async"),
    ("retry-success-sync", "retry, first attempt succeeds, sync"),
    ("retry-success-async", "retry, first attempt succeeds, async"),
    ("retry-one-zero-delay-retry", "retry, one zero-delay retry, sync"),
    ("retry-one-zero-delay-retry-async", "retry, one zero-delay retry, async"),
    ("pipeline-sync", "retry + breaker + bulkhead, sync"),
    ("pipeline-async", "retry + breaker + timeout + bulkhead, async"),
]
HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUTS = [HERE / "overhead.png", HERE.parent / "docs" / "img" / "overhead.png"]
OURS = "#1f6feb"
PEER = "#9aa4ad"


def load(paths: list[Path]) -> dict[str, dict[str, float]]:
    """ns per call by group and library, the fastest over every run given."""
    merged: dict[str, dict[str, float]] = {}
    for path in paths:
        for group, cases in json.loads(path.read_text()).items():
            into = merged.setdefault(group, {})
            for library, ns in cases.items():
                into[library] = min(ns, into.get(library, math.inf))
    return merged


def overheads(cases: dict[str, float]) -> list[tuple[str, float]]:
    plain = cases.get("plain", 0.0)
    rows = [(name, max(ns - plain, 1.0)) for name, ns in cases.items() if name != "plain"]
    return sorted(rows, key=lambda row: row[1], reverse=True)  # fastest drawn on top


def label(ns: float) -> str:
    return f"{ns:,.0f} ns" if ns < 1000 else f"{ns / 1000:,.1f} µs"


def plot(groups: dict[str, dict[str, float]], outputs: list[Path], title: str) -> None:
    shown = [(key, caption) for key, caption in GROUPS if key in groups]
    columns = 2
    rows = math.ceil(len(shown) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(12, 2.1 * rows + 0.8), squeeze=False)
    for ax, (key, caption) in zip(axes.flat, shown, strict=False):
        data = overheads(groups[key])
        names = [name for name, _ in data]
        values = [ns for _, ns in data]
        colors = [OURS if name.startswith("steinresil") else PEER for name in names]
        ax.barh(names, values, color=colors)
        ax.set_xscale("log")
        ax.set_xlim(min(values) / 2, max(values) * 8)  # room for the labels
        ax.set_title(caption, fontsize=10, loc="left")
        ax.tick_params(axis="both", labelsize=8)
        ax.grid(axis="x", which="major", alpha=0.3)
        ax.set_axisbelow(True)
        for y, ns in enumerate(values):
            ax.text(ns * 1.15, y, label(ns), va="center", fontsize=8)
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=11)
    fig.supxlabel("overhead per call over the bare call (log scale; shorter is better)", fontsize=9)
    fig.tight_layout()
    for out in outputs:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="JSON files from report.py --json")
    parser.add_argument("-o", "--output", type=Path, action="append", help="a PNG to write")
    parser.add_argument(
        "--title", default="Per-call overhead of steinresil and its peers (one machine)"
    )
    args = parser.parse_args()
    outputs = args.output or DEFAULT_OUTPUTS
    plot(load(args.runs), outputs, args.title)
    print("wrote", ", ".join(map(str, outputs)))


if __name__ == "__main__":
    main()
