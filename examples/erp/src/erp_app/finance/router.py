"""``/api/finance``: invoices with line items and their payment status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from erp_app.finance.schemas import (
    FinanceOverview,
    InvoiceIn,
    InvoiceOut,
    InvoiceSummary,
    InvoiceUpdate,
    Status,
    StatusChange,
)
from erp_app.finance.service import FinanceService
from erp_app.platform.errors import error_responses
from erp_app.platform.fields import NO_NUL, Id
from erp_app.platform.pagination import Page, PageParams, page_params
from erp_app.platform.security import GuardedRoute, Principal, require

__all__ = ["router"]

router = APIRouter(prefix="/api/finance", tags=["finance"], route_class=GuardedRoute)

READ = error_responses(401, 403, 422)
ONE = error_responses(401, 403, 404, 422)
WRITE = error_responses(400, 401, 403, 404, 409, 413, 415, 422)

Reader = Annotated[Principal, require("finance:read")]
Writer = Annotated[Principal, require("finance:write")]
Paging = Annotated[PageParams, Depends(page_params)]


async def _service(request: Request) -> FinanceService:
    return FinanceService(request.app.state.db)


Service = Annotated[FinanceService, Depends(_service)]


@router.get("", summary="Invoices per status at a glance", responses=READ)
async def overview(_: Reader, service: Service) -> FinanceOverview:
    return await service.overview()


@router.get("/invoices", summary="Invoices, newest first, by status or customer", responses=READ)
async def list_invoices(
    _: Reader,
    service: Service,
    paging: Paging,
    status: Status | None = None,
    customer: Annotated[
        str | None,
        Query(max_length=200, pattern=NO_NUL, description="Part of the customer or number."),
    ] = None,
) -> Page[InvoiceSummary]:
    return await service.list_invoices(paging, status=status, customer=customer)


@router.post(
    "/invoices",
    status_code=201,
    summary="Create a draft invoice; net, tax and gross are computed from the lines",
    responses=WRITE,
)
async def create_invoice(principal: Writer, service: Service, body: InvoiceIn) -> InvoiceOut:
    return await service.create_invoice(body, principal)


@router.get("/invoices/{invoice_id}", summary="One invoice with its lines", responses=ONE)
async def get_invoice(_: Reader, service: Service, invoice_id: Id) -> InvoiceOut:
    return await service.get_invoice(invoice_id)


@router.patch(
    "/invoices/{invoice_id}", summary="Change a draft invoice (409 once sent)", responses=WRITE
)
async def update_invoice(
    principal: Writer, service: Service, invoice_id: Id, body: InvoiceUpdate
) -> InvoiceOut:
    return await service.update_invoice(invoice_id, body, principal)


@router.post(
    "/invoices/{invoice_id}/status",
    summary="Move an invoice on: draft → sent → paid, draft or sent → cancelled (409 otherwise)",
    responses=WRITE,
)
async def change_status(
    principal: Writer, service: Service, invoice_id: Id, body: StatusChange
) -> InvoiceOut:
    return await service.change_status(invoice_id, body.status, principal)


@router.delete(
    "/invoices/{invoice_id}",
    status_code=204,
    summary="Delete a draft invoice (409 once sent: cancel it instead)",
    responses=WRITE,
)
async def delete_invoice(principal: Writer, service: Service, invoice_id: Id) -> Response:
    await service.delete_invoice(invoice_id, principal)
    return Response(status_code=204)
