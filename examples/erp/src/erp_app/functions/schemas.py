"""Shapes of the functions catalogue: one line of a catalogue file, and what the API answers.

A catalogue line is written in snake_case (``title_de``), as files are edited by hand; the
API answers in camelCase (``titleDe``, ``loadedAt``) like the rest of the ERP.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

__all__ = [
    "Breadcrumb",
    "CatalogRecord",
    "FunctionNodeOut",
    "FunctionTreeOut",
    "NodeKind",
    "NodeResponse",
    "RootsResponse",
    "SearchHit",
    "SearchResponse",
]

NodeKind = Literal["area", "module", "function"]

# Dotted lower-case segments: ids end up in URLs and permission names, so keep them plain.
NODE_ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
NODE_ID_MAX_LENGTH = 200

NodeId = Annotated[str, StringConstraints(pattern=NODE_ID_PATTERN, max_length=NODE_ID_MAX_LENGTH)]
Permission = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*:[a-z*][a-z0-9_*-]*$")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Route = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9/_{}.-]*$", max_length=200)]


class CatalogRecord(BaseModel):
    """One line of a ``*.jsonl`` catalogue file.

    Unknown fields are refused, so a typo such as ``"titel"`` is an error naming the line
    rather than a title that silently goes missing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: NodeId
    parent: NodeId | None
    title: str = Field(min_length=1, max_length=120)
    title_de: str | None = Field(default=None, min_length=1, max_length=120)
    kind: NodeKind
    description: str = Field(max_length=2000)
    route: Route | None = None
    permissions: list[Permission]
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    order: int = Field(default=0, ge=-1_000_000, le=1_000_000)


# ---- API answers ---------------------------------------------------------------------------


class _ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        serialize_by_alias=True,
        from_attributes=True,
    )


class FunctionNodeOut(_ApiModel):
    """A node without its children."""

    id: str = Field(examples=["finance.invoices.create"])
    parent: str | None = Field(examples=["finance.invoices"])
    title: str = Field(examples=["Create invoice"])
    title_de: str | None = Field(default=None, examples=["Rechnung erstellen"])
    kind: NodeKind
    description: str
    route: str | None = Field(default=None, examples=["/api/finance/invoices"])
    permissions: list[str] = Field(examples=[["finance:write"]])
    tags: list[str]
    order: int


class FunctionTreeOut(FunctionNodeOut):
    """A node with its children, and theirs, in catalogue order."""

    children: list[FunctionTreeOut]


class Breadcrumb(_ApiModel):
    """One step on the way from an area down to a node."""

    id: str
    title: str
    kind: NodeKind


_LOADED_AT = "When the catalogue files were read (UTC)."
_STALE = "True while the last reload failed and the last good catalogue is served."
_PATH = "From the area down to the node itself."


class RootsResponse(_ApiModel):
    roots: list[FunctionTreeOut] = Field(description="The areas, each with its whole subtree.")
    count: int = Field(description="Number of roots (areas).")
    total: int = Field(description="Number of nodes in the whole catalogue.")
    loaded_at: datetime = Field(description=_LOADED_AT)
    stale: bool = Field(description=_STALE)


class NodeResponse(_ApiModel):
    node: FunctionTreeOut
    path: list[Breadcrumb] = Field(description=_PATH)
    loaded_at: datetime = Field(description=_LOADED_AT)
    stale: bool = Field(description=_STALE)


class SearchHit(FunctionNodeOut):
    path: list[Breadcrumb] = Field(description=_PATH)


class SearchResponse(_ApiModel):
    query: str
    results: list[SearchHit] = Field(description="Best matches first, at most `limit`.")
    count: int = Field(description="Number of results returned.")
    total: int = Field(description="Number of matching nodes before the limit.")
    loaded_at: datetime = Field(description=_LOADED_AT)
    stale: bool = Field(description=_STALE)
