"""A clear error when an optional module is used without the extra that brings its package."""

from __future__ import annotations

import importlib.util

__all__ = ["require_extra"]


def require_extra(module: str, *, package: str, extra: str, user: str) -> None:
    """Raise ``ImportError`` naming the extra when ``package`` is not installed."""
    if importlib.util.find_spec(package) is None:
        raise ImportError(
            f"{user} needs {package}, which the {extra!r} extra installs: "
            f"pip install 'steinresil[{extra}]'",
            name=module,
        )
