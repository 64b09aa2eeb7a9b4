"""Invoices: totals computed here with ``Decimal`` (a client's totals are never read),
and the payment status machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from sqlalchemy import func, or_, select

from erp_app.finance.models import Invoice, InvoiceLine
from erp_app.finance.schemas import (
    FinanceOverview,
    InvoiceIn,
    InvoiceOut,
    InvoiceSummary,
    InvoiceUpdate,
    LineIn,
    LineOut,
    Status,
)
from erp_app.platform import audit
from erp_app.platform.errors import ConflictError, NotFoundError, ValidationError
from erp_app.platform.fields import CENTS, as_utc, money
from erp_app.platform.pagination import Page

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from erp_app.platform.db import Database
    from erp_app.platform.pagination import PageParams
    from erp_app.platform.security import Principal

__all__ = ["TRANSITIONS", "FinanceService", "line_amounts", "totals"]

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"sent", "cancelled"}),
    "sent": frozenset({"paid", "cancelled"}),
    "paid": frozenset(),
    "cancelled": frozenset(),
}
"""Where each status may go: draft → sent → paid, and draft or sent → cancelled."""

OPEN = ("sent",)
"""Invoices still waiting for money (drafts are not owed yet)."""

PAYMENT_TERM = timedelta(days=14)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def line_amounts(
    quantity: Decimal, unit_price: Decimal, tax_rate: Decimal
) -> tuple[Decimal, Decimal]:
    """A line's (net, tax), each rounded half up to cents."""
    net = _cents(quantity * unit_price)
    return net, _cents(net * tax_rate / 100)


def totals(lines: list[InvoiceLine]) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, gross): the sums of the lines' rounded amounts."""
    net = sum((line.net for line in lines), Decimal("0.00"))
    tax = sum((line.tax for line in lines), Decimal("0.00"))
    return net, tax, net + tax


def _line(position: int, body: LineIn) -> InvoiceLine:
    quantity, unit_price, tax_rate = (
        Decimal(body.quantity),
        Decimal(body.unit_price),
        Decimal(body.tax_rate),
    )
    net, tax = line_amounts(quantity, unit_price, tax_rate)
    return InvoiceLine(
        position=position,
        description=body.description,
        quantity=quantity,
        unit_price=unit_price,
        tax_rate=tax_rate,
        net=net,
        tax=tax,
    )


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def invoice_out(invoice: Invoice) -> InvoiceOut:
    return InvoiceOut(
        id=invoice.id,
        number=invoice.number,
        customer=invoice.customer,
        customer_email=invoice.customer_email,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        status=_status(invoice.status),
        currency=invoice.currency,
        notes=invoice.notes,
        net=money(invoice.net),
        tax=money(invoice.tax),
        gross=money(invoice.gross),
        lines=[
            LineOut(
                position=line.position,
                description=line.description,
                quantity=_quantity(line.quantity),
                unit_price=money(line.unit_price),
                tax_rate=_quantity(line.tax_rate),
                net=money(line.net),
                tax=money(line.tax),
            )
            for line in invoice.lines
        ],
        created_by=invoice.created_by,
        created_at=as_utc(invoice.created_at),
        updated_at=as_utc(invoice.updated_at),
        sent_at=as_utc(invoice.sent_at) if invoice.sent_at else None,
        paid_at=as_utc(invoice.paid_at) if invoice.paid_at else None,
        cancelled_at=as_utc(invoice.cancelled_at) if invoice.cancelled_at else None,
    )


def invoice_summary(invoice: Invoice) -> InvoiceSummary:
    return InvoiceSummary(
        id=invoice.id,
        number=invoice.number,
        customer=invoice.customer,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        status=_status(invoice.status),
        currency=invoice.currency,
        net=money(invoice.net),
        tax=money(invoice.tax),
        gross=money(invoice.gross),
        line_count=len(invoice.lines),
    )


def _status(value: str) -> Status:
    for status in TRANSITIONS:
        if status == value:
            return status  # type: ignore[return-value]  # one of the Literal's values
    msg = f"unknown invoice status {value!r} in the database"
    raise ValueError(msg)


def _dates(issue: date | None, due: date | None) -> tuple[date, date]:
    issue = issue or datetime.now(UTC).date()
    due = due or issue + PAYMENT_TERM
    if due < issue:
        raise ValidationError(
            f"the due date {due} is before the issue date {issue}",
            details={
                "errors": [
                    {
                        "field": "due_date",
                        "type": "before_issue_date",
                        "message": "due_date: must not be before issue_date",
                    }
                ]
            },
        )
    return issue, due


class FinanceService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def overview(self) -> FinanceOverview:
        async with self.db.session() as session:
            rows = await session.execute(
                select(Invoice.status, func.count(Invoice.id)).group_by(Invoice.status)
            )
            by_status = dict.fromkeys(TRANSITIONS, 0)
            by_status.update(dict(rows.all()))
        return FinanceOverview(
            invoices=sum(by_status.values()),
            by_status=by_status,
            links={"invoices": "/api/finance/invoices"},
        )

    async def list_invoices(
        self,
        page: PageParams,
        *,
        status: Status | None = None,
        customer: str | None = None,
    ) -> Page[InvoiceSummary]:
        conditions: list[Any] = []
        if status is not None:
            conditions.append(Invoice.status == status)
        if customer:
            conditions.append(
                or_(
                    func.lower(Invoice.customer).contains(customer.lower(), autoescape=True),
                    func.lower(Invoice.number).contains(customer.lower(), autoescape=True),
                )
            )
        async with self.db.session() as session:
            total = await session.scalar(select(func.count(Invoice.id)).where(*conditions)) or 0
            invoices = await session.scalars(
                select(Invoice)
                .where(*conditions)
                .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
                .limit(page.limit)
                .offset(page.offset)
            )
            items = [invoice_summary(invoice) for invoice in invoices]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    async def get_invoice(self, invoice_id: int) -> InvoiceOut:
        async with self.db.session() as session:
            return invoice_out(await self._invoice(session, invoice_id))

    async def create_invoice(self, body: InvoiceIn, principal: Principal) -> InvoiceOut:
        issue, due = _dates(body.issue_date, body.due_date)
        lines = [_line(position, line) for position, line in enumerate(body.lines, start=1)]
        net, tax, gross = totals(lines)
        async with self.db.session() as session:
            invoice = Invoice(
                # A placeholder, unique until the id is known (flush), then the real number.
                number=f"new-{uuid4().hex[:28]}",  # fits String(32)
                customer=body.customer,
                customer_email=body.customer_email,
                issue_date=issue,
                due_date=due,
                notes=body.notes,
                net=net,
                tax=tax,
                gross=gross,
                lines=lines,
                created_by=principal.username,
            )
            session.add(invoice)
            await session.flush()
            invoice.number = invoice_number(issue.year, invoice.id)
            audit.record(
                session,
                principal,
                "create",
                "invoice",
                entity_id=invoice.id,
                details={"number": invoice.number, "gross": money(gross)},
            )
            await session.flush()
            return invoice_out(invoice)

    async def update_invoice(
        self, invoice_id: int, body: InvoiceUpdate, principal: Principal
    ) -> InvoiceOut:
        sent = {
            field: value
            for field, value in body.model_dump(include=body.model_fields_set).items()
            if value is not None or field == "customer_email"
        }
        async with self.db.session() as session:
            invoice = await self._invoice(session, invoice_id)
            if invoice.status != "draft":
                raise ConflictError(
                    f"invoice {invoice_id} is {invoice.status}: only drafts can be changed",
                    details={"id": invoice_id, "status": invoice.status},
                )
            invoice.issue_date, invoice.due_date = _dates(
                sent.get("issue_date", invoice.issue_date), sent.get("due_date", invoice.due_date)
            )
            for field in ("customer", "customer_email", "notes"):
                if field in sent:
                    setattr(invoice, field, sent[field])
            if body.lines is not None:
                invoice.lines = [
                    _line(position, line) for position, line in enumerate(body.lines, start=1)
                ]
                invoice.net, invoice.tax, invoice.gross = totals(invoice.lines)
            audit.record(
                session,
                principal,
                "update",
                "invoice",
                entity_id=invoice_id,
                details={"fields": sorted(sent)},
            )
            await session.flush()
            await session.refresh(invoice)
            return invoice_out(invoice)

    async def change_status(self, invoice_id: int, to: Status, principal: Principal) -> InvoiceOut:
        async with self.db.session() as session:
            invoice = await self._invoice(session, invoice_id)
            current = invoice.status
            if to not in TRANSITIONS.get(current, frozenset()):
                allowed = sorted(TRANSITIONS.get(current, frozenset()))
                raise ConflictError(
                    f"invoice {invoice_id} cannot go from {current} to {to}",
                    details={"id": invoice_id, "from": current, "to": to, "allowed": allowed},
                )
            now = datetime.now(UTC)
            invoice.status = to
            if to == "sent":
                invoice.sent_at = now
            elif to == "paid":
                invoice.paid_at = now
            else:
                invoice.cancelled_at = now
            audit.record(
                session,
                principal,
                "status",
                "invoice",
                entity_id=invoice_id,
                details={"from": current, "to": to},
            )
            await session.flush()
            await session.refresh(invoice)
            return invoice_out(invoice)

    async def delete_invoice(self, invoice_id: int, principal: Principal) -> None:
        async with self.db.session() as session:
            invoice = await self._invoice(session, invoice_id)
            if invoice.status != "draft":
                raise ConflictError(
                    f"invoice {invoice_id} is {invoice.status}: only drafts can be deleted "
                    "(cancel it instead)",
                    details={"id": invoice_id, "status": invoice.status},
                )
            await session.delete(invoice)
            audit.record(
                session,
                principal,
                "delete",
                "invoice",
                entity_id=invoice_id,
                details={"number": invoice.number},
            )

    @staticmethod
    async def _invoice(session: AsyncSession, invoice_id: int) -> Invoice:
        invoice = await session.get(Invoice, invoice_id)
        if invoice is None:
            raise NotFoundError(f"no invoice with id {invoice_id}", details={"id": invoice_id})
        return invoice


def invoice_number(year: int, invoice_id: int) -> str:
    return f"RE-{year}-{invoice_id:05d}"
