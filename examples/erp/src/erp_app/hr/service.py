"""HR rules: unique employee numbers and e-mail addresses, departments that exist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from erp_app.hr.models import Department, Employee
from erp_app.hr.schemas import (
    DepartmentIn,
    DepartmentOut,
    DepartmentUpdate,
    EmployeeIn,
    EmployeeOut,
    EmployeeUpdate,
    HROverview,
)
from erp_app.platform import audit
from erp_app.platform.errors import ConflictError, NotFoundError
from erp_app.platform.fields import as_utc
from erp_app.platform.pagination import Page, PageParams

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from erp_app.platform.db import Database
    from erp_app.platform.security import Principal

__all__ = ["HRService"]


def department_out(department: Department, headcount: int) -> DepartmentOut:
    return DepartmentOut(
        id=department.id,
        name=department.name,
        description=department.description,
        headcount=headcount,
        created_at=as_utc(department.created_at),
    )


def employee_out(employee: Employee, department: str) -> EmployeeOut:
    return EmployeeOut(
        id=employee.id,
        employee_number=employee.employee_number,
        first_name=employee.first_name,
        last_name=employee.last_name,
        full_name=f"{employee.first_name} {employee.last_name}",
        email=employee.email,
        phone=employee.phone,
        position=employee.position,
        department_id=employee.department_id,
        department=department,
        hired_on=employee.hired_on,
        active=employee.active,
        created_at=as_utc(employee.created_at),
        updated_at=as_utc(employee.updated_at),
    )


def contains(column: Any, words: str) -> Any:
    """Case-insensitive "contains", with ``%`` and ``_`` taken literally."""
    return func.lower(column).contains(words.lower(), autoescape=True)


class HRService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def overview(self) -> HROverview:
        async with self.db.session() as session:
            departments = await session.scalar(select(func.count(Department.id))) or 0
            employees = await session.scalar(select(func.count(Employee.id))) or 0
            active = (
                await session.scalar(
                    select(func.count(Employee.id)).where(Employee.active.is_(True))
                )
                or 0
            )
        return HROverview(
            departments=departments,
            employees=employees,
            active_employees=active,
            links={"departments": "/api/hr/departments", "employees": "/api/hr/employees"},
        )

    # ---- departments ------------------------------------------------------------------------

    async def list_departments(self, page: PageParams) -> Page[DepartmentOut]:
        async with self.db.session() as session:
            total = await session.scalar(select(func.count(Department.id))) or 0
            headcount = (
                select(func.count(Employee.id))
                .where(Employee.department_id == Department.id, Employee.active.is_(True))
                .scalar_subquery()
            )
            rows = await session.execute(
                select(Department, headcount)
                .order_by(Department.id)
                .limit(page.limit)
                .offset(page.offset)
            )
            items = [department_out(d, n) for d, n in rows.all()]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    async def get_department(self, department_id: int) -> DepartmentOut:
        async with self.db.session() as session:
            department = await self._department(session, department_id)
            return department_out(department, await self._headcount(session, department_id))

    async def create_department(self, body: DepartmentIn, principal: Principal) -> DepartmentOut:
        async with self.db.session() as session:
            await self._name_is_free(session, body.name)
            department = Department(name=body.name, description=body.description)
            session.add(department)
            await self._flush(session, f"a department named {body.name!r} already exists")
            audit.record(session, principal, "create", "department", entity_id=department.id)
            return department_out(department, 0)

    async def update_department(
        self, department_id: int, body: DepartmentUpdate, principal: Principal
    ) -> DepartmentOut:
        async with self.db.session() as session:
            department = await self._department(session, department_id)
            changes = _changes(body)
            if "name" in changes and changes["name"] != department.name:
                await self._name_is_free(session, changes["name"])
            for field, value in changes.items():
                setattr(department, field, value)
            await self._flush(session, f"a department named {department.name!r} already exists")
            audit.record(
                session,
                principal,
                "update",
                "department",
                entity_id=department_id,
                details={"fields": sorted(changes)},
            )
            return department_out(department, await self._headcount(session, department_id))

    async def delete_department(self, department_id: int, principal: Principal) -> None:
        async with self.db.session() as session:
            department = await self._department(session, department_id)
            members = await session.scalar(
                select(func.count(Employee.id)).where(Employee.department_id == department_id)
            )
            if members:
                raise ConflictError(
                    f"department {department_id} still has {members} employees",
                    details={"id": department_id, "employees": members},
                )
            await session.delete(department)
            audit.record(session, principal, "delete", "department", entity_id=department_id)

    # ---- employees --------------------------------------------------------------------------

    async def list_employees(
        self,
        page: PageParams,
        *,
        department_id: int | None = None,
        active: bool | None = None,
        q: str | None = None,
    ) -> Page[EmployeeOut]:
        conditions: list[Any] = []
        if department_id is not None:
            conditions.append(Employee.department_id == department_id)
        if active is not None:
            conditions.append(Employee.active.is_(active))
        if q:
            conditions.append(
                or_(
                    contains(Employee.first_name, q),
                    contains(Employee.last_name, q),
                    contains(Employee.first_name + " " + Employee.last_name, q),
                    contains(Employee.email, q),
                    contains(Employee.employee_number, q),
                )
            )
        async with self.db.session() as session:
            total = await session.scalar(select(func.count(Employee.id)).where(*conditions)) or 0
            rows = await session.execute(
                select(Employee, Department.name)
                .join(Department, Department.id == Employee.department_id)
                .where(*conditions)
                .order_by(Employee.last_name, Employee.first_name, Employee.id)
                .limit(page.limit)
                .offset(page.offset)
            )
            items = [employee_out(e, name) for e, name in rows.all()]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    async def get_employee(self, employee_id: int) -> EmployeeOut:
        async with self.db.session() as session:
            employee = await self._employee(session, employee_id)
            department = await self._department(session, employee.department_id)
            return employee_out(employee, department.name)

    async def create_employee(self, body: EmployeeIn, principal: Principal) -> EmployeeOut:
        values = body.model_dump()
        values["email"] = values["email"].lower()
        async with self.db.session() as session:
            department = await self._department(session, body.department_id, field="department_id")
            await self._employee_is_unique(session, values["employee_number"], values["email"])
            employee = Employee(**values)
            session.add(employee)
            await self._flush(session, "an employee with that number or e-mail already exists")
            audit.record(
                session,
                principal,
                "create",
                "employee",
                entity_id=employee.id,
                details={"employee_number": employee.employee_number},
            )
            return employee_out(employee, department.name)

    async def update_employee(
        self, employee_id: int, body: EmployeeUpdate, principal: Principal
    ) -> EmployeeOut:
        changes = _changes(body, nullable={"phone"})
        if "email" in changes:
            changes["email"] = changes["email"].lower()
        async with self.db.session() as session:
            employee = await self._employee(session, employee_id)
            department = await self._department(
                session, changes.get("department_id", employee.department_id), field="department_id"
            )
            await self._employee_is_unique(
                session,
                changes.get("employee_number"),
                changes.get("email"),
                other_than=employee_id,
            )
            for field, value in changes.items():
                setattr(employee, field, value)
            await self._flush(session, "an employee with that number or e-mail already exists")
            audit.record(
                session,
                principal,
                "update",
                "employee",
                entity_id=employee_id,
                details={"fields": sorted(changes)},
            )
            await session.refresh(employee)
            return employee_out(employee, department.name)

    async def delete_employee(self, employee_id: int, principal: Principal) -> None:
        async with self.db.session() as session:
            employee = await self._employee(session, employee_id)
            await session.delete(employee)
            audit.record(
                session,
                principal,
                "delete",
                "employee",
                entity_id=employee_id,
                details={"employee_number": employee.employee_number},
            )

    # ---- helpers ----------------------------------------------------------------------------

    @staticmethod
    async def _department(
        session: AsyncSession, department_id: int, *, field: str | None = None
    ) -> Department:
        department = await session.get(Department, department_id)
        if department is None:
            details: dict[str, Any] = {"id": department_id}
            if field:
                details["field"] = field
            raise NotFoundError(f"no department with id {department_id}", details=details)
        return department

    @staticmethod
    async def _employee(session: AsyncSession, employee_id: int) -> Employee:
        employee = await session.get(Employee, employee_id)
        if employee is None:
            raise NotFoundError(f"no employee with id {employee_id}", details={"id": employee_id})
        return employee

    @staticmethod
    async def _headcount(session: AsyncSession, department_id: int) -> int:
        count = await session.scalar(
            select(func.count(Employee.id)).where(
                Employee.department_id == department_id, Employee.active.is_(True)
            )
        )
        return count or 0

    @staticmethod
    async def _name_is_free(session: AsyncSession, name: str) -> None:
        taken = await session.scalar(select(Department.id).where(Department.name == name))
        if taken is not None:
            raise ConflictError(
                f"a department named {name!r} already exists (id {taken})",
                details={"field": "name", "id": taken},
            )

    @staticmethod
    async def _employee_is_unique(
        session: AsyncSession,
        number: str | None,
        email: str | None,
        *,
        other_than: int | None = None,
    ) -> None:
        for field, column, value in (
            ("employee_number", Employee.employee_number, number),
            ("email", Employee.email, email),
        ):
            if value is None:
                continue
            query = select(Employee.id).where(column == value)
            if other_than is not None:
                query = query.where(Employee.id != other_than)
            taken = await session.scalar(query)
            if taken is not None:
                raise ConflictError(
                    f"employee {taken} already has {field} {value!r}",
                    details={"field": field, "id": taken},
                )

    @staticmethod
    async def _flush(session: AsyncSession, message: str) -> None:
        """Write now; a unique index that a concurrent request won is a 409, not a 500."""
        try:
            await session.flush()
        except IntegrityError as exc:
            raise ConflictError(message) from exc


def _changes(
    body: DepartmentUpdate | EmployeeUpdate, nullable: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    """The fields the client sent; ``null`` means "unchanged" except where a column is nullable."""
    return {
        field: value
        for field, value in body.model_dump(include=body.model_fields_set).items()
        if value is not None or field in nullable
    }
