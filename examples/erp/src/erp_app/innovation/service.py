"""Ideas and votes: one vote per user and idea (a unique index makes it so under races)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from erp_app.innovation.models import Idea, IdeaVote
from erp_app.innovation.schemas import (
    IdeaIn,
    IdeaOut,
    IdeaStatus,
    IdeaUpdate,
    InnovationOverview,
)
from erp_app.platform import audit
from erp_app.platform.errors import ConflictError, NotFoundError
from erp_app.platform.fields import as_utc
from erp_app.platform.pagination import Page

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from erp_app.platform.db import Database
    from erp_app.platform.pagination import PageParams
    from erp_app.platform.security import Principal

__all__ = ["InnovationService", "vote_count"]

Sort = Literal["votes", "newest"]


def vote_count() -> Any:
    """The number of votes of ``Idea``, as a correlated subquery."""
    return select(func.count(IdeaVote.id)).where(IdeaVote.idea_id == Idea.id).scalar_subquery()


def idea_out(idea: Idea, votes: int, *, voted: bool) -> IdeaOut:
    return IdeaOut(
        id=idea.id,
        title=idea.title,
        description=idea.description,
        category=idea.category,
        status=_status(idea.status),
        author=idea.author,
        votes=votes,
        voted=voted,
        created_at=as_utc(idea.created_at),
        updated_at=as_utc(idea.updated_at),
    )


def _status(value: str) -> IdeaStatus:
    statuses: tuple[IdeaStatus, ...] = ("new", "reviewing", "accepted", "rejected", "done")
    for status in statuses:
        if status == value:
            return status
    msg = f"unknown idea status {value!r} in the database"
    raise ValueError(msg)


class InnovationService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def overview(self) -> InnovationOverview:
        async with self.db.session() as session:
            votes = await session.scalar(select(func.count(IdeaVote.id))) or 0
            rows = await session.execute(
                select(Idea.status, func.count(Idea.id)).group_by(Idea.status)
            )
            by_status: dict[str, int] = dict(rows.all())
        return InnovationOverview(
            ideas=sum(by_status.values()),
            votes=votes,
            by_status=by_status,
            links={"ideas": "/api/innovation/ideas"},
        )

    async def list_ideas(
        self,
        page: PageParams,
        principal: Principal,
        *,
        sort: Sort = "votes",
        status: IdeaStatus | None = None,
        category: str | None = None,
    ) -> Page[IdeaOut]:
        conditions: list[Any] = []
        if status is not None:
            conditions.append(Idea.status == status)
        if category:
            conditions.append(Idea.category == category)
        votes = vote_count().label("votes")
        order = (
            (votes.desc(), Idea.id) if sort == "votes" else (Idea.created_at.desc(), Idea.id.desc())
        )
        async with self.db.session() as session:
            total = await session.scalar(select(func.count(Idea.id)).where(*conditions)) or 0
            rows = (
                await session.execute(
                    select(Idea, votes)
                    .where(*conditions)
                    .order_by(*order)
                    .limit(page.limit)
                    .offset(page.offset)
                )
            ).all()
            mine = await self._voted(session, [idea.id for idea, _ in rows], principal.username)
            items = [idea_out(idea, n, voted=idea.id in mine) for idea, n in rows]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    async def get_idea(self, idea_id: int, principal: Principal) -> IdeaOut:
        async with self.db.session() as session:
            return await self._out(session, await self._idea(session, idea_id), principal)

    async def create_idea(self, body: IdeaIn, principal: Principal) -> IdeaOut:
        async with self.db.session() as session:
            idea = Idea(**body.model_dump(), author=principal.username)
            session.add(idea)
            await session.flush()
            audit.record(session, principal, "create", "idea", entity_id=idea.id)
            return idea_out(idea, 0, voted=False)

    async def update_idea(self, idea_id: int, body: IdeaUpdate, principal: Principal) -> IdeaOut:
        changes = {
            field: value
            for field, value in body.model_dump(include=body.model_fields_set).items()
            if value is not None
        }
        async with self.db.session() as session:
            idea = await self._idea(session, idea_id)
            for field, value in changes.items():
                setattr(idea, field, value)
            audit.record(
                session,
                principal,
                "update",
                "idea",
                entity_id=idea_id,
                details={"fields": sorted(changes)},
            )
            await session.flush()
            await session.refresh(idea)
            return await self._out(session, idea, principal)

    async def delete_idea(self, idea_id: int, principal: Principal) -> None:
        async with self.db.session() as session:
            idea = await self._idea(session, idea_id)
            await session.execute(delete(IdeaVote).where(IdeaVote.idea_id == idea_id))
            await session.delete(idea)
            audit.record(session, principal, "delete", "idea", entity_id=idea_id)

    async def vote(self, idea_id: int, principal: Principal) -> IdeaOut:
        async with self.db.session() as session:
            idea = await self._idea(session, idea_id)
            if await self._voted(session, [idea_id], principal.username):
                raise _already_voted(idea_id, principal)
            session.add(IdeaVote(idea_id=idea_id, voter=principal.username))
            try:
                await session.flush()
            except IntegrityError as exc:  # a concurrent second vote lost the race
                raise _already_voted(idea_id, principal) from exc
            audit.record(session, principal, "vote", "idea", entity_id=idea_id)
            return await self._out(session, idea, principal)

    async def unvote(self, idea_id: int, principal: Principal) -> IdeaOut:
        async with self.db.session() as session:
            idea = await self._idea(session, idea_id)
            removed = await session.execute(
                delete(IdeaVote).where(
                    IdeaVote.idea_id == idea_id, IdeaVote.voter == principal.username
                )
            )
            if not getattr(removed, "rowcount", 0):
                raise NotFoundError(
                    f"you have not voted for idea {idea_id}",
                    details={"id": idea_id, "voter": principal.username},
                )
            audit.record(session, principal, "unvote", "idea", entity_id=idea_id)
            return await self._out(session, idea, principal)

    @staticmethod
    async def _idea(session: AsyncSession, idea_id: int) -> Idea:
        idea = await session.get(Idea, idea_id)
        if idea is None:
            raise NotFoundError(f"no idea with id {idea_id}", details={"id": idea_id})
        return idea

    @staticmethod
    async def _voted(session: AsyncSession, idea_ids: list[int], voter: str) -> set[int]:
        if not idea_ids:
            return set()
        found = await session.scalars(
            select(IdeaVote.idea_id).where(IdeaVote.idea_id.in_(idea_ids), IdeaVote.voter == voter)
        )
        return set(found)

    async def _out(self, session: AsyncSession, idea: Idea, principal: Principal) -> IdeaOut:
        votes = await session.scalar(
            select(func.count(IdeaVote.id)).where(IdeaVote.idea_id == idea.id)
        )
        mine = await self._voted(session, [idea.id], principal.username)
        return idea_out(idea, votes or 0, voted=bool(mine))


def _already_voted(idea_id: int, principal: Principal) -> ConflictError:
    return ConflictError(
        f"{principal.username} has already voted for idea {idea_id}",
        details={"id": idea_id, "voter": principal.username},
    )
