"""Request and response bodies of ``/api/quickchat``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "MESSAGE_MAX_LENGTH",
    "ConversationCreate",
    "ConversationOut",
    "ExchangeOut",
    "MessageCreate",
    "MessageOut",
    "UTCDateTime",
]

MESSAGE_MAX_LENGTH = 2000
TITLE_MAX_LENGTH = 200


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


UTCDateTime = Annotated[datetime, AfterValidator(_utc)]

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH)
]
Content = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_MAX_LENGTH)
]


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title


class MessageCreate(BaseModel):
    """A question; without ``conversation_id`` it starts a new conversation."""

    model_config = ConfigDict(extra="forbid")

    content: Content
    conversation_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    max_tokens: int = Field(default=256, ge=1, le=1024)


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    created_by: str | None
    created_at: UTCDateTime
    updated_at: UTCDateTime
    message_count: int


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    role: Literal["user", "assistant"]
    content: str
    author: str | None
    provider: str | None = Field(description="the AI provider that answered (answers only)")
    model: str | None
    latency_ms: float | None
    created_at: UTCDateTime


class ExchangeOut(BaseModel):
    """The stored question and the stored answer."""

    conversation_id: int
    question: MessageOut
    answer: MessageOut
