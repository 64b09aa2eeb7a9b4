"""Logins, logouts and the first-start users; argon2 hashes (pwdlib), checked off the loop.

Login: the address limit and the account lock first (``lockout.py``), then the password.
An unknown user costs the same hash check as a known one (against a dummy hash) and gets
the same answer, so neither the answer nor its timing says which names exist. A success
starts a **new** session (any session the caller brought is ended: no fixation), stores
the principal in it and records the login in the ``sessions`` table by the id's SHA-256.

Nothing here logs or returns a password or a session id.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import secrets
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from pwdlib import PasswordHash
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from erp_app.auth.lockout import LoginLimits
from erp_app.auth.models import LoginSession, Role, User, UserRole
from erp_app.auth.schemas import UserCreate, UserOut
from erp_app.platform.audit import record
from erp_app.platform.errors import ConflictError, UnauthorizedError
from erp_app.platform.pagination import Page, PageParams
from erp_app.platform.security import ROLE_PERMISSIONS, Principal

if TYPE_CHECKING:
    from pydantic import SecretStr
    from sqlalchemy.ext.asyncio import AsyncSession

    from erp_app.config import Settings
    from erp_app.platform.db import Database
    from erp_app.platform.sessions import Sessions

__all__ = ["AuthService", "hash_password", "seed_auth", "session_hash"]

log = structlog.get_logger("erp.auth")

_HASHER = PasswordHash.recommended()
WRONG_CREDENTIALS = "wrong username or password"


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


async def _verify(password: str, hashed: str) -> tuple[bool, str | None]:
    """(matches, a new hash when the stored one uses outdated parameters)."""
    return await asyncio.to_thread(_HASHER.verify_and_update, password, hashed)


def session_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class _Account:
    """What login needs of a user row, read in one unit of work."""

    def __init__(self, user: User, roles: list[tuple[str, list[str]]]) -> None:
        self.id = user.id
        self.username = user.username
        self.password_hash = user.password_hash
        self.active = bool(user.is_active)
        self.roles = tuple(sorted(name for name, _ in roles))
        self.permissions = frozenset(p for _, perms in roles for p in perms or ())


class AuthService:
    """Login and logout for the auth router; one per app (``app.state.auth``)."""

    def __init__(
        self, db: Database, sessions: Sessions, limits: LoginLimits, dummy_hash: str
    ) -> None:
        self.db = db
        self.sessions = sessions
        self.limits = limits
        self._dummy_hash = dummy_hash

    @classmethod
    async def start(cls, settings: Settings, db: Database, sessions: Sessions) -> AuthService:
        dummy = await hash_password(secrets.token_urlsafe(16))
        return cls(db, sessions, LoginLimits(settings), dummy)

    def close(self) -> None:
        self.limits.close()

    async def _account(self, username: str) -> _Account | None:
        async with self.db.session() as session:
            user = await session.scalar(select(User).where(User.username == username))
            if user is None:
                return None
            rows = await session.execute(
                select(Role.name, Role.permissions)
                .join(UserRole, UserRole.role_id == Role.id)
                .where(UserRole.user_id == user.id)
            )
            return _Account(user, [(name, list(perms or ())) for name, perms in rows])

    async def login(
        self, username: str, password: str, *, address: str, previous_sid: str | None
    ) -> tuple[Principal, str]:
        """The principal and its new session id; ``APIError`` (401, 429) otherwise."""
        await self.limits.check(username, address)
        account = await self._account(username)
        matches, new_hash = await _verify(
            password, account.password_hash if account is not None else self._dummy_hash
        )
        if account is None or not matches or not account.active:
            await self._failed(username, account, address, matches=matches)
            raise UnauthorizedError(WRONG_CREDENTIALS)

        if previous_sid:  # whatever session the caller brought ends here: no fixation
            await self._end_session(previous_sid, None)
        principal = Principal(
            user_id=account.id,
            username=account.username,
            roles=account.roles,
            permissions=account.permissions,
            session_id="",
        )
        data = {**principal.as_session_data(), "created_at": datetime.now(UTC).timestamp()}
        sid = await self.sessions.create(data)
        principal = dataclasses.replace(principal, session_id=sid)
        try:
            async with self.db.session() as session:
                session.add(
                    LoginSession(
                        session_hash=session_hash(sid),
                        user_id=account.id,
                        expires_at=datetime.now(UTC) + timedelta(seconds=self.sessions.ttl),
                    )
                )
                if new_hash is not None:
                    await session.execute(
                        update(User).where(User.id == account.id).values(password_hash=new_hash)
                    )
                record(session, principal, "login", "session", entity_id=account.id)
        except BaseException:
            await self.sessions.delete(sid)
            raise
        log.info("login", user=account.username, roles=list(account.roles))
        return principal, sid

    async def _failed(
        self, username: str, account: _Account | None, address: str, *, matches: bool
    ) -> None:
        # The failure that locks the account still answers 401, like those before it;
        # the next attempt gets the 429.
        locked = await self.limits.failed(username, address)
        if account is None:
            reason = "unknown user"  # the name tried is not kept: it may be a password
        elif not matches:
            reason = "wrong password"
        else:
            reason = "inactive user"
        async with self.db.session() as session:
            details: dict[str, object] = {"reason": reason, "address": address}
            record(
                session,
                None,
                "login_failed",
                "user",
                entity_id=account.id if account else None,
                details=details,
            )
            if locked:
                record(session, None, "lockout", "user", entity_id=account.id if account else None)
        # The 401 itself is logged by the error handler; this says why (never the password).
        log.info(
            "login failed",
            user=account.username if account else None,
            reason=reason,
            locked=locked,
        )

    async def create_user(self, principal: Principal, body: UserCreate) -> UserOut:
        """A new user with ``body.roles``; 409 when the name is taken."""
        hashed = await hash_password(body.password.get_secret_value())
        roles: list[str] = sorted(set(body.roles))
        try:
            async with self.db.session() as session:
                user = User(
                    username=body.username, display_name=body.display_name, password_hash=hashed
                )
                session.add(user)
                await session.flush()
                role_ids = await session.scalars(select(Role.id).where(Role.name.in_(roles)))
                for role_id in role_ids:
                    session.add(UserRole(user_id=user.id, role_id=role_id))
                record(
                    session,
                    principal,
                    "create",
                    "user",
                    entity_id=user.id,
                    details={"roles": roles},
                )
        except IntegrityError:
            raise ConflictError(
                f"a user named {body.username!r} exists already", details={"field": "username"}
            ) from None
        log.info("user created", user=body.username, roles=roles, by=principal.username)
        return _user_out(user, roles)

    async def list_users(self, params: PageParams) -> Page[UserOut]:
        async with self.db.session() as session:
            total = await session.scalar(select(func.count()).select_from(User)) or 0
            users = list(
                await session.scalars(
                    select(User).order_by(User.id).limit(params.limit).offset(params.offset)
                )
            )
            roles: dict[int, list[str]] = {user.id: [] for user in users}
            rows = await session.execute(
                select(UserRole.user_id, Role.name)
                .join(Role, Role.id == UserRole.role_id)
                .where(UserRole.user_id.in_(list(roles)))
            )
            for user_id, name in rows:
                roles[user_id].append(name)
        items = [_user_out(user, sorted(roles[user.id])) for user in users]
        return Page[UserOut](items=items, total=total, limit=params.limit, offset=params.offset)

    async def logout(self, principal: Principal) -> None:
        await self._end_session(principal.session_id, principal)
        log.info("logout", user=principal.username)

    async def _end_session(self, sid: str, principal: Principal | None) -> None:
        await self.sessions.delete(sid)
        async with self.db.session() as session:
            await session.execute(
                update(LoginSession)
                .where(LoginSession.session_hash == session_hash(sid))
                .where(LoginSession.ended_at.is_(None))
                .values(ended_at=datetime.now(UTC))
            )
            if principal is not None:
                record(session, principal, "logout", "session", entity_id=principal.user_id)


def _user_out(user: User, roles: list[str]) -> UserOut:
    created = user.created_at
    if created.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        created = created.replace(tzinfo=UTC)
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=roles,
        is_active=bool(user.is_active),
        created_at=created,
    )


# ---- first start ------------------------------------------------------------------------


async def seed_auth(db: Database, settings: Settings) -> None:
    """Roles from ``ROLE_PERMISSIONS`` and the first users; safe in several workers at once.

    ``admin`` (role admin) always: its password is ``ERP_ADMIN_PASSWORD``, or generated and
    printed once to stderr by the worker that created the user (never logged, never in a
    response). ``user`` and ``viewer`` only when ``ERP_USER_PASSWORD`` /
    ``ERP_VIEWER_PASSWORD`` are set: an account nobody asked for should not come with a
    printed password. A password variable is read only when its user is first created.
    """
    for name, permissions in ROLE_PERMISSIONS.items():
        await _ensure_role(db, name, list(permissions))
    await _ensure_user(db, "admin", "admin", settings.erp_admin_password, generate=True)
    await _ensure_user(db, "user", "user", settings.erp_user_password, generate=False)
    await _ensure_user(db, "viewer", "viewer", settings.erp_viewer_password, generate=False)


async def _ensure_role(db: Database, name: str, permissions: list[str]) -> None:
    try:
        async with db.session() as session:
            role = await session.scalar(select(Role).where(Role.name == name))
            if role is None:
                session.add(
                    Role(name=name, description=f"{name} (seeded)", permissions=permissions)
                )
            elif list(role.permissions or ()) != permissions:
                role.permissions = permissions  # the code's table is the truth
    except IntegrityError:
        pass  # another worker created it at the same moment: the same row


async def _ensure_user(
    db: Database, username: str, role_name: str, password: SecretStr | None, *, generate: bool
) -> None:
    async with db.session() as session:
        if await session.scalar(select(User.id).where(User.username == username)) is not None:
            return
    if password is None and not generate:
        return
    generated = password is None
    plain = secrets.token_urlsafe(18) if password is None else password.get_secret_value()
    hashed = await hash_password(plain)
    try:
        async with db.session() as session:
            await _insert_user(session, username, role_name, hashed)
    except IntegrityError:
        return  # another worker created it first, and printed its password if it made one
    log.info("user created", user=username, role=role_name, password_generated=generated)
    if generated:
        # stderr, not the JSON log: log shippers keep logs; this is for the operator's eyes.
        print(
            f"ERP SteinmetZ: created user {username!r} with generated password: {plain} "
            "(shown only this once; set ERP_ADMIN_PASSWORD before the first start to choose it)",
            file=sys.stderr,
            flush=True,
        )


async def _insert_user(session: AsyncSession, username: str, role_name: str, hashed: str) -> None:
    role_id = await session.scalar(select(Role.id).where(Role.name == role_name))
    user = User(username=username, display_name=username.title(), password_hash=hashed)
    session.add(user)
    await session.flush()
    if role_id is not None:
        session.add(UserRole(user_id=user.id, role_id=role_id))
    record(session, None, "create", "user", entity_id=user.id, details={"seeded": True})
