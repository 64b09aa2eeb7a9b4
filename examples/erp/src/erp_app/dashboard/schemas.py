"""The dashboard's answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class InvoiceKPI(BaseModel):
    open_count: int
    """Sent and not yet paid or cancelled."""
    open_amount: str
    """Their gross total, money as a string."""
    overdue_count: int
    draft_count: int
    paid_amount: str


class DepartmentHeadcount(BaseModel):
    department_id: int
    department: str
    headcount: int


class UpcomingEvent(BaseModel):
    id: int
    title: str
    room: str
    starts_at: datetime
    ends_at: datetime


class TopIdea(BaseModel):
    id: int
    title: str
    status: str
    votes: int


class DashboardOut(BaseModel):
    generated_at: datetime
    cached_for_seconds: float
    invoices: InvoiceKPI
    headcount_total: int
    headcount: list[DepartmentHeadcount]
    upcoming_events: list[UpcomingEvent]
    top_ideas: list[TopIdea]
