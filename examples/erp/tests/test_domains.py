"""The business domains: hr, finance, calendar, innovation, dashboard and search.

One app (SQLite, seeded) serves the whole module, so the suite stays fast; tests that
write make their own records with unique names and never assume the others' absence.
Users log in by a session put straight into the store (auth's login is not needed here).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from app_environment import APP_VARIABLES
from erp_app.auth.models import AuditEntry
from erp_app.calendar.models import CalendarEvent
from erp_app.config import load_settings
from erp_app.dashboard.service import DashboardService
from erp_app.finance.models import Invoice
from erp_app.hr.models import Department, Employee
from erp_app.innovation.models import Idea
from erp_app.main import create_app
from erp_app.platform.security import ROLE_PERMISSIONS, Principal
from erp_app.platform.sessions import COOKIE
from erp_app.seed_company import SEED, seed_company
from error_contract import assert_error as error
from fastapi import FastAPI
from sqlalchemy import func, select

pytestmark = pytest.mark.anyio

USERS = {"admin": 1, "user": 2, "viewer": 3}
_unique = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_unique)}"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def erp(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    with pytest.MonkeyPatch.context() as patch:
        for name in APP_VARIABLES:
            patch.delenv(name, raising=False)
        settings = load_settings(
            data_dir=tmp_path_factory.mktemp("erp-domains"), health_cache_seconds=0.0
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            # No caching here: each test compares the dashboard with what it just wrote.
            app.state.dashboard = DashboardService(app.state.db, ttl=0.0)
            yield app


async def _client(app: FastAPI, role: str | None) -> httpx.AsyncClient:
    cookies = {}
    if role is not None:
        principal = Principal(
            user_id=USERS[role],
            username=f"{role}-tester",
            roles=(role,),
            permissions=frozenset(ROLE_PERMISSIONS[role]),
            session_id="",
        )
        cookies[COOKIE] = await app.state.sessions.create(principal.as_session_data())
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://erp.test", cookies=cookies)


@pytest.fixture(scope="module")
async def clients(erp: FastAPI) -> AsyncIterator[dict[str | None, httpx.AsyncClient]]:
    made = {role: await _client(erp, role) for role in (*USERS, None)}
    yield made
    for client in made.values():
        await client.aclose()


@pytest.fixture(scope="module")
def admin(clients: dict[str | None, httpx.AsyncClient]) -> httpx.AsyncClient:
    return clients["admin"]


@pytest.fixture(scope="module")
def user(clients: dict[str | None, httpx.AsyncClient]) -> httpx.AsyncClient:
    return clients["user"]


@pytest.fixture(scope="module")
def viewer(clients: dict[str | None, httpx.AsyncClient]) -> httpx.AsyncClient:
    return clients["viewer"]


@pytest.fixture(scope="module")
def anonymous(clients: dict[str | None, httpx.AsyncClient]) -> httpx.AsyncClient:
    return clients[None]


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def employee_body(**overrides: Any) -> dict[str, Any]:
    n = next(_unique)
    body: dict[str, Any] = {
        "employee_number": f"T-{n:05d}",
        "first_name": "Greta",
        "last_name": f"Probe{n}",
        "email": f"greta.probe{n}@steinmetz.example",
        "department_id": 1,
        "hired_on": "2024-04-01",
    }
    body.update(overrides)
    return body


def invoice_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": unique("Kunde "),
        "lines": [{"description": "Fensterbank", "quantity": "2", "unit_price": "95.00"}],
    }
    body.update(overrides)
    return body


def at(days: float, hours: float = 0) -> str:
    base = datetime(2031, 6, 2, 8, 0, tzinfo=UTC)
    return (base + timedelta(days=days, hours=hours)).isoformat()


# ---- seed ----------------------------------------------------------------------------------


COLLECTIONS = {
    "/api/hr/departments": SEED.departments,
    "/api/hr/employees": SEED.employees,
    "/api/finance/invoices": SEED.invoices,
    "/api/calendar/events": SEED.events,
    "/api/innovation/ideas": SEED.ideas,
}


@pytest.mark.parametrize("path", list(COLLECTIONS))
async def test_seed_gives_every_collection_a_page(viewer: httpx.AsyncClient, path: str) -> None:
    page = ok(await viewer.get(path))
    assert page["items"], path
    assert page["total"] >= COLLECTIONS[path]
    assert page["limit"] == 20
    assert page["offset"] == 0


async def test_seed_is_a_stone_works_company_and_runs_once(erp: FastAPI) -> None:
    async def count() -> tuple[int, ...]:
        async with erp.state.db.session() as session:
            models = (Department, Employee, Invoice, CalendarEvent, Idea)
            return tuple(
                [await session.scalar(select(func.count()).select_from(m)) or 0 for m in models]
            )

    before = await count()
    await seed_company(erp.state.db, erp.state.settings)  # a second start: nothing new
    assert await count() == before
    async with erp.state.db.session() as session:
        names = list(await session.scalars(select(Department.name).order_by(Department.id)))
    assert names[:5] == ["Verwaltung", "Werkstatt", "Montage", "Vertrieb", "Planung"]


async def test_each_module_has_an_overview(viewer: httpx.AsyncClient) -> None:
    hr = ok(await viewer.get("/api/hr"))
    assert hr["departments"] >= SEED.departments
    assert hr["employees"] >= hr["active_employees"] > 0
    finance = ok(await viewer.get("/api/finance"))
    assert set(finance["by_status"]) == {"draft", "sent", "paid", "cancelled"}
    assert finance["invoices"] == sum(finance["by_status"].values()) >= SEED.invoices
    calendar = ok(await viewer.get("/api/calendar"))
    assert calendar["upcoming"] > 0
    assert "Werkhalle" in calendar["rooms"]
    innovation = ok(await viewer.get("/api/innovation"))
    assert innovation["ideas"] >= SEED.ideas
    assert innovation["votes"] > 0
    for overview in (hr, finance, calendar, innovation):
        for link in overview["links"].values():
            assert ok(await viewer.get(link))["items"]


# ---- hr ------------------------------------------------------------------------------------


async def test_department_crud(user: httpx.AsyncClient) -> None:
    name = unique("Lager ")
    made = ok(await user.post("/api/hr/departments", json={"name": name}), 201)
    assert made["headcount"] == 0
    assert ok(await user.get(f"/api/hr/departments/{made['id']}"))["name"] == name
    error(await user.post("/api/hr/departments", json={"name": name}), 409, "CONFLICT")
    changed = ok(
        await user.patch(f"/api/hr/departments/{made['id']}", json={"description": "Blöcke"})
    )
    assert changed["description"] == "Blöcke"
    assert changed["name"] == name
    ok(await user.delete(f"/api/hr/departments/{made['id']}"), 204)
    gone = error(await user.get(f"/api/hr/departments/{made['id']}"), 404, "NOT_FOUND")
    assert str(made["id"]) in gone["message"]


async def test_a_department_with_employees_cannot_be_deleted(user: httpx.AsyncClient) -> None:
    found = error(await user.delete("/api/hr/departments/1"), 409, "CONFLICT")
    assert found["details"]["employees"] > 0


async def test_employee_crud(user: httpx.AsyncClient) -> None:
    body = employee_body(phone="+49 731 1234", position="Steinmetz")
    made = ok(await user.post("/api/hr/employees", json=body), 201)
    assert made["full_name"] == f"Greta {body['last_name']}"
    assert made["department"] == "Verwaltung"
    assert made["active"] is True
    url = f"/api/hr/employees/{made['id']}"
    assert ok(await user.get(url)) == made
    moved = ok(await user.patch(url, json={"department_id": 2, "phone": None, "active": False}))
    assert (moved["department"], moved["phone"], moved["active"]) == ("Werkstatt", None, False)
    assert moved["last_name"] == body["last_name"]
    ok(await user.delete(url), 204)
    found = error(await user.get(url), 404, "NOT_FOUND")
    assert found["details"] == {"id": made["id"]}
    assert str(made["id"]) in found["message"]
    error(await user.delete(url), 404, "NOT_FOUND")
    error(await user.patch(url, json={"position": "x"}), 404, "NOT_FOUND")


async def test_employee_number_and_email_are_unique(user: httpx.AsyncClient) -> None:
    first = ok(await user.post("/api/hr/employees", json=employee_body()), 201)
    same_number = employee_body(employee_number=first["employee_number"])
    found = error(await user.post("/api/hr/employees", json=same_number), 409, "CONFLICT")
    assert found["details"]["field"] == "employee_number"
    same_email = employee_body(email=first["email"].upper())
    found = error(await user.post("/api/hr/employees", json=same_email), 409, "CONFLICT")
    assert found["details"]["field"] == "email"
    other = ok(await user.post("/api/hr/employees", json=employee_body()), 201)
    taken = {"email": first["email"]}
    error(await user.patch(f"/api/hr/employees/{other['id']}", json=taken), 409, "CONFLICT")
    # Sending one's own values back is no conflict.
    mine = {"email": other["email"], "employee_number": other["employee_number"]}
    ok(await user.patch(f"/api/hr/employees/{other['id']}", json=mine))


async def test_an_unknown_department_is_404(user: httpx.AsyncClient) -> None:
    body = employee_body(department_id=999_999)
    found = error(await user.post("/api/hr/employees", json=body), 404, "NOT_FOUND")
    assert found["details"] == {"id": 999_999, "field": "department_id"}


async def test_employee_filters(viewer: httpx.AsyncClient) -> None:
    werkstatt = ok(await viewer.get("/api/hr/employees", params={"department_id": 2, "limit": 100}))
    assert werkstatt["items"]
    assert {e["department"] for e in werkstatt["items"]} == {"Werkstatt"}
    left = ok(await viewer.get("/api/hr/employees", params={"active": "false", "limit": 100}))
    assert left["total"] >= 3
    assert not any(e["active"] for e in left["items"])
    found = ok(await viewer.get("/api/hr/employees", params={"q": "sz-0024"}))
    assert [e["employee_number"] for e in found["items"]] == ["SZ-0024"]
    by_name = ok(await viewer.get("/api/hr/employees", params={"q": "MÜLLER"}))
    assert by_name["items"]
    assert all("Müller" in e["full_name"] for e in by_name["items"])
    nothing = ok(await viewer.get("/api/hr/employees", params={"q": "%"}))
    assert nothing["total"] == 0  # % is a character here, not a wildcard


async def test_pagination_bounds(viewer: httpx.AsyncClient) -> None:
    five = ok(await viewer.get("/api/hr/employees", params={"limit": 5, "offset": 5}))
    assert (len(five["items"]), five["limit"], five["offset"]) == (5, 5, 5)
    everyone = ok(await viewer.get("/api/hr/employees", params={"limit": 100}))
    assert [e["id"] for e in everyone["items"][5:10]] == [e["id"] for e in five["items"]]
    beyond = ok(await viewer.get("/api/hr/employees", params={"offset": 10_000}))
    assert beyond["items"] == []
    assert beyond["total"] == everyone["total"]
    for params in ({"limit": 101}, {"limit": 0}, {"offset": -1}, {"limit": "ten"}):
        for path in COLLECTIONS:
            error(await viewer.get(path, params=params), 422, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_name": "x" * 101}, "first_name"),
        ({"first_name": ""}, "first_name"),
        ({"department_id": "1"}, "department_id"),
        ({"department_id": True}, "department_id"),
        ({"department_id": 2**31}, "department_id"),
        ({"active": "yes"}, "active"),
        ({"hired_on": 20240401}, "hired_on"),
        ({"email": "not-an-address"}, "email"),
        ({"employee_number": "a b"}, "employee_number"),
        ({"last_name": "nul\u0000byte"}, "last_name"),
    ],
)
async def test_bad_employee_input_is_422(
    user: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    found = error(
        await user.post("/api/hr/employees", json=employee_body(**change)), 422, "VALIDATION_ERROR"
    )
    assert field in {problem["field"] for problem in found["details"]["errors"]}


async def test_whole_numbers_may_be_written_as_floats(user: httpx.AsyncClient) -> None:
    ok(await user.post("/api/hr/employees", json=employee_body(department_id=2.0)), 201)


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", str(2**31), "1.5"])
async def test_bad_ids_are_422(viewer: httpx.AsyncClient, bad_id: str) -> None:
    error(await viewer.get(f"/api/hr/employees/{bad_id}"), 422, "VALIDATION_ERROR")


async def test_sql_looking_text_is_stored_as_text(user: httpx.AsyncClient) -> None:
    name = "Robert'); DROP TABLE employees;--"
    made = ok(await user.post("/api/hr/employees", json=employee_body(last_name=name)), 201)
    assert ok(await user.get(f"/api/hr/employees/{made['id']}"))["last_name"] == name
    found = ok(await user.get("/api/hr/employees", params={"q": "DROP TABLE"}))
    assert [e["id"] for e in found["items"]] == [made["id"]]
    idea = ok(await user.post("/api/innovation/ideas", json={"title": "1' OR '1'='1"}), 201)
    assert idea["title"] == "1' OR '1'='1"


# ---- auth and RBAC on every domain ------------------------------------------------------


WRITES = [
    ("POST", "/api/hr/departments"),
    ("PATCH", "/api/hr/departments/1"),
    ("DELETE", "/api/hr/departments/999999"),
    ("POST", "/api/hr/employees"),
    ("PATCH", "/api/hr/employees/1"),
    ("DELETE", "/api/hr/employees/1"),
    ("POST", "/api/finance/invoices"),
    ("PATCH", "/api/finance/invoices/1"),
    ("POST", "/api/finance/invoices/1/status"),
    ("DELETE", "/api/finance/invoices/1"),
    ("POST", "/api/calendar/events"),
    ("PATCH", "/api/calendar/events/1"),
    ("DELETE", "/api/calendar/events/1"),
    ("POST", "/api/innovation/ideas"),
    ("PATCH", "/api/innovation/ideas/1"),
    ("DELETE", "/api/innovation/ideas/1"),
    ("POST", "/api/innovation/ideas/1/votes"),
    ("DELETE", "/api/innovation/ideas/1/votes"),
]
OVERVIEWS = ["/api/hr", "/api/finance", "/api/calendar", "/api/innovation"]
READS = [
    *COLLECTIONS,
    *OVERVIEWS,
    "/api/hr/employees/1",
    "/api/dashboard",
    "/api/search?q=stein",
]


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_writes_need_a_session_then_the_permission(
    anonymous: httpx.AsyncClient, viewer: httpx.AsyncClient, method: str, path: str
) -> None:
    bad = {"content": b"{not json", "headers": {"content-type": "application/json"}}
    unknown = path.replace("/1", "/424242")
    for target in (path, unknown):
        error(await anonymous.request(method, target, **bad), 401, "UNAUTHORIZED")  # type: ignore[arg-type]
        error(await anonymous.request(method, target, json={}), 401, "UNAUTHORIZED")
        found = error(await viewer.request(method, target, **bad), 403, "FORBIDDEN")  # type: ignore[arg-type]
        assert found["details"]["permission"].endswith(":write")


@pytest.mark.parametrize("path", READS)
async def test_reads_need_a_session_and_viewers_may_read(
    anonymous: httpx.AsyncClient, viewer: httpx.AsyncClient, path: str
) -> None:
    error(await anonymous.get(path), 401, "UNAUTHORIZED")
    ok(await viewer.get(path))


async def test_malformed_json_is_400_and_a_form_is_415(user: httpx.AsyncClient) -> None:
    bad = await user.post(
        "/api/hr/departments", content=b"{oops", headers={"content-type": "application/json"}
    )
    error(bad, 400, "BAD_REQUEST")
    error(await user.post("/api/hr/departments", data={"name": "x"}), 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_every_write_is_audited(erp: FastAPI, user: httpx.AsyncClient) -> None:
    idea = ok(await user.post("/api/innovation/ideas", json={"title": unique("Audit ")}), 201)
    ok(await user.post(f"/api/innovation/ideas/{idea['id']}/votes"), 201)
    async with erp.state.db.session() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity == "idea", AuditEntry.entity_id == str(idea["id"])
                )
            )
        )
    assert [(e.username, e.action) for e in entries] == [
        ("user-tester", "create"),
        ("user-tester", "vote"),
    ]


# ---- finance -------------------------------------------------------------------------------


async def test_invoice_totals_are_computed_on_the_server(user: httpx.AsyncClient) -> None:
    body = invoice_body(
        lines=[
            {"description": "Grabstein", "quantity": "1", "unit_price": "1850.00"},
            {"description": "Schrift", "quantity": "24", "unit_price": "14.5", "tax_rate": "19"},
            {"description": "Buch", "quantity": "0.333", "unit_price": "0.10", "tax_rate": "7"},
        ],
        net="1.00",
        gross="1.00",  # a client's totals are ignored
    )
    made = ok(await user.post("/api/finance/invoices", json=body), 201)
    assert made["status"] == "draft"
    assert made["number"] == f"RE-{made['issue_date'][:4]}-{made['id']:05d}"
    assert [line["net"] for line in made["lines"]] == ["1850.00", "348.00", "0.03"]
    assert [line["tax"] for line in made["lines"]] == ["351.50", "66.12", "0.00"]
    assert (made["net"], made["tax"], made["gross"]) == ("2198.03", "417.62", "2615.65")
    assert Decimal(made["net"]) + Decimal(made["tax"]) == Decimal(made["gross"])
    assert made["lines"][2]["quantity"] == "0.333"
    assert made["created_by"] == "user-tester"


async def test_invoice_lines_of_a_draft_can_be_replaced(user: httpx.AsyncClient) -> None:
    made = ok(await user.post("/api/finance/invoices", json=invoice_body()), 201)
    lines = [{"description": "Treppe", "quantity": "3", "unit_price": "310", "tax_rate": "19"}]
    changed = ok(await user.patch(f"/api/finance/invoices/{made['id']}", json={"lines": lines}))
    assert (changed["net"], changed["tax"], changed["gross"]) == ("930.00", "176.70", "1106.70")
    assert len(changed["lines"]) == 1


@pytest.mark.parametrize(
    "line",
    [
        {"description": "x", "quantity": "1", "unit_price": "12.345"},
        {"description": "x", "quantity": "1", "unit_price": 12.5},
        {"description": "x", "quantity": "-1", "unit_price": "1"},
        {"description": "x", "quantity": "1000", "unit_price": "1"},
        {"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "101"},
        {"description": "", "quantity": "1", "unit_price": "1"},
    ],
)
async def test_bad_invoice_lines_are_422(user: httpx.AsyncClient, line: dict[str, Any]) -> None:
    response = await user.post("/api/finance/invoices", json=invoice_body(lines=[line]))
    error(response, 422, "VALIDATION_ERROR")


async def test_invoice_shape_rules(user: httpx.AsyncClient) -> None:
    no_lines = invoice_body(lines=[])
    error(await user.post("/api/finance/invoices", json=no_lines), 422, "VALIDATION_ERROR")
    backwards = invoice_body(issue_date="2026-03-10", due_date="2026-03-01")
    found = error(await user.post("/api/finance/invoices", json=backwards), 422, "VALIDATION_ERROR")
    assert found["details"]["errors"][0]["field"] == "due_date"
    dated = ok(
        await user.post("/api/finance/invoices", json=invoice_body(issue_date="2026-03-10")), 201
    )
    assert dated["due_date"] == "2026-03-24"


async def test_invoice_status_transitions(user: httpx.AsyncClient) -> None:
    async def move(invoice_id: int, status: str) -> httpx.Response:
        return await user.post(
            f"/api/finance/invoices/{invoice_id}/status", json={"status": status}
        )

    invoice = ok(await user.post("/api/finance/invoices", json=invoice_body()), 201)
    found = error(await move(invoice["id"], "paid"), 409, "CONFLICT")
    assert "draft" in found["message"]
    assert "paid" in found["message"]
    assert (found["details"]["from"], found["details"]["to"]) == ("draft", "paid")
    sent = ok(await move(invoice["id"], "sent"))
    assert sent["status"] == "sent"
    assert sent["sent_at"] is not None
    error(
        await user.patch(f"/api/finance/invoices/{invoice['id']}", json={"notes": "x"}),
        409,
        "CONFLICT",
    )
    error(await user.delete(f"/api/finance/invoices/{invoice['id']}"), 409, "CONFLICT")
    error(await move(invoice["id"], "sent"), 409, "CONFLICT")
    paid = ok(await move(invoice["id"], "paid"))
    assert (paid["status"], paid["paid_at"] is not None) == ("paid", True)
    for later in ("cancelled", "sent", "draft"):
        found = error(await move(invoice["id"], later), 409, "CONFLICT")
        assert (found["details"]["from"], found["details"]["to"]) == ("paid", later)

    draft = ok(await user.post("/api/finance/invoices", json=invoice_body()), 201)
    assert ok(await move(draft["id"], "cancelled"))["status"] == "cancelled"
    error(await move(draft["id"], "sent"), 409, "CONFLICT")
    another = ok(await user.post("/api/finance/invoices", json=invoice_body()), 201)
    ok(await move(another["id"], "sent"))
    assert ok(await move(another["id"], "cancelled"))["cancelled_at"] is not None

    error(await move(another["id"], "lost"), 422, "VALIDATION_ERROR")
    error(await move(424242, "sent"), 404, "NOT_FOUND")


async def test_a_draft_can_be_deleted(user: httpx.AsyncClient) -> None:
    draft = ok(await user.post("/api/finance/invoices", json=invoice_body()), 201)
    ok(await user.delete(f"/api/finance/invoices/{draft['id']}"), 204)
    error(await user.get(f"/api/finance/invoices/{draft['id']}"), 404, "NOT_FOUND")


async def test_invoice_filters(viewer: httpx.AsyncClient) -> None:
    for status in ("draft", "sent", "paid", "cancelled"):
        page = ok(await viewer.get("/api/finance/invoices", params={"status": status}))
        assert page["items"], status
        assert {i["status"] for i in page["items"]} == {status}
    error(
        await viewer.get("/api/finance/invoices", params={"status": "x"}), 422, "VALIDATION_ERROR"
    )
    berger = ok(await viewer.get("/api/finance/invoices", params={"customer": "berger"}))
    assert berger["items"]
    assert {i["customer"] for i in berger["items"]} == {"Familie Berger"}


# ---- calendar ------------------------------------------------------------------------------


async def test_a_room_cannot_be_booked_twice(user: httpx.AsyncClient) -> None:
    room = unique("Raum ")
    first = ok(
        await user.post(
            "/api/calendar/events",
            json={
                "title": "Abnahme",
                "room": room,
                "starts_at": at(0),
                "ends_at": at(0, 2),
                "attendees": ["Anna Koch"],
            },
        ),
        201,
    )
    assert first["starts_at"] == at(0).replace("+00:00", "Z")
    clash = {"title": "Zweiter", "room": room, "starts_at": at(0, 1), "ends_at": at(0, 3)}
    found = error(await user.post("/api/calendar/events", json=clash), 409, "CONFLICT")
    assert found["details"]["event_id"] == first["id"]
    assert str(first["id"]) in found["message"]
    assert "Abnahme" in found["message"]
    # The same instant written with another offset is the same clash.
    shifted = {**clash, "starts_at": "2031-06-02T10:30:00+02:00", "ends_at": at(0, 1)}
    error(await user.post("/api/calendar/events", json=shifted), 409, "CONFLICT")
    elsewhere = {**clash, "room": unique("Raum ")}
    ok(await user.post("/api/calendar/events", json=elsewhere), 201)
    right_after = {**clash, "starts_at": at(0, 2), "ends_at": at(0, 3)}
    later = ok(await user.post("/api/calendar/events", json=right_after), 201)
    # Moving the later one onto the first is a clash too; moving it on its own time is not.
    url = f"/api/calendar/events/{later['id']}"
    error(await user.patch(url, json={"starts_at": at(0, 1)}), 409, "CONFLICT")
    assert ok(await user.patch(url, json={"title": "Neu"}))["title"] == "Neu"
    listed = ok(await user.get("/api/calendar/events", params={"room": room}))
    assert [e["id"] for e in listed["items"]] == [first["id"], later["id"]]
    ok(await user.delete(url), 204)
    error(await user.get(url), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        (at(3, 2), at(3, 1)),  # ends before it starts
        (at(3), at(3)),  # ends when it starts
        ("2031-06-05T08:00:00", at(3, 1)),  # no offset
        (1_900_000_000, at(3, 1)),  # a number
        ("0001-01-01T00:00:00+01:00", at(3, 1)),  # out of range
        ("morgen", at(3, 1)),
    ],
)
async def test_bad_event_times_are_422(
    user: httpx.AsyncClient, starts_at: object, ends_at: object
) -> None:
    body = {"title": "x", "room": unique("Raum "), "starts_at": starts_at, "ends_at": ends_at}
    error(await user.post("/api/calendar/events", json=body), 422, "VALIDATION_ERROR")


async def test_events_by_time_window(viewer: httpx.AsyncClient) -> None:
    now = datetime.now(UTC)
    params = {
        "starts_after": now.isoformat(),
        "starts_before": (now + timedelta(days=3)).isoformat(),
    }
    window = ok(await viewer.get("/api/calendar/events", params=params))
    assert window["items"]
    starts = [datetime.fromisoformat(e["starts_at"]) for e in window["items"]]
    assert starts == sorted(starts)
    assert all(now <= s < now + timedelta(days=3) for s in starts)
    naive = {"starts_after": "2026-01-01T00:00:00"}
    error(await viewer.get("/api/calendar/events", params=naive), 422, "VALIDATION_ERROR")


# ---- innovation ----------------------------------------------------------------------------


async def test_one_vote_per_user(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, viewer: httpx.AsyncClient
) -> None:
    idea = ok(
        await user.post(
            "/api/innovation/ideas",
            json={"title": unique("Idee "), "description": "Mehr Licht", "category": "werkstatt"},
        ),
        201,
    )
    assert (idea["votes"], idea["voted"], idea["author"]) == (0, False, "user-tester")
    votes = f"/api/innovation/ideas/{idea['id']}/votes"
    voted = ok(await user.post(votes), 201)
    assert (voted["votes"], voted["voted"]) == (1, True)
    found = error(await user.post(votes), 409, "CONFLICT")
    assert found["details"]["voter"] == "user-tester"
    assert ok(await admin.post(votes), 201)["votes"] == 2
    error(await viewer.post(votes), 403, "FORBIDDEN")
    seen = ok(await viewer.get(f"/api/innovation/ideas/{idea['id']}"))
    assert (seen["votes"], seen["voted"]) == (2, False)
    assert ok(await user.delete(votes))["votes"] == 1
    error(await user.delete(votes), 404, "NOT_FOUND")
    error(await user.post("/api/innovation/ideas/424242/votes"), 404, "NOT_FOUND")


async def test_ideas_are_ranked_by_votes(
    viewer: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    page = ok(await viewer.get("/api/innovation/ideas", params={"limit": 100}))
    counts = [i["votes"] for i in page["items"]]
    assert counts == sorted(counts, reverse=True)
    newest = ok(await viewer.get("/api/innovation/ideas", params={"sort": "newest", "limit": 100}))
    assert {i["id"] for i in newest["items"]} == {i["id"] for i in page["items"]}
    idea = ok(await user.post("/api/innovation/ideas", json={"title": unique("Status ")}), 201)
    url = f"/api/innovation/ideas/{idea['id']}"
    assert ok(await user.patch(url, json={"status": "accepted"}))["status"] == "accepted"
    error(await user.patch(url, json={"status": "maybe"}), 422, "VALIDATION_ERROR")
    accepted = ok(await viewer.get("/api/innovation/ideas", params={"status": "accepted"}))
    assert idea["id"] in {i["id"] for i in accepted["items"]}
    ok(await user.delete(url), 204)
    error(await user.get(url), 404, "NOT_FOUND")


# ---- dashboard -----------------------------------------------------------------------------


async def test_dashboard_kpis_match_the_data(viewer: httpx.AsyncClient) -> None:
    kpis = ok(await viewer.get("/api/dashboard"))
    sent = ok(await viewer.get("/api/finance/invoices", params={"status": "sent", "limit": 100}))
    assert kpis["invoices"]["open_count"] == sent["total"] > 0
    open_amount = sum(Decimal(i["gross"]) for i in sent["items"])
    assert Decimal(kpis["invoices"]["open_amount"]) == open_amount
    drafts = ok(await viewer.get("/api/finance/invoices", params={"status": "draft"}))
    assert kpis["invoices"]["draft_count"] == drafts["total"]

    for department in kpis["headcount"]:
        active = ok(
            await viewer.get(
                "/api/hr/employees",
                params={"department_id": department["department_id"], "active": "true"},
            )
        )
        assert department["headcount"] == active["total"], department
    assert kpis["headcount_total"] == sum(d["headcount"] for d in kpis["headcount"])
    assert {d["department"] for d in kpis["headcount"]} >= {"Verwaltung", "Werkstatt"}

    upcoming = kpis["upcoming_events"]
    assert upcoming
    assert all(datetime.fromisoformat(e["ends_at"]) > datetime.now(UTC) for e in upcoming)
    starts = [e["starts_at"] for e in upcoming]
    assert starts == sorted(starts)

    ideas = ok(await viewer.get("/api/innovation/ideas", params={"limit": 5}))
    assert [(i["id"], i["votes"]) for i in kpis["top_ideas"]] == [
        (i["id"], i["votes"]) for i in ideas["items"]
    ]


async def test_dashboard_is_cached_briefly(erp: FastAPI, viewer: httpx.AsyncClient) -> None:
    service = DashboardService(erp.state.db, ttl=60.0)
    erp.state.dashboard = service
    try:
        first = ok(await viewer.get("/api/dashboard"))
        assert first["cached_for_seconds"] == 60.0
        assert ok(await viewer.get("/api/dashboard"))["generated_at"] == first["generated_at"]
        service.invalidate()
        assert ok(await viewer.get("/api/dashboard"))["generated_at"] != first["generated_at"]
    finally:
        erp.state.dashboard = DashboardService(erp.state.db, ttl=0.0)


# ---- search --------------------------------------------------------------------------------


async def test_search_finds_each_kind(erp: FastAPI, viewer: httpx.AsyncClient) -> None:
    employee = ok(await viewer.get("/api/search", params={"q": "SZ-0024"}))["results"]
    assert [h["url"] for h in employee["employees"]] == ["/api/hr/employees/24"]
    assert employee["employees"][0]["type"] == "employee"

    invoice = ok(await viewer.get("/api/finance/invoices/1"))
    found = ok(await viewer.get("/api/search", params={"q": invoice["number"]}))["results"]
    assert [h["id"] for h in found["invoices"]] == ["1"]
    by_line = ok(await viewer.get("/api/search", params={"q": "granit"}))["results"]
    assert by_line["invoices"]  # words on a line item find the invoice

    idea = ok(await viewer.get("/api/search", params={"q": "solardach werkhalle"}))["results"]
    assert [h["title"] for h in idea["ideas"]] == ["Solardach auf der Werkhalle"]

    snapshot = await erp.state.functions.snapshot()
    node = next(n for n in snapshot.by_id.values() if n.parent is not None)
    functions = ok(await viewer.get("/api/search", params={"q": node.title}))
    assert node.id in {h["id"] for h in functions["results"]["functions"]}
    assert functions["catalogue_available"] is True
    assert functions["total"] >= 1


async def test_search_limits(viewer: httpx.AsyncClient) -> None:
    one = ok(await viewer.get("/api/search", params={"q": "a", "limit": 1}))
    assert all(len(group) <= 1 for group in one["results"].values())
    for params in ({"q": ""}, {"q": "x" * 101}, {"q": "   "}, {"q": "a", "limit": 51}, {}):
        error(await viewer.get("/api/search", params=params), 422, "VALIDATION_ERROR")
    nothing = ok(await viewer.get("/api/search", params={"q": "%_'; --"}))
    assert nothing["total"] == 0


# ---- the OpenAPI document ------------------------------------------------------------------


async def test_every_error_status_is_documented(viewer: httpx.AsyncClient) -> None:
    document = ok(await viewer.get("/openapi.json"))
    prefixes = (
        "/api/hr",
        "/api/finance",
        "/api/calendar",
        "/api/innovation",
        "/api/dashboard",
        "/api/search",
    )
    operations = [
        (method, path, operation)
        for path, item in document["paths"].items()
        if path.startswith(prefixes)
        for method, operation in item.items()
    ]
    assert len(operations) >= 25
    for method, path, operation in operations:
        statuses = set(operation["responses"])
        expected = {"401", "403"}
        if method in {"post", "patch", "delete"}:
            expected |= {"400", "404", "409", "413", "415", "422"}
        assert statuses >= expected, (method, path)
        for status in expected:
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path)


async def test_bounds_reach_the_openapi_as_json_schema(viewer: httpx.AsyncClient) -> None:
    document = ok(await viewer.get("/openapi.json"))
    schemas = document["components"]["schemas"]
    department = schemas["EmployeeUpdate"]["properties"]["department_id"]["anyOf"][0]
    assert (department["minimum"], department["maximum"]) == (1, 2**31 - 1)

    def keys(node: object) -> set[str]:
        if isinstance(node, dict):
            return set(node) | {k for value in node.values() for k in keys(value)}
        if isinstance(node, list):
            return {k for value in node for k in keys(value)}
        return set()

    # pydantic's own names for bounds are not JSON Schema: a client would never see them.
    assert not keys(schemas) & {"ge", "le", "gt", "lt"}


async def test_two_workers_seeding_at_once_write_the_data_once(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        for name in APP_VARIABLES:
            patch.delenv(name, raising=False)
        settings = load_settings(data_dir=tmp_path)
    first, second = create_app(settings), create_app(settings)
    await first.state.db.start()
    try:
        await asyncio.gather(
            seed_company(first.state.db, settings), seed_company(second.state.db, settings)
        )
        async with first.state.db.session() as session:
            models = (Department, Employee, Invoice, CalendarEvent, Idea)
            counts = [await session.scalar(select(func.count()).select_from(m)) for m in models]
    finally:
        await second.state.db.close()
        await first.state.db.close()
    assert counts == [SEED.departments, SEED.employees, SEED.invoices, SEED.events, SEED.ideas]


async def test_a_405_allows_every_method_of_the_path(viewer: httpx.AsyncClient) -> None:
    response = await viewer.put("/api/hr/employees/1", json={})
    error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, PATCH, DELETE"
