"""The business domains on PostgreSQL: seed from two workers at once, every read, and
the races that only a real server shows (two bookings of one room, one vote twice)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from erp_app.config import Settings
from erp_app.main import create_app
from erp_app.platform.security import ROLE_PERMISSIONS, Principal
from erp_app.platform.sessions import COOKIE
from erp_app.seed_company import SEED, seed_company

from support.pg_server import PgProc

pytestmark = pytest.mark.anyio


async def test_domains_on_postgres(
    make_settings: Callable[..., Settings], private_pg: PgProc
) -> None:
    settings = make_settings(database_url=private_pg.url())
    # Two workers starting at once: both seed, the data is there once.
    first, second = create_app(settings), create_app(settings)
    await first.state.db.start()
    await asyncio.gather(
        seed_company(first.state.db, settings), seed_company(second.state.db, settings)
    )
    await second.state.db.close()
    await first.state.db.close()

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        principal = Principal(1, "pg-tester", ("user",), frozenset(ROLE_PERMISSIONS["user"]), "")
        sid = await app.state.sessions.create(principal.as_session_data())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://erp.test", cookies={COOKIE: sid}
        ) as http:
            counts = {
                "/api/hr/departments": SEED.departments,
                "/api/hr/employees": SEED.employees,
                "/api/finance/invoices": SEED.invoices,
                "/api/calendar/events": SEED.events,
                "/api/innovation/ideas": SEED.ideas,
            }
            for path, expected in counts.items():
                page = (await http.get(path)).json()
                assert page["total"] == expected, path
            dashboard = await http.get("/api/dashboard")
            assert dashboard.status_code == 200, dashboard.text
            assert dashboard.json()["headcount_total"] > 0
            search = await http.get("/api/search", params={"q": "müller"})
            assert search.json()["results"]["employees"]

            invoice = await http.post(
                "/api/finance/invoices",
                json={
                    "customer": "Robert'); DROP TABLE invoices;-- ÄÖÜ",
                    "lines": [
                        {
                            "description": "Stufe",
                            "quantity": "999.999",
                            "unit_price": "99999.99",
                            "tax_rate": "100",
                        }
                    ]
                    * 20,
                },
            )
            assert invoice.status_code == 201, invoice.text
            assert invoice.json()["gross"] == "3999995600.00"
            moved = await http.post(
                f"/api/finance/invoices/{invoice.json()['id']}/status", json={"status": "sent"}
            )
            assert moved.status_code == 200

            booking = {
                "title": "Doppelt",
                "room": "Werkhalle",
                "starts_at": "2031-01-01T10:00:00+01:00",
                "ends_at": "2031-01-01T11:00:00+01:00",
            }
            answers = await asyncio.gather(
                *[http.post("/api/calendar/events", json=booking) for _ in range(10)]
            )
            assert Counter(r.status_code for r in answers) == {201: 1, 409: 9}
            stored = next(r.json() for r in answers if r.status_code == 201)
            assert stored["starts_at"] == "2031-01-01T09:00:00Z"

            votes = await asyncio.gather(
                *[http.post("/api/innovation/ideas/1/votes") for _ in range(10)]
            )
            assert Counter(r.status_code for r in votes) == {201: 1, 409: 9}
