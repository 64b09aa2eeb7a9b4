"""One way to page through collections: ``?limit=&offset=``, and one page shape."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

__all__ = ["MAX_LIMIT", "Page", "PageParams", "page_params"]

T = TypeVar("T")
MAX_LIMIT = 100


class PageParams(BaseModel):
    limit: int
    offset: int


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="items to skip")] = 0,
) -> PageParams:
    """A dependency: ``params: Annotated[PageParams, Depends(page_params)]``.

    ``async`` although it awaits nothing: FastAPI runs a sync dependency in a worker
    thread, a hop that cost more than the rest of a cached request (load benchmark).
    """
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
