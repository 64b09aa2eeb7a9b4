"""The package surface: sorted and complete, cheap to import, versioned from metadata."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import pickle
import pkgutil
import subprocess
import sys
import types
import typing
from pathlib import Path

import pytest

import steinresil
import steinresil.testing


def test_all_is_sorted_and_unique() -> None:
    assert list(steinresil.__all__) == sorted(set(steinresil.__all__))


INTERNAL = {
    "_backend": {"ThreadWaiter", "current", "start_daemon_thread"},
    "_blocks": {"OpenBlocks"},
    "_concurrency": {
        "NOT_CALLED",
        "awaited_a_non_awaitable",
        "check_decoratable",
        "is_async_callable",
        "not_awaitable",
        "refuse_coroutine",
    },
    "_events": {"emit", "logger", "normalize_listeners", "without_listener"},
    "_extras": {"require_extra"},
    "_filters": {"exception_filter", "is_failure"},
    "_health": {"read_health"},
    "_public": {"adopt"},
    "_rate_limit": {"TokenGate"},
    "_retry_after": {"as_seconds"},
    "_state_store": {"aged"},
    "_strategy": {"decorate", "decorator_factory"},
    "_tasks": {
        "TaskGroup",
        "call_with_timeout",
        "gather",
        "is_async_callable",
        "open_task_group",
        "run_blocking",
        "wait_for_wakeup",
    },
    "_testmode": {"TestMode", "current", "switch"},
    "_validation": {
        "check_duration",
        "check_name",
        "check_optional_duration",
        "check_positive_int",
        "check_rate",
    },
    "_window": {"OutcomeTracker", "Totals"},
}
"""What private modules export for each other only. A new export must land here or in
``steinresil.__all__``: nothing public is forgotten, nothing internal leaks by accident."""


def private_modules() -> list[str]:
    return [m.name for m in pkgutil.iter_modules(steinresil.__path__) if m.name.startswith("_")]


def test_all_equals_what_the_private_modules_export_less_internals() -> None:
    exported: set[str] = set()
    for name in private_modules():
        module = importlib.import_module(f"steinresil.{name}")
        names = set(getattr(module, "__all__", ()))
        exported |= names - INTERNAL.get(name, set())
        assert INTERNAL.get(name, set()) <= names, f"{name}: INTERNAL names it no longer has"
    assert exported == set(steinresil.__all__)


def test_every_name_resolves_to_its_home_and_reads_as_steinresil() -> None:
    for name in steinresil.__all__:
        value = getattr(steinresil, name)
        home = importlib.import_module(f"steinresil.{steinresil._HOMES[name]}")
        assert getattr(home, name) is value
        if isinstance(value, type | types.FunctionType):
            assert value.__module__ == "steinresil", name
    assert repr(steinresil.CircuitOpenError) == "<class 'steinresil.CircuitOpenError'>"


def test_public_errors_and_events_pickle_through_the_package() -> None:
    error = steinresil.CircuitOpenError("payments", 1.5)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (type(copy), copy.name, copy.retry_after) == (
        steinresil.CircuitOpenError,
        "payments",
        1.5,
    )
    assert pickle.loads(pickle.dumps(steinresil.CircuitState.OPEN)) is steinresil.CircuitState.OPEN  # noqa: S301


PUBLIC_MODULES = [
    "steinresil",
    "steinresil.testing",
    "steinresil.adapters.sessions",
    "steinresil.adapters.redis",
    "steinresil.adapters.ai",
    "steinresil.adapters.db",
]


def public_classes() -> list[tuple[str, str, type]]:
    found = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type):
                found.append((module_name, name, value))
    return found


def test_type_hints_of_every_public_class_resolve() -> None:
    # pydantic and FastAPI read a dataclass's annotations through typing.get_type_hints,
    # in the namespace of the module __module__ names: the public one, after adoption.
    failures = []
    for module_name, name, cls in public_classes():
        try:
            typing.get_type_hints(cls)
        except Exception as exc:
            failures.append(f"{module_name}.{name}: {exc!r}")
    assert failures == []
    hints = typing.get_type_hints(steinresil.CircuitBreakerMetrics)
    assert hints["state"] is steinresil.CircuitState


def test_adapter_classes_read_as_their_public_module() -> None:
    private = [
        f"{module_name}.{name}: {cls.__module__}"
        for module_name, name, cls in public_classes()
        if cls.__module__.startswith("steinresil.") and cls.__module__ not in PUBLIC_MODULES
    ]
    assert private == []


def test_import_loads_no_primitive_until_used() -> None:
    code = (
        "import sys, steinresil\n"
        "print(sorted(m for m in sys.modules if m.startswith('steinresil.')))\n"
        "steinresil.CircuitBreaker\n"
        "print('steinresil._breaker' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, breaker_loaded = out.stdout.splitlines()
    assert loaded == "[]"
    assert breaker_loaded == "True"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("CallRejected", "CircuitRejected"),
        ("CircuitMetrics", "CircuitBreakerMetrics"),
        ("RetryMetrics", "RetryPolicyMetrics"),
    ],
)
def test_a_renamed_name_still_resolves_with_a_deprecation_warning(old: str, new: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"steinresil.{old} is now steinresil.{new}"):
        value = getattr(steinresil, old)
    assert value is getattr(steinresil, new)
    assert old not in steinresil.__all__


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


@pytest.mark.parametrize(
    ("module", "package", "extra"),
    [
        ("steinresil.adapters.sessions", "redis", "redis"),
        ("steinresil.adapters.redis", "redis", "redis"),
        ("steinresil.contrib.prometheus", "prometheus_client", "prometheus"),
        ("steinresil.contrib.otel", "opentelemetry", "otel"),
    ],
)
def test_a_missing_extra_is_named_in_the_error(module: str, package: str, extra: str) -> None:
    # A package shadowed by None in sys.modules is "not installed" for find_spec too.
    code = (
        "import sys, importlib.util\n"
        f"importlib.util.find_spec = lambda name, *a: None if name == {package!r} else 0\n"
        f"try:\n    import {module}\nexcept ImportError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"pip install 'steinresil[{extra}]'" in out.stdout
