"""The annotator's table: one AI-written note on a catalogue node per row."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from erp_app.platform.db import Base

__all__ = ["Annotation"]


def _now() -> datetime:
    return datetime.now(UTC)


class Annotation(Base):
    """The node is kept by id and, as it was then, by title: the catalogue may change."""

    __tablename__ = "ai_annotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(String(200), index=True)
    node_title: Mapped[str] = mapped_column(String(200))
    focus: Mapped[str | None] = mapped_column(String(500), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    latency_ms: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
