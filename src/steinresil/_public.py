"""How a definition in a private module takes the name of the public module that exports it.

``steinresil.CircuitOpenError`` and ``steinresil.adapters.sessions.FailoverSessionStore``
are written in private modules; ``adopt`` makes them read as the public module's own in
reprs, tracebacks and the docs (pickling finds them there too), as httpx does.
"""

from __future__ import annotations

import sys
import types
import typing

__all__ = ["adopt"]


def adopt(value: object, module: str) -> None:
    """Give ``value`` the ``__module__`` ``module`` if it is a class or function that
    still names a private one; anything else (an alias, a value) is left as it is."""
    if not isinstance(value, type | types.FunctionType):
        return
    if not any(part.startswith("_") for part in value.__module__.split(".")):
        return  # public already, or adopted by a module imported earlier: the first wins
    _resolve_annotations(value)
    value.__module__ = module


def _resolve_annotations(value: type | types.FunctionType) -> None:
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
