"""The load test in its short form: a few seconds of the realistic mix against a real process.

``benchmarks/mix.py`` is the load generator (open loop: fixed rate, fixed duration); by
hand it runs for a minute or more (numbers in docs/operations/load.md). Here it runs for
3 s at a rate a loaded 2-core machine sustains, and asserts behaviour only: every planned
request was answered, none failed, the process is still healthy. The numbers are printed
(``-s``) and written to ``test-artifacts/load-report.json``, not asserted.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_process import ErpProcess

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "benchmarks"))

from mix import MIX, run_mix, table  # noqa: E402 - benchmarks/ is not a package

ARTIFACTS = HERE.parent / "test-artifacts"


@pytest.fixture
def erp(tmp_path: Path) -> Iterator[ErpProcess]:
    process = ErpProcess(tmp_path, env={"LOG_LEVEL": "WARNING"})
    process.start()
    try:
        yield process
    finally:
        process.kill()


def test_the_mix_runs_without_errors_at_a_fixed_rate(erp: ErpProcess) -> None:
    report = asyncio.run(run_mix(erp.url, rate=30, seconds=3))
    print("\n" + table(report))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load-report.json").write_text(json.dumps(report, indent=2) + "\n")
    total = report["total"]
    assert isinstance(total, dict)
    assert total["requests"] == report["planned"] == 90  # none lost
    assert total["errors"] == 0, total["statuses"]
    routes = report["routes"]
    assert isinstance(routes, dict)
    assert set(routes) == {route.name for route in MIX}  # reads and writes both ran
    assert httpx.get(erp.url + "/api/health/ready", timeout=5).status_code == 200
