"""The test command itself: a Python that is asked for and missing fails the run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_missing_python_fails_before_anything_is_built(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONS": "3.99",
        "VENVS": str(tmp_path / "venvs"),
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
    }
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "test")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "no Python 3.99 found" in done.stderr
    assert "passed" not in done.stdout
    assert not (tmp_path / "venvs").exists()  # nothing was built on another interpreter
