"""``/api/innovation``: ideas and votes (one per user; a second is a 409)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from erp_app.innovation.schemas import (
    IdeaIn,
    IdeaOut,
    IdeaStatus,
    IdeaUpdate,
    InnovationOverview,
)
from erp_app.innovation.service import InnovationService, Sort
from erp_app.platform.errors import error_responses
from erp_app.platform.fields import NO_NUL, Id
from erp_app.platform.pagination import Page, PageParams, page_params
from erp_app.platform.security import GuardedRoute, Principal, require

__all__ = ["router"]

router = APIRouter(prefix="/api/innovation", tags=["innovation"], route_class=GuardedRoute)

READ = error_responses(401, 403, 422)
ONE = error_responses(401, 403, 404, 422)
WRITE = error_responses(400, 401, 403, 404, 409, 413, 415, 422)

Reader = Annotated[Principal, require("innovation:read")]
Writer = Annotated[Principal, require("innovation:write")]
Paging = Annotated[PageParams, Depends(page_params)]


async def _service(request: Request) -> InnovationService:
    return InnovationService(request.app.state.db)


Service = Annotated[InnovationService, Depends(_service)]


@router.get("", summary="Ideas and votes at a glance", responses=READ)
async def overview(_: Reader, service: Service) -> InnovationOverview:
    return await service.overview()


@router.get("/ideas", summary="Ideas, most voted (or newest) first", responses=READ)
async def list_ideas(
    *,
    principal: Reader,
    service: Service,
    paging: Paging,
    sort: Sort = "votes",
    status: IdeaStatus | None = None,
    category: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
) -> Page[IdeaOut]:
    return await service.list_ideas(paging, principal, sort=sort, status=status, category=category)


@router.post("/ideas", status_code=201, summary="Propose an idea", responses=WRITE)
async def create_idea(principal: Writer, service: Service, body: IdeaIn) -> IdeaOut:
    return await service.create_idea(body, principal)


@router.get("/ideas/{idea_id}", summary="One idea with its vote count", responses=ONE)
async def get_idea(principal: Reader, service: Service, idea_id: Id) -> IdeaOut:
    return await service.get_idea(idea_id, principal)


@router.patch("/ideas/{idea_id}", summary="Change an idea or its status", responses=WRITE)
async def update_idea(
    principal: Writer, service: Service, idea_id: Id, body: IdeaUpdate
) -> IdeaOut:
    return await service.update_idea(idea_id, body, principal)


@router.delete("/ideas/{idea_id}", status_code=204, summary="Withdraw an idea", responses=WRITE)
async def delete_idea(principal: Writer, service: Service, idea_id: Id) -> Response:
    await service.delete_idea(idea_id, principal)
    return Response(status_code=204)


@router.post(
    "/ideas/{idea_id}/votes",
    status_code=201,
    summary="Vote for an idea (once: a second vote is a 409)",
    responses=WRITE,
)
async def vote(principal: Writer, service: Service, idea_id: Id) -> IdeaOut:
    return await service.vote(idea_id, principal)


@router.delete(
    "/ideas/{idea_id}/votes",
    summary="Take back your vote (404 if you have not voted)",
    responses=WRITE,
)
async def unvote(principal: Writer, service: Service, idea_id: Id) -> IdeaOut:
    return await service.unvote(idea_id, principal)
