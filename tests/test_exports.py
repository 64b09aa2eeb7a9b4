"""The package surface: sorted and complete, cheap to import, versioned from metadata."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import steinresil
import steinresil.testing


def test_all_is_sorted_and_unique() -> None:
    assert list(steinresil.__all__) == sorted(set(steinresil.__all__))


def test_all_names_resolve_and_public_names_are_exported() -> None:
    for name in steinresil.__all__:
        assert getattr(steinresil, name) is not None
    public = {
        name
        for name, value in vars(steinresil).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("steinresil.")
    }
    assert public <= set(steinresil.__all__)


def test_testing_all_resolves() -> None:
    for name in steinresil.testing.__all__:
        assert getattr(steinresil.testing, name) is not None


def test_version_comes_from_metadata() -> None:
    assert steinresil.__version__ == importlib.metadata.version("steinresil")


LEAK_CHECK = """
import sys
before = set(sys.modules)
import steinresil
banned = ('asyncio', 'trio', 'anyio', 'sniffio', 'concurrent')
stdlib = set(sys.stdlib_module_names)
# Only what importing steinresil brought in: site, sitecustomize (always loaded on
# Debian's Python) and whatever else ran at start-up are not ours to judge.
added = {m.split('.')[0] for m in set(sys.modules) - before}
print(sorted(m for m in added if m in banned or (m not in stdlib and m != 'steinresil')))
"""


def leaked_modules(env: dict[str, str] | None = None) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", LEAK_CHECK], capture_output=True, text=True, check=True, env=env
    )
    return [m for m in eval(out.stdout) if not m.startswith("_")]  # noqa: S307 - our own output


def test_import_pulls_in_no_event_loop_or_third_party_module() -> None:
    assert leaked_modules() == []


def test_a_sitecustomize_loaded_at_start_up_is_not_a_leak(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text("import json\n")
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    assert leaked_modules({**os.environ, "PYTHONPATH": path}) == []
