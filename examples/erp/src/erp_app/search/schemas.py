"""Search answers: hits grouped by type, each with a link to its record."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

HitType = Literal["employee", "invoice", "idea", "function"]


class SearchHit(BaseModel):
    type: HitType
    id: str
    title: str
    subtitle: str
    url: str
    """The API path of the record."""


class SearchGroups(BaseModel):
    employees: list[SearchHit]
    invoices: list[SearchHit]
    ideas: list[SearchHit]
    functions: list[SearchHit]


class SearchOut(BaseModel):
    query: str
    limit: int
    """The most hits per group."""
    total: int
    """Hits returned, over all groups."""
    results: SearchGroups
    catalogue_available: bool
    """False when the functions catalogue could not be searched (the rest still was)."""
