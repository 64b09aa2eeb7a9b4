"""``/api/search?q=&limit=``: employees, invoices, ideas and catalogue nodes at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from erp_app.functions.service import FunctionsCatalog
from erp_app.platform.errors import error_responses
from erp_app.platform.security import GuardedRoute, Principal, require
from erp_app.search.schemas import SearchOut
from erp_app.search.service import SearchService

__all__ = ["router"]

router = APIRouter(prefix="/api/search", tags=["search"], route_class=GuardedRoute)


@router.get(
    "",
    summary="Search employees, invoices, ideas and the functions catalogue",
    description="Every word of q must appear. Results are grouped by type, at most "
    "`limit` per group.",
    responses=error_responses(401, 403, 422),
)
async def search(
    _: Annotated[Principal, require("search:read")],
    request: Request,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=100,
            pattern=r"^[^\x00]*[^\s\x00][^\x00]*$",
            description="Words to look for.",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=50, description="Most hits per group.")] = 10,
) -> SearchOut:
    catalog = getattr(request.app.state, "functions", None)
    service = SearchService(
        request.app.state.db, catalog if isinstance(catalog, FunctionsCatalog) else None
    )
    return await service.search(q, limit)
