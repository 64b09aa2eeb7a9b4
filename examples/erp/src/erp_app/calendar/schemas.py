"""Calendar bodies and answers. Times are RFC 3339 with an offset; answers are in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from erp_app.platform.fields import Timestamp, text

Title = Annotated[str, text(200, min_length=1)]
Room = Annotated[str, text(64, min_length=1)]
Description = Annotated[str, text(2000)]
Attendee = Annotated[str, text(128, min_length=1)]
MAX_ATTENDEES = 50


class EventIn(BaseModel):
    title: Title
    room: Room
    starts_at: Timestamp
    ends_at: Timestamp = Field(description="After starts_at (422 otherwise).")
    description: Description = ""
    attendees: list[Attendee] = Field(default_factory=list, max_length=MAX_ATTENDEES)


class EventUpdate(BaseModel):
    title: Title | None = None
    room: Room | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    description: Description | None = None
    attendees: list[Attendee] | None = Field(default=None, max_length=MAX_ATTENDEES)


class EventOut(BaseModel):
    id: int
    title: str
    room: str
    starts_at: datetime
    ends_at: datetime
    description: str
    attendees: list[str]
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class CalendarOverview(BaseModel):
    """``GET /api/calendar``: events and rooms at a glance, with where to go next."""

    events: int
    upcoming: int
    rooms: list[str]
    links: dict[str, str]
