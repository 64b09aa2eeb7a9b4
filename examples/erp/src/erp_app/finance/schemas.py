"""Finance bodies and answers. Money is a JSON string with at most two decimals, both ways.

Strings, because JSON numbers are floats to most clients and 0.1 + 0.2 is not 0.3;
the bounds (quantity < 1000, unit price < 100 000, at most 20 lines, tax rate ≤ 100 %)
keep every total inside ``Numeric(12, 2)``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from erp_app.platform.fields import Day, text

Status = Literal["draft", "sent", "paid", "cancelled"]

Quantity = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,3}(\.[0-9]{1,3})?$"),
]
UnitPrice = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,5}(\.[0-9]{1,2})?$"),
]
TaxRate = Annotated[
    str,
    StringConstraints(pattern=r"^(100(\.00?)?|[0-9]{1,2}(\.[0-9]{1,2})?)$"),
]
Customer = Annotated[str, text(200, min_length=1)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")]
Notes = Annotated[str, text(2000)]
LineText = Annotated[str, text(500, min_length=1)]
MAX_LINES = 20


class LineIn(BaseModel):
    description: LineText
    quantity: Quantity = Field(description='Up to 999.999, as a string: "2.5".')
    unit_price: UnitPrice = Field(description='Net price per unit, as a string: "120.00".')
    tax_rate: TaxRate = Field(default="19", description='Percent, as a string: "19" or "7".')


class InvoiceIn(BaseModel):
    customer: Customer
    customer_email: Email | None = None
    issue_date: Day | None = Field(default=None, description="Today when left out.")
    due_date: Day | None = Field(default=None, description="Issue date + 14 days when left out.")
    notes: Notes = ""
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class InvoiceUpdate(BaseModel):
    """Drafts only. Sent fields change; ``lines`` replaces every line."""

    customer: Customer | None = None
    customer_email: Email | None = None
    issue_date: Day | None = None
    due_date: Day | None = None
    notes: Notes | None = None
    lines: list[LineIn] | None = Field(default=None, min_length=1, max_length=MAX_LINES)


class StatusChange(BaseModel):
    status: Status


class LineOut(BaseModel):
    position: int
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    net: str
    tax: str


class InvoiceOut(BaseModel):
    id: int
    number: str
    customer: str
    customer_email: str | None
    issue_date: date
    due_date: date
    status: Status
    currency: str
    notes: str
    net: str
    tax: str
    gross: str
    lines: list[LineOut]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    paid_at: datetime | None
    cancelled_at: datetime | None


class InvoiceSummary(BaseModel):
    """An invoice in a list: everything but its lines."""

    id: int
    number: str
    customer: str
    issue_date: date
    due_date: date
    status: Status
    currency: str
    net: str
    tax: str
    gross: str
    line_count: int


class FinanceOverview(BaseModel):
    """``GET /api/finance``: invoices per status, with where to go next."""

    invoices: int
    by_status: dict[str, int]
    links: dict[str, str]
