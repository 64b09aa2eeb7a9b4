"""KPIs from hr, finance, calendar and innovation, computed in a few queries and kept
for a few seconds per process (a dashboard polled by many clients costs one computation)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from erp_app.calendar.models import CalendarEvent
from erp_app.dashboard.schemas import (
    DashboardOut,
    DepartmentHeadcount,
    InvoiceKPI,
    TopIdea,
    UpcomingEvent,
)
from erp_app.finance.models import Invoice
from erp_app.hr.models import Department, Employee
from erp_app.innovation.models import Idea
from erp_app.innovation.service import vote_count
from erp_app.platform.fields import as_utc, money

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from erp_app.platform.db import Database

__all__ = ["DashboardService"]

CACHE_SECONDS = 5.0
UPCOMING = 5
TOP_IDEAS = 5


class DashboardService:
    """One per app (``app.state``): holds the cached answer."""

    def __init__(self, db: Database, *, ttl: float = CACHE_SECONDS) -> None:
        self.db = db
        self.ttl = ttl
        self._cached: DashboardOut | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._cached = None

    async def kpis(self) -> DashboardOut:
        if self._cached is not None and time.monotonic() < self._expires:
            return self._cached
        async with self._lock:  # one computation for a crowd of callers
            if self._cached is None or time.monotonic() >= self._expires:
                self._cached = await self._compute()
                self._expires = time.monotonic() + self.ttl
            return self._cached

    async def _compute(self) -> DashboardOut:
        now = datetime.now(UTC)
        async with self.db.session() as session:
            invoices = await _invoices(session, now)
            headcount = await _headcount(session)
            events = await session.scalars(
                select(CalendarEvent)
                .where(CalendarEvent.ends_at > now)
                .order_by(CalendarEvent.starts_at, CalendarEvent.id)
                .limit(UPCOMING)
            )
            upcoming = [
                UpcomingEvent(
                    id=e.id,
                    title=e.title,
                    room=e.room,
                    starts_at=as_utc(e.starts_at),
                    ends_at=as_utc(e.ends_at),
                )
                for e in events
            ]
            votes = vote_count().label("votes")
            rows = await session.execute(
                select(Idea.id, Idea.title, Idea.status, votes)
                .order_by(votes.desc(), Idea.id)
                .limit(TOP_IDEAS)
            )
            top = [TopIdea(id=i, title=t, status=s, votes=v) for i, t, s, v in rows.all()]
        return DashboardOut(
            generated_at=now,
            cached_for_seconds=self.ttl,
            invoices=invoices,
            headcount_total=sum(d.headcount for d in headcount),
            headcount=headcount,
            upcoming_events=upcoming,
            top_ideas=top,
        )


async def _invoices(session: AsyncSession, now: datetime) -> InvoiceKPI:
    rows = await session.execute(
        select(Invoice.status, func.count(Invoice.id), func.sum(Invoice.gross)).group_by(
            Invoice.status
        )
    )
    count: dict[str, int] = {}
    amount: dict[str, Decimal] = {}
    for status, n, gross in rows.all():
        count[status] = n
        amount[status] = Decimal(gross or 0)
    overdue = await session.scalar(
        select(func.count(Invoice.id)).where(
            Invoice.status == "sent", Invoice.due_date < now.date()
        )
    )
    return InvoiceKPI(
        open_count=count.get("sent", 0),
        open_amount=money(amount.get("sent", Decimal(0))),
        overdue_count=overdue or 0,
        draft_count=count.get("draft", 0),
        paid_amount=money(amount.get("paid", Decimal(0))),
    )


async def _headcount(session: AsyncSession) -> list[DepartmentHeadcount]:
    rows = await session.execute(
        select(Department.id, Department.name, func.count(Employee.id))
        .outerjoin(Employee, (Employee.department_id == Department.id) & Employee.active.is_(True))
        .group_by(Department.id, Department.name)
        .order_by(Department.id)
    )
    return [
        DepartmentHeadcount(department_id=i, department=name, headcount=n)
        for i, name, n in rows.all()
    ]
