"""The package surface: sorted and complete, cheap to import, versioned from metadata."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

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


def test_import_pulls_in_no_event_loop_or_third_party_module() -> None:
    code = (
        "import sys, steinresil\n"
        "banned = ('asyncio', 'trio', 'anyio', 'sniffio', 'concurrent')\n"
        "stdlib = set(sys.stdlib_module_names)\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(m for m in loaded if m in banned or (m not in stdlib and m != 'steinresil')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    leaked = [m for m in eval(out.stdout) if not m.startswith("_")]  # noqa: S307 - our own output
    assert leaked == []
