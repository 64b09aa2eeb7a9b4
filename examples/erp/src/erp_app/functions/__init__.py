"""The ERP functions catalogue: areas, modules and functions, served as a tree."""

from __future__ import annotations

from erp_app.functions.service import (
    DEFAULT_DIRECTORY,
    CatalogError,
    CatalogSnapshot,
    FunctionNode,
    FunctionsCatalog,
)

__all__ = [
    "DEFAULT_DIRECTORY",
    "CatalogError",
    "CatalogSnapshot",
    "FunctionNode",
    "FunctionsCatalog",
]
