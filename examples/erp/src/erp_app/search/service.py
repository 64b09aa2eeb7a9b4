"""One query, four sources. Every word of the query must appear (case-insensitive)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select

from erp_app.finance.models import Invoice, InvoiceLine
from erp_app.functions.service import CatalogError, FunctionsCatalog
from erp_app.hr.models import Employee
from erp_app.hr.service import contains
from erp_app.innovation.models import Idea
from erp_app.platform.fields import money
from erp_app.search.schemas import SearchGroups, SearchHit, SearchOut

if TYPE_CHECKING:
    from erp_app.platform.db import Database

__all__ = ["SearchService"]


def _every_word(words: list[str], *columns: Any) -> Any:
    return and_(*(or_(*(contains(column, word) for column in columns)) for word in words))


class SearchService:
    def __init__(self, db: Database, catalog: FunctionsCatalog | None) -> None:
        self.db = db
        self.catalog = catalog

    async def search(self, q: str, limit: int) -> SearchOut:
        words = q.split()
        if not words:  # only characters Python counts as space: nothing to look for
            empty = SearchGroups(employees=[], invoices=[], ideas=[], functions=[])
            return SearchOut(query=q, limit=limit, total=0, results=empty, catalogue_available=True)
        async with self.db.session() as session:
            employees = await session.scalars(
                select(Employee)
                .where(
                    _every_word(
                        words,
                        Employee.first_name,
                        Employee.last_name,
                        Employee.email,
                        Employee.employee_number,
                        Employee.position,
                    )
                )
                .order_by(Employee.last_name, Employee.id)
                .limit(limit)
            )
            employee_hits = [
                SearchHit(
                    type="employee",
                    id=str(e.id),
                    title=f"{e.first_name} {e.last_name}",
                    subtitle=f"{e.position} · {e.employee_number}".strip(" ·"),
                    url=f"/api/hr/employees/{e.id}",
                )
                for e in employees
            ]
            invoices = await session.scalars(
                select(Invoice)
                .where(
                    or_(
                        _every_word(words, Invoice.number, Invoice.customer, Invoice.notes),
                        Invoice.id.in_(
                            select(InvoiceLine.invoice_id).where(
                                _every_word(words, InvoiceLine.description)
                            )
                        ),
                    )
                )
                .order_by(Invoice.id.desc())
                .limit(limit)
            )
            invoice_hits = [
                SearchHit(
                    type="invoice",
                    id=str(i.id),
                    title=f"{i.number} {i.customer}",
                    subtitle=f"{i.status} · {money(i.gross)} {i.currency}",
                    url=f"/api/finance/invoices/{i.id}",
                )
                for i in invoices
            ]
            ideas = await session.scalars(
                select(Idea)
                .where(_every_word(words, Idea.title, Idea.description, Idea.category))
                .order_by(Idea.id.desc())
                .limit(limit)
            )
            idea_hits = [
                SearchHit(
                    type="idea",
                    id=str(i.id),
                    title=i.title,
                    subtitle=f"{i.category} · {i.status}",
                    url=f"/api/innovation/ideas/{i.id}",
                )
                for i in ideas
            ]
        function_hits, available = await self._functions(q, limit)
        groups = SearchGroups(
            employees=employee_hits, invoices=invoice_hits, ideas=idea_hits, functions=function_hits
        )
        total = len(employee_hits) + len(invoice_hits) + len(idea_hits) + len(function_hits)
        return SearchOut(
            query=q, limit=limit, total=total, results=groups, catalogue_available=available
        )

    async def _functions(self, q: str, limit: int) -> tuple[list[SearchHit], bool]:
        if self.catalog is None:
            return [], False
        try:
            snapshot = await self.catalog.snapshot()
        except CatalogError:  # not loaded yet: the database results still count
            return [], False
        _, nodes = snapshot.search(q, limit)
        return [
            SearchHit(
                type="function",
                id=node.id,
                title=node.title,
                subtitle=" > ".join(step.title for step in snapshot.path(node.id)[:-1]),
                url=f"/api/functions/nodes/{node.id}",
            )
            for node in nodes
        ], True
