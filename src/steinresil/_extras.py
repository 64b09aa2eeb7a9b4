"""The public modules behind extras: a clear error without the extra, and their names.

``require_extra`` raises an ``ImportError`` naming the extra to install; ``present_as``
makes the classes and functions a public module gathers from private ones read as that
module's own (``steinresil.adapters.sessions.FailoverSessionStore`` in reprs, tracebacks
and the docs; pickling finds them there), as the package does for the core.
"""

from __future__ import annotations

import importlib.util
import sys
import types
import typing
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["present_as", "require_extra", "resolve_annotations"]


def require_extra(module: str, *, package: str, extra: str, user: str) -> None:
    """Raise ``ImportError`` naming the extra when ``package`` is not installed."""
    if importlib.util.find_spec(package) is None:
        raise ImportError(
            f"{user} needs {package}, which the {extra!r} extra installs: "
            f"pip install 'steinresil[{extra}]'",
            name=module,
        )


def present_as(module: str, namespace: Mapping[str, object], names: Iterable[str]) -> None:
    """Give each class and function among ``names`` the ``__module__`` ``module``.

    Only those still in a private module are given it, so a name two public modules
    export keeps the first home it was given (each module passes the names it owns).
    """
    for name in names:
        value = namespace[name]
        if isinstance(value, type | types.FunctionType) and value.__module__.startswith(
            "steinresil.adapters._"
        ):
            resolve_annotations(value)
            value.__module__ = module


def resolve_annotations(value: type | types.FunctionType) -> None:
    """Turn ``value``'s own string annotations into the objects they name, where it can.

    ``typing.get_type_hints`` (and pydantic, FastAPI, cattrs, which use it) evaluates a
    string annotation in the namespace of the module ``__module__`` names. Ours are
    strings (``from __future__ import annotations``) written for the private module that
    defines them: once ``__module__`` names the public one, ``Mapping`` or ``datetime``
    would not be found there. So they are evaluated first, where they were written; one
    that names something only the type checker sees stays a string.
    """
    own = value.__dict__.get("__annotations__")  # noqa: RUF063 - its own dict, changed in place
    if not own:
        return
    home = sys.modules[value.__module__].__dict__
    local = dict(vars(value)) if isinstance(value, type) else None
    for name, annotation in own.items():
        if not isinstance(annotation, str):
            continue
        holder = types.SimpleNamespace(__annotations__={name: annotation})
        try:
            own[name] = typing.get_type_hints(holder, home, local, include_extras=True)[name]
        except Exception:  # noqa: S112 - a TYPE_CHECKING-only name: keep the string
            continue
