"""schemathesis against every operation of the API, logged in as admin.

Every operation gets generated requests (valid and invalid) with a session: no 5xx,
every status documented, every answer matching its schema, invalid input rejected. Left
out: the two that end the session the run is logged in with (logout, ending the
visitor session).

One check is told about the domains' own rules: a request the schema allows can still
break one that JSON Schema cannot say (an event that ends before it starts, a due date
before the issue date). Those are 422 by design, so ``positive_data_acceptance`` accepts
422 here besides its defaults.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from app_environment import APP_VARIABLES
from erp_app.config import load_settings
from erp_app.main import create_app
from erp_app.platform.security import ROLE_PERMISSIONS, Principal
from erp_app.platform.sessions import COOKIE
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi

ENDS_THE_SESSION = r"^/api/(auth/logout|session)$"


def _app() -> Any:
    saved = {name: os.environ.pop(name) for name in APP_VARIABLES if name in os.environ}
    try:
        data = Path(tempfile.mkdtemp(prefix="erp-schemathesis-"))
        return create_app(load_settings(data_dir=data, health_cache_seconds=0.0))
    finally:
        os.environ.update(saved)


APP = _app()


async def _without_lifespan(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The app, minus its lifespan, which the fixture below runs once for the module.

    schemathesis would start and stop it around every test (a second each). Refusing
    the lifespan scope at once is how an ASGI app says it has none.
    """
    if scope["type"] == "lifespan":
        raise RuntimeError("the lifespan is run by the test module")
    await APP(scope, receive, send)


schema = (
    schemathesis.openapi.from_asgi("/openapi.json", _without_lifespan)
    .include(path_regex=r"^/api/")
    .exclude(path_regex=ENDS_THE_SESSION, method=["POST", "DELETE"])
)
COOKIE_HEADER: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def started() -> Iterator[None]:
    # The requests run in schemathesis' event-loop thread; the app starts in it too.
    portal = asgi._get_portal()
    with portal.wrap_async_context_manager(APP.router.lifespan_context(APP)):
        principal = Principal(
            user_id=1,
            username="admin",
            roles=("admin",),
            permissions=frozenset(ROLE_PERMISSIONS["admin"]),
            session_id="",
        )
        sid = portal.call(APP.state.sessions.create, principal.as_session_data())
        COOKIE_HEADER["Cookie"] = f"{COOKIE}={sid}"
        yield


schema.config.checks.positive_data_acceptance.expected_statuses = [
    *schema.config.checks.positive_data_acceptance.expected_statuses,
    "422",
]


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=COOKIE_HEADER)
