"""Events: a time span in a room, and no two spans in one room overlap."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from erp_app.calendar.models import CalendarEvent, CalendarLock
from erp_app.calendar.schemas import CalendarOverview, EventIn, EventOut, EventUpdate
from erp_app.platform import audit
from erp_app.platform.errors import ConflictError, NotFoundError, ValidationError
from erp_app.platform.fields import as_utc
from erp_app.platform.pagination import Page

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from erp_app.platform.db import Database
    from erp_app.platform.pagination import PageParams
    from erp_app.platform.security import Principal

__all__ = ["CalendarService", "event_out"]


def event_out(event: CalendarEvent) -> EventOut:
    return EventOut(
        id=event.id,
        title=event.title,
        room=event.room,
        starts_at=as_utc(event.starts_at),
        ends_at=as_utc(event.ends_at),
        description=event.description,
        attendees=list(event.attendees or []),
        created_by=event.created_by,
        created_at=as_utc(event.created_at),
        updated_at=as_utc(event.updated_at),
    )


def _span_is_forward(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError(
            f"the event ends ({ends_at.isoformat()}) before it starts ({starts_at.isoformat()})",
            details={
                "errors": [
                    {
                        "field": "ends_at",
                        "type": "not_after_starts_at",
                        "message": "ends_at: must be after starts_at",
                    }
                ]
            },
        )


async def _one_booking_at_a_time(session: AsyncSession) -> None:
    """Take the bookings lock: the first statement of the unit of work, held to its end."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(CalendarLock)
        .values(name=BOOKINGS, version=0)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    await session.execute(
        update(CalendarLock)
        .where(CalendarLock.name == BOOKINGS)
        .values(version=CalendarLock.version + 1)
    )


BOOKINGS = "bookings"


class CalendarService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def overview(self) -> CalendarOverview:
        now = datetime.now(UTC)
        async with self.db.session() as session:
            events = await session.scalar(select(func.count(CalendarEvent.id))) or 0
            upcoming = (
                await session.scalar(
                    select(func.count(CalendarEvent.id)).where(CalendarEvent.ends_at > now)
                )
                or 0
            )
            rooms = list(
                await session.scalars(
                    select(CalendarEvent.room).distinct().order_by(CalendarEvent.room).limit(100)
                )
            )
        return CalendarOverview(
            events=events,
            upcoming=upcoming,
            rooms=rooms,
            links={"events": "/api/calendar/events"},
        )

    async def list_events(
        self,
        page: PageParams,
        *,
        room: str | None = None,
        starts_after: datetime | None = None,
        starts_before: datetime | None = None,
    ) -> Page[EventOut]:
        conditions: list[Any] = []
        if room:
            conditions.append(CalendarEvent.room == room)
        if starts_after is not None:
            conditions.append(CalendarEvent.starts_at >= as_utc(starts_after))
        if starts_before is not None:
            conditions.append(CalendarEvent.starts_at < as_utc(starts_before))
        async with self.db.session() as session:
            total = (
                await session.scalar(select(func.count(CalendarEvent.id)).where(*conditions)) or 0
            )
            events = await session.scalars(
                select(CalendarEvent)
                .where(*conditions)
                .order_by(CalendarEvent.starts_at, CalendarEvent.id)
                .limit(page.limit)
                .offset(page.offset)
            )
            items = [event_out(event) for event in events]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    async def get_event(self, event_id: int) -> EventOut:
        async with self.db.session() as session:
            return event_out(await self._event(session, event_id))

    async def create_event(self, body: EventIn, principal: Principal) -> EventOut:
        _span_is_forward(body.starts_at, body.ends_at)
        async with self.db.session() as session:
            await _one_booking_at_a_time(session)
            await self._room_is_free(session, body.room, body.starts_at, body.ends_at)
            event = CalendarEvent(**body.model_dump(), created_by=principal.username)
            session.add(event)
            await session.flush()
            audit.record(
                session,
                principal,
                "create",
                "calendar_event",
                entity_id=event.id,
                details={"room": event.room},
            )
            return event_out(event)

    async def update_event(
        self, event_id: int, body: EventUpdate, principal: Principal
    ) -> EventOut:
        changes = {
            field: value
            for field, value in body.model_dump(include=body.model_fields_set).items()
            if value is not None
        }
        async with self.db.session() as session:
            await _one_booking_at_a_time(session)
            event = await self._event(session, event_id)
            room = changes.get("room", event.room)
            starts_at = changes.get("starts_at", as_utc(event.starts_at))
            ends_at = changes.get("ends_at", as_utc(event.ends_at))
            _span_is_forward(starts_at, ends_at)
            await self._room_is_free(session, room, starts_at, ends_at, other_than=event_id)
            for field, value in changes.items():
                setattr(event, field, value)
            audit.record(
                session,
                principal,
                "update",
                "calendar_event",
                entity_id=event_id,
                details={"fields": sorted(changes)},
            )
            await session.flush()
            await session.refresh(event)
            return event_out(event)

    async def delete_event(self, event_id: int, principal: Principal) -> None:
        async with self.db.session() as session:
            event = await self._event(session, event_id)
            await session.delete(event)
            audit.record(session, principal, "delete", "calendar_event", entity_id=event_id)

    @staticmethod
    async def _event(session: AsyncSession, event_id: int) -> CalendarEvent:
        event = await session.get(CalendarEvent, event_id)
        if event is None:
            raise NotFoundError(f"no event with id {event_id}", details={"id": event_id})
        return event

    @staticmethod
    async def _room_is_free(
        session: AsyncSession,
        room: str,
        starts_at: datetime,
        ends_at: datetime,
        *,
        other_than: int | None = None,
    ) -> None:
        """409 naming the first booking of ``room`` that overlaps [starts_at, ends_at)."""
        query = select(CalendarEvent).where(
            CalendarEvent.room == room,
            CalendarEvent.starts_at < ends_at,
            CalendarEvent.ends_at > starts_at,
        )
        if other_than is not None:
            query = query.where(CalendarEvent.id != other_than)
        clash = await session.scalar(query.order_by(CalendarEvent.starts_at).limit(1))
        if clash is not None:
            raise ConflictError(
                f"room {room!r} is already booked by event {clash.id} ({clash.title!r}, "
                f"{as_utc(clash.starts_at).isoformat()} to {as_utc(clash.ends_at).isoformat()})",
                details={
                    "room": room,
                    "event_id": clash.id,
                    "title": clash.title,
                    "starts_at": as_utc(clash.starts_at).isoformat(),
                    "ends_at": as_utc(clash.ends_at).isoformat(),
                },
            )
