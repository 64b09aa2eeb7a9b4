"""Auth: login, logout, me; cookies and sessions; lockout and the address limit (locally and
across two app instances sharing a private Redis); RBAC before validation; the seeded
admin's password printed once; nothing secret in a log line or a response."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from erp_app.auth import service
from erp_app.auth.lockout import LoginLimits
from erp_app.auth.models import AuditEntry, LoginSession
from erp_app.config import Settings
from erp_app.main import create_app
from erp_app.platform.errors import RateLimitError
from erp_app.platform.sessions import COOKIE
from error_contract import assert_error
from fastapi import FastAPI
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select

from steinresil.testing import FakeClock
from support.redis_server import RedisProc

pytestmark = pytest.mark.anyio

ADMIN_PASSWORD = "admin-pw-Kq7#tW93"
VIEWER_PASSWORD = "viewer-pw-Zr4!bN21"
USER_PASSWORD = "user-pw-Hm8$xP55"


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as http:
            yield app, http


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with test-sized costs: still argon2id, a few ms instead of ~100 per hash."""
    monkeypatch.setattr(
        service,
        "_HASHER",
        PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),)),
    )


def use_cookie(http: httpx.AsyncClient, sid: str) -> None:
    """Replay ``sid`` as the session cookie (replacing what the jar holds)."""
    http.cookies.clear()
    http.cookies.set(COOKIE, sid, domain="erp.test")


@pytest.fixture
def settings_for(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        overrides.setdefault("erp_admin_password", ADMIN_PASSWORD)
        overrides.setdefault("erp_viewer_password", VIEWER_PASSWORD)
        overrides.setdefault("erp_user_password", USER_PASSWORD)
        return make_settings(**overrides)

    return make


@pytest.fixture
async def erp(
    settings_for: Callable[..., Settings],
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running(settings_for()) as pair:
        yield pair


async def login(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post("/api/auth/login", json={"username": username, "password": password})


# ---- login, me, logout ----------------------------------------------------------------------


async def test_login_me_logout(erp: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, http = erp
    assert_error(await http.get("/api/auth/me"), 401, "UNAUTHORIZED")

    response = await login(http, "admin", ADMIN_PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json() == {"username": "admin", "roles": ["admin"], "permissions": ["*"]}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests: COOKIE_SECURE is off
    sid = http.cookies[COOKIE]
    assert sid not in response.text

    me = await http.get("/api/auth/me")
    assert me.json() == {"username": "admin", "roles": ["admin"], "permissions": ["*"]}

    # The login is recorded by the session id's hash, never by the id.
    async with app.state.db.session() as session:
        rows = list(await session.scalars(select(LoginSession)))
    assert len(rows) == 1
    assert rows[0].ended_at is None
    assert sid not in rows[0].session_hash

    out = await http.post("/api/auth/logout")
    assert out.status_code == 204
    assert f'{COOKIE}=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    assert await app.state.sessions.get(sid) is None

    # The old cookie, replayed, is worth nothing: the session ended on the server.
    use_cookie(http, sid)
    assert_error(await http.get("/api/auth/me"), 401, "UNAUTHORIZED")
    assert_error(await http.post("/api/auth/logout"), 401, "UNAUTHORIZED")
    async with app.state.db.session() as session:
        ended = await session.scalar(select(LoginSession.ended_at))
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert ended is not None
    assert "login" in actions
    assert "logout" in actions


async def test_viewer_and_user_roles(erp: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, http = erp
    viewer = await login(http, "viewer", VIEWER_PASSWORD)
    assert viewer.json()["roles"] == ["viewer"]
    assert "hr:read" in viewer.json()["permissions"]
    assert not any(p.endswith(":write") for p in viewer.json()["permissions"])
    user = await login(http, "user", USER_PASSWORD)
    assert "hr:write" in user.json()["permissions"]


async def test_secure_cookie_behind_https(settings_for: Callable[..., Settings]) -> None:
    async with running(settings_for(cookie_secure=True)) as (_, http):
        response = await login(http, "admin", ADMIN_PASSWORD)
        assert "Secure" in response.headers["set-cookie"]


async def test_login_starts_a_fresh_session(erp: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, http = erp
    await http.get("/api/session")  # an anonymous session, as a fixation attacker would plant
    planted = http.cookies[COOKIE]
    await login(http, "admin", ADMIN_PASSWORD)
    fresh = http.cookies[COOKIE]
    assert fresh != planted
    assert await app.state.sessions.get(planted) is None
    use_cookie(http, planted)
    assert_error(await http.get("/api/auth/me"), 401, "UNAUTHORIZED")

    # Logging in again (as another user) ends the first login's session too.
    use_cookie(http, fresh)
    await login(http, "viewer", VIEWER_PASSWORD)
    assert await app.state.sessions.get(fresh) is None
    assert (await http.get("/api/auth/me")).json()["username"] == "viewer"


async def test_wrong_password_and_unknown_user_look_the_same(
    erp: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, http = erp
    wrong = assert_error(await login(http, "admin", "not-it"), 401, "UNAUTHORIZED")
    unknown = assert_error(await login(http, "nobody", "not-it"), 401, "UNAUTHORIZED")
    assert wrong["message"] == unknown["message"]
    assert set(wrong) == set(unknown)
    assert COOKIE not in http.cookies


async def test_bad_bodies(erp: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, http = erp
    form = await http.post("/api/auth/login", data={"username": "admin", "password": "x"})
    assert_error(form, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert_error(
        await http.post("/api/auth/login", json={"username": "admin"}), 422, "VALIDATION_ERROR"
    )
    long_password = {"username": "admin", "password": "p" * 5000}
    error = assert_error(
        await http.post("/api/auth/login", json=long_password), 422, "VALIDATION_ERROR"
    )
    assert "ppppp" not in str(error)  # the rejected input is not echoed
    malformed = await http.post(
        "/api/auth/login", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert_error(malformed, 400, "BAD_REQUEST")
    json_header = {"content-type": "application/json"}
    for raw in (
        rb'{"username": "\ud800", "password": "x"}',  # a lone surrogate: valid JSON only
        rb'{"username": "admin", "password": "\udfff"}',
        rb'{"username": "ad\u0000min", "password": "x"}',
    ):
        response = await http.post("/api/auth/login", content=raw, headers=json_header)
        assert_error(response, 422, "VALIDATION_ERROR")


# ---- RBAC on the users routes -----------------------------------------------------------------


async def test_users_rbac_is_checked_before_the_body(
    erp: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, http = erp
    json_header = {"content-type": "application/json"}
    # Anonymous, malformed body: 401, not 400/422.
    anonymous = await http.post("/api/auth/users", content=b"{broken", headers=json_header)
    assert_error(anonymous, 401, "UNAUTHORIZED")
    assert_error(await http.get("/api/auth/users"), 401, "UNAUTHORIZED")

    await login(http, "viewer", VIEWER_PASSWORD)
    assert_error(await http.post("/api/auth/users", json={}), 403, "FORBIDDEN")
    assert_error(await http.get("/api/auth/users"), 403, "FORBIDDEN")

    await login(http, "admin", ADMIN_PASSWORD)
    form = await http.post("/api/auth/users", data={"username": "x"})
    assert_error(form, 415, "UNSUPPORTED_MEDIA_TYPE")
    new = {"username": "erika", "password": "erika-pw-123", "roles": ["user"]}
    created = await http.post("/api/auth/users", json=new)
    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["user"]
    assert "password" not in created.text
    assert_error(await http.post("/api/auth/users", json=new), 409, "CONFLICT")
    page = (await http.get("/api/auth/users", params={"limit": 2})).json()
    assert page["total"] == 4
    assert [u["username"] for u in page["items"]] == ["admin", "user"]
    assert all(u["created_at"].endswith(("Z", "+00:00")) for u in page["items"])  # not naive
    assert (await login(http, "erika", "erika-pw-123")).json()["roles"] == ["user"]


# ---- lockout ---------------------------------------------------------------------------------


async def test_lockout_after_five_failures_then_unlocks(
    settings_for: Callable[..., Settings],
) -> None:
    async with running(settings_for(login_lockout_seconds=1.0)) as (app, http):
        for _ in range(5):
            assert_error(await login(http, "admin", "guess"), 401, "UNAUTHORIZED")
        locked = await login(http, "admin", ADMIN_PASSWORD)
        error = assert_error(locked, 429, "RATE_LIMIT_EXCEEDED")
        assert locked.headers["retry-after"] == "1"
        assert error["details"]["limit"] == "account"
        assert COOKIE not in http.cookies
        # Other accounts are not affected.
        assert (await login(http, "viewer", VIEWER_PASSWORD)).status_code == 200

        await asyncio.sleep(1.05)
        assert (await login(http, "admin", ADMIN_PASSWORD)).status_code == 200
        async with app.state.db.session() as session:
            actions = list(await session.scalars(select(AuditEntry.action)))
        assert actions.count("login_failed") == 5
        assert actions.count("lockout") == 1


async def test_lockout_semantics_on_a_fake_clock(make_settings: Callable[..., Settings]) -> None:
    """The buckets behind the lock, minute by minute (see auth/lockout.py)."""
    clock = FakeClock()
    limits = LoginLimits(make_settings(), clock=clock)

    async def fail(user: str) -> bool:
        await limits.check(user, "10.0.0.1")
        return await limits.failed(user, "10.0.0.1")

    async def locked(user: str) -> bool:
        try:
            await limits.check(user, "10.0.0.2")
        except RateLimitError as exc:
            return exc.details is not None and exc.details["limit"] == "account"
        return False

    # Five failures spread over more than 15 minutes do not lock...
    for _ in range(5):
        assert not await fail("spread")
        clock.advance(4 * 60)
    assert not await locked("spread")
    # ...five within 15 minutes do (the fifth locks), for 15 minutes from the fifth.
    results = []
    for _ in range(5):
        results.append(await fail("burst"))
        clock.advance(3 * 60)
    assert results == [False, False, False, False, True]
    clock.advance(12 * 60 - 1)  # the loop ended 3 minutes after the fifth
    assert await locked("burst")
    clock.advance(1)
    assert not await locked("burst")
    # After the lock, a guesser who goes on gets one more try, and is locked again.
    assert not await fail("burst")
    assert await fail("burst")
    assert await locked("burst")
    # A slow guesser, one failure every ten minutes, is locked in the end too.
    tries = 0
    while not await fail("slow"):
        tries += 1
        clock.advance(10 * 60)
    assert 5 < tries < 15


async def test_unknown_users_lock_the_same_way(erp: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, http = erp
    for _ in range(5):
        assert_error(await login(http, "ghost", "guess"), 401, "UNAUTHORIZED")
    locked = assert_error(await login(http, "ghost", "guess"), 429, "RATE_LIMIT_EXCEEDED")
    assert locked["details"]["limit"] == "account"
    assert 890 <= locked["details"]["retryAfter"] <= 900  # 15 minutes by default
    # Names are compared case-insensitively for the lock.
    assert_error(await login(http, "GHOST", "guess"), 429, "RATE_LIMIT_EXCEEDED")


async def test_per_address_limit_counts_failures(settings_for: Callable[..., Settings]) -> None:
    async with running(settings_for(login_address_limit=3)) as (_, http):
        for _ in range(4):  # successes cost nothing: an office behind one NAT address
            assert (await login(http, "admin", ADMIN_PASSWORD)).status_code == 200
        for name in ("a", "b", "c"):  # a guesser spraying accounts, each below its lock
            assert_error(await login(http, name, "guess"), 401, "UNAUTHORIZED")
        limited = await login(http, "admin", ADMIN_PASSWORD)
        error = assert_error(limited, 429, "RATE_LIMIT_EXCEEDED")
        assert error["details"]["limit"] == "address"
        assert int(limited.headers["retry-after"]) >= 1


async def test_lockout_is_counted_across_instances_and_survives_redis_loss(
    settings_for: Callable[..., Settings], private_redis: RedisProc
) -> None:
    if not private_redis.running:
        private_redis.start()
    settings = settings_for(redis_url=private_redis.url)
    async with running(settings) as (app_a, a), running(settings) as (_, b):
        assert app_a.state.auth.limits.shared
        for http in (a, b, a, b):
            assert_error(await login(http, "admin", "guess"), 401, "UNAUTHORIZED")
        assert_error(await login(b, "admin", "guess"), 401, "UNAUTHORIZED")  # the fifth
        assert_error(await login(a, "admin", ADMIN_PASSWORD), 429, "RATE_LIMIT_EXCEEDED")
        assert_error(await login(b, "admin", ADMIN_PASSWORD), 429, "RATE_LIMIT_EXCEEDED")

        # Redis gone: each instance limits on its own, and nothing fails with a 5xx.
        private_redis.kill9()
        assert (await login(a, "viewer", VIEWER_PASSWORD)).status_code == 200
        for _ in range(5):
            assert_error(await login(a, "user", "guess"), 401, "UNAUTHORIZED")
        assert_error(await login(a, "user", USER_PASSWORD), 429, "RATE_LIMIT_EXCEEDED")
        assert app_a.state.auth.limits.failures.stats()["active"] == "local"
    private_redis.start()


# ---- the seeded admin's password ------------------------------------------------------------


async def test_generated_admin_password_is_printed_once(
    make_settings: Callable[..., Settings],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = make_settings()  # no ERP_ADMIN_PASSWORD
    async with running(settings) as (_, http):
        err = capfd.readouterr().err
        lines = [line for line in err.splitlines() if "generated password" in line]
        assert len(lines) == 1, err
        password = re.search(r"generated password: (\S+)", lines[0])
        assert password is not None
        generated = password.group(1)
        assert len(generated) >= 20
        assert (await login(http, "admin", generated)).status_code == 200
        assert not [u for u in ("viewer", "user") if (await login(http, u, "x")).status_code != 401]
    assert generated not in caplog.text  # printed for the operator, not logged

    # Second start: nothing printed, and ERP_ADMIN_PASSWORD no longer changes anything.
    async with running(make_settings(erp_admin_password="something-else")) as (_, http):
        assert "generated password" not in capfd.readouterr().err
        assert (await login(http, "admin", "something-else")).status_code == 401
        assert (await login(http, "admin", generated)).status_code == 200


async def test_several_workers_seeding_at_once_create_one_admin(
    make_settings: Callable[..., Settings], capfd: pytest.CaptureFixture[str]
) -> None:
    from erp_app.auth.models import User
    from erp_app.auth.service import seed_auth

    settings = make_settings()
    app = create_app(settings)
    await app.state.db.start()
    try:
        await asyncio.gather(*(seed_auth(app.state.db, settings) for _ in range(4)))
        async with app.state.db.session() as session:
            admins = list(await session.scalars(select(User).where(User.username == "admin")))
    finally:
        await app.state.db.close()
    assert len(admins) == 1
    assert capfd.readouterr().err.count("generated password") == 1


# ---- nothing secret leaks -------------------------------------------------------------------


async def test_no_password_or_session_id_in_logs_or_responses(
    settings_for: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "Wr0ng-Secret-Guess"
    bodies: list[str] = []
    async with running(settings_for(environment="development")) as (app, http):
        for username, password in (("admin", wrong), ("nobody", wrong), ("admin", ADMIN_PASSWORD)):
            response = await login(http, username, password)
            bodies.append(response.text + str(response.headers.get("x-request-id")))
        sid = http.cookies[COOKIE]
        bodies.append((await http.get("/api/auth/me")).text)
        bodies.append((await http.get("/api/session")).text)
        bodies.append((await http.get("/api/diagnostics")).text)
        bodies.append((await http.get("/api/system")).text)
        bodies.append((await http.post("/api/auth/logout")).text)
        async with app.state.db.session() as session:
            audit = [
                (e.username, e.action, e.entity_id, e.details)
                for e in await session.scalars(select(AuditEntry))
            ]
    captured = capfd.readouterr()
    everything = "\n".join([caplog.text, captured.out, captured.err, *bodies, str(audit)])
    for secret in (ADMIN_PASSWORD, VIEWER_PASSWORD, wrong, sid):
        assert secret not in everything
    assert "login failed" in caplog.text
    assert "nobody" not in str(audit)  # a tried name may be a mistyped password
