"""HR bodies and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from erp_app.platform.fields import Day, RecordId, text

DepartmentName = Annotated[str, text(100, min_length=1)]
Description = Annotated[str, text(500)]
PersonName = Annotated[str, text(100, min_length=1)]
Position = Annotated[str, text(100)]
Phone = Annotated[str, text(32)]
EmployeeNumber = Annotated[
    str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")
]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")]


class DepartmentIn(BaseModel):
    name: DepartmentName
    description: Description = ""


class DepartmentUpdate(BaseModel):
    name: DepartmentName | None = None
    description: Description | None = None


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    headcount: int = 0
    created_at: datetime


class EmployeeIn(BaseModel):
    employee_number: EmployeeNumber
    first_name: PersonName
    last_name: PersonName
    email: Email
    phone: Phone | None = None
    position: Position = ""
    department_id: RecordId
    hired_on: Day
    active: StrictBool = True


class EmployeeUpdate(BaseModel):
    """Only the fields sent are changed; ``null`` leaves a field as it is (phone: clears it)."""

    employee_number: EmployeeNumber | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    email: Email | None = None
    phone: Phone | None = None
    position: Position | None = None
    department_id: RecordId | None = None
    hired_on: Day | None = None
    active: StrictBool | None = None


class EmployeeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    employee_number: str
    first_name: str
    last_name: str
    full_name: str
    email: str
    phone: str | None
    position: str
    department_id: int
    department: str
    hired_on: date
    active: bool
    created_at: datetime
    updated_at: datetime


class HROverview(BaseModel):
    """``GET /api/hr``: the module at a glance, with where to go next."""

    departments: int
    employees: int
    active_employees: int
    links: dict[str, str]
