"""``/api/hr``: departments and employees (CRUD, pagination, filters)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from erp_app.hr.schemas import (
    DepartmentIn,
    DepartmentOut,
    DepartmentUpdate,
    EmployeeIn,
    EmployeeOut,
    EmployeeUpdate,
    HROverview,
)
from erp_app.hr.service import HRService
from erp_app.platform.errors import error_responses
from erp_app.platform.fields import DB_INT_MAX, NO_NUL, Id
from erp_app.platform.pagination import Page, PageParams, page_params
from erp_app.platform.security import GuardedRoute, Principal, require

__all__ = ["router"]

router = APIRouter(prefix="/api/hr", tags=["hr"], route_class=GuardedRoute)

READ = error_responses(401, 403, 422)
ONE = error_responses(401, 403, 404, 422)
WRITE = error_responses(400, 401, 403, 404, 409, 413, 415, 422)

Reader = Annotated[Principal, require("hr:read")]
Writer = Annotated[Principal, require("hr:write")]
Paging = Annotated[PageParams, Depends(page_params)]


async def _service(request: Request) -> HRService:
    return HRService(request.app.state.db)


Service = Annotated[HRService, Depends(_service)]


@router.get("", summary="Departments and employees at a glance", responses=READ)
async def overview(_: Reader, service: Service) -> HROverview:
    return await service.overview()


@router.get("/departments", summary="Departments, with their headcount", responses=READ)
async def list_departments(_: Reader, service: Service, paging: Paging) -> Page[DepartmentOut]:
    return await service.list_departments(paging)


@router.post("/departments", status_code=201, summary="Create a department", responses=WRITE)
async def create_department(
    principal: Writer, service: Service, body: DepartmentIn
) -> DepartmentOut:
    return await service.create_department(body, principal)


@router.get("/departments/{department_id}", summary="One department", responses=ONE)
async def get_department(_: Reader, service: Service, department_id: Id) -> DepartmentOut:
    return await service.get_department(department_id)


@router.patch("/departments/{department_id}", summary="Change a department", responses=WRITE)
async def update_department(
    principal: Writer, service: Service, department_id: Id, body: DepartmentUpdate
) -> DepartmentOut:
    return await service.update_department(department_id, body, principal)


@router.delete(
    "/departments/{department_id}",
    status_code=204,
    summary="Delete a department that has no employees (409 otherwise)",
    responses=WRITE,
)
async def delete_department(principal: Writer, service: Service, department_id: Id) -> Response:
    await service.delete_department(department_id, principal)
    return Response(status_code=204)


@router.get(
    "/employees",
    summary="Employees, filtered by department, active flag and a name search",
    responses=READ,
)
async def list_employees(
    _: Reader,
    service: Service,
    paging: Paging,
    department_id: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None,
    active: bool | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=NO_NUL,
            description="Part of a name, e-mail or employee number.",
        ),
    ] = None,
) -> Page[EmployeeOut]:
    return await service.list_employees(paging, department_id=department_id, active=active, q=q)


@router.post("/employees", status_code=201, summary="Hire an employee", responses=WRITE)
async def create_employee(principal: Writer, service: Service, body: EmployeeIn) -> EmployeeOut:
    return await service.create_employee(body, principal)


@router.get("/employees/{employee_id}", summary="One employee", responses=ONE)
async def get_employee(_: Reader, service: Service, employee_id: Id) -> EmployeeOut:
    return await service.get_employee(employee_id)


@router.patch("/employees/{employee_id}", summary="Change an employee", responses=WRITE)
async def update_employee(
    principal: Writer, service: Service, employee_id: Id, body: EmployeeUpdate
) -> EmployeeOut:
    return await service.update_employee(employee_id, body, principal)


@router.delete(
    "/employees/{employee_id}", status_code=204, summary="Remove an employee", responses=WRITE
)
async def delete_employee(principal: Writer, service: Service, employee_id: Id) -> Response:
    await service.delete_employee(employee_id, principal)
    return Response(status_code=204)
