"""``/api/calendar``: events; booking a room that is taken at that time is a 409."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from erp_app.calendar.schemas import CalendarOverview, EventIn, EventOut, EventUpdate
from erp_app.calendar.service import CalendarService
from erp_app.platform.errors import error_responses
from erp_app.platform.fields import NO_NUL, Id, Timestamp
from erp_app.platform.pagination import Page, PageParams, page_params
from erp_app.platform.security import GuardedRoute, Principal, require

__all__ = ["router"]

router = APIRouter(prefix="/api/calendar", tags=["calendar"], route_class=GuardedRoute)

READ = error_responses(401, 403, 422)
ONE = error_responses(401, 403, 404, 422)
WRITE = error_responses(400, 401, 403, 404, 409, 413, 415, 422)

Reader = Annotated[Principal, require("calendar:read")]
Writer = Annotated[Principal, require("calendar:write")]
Paging = Annotated[PageParams, Depends(page_params)]


async def _service(request: Request) -> CalendarService:
    return CalendarService(request.app.state.db)


Service = Annotated[CalendarService, Depends(_service)]


@router.get("", summary="Events and rooms at a glance", responses=READ)
async def overview(_: Reader, service: Service) -> CalendarOverview:
    return await service.overview()


@router.get("/events", summary="Events in time order, by room and time window", responses=READ)
async def list_events(
    _: Reader,
    service: Service,
    paging: Paging,
    room: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    starts_after: Annotated[Timestamp | None, Query(description="Inclusive.")] = None,
    starts_before: Annotated[Timestamp | None, Query(description="Exclusive.")] = None,
) -> Page[EventOut]:
    return await service.list_events(
        paging, room=room, starts_after=starts_after, starts_before=starts_before
    )


@router.post(
    "/events",
    status_code=201,
    summary="Book an event (409 naming the clashing event when the room is taken)",
    responses=WRITE,
)
async def create_event(principal: Writer, service: Service, body: EventIn) -> EventOut:
    return await service.create_event(body, principal)


@router.get("/events/{event_id}", summary="One event", responses=ONE)
async def get_event(_: Reader, service: Service, event_id: Id) -> EventOut:
    return await service.get_event(event_id)


@router.patch("/events/{event_id}", summary="Move or change an event", responses=WRITE)
async def update_event(
    principal: Writer, service: Service, event_id: Id, body: EventUpdate
) -> EventOut:
    return await service.update_event(event_id, body, principal)


@router.delete("/events/{event_id}", status_code=204, summary="Cancel an event", responses=WRITE)
async def delete_event(principal: Writer, service: Service, event_id: Id) -> Response:
    await service.delete_event(event_id, principal)
    return Response(status_code=204)
