"""Innovation bodies and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel

from erp_app.platform.fields import text

IdeaStatus = Literal["new", "reviewing", "accepted", "rejected", "done"]
Title = Annotated[str, text(200, min_length=1)]
Description = Annotated[str, text(4000)]
Category = Annotated[str, text(64, min_length=1)]


class IdeaIn(BaseModel):
    title: Title
    description: Description = ""
    category: Category = "general"


class IdeaUpdate(BaseModel):
    title: Title | None = None
    description: Description | None = None
    category: Category | None = None
    status: IdeaStatus | None = None


class IdeaOut(BaseModel):
    id: int
    title: str
    description: str
    category: str
    status: IdeaStatus
    author: str
    votes: int
    voted: bool
    """Whether the caller has voted for it."""
    created_at: datetime
    updated_at: datetime


class InnovationOverview(BaseModel):
    """``GET /api/innovation``: ideas and votes at a glance, with where to go next."""

    ideas: int
    votes: int
    by_status: dict[str, int]
    links: dict[str, str]
