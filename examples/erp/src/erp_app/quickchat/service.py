"""Quickchat's work: conversations and messages in the database, answers from the AI chain.

Asking is three steps, and no database transaction stays open across the AI call (a slow
provider must not hold a connection or, on SQLite, the write lock): look up the
conversation and its recent turns; ask the chain; store the question and the answer
together, with the audit entry, in one unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Subquery, func, select

from erp_app.platform.audit import record
from erp_app.platform.errors import AIProviderError, NotFoundError
from erp_app.quickchat.models import Conversation, Message
from erp_app.quickchat.schemas import ConversationOut, ExchangeOut, MessageCreate, MessageOut

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from erp_app.platform.ai import AI
    from erp_app.platform.db import Database
    from erp_app.platform.pagination import PageParams
    from erp_app.platform.security import Principal

__all__ = [
    "ask",
    "create_conversation",
    "get_conversation",
    "list_conversations",
    "list_messages",
]

HISTORY_TURNS = 6
"""Earlier messages sent along with a question, so a follow-up makes sense."""
HISTORY_CHARS = 800
TITLE_FROM_QUESTION = 60
PREAMBLE = (
    "You are the assistant of ERP SteinmetZ, the ERP of a stone works. "
    "Answer briefly and plainly.\n\n"
)


def _conversation_out(conversation: Conversation, count: int) -> ConversationOut:
    return ConversationOut(
        id=conversation.id,
        title=conversation.title,
        created_by=conversation.created_by,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        message_count=count,
    )


def _counts() -> Subquery:
    return (
        select(Message.conversation_id, func.count(Message.id).label("n"))
        .group_by(Message.conversation_id)
        .subquery()
    )


async def list_conversations(
    db: Database, params: PageParams, *, created_by: str | None
) -> tuple[int, list[ConversationOut]]:
    """Newest activity first; only ``created_by``'s when given."""
    counts = _counts()
    query = select(Conversation, func.coalesce(counts.c.n, 0)).outerjoin(
        counts, counts.c.conversation_id == Conversation.id
    )
    total_query = select(func.count(Conversation.id))
    if created_by is not None:
        query = query.where(Conversation.created_by == created_by)
        total_query = total_query.where(Conversation.created_by == created_by)
    query = query.order_by(Conversation.updated_at.desc(), Conversation.id.desc())
    async with db.session() as session:
        total = int((await session.execute(total_query)).scalar_one())
        rows = await session.execute(query.limit(params.limit).offset(params.offset))
        return total, [_conversation_out(row[0], int(row[1])) for row in rows]


async def create_conversation(db: Database, principal: Principal, title: str) -> ConversationOut:
    async with db.session() as session:
        conversation = Conversation(title=title, created_by=principal.username)
        session.add(conversation)
        await session.flush()
        record(session, principal, "create", "quickchat_conversation", entity_id=conversation.id)
        return _conversation_out(conversation, 0)


async def _conversation(session: AsyncSession, conversation_id: int) -> Conversation:
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFoundError(
            f"no quickchat conversation {conversation_id}", details={"id": conversation_id}
        )
    return conversation


async def get_conversation(db: Database, conversation_id: int) -> ConversationOut:
    async with db.session() as session:
        conversation = await _conversation(session, conversation_id)
        count = await session.scalar(
            select(func.count(Message.id)).where(Message.conversation_id == conversation_id)
        )
        return _conversation_out(conversation, int(count or 0))


async def list_messages(
    db: Database, params: PageParams, *, conversation_id: int | None
) -> tuple[int, list[MessageOut]]:
    """Oldest first, as a conversation reads; 404 for an unknown ``conversation_id``."""
    query = select(Message)
    total_query = select(func.count(Message.id))
    async with db.session() as session:
        if conversation_id is not None:
            await _conversation(session, conversation_id)
            query = query.where(Message.conversation_id == conversation_id)
            total_query = total_query.where(Message.conversation_id == conversation_id)
        total = int((await session.execute(total_query)).scalar_one())
        found = await session.scalars(
            query.order_by(Message.conversation_id, Message.id)
            .limit(params.limit)
            .offset(params.offset)
        )
        return total, [MessageOut.model_validate(message) for message in found]


def build_prompt(history: list[Message], question: str) -> str:
    lines = [PREAMBLE]
    for turn in history:
        speaker = "User" if turn.role == "user" else "Assistant"
        lines.append(f"{speaker}: {turn.content[:HISTORY_CHARS]}\n")
    lines.append(f"User: {question}\nAssistant:")
    return "".join(lines)


async def _history(db: Database, conversation_id: int) -> list[Message]:
    async with db.session() as session:
        await _conversation(session, conversation_id)
        recent = await session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id.desc())
            .limit(HISTORY_TURNS)
        )
        return list(reversed(list(recent)))


async def ask(db: Database, ai: AI, principal: Principal, body: MessageCreate) -> ExchangeOut:
    """Ask the chain; store the question and the answer (with its provider) together."""
    history = [] if body.conversation_id is None else await _history(db, body.conversation_id)
    try:
        completion = await ai.complete(build_prompt(history, body.content), body.max_tokens)
    except Exception as exc:  # the local provider makes this rare: every provider failed
        raise AIProviderError(
            "no AI provider could answer", details={"reason": type(exc).__name__}
        ) from exc
    async with db.session() as session:
        if body.conversation_id is None:
            conversation = Conversation(
                title=_title_from(body.content), created_by=principal.username
            )
            session.add(conversation)
            await session.flush()
        else:
            conversation = await _conversation(session, body.conversation_id)
            conversation.updated_at = datetime.now(UTC)
        question = Message(
            conversation_id=conversation.id,
            role="user",
            content=body.content,
            author=principal.username,
        )
        answer = Message(
            conversation_id=conversation.id,
            role="assistant",
            content=completion.text,
            provider=completion.provider,
            model=completion.model,
            latency_ms=completion.latency_ms,
        )
        session.add_all([question, answer])
        await session.flush()
        record(
            session,
            principal,
            "create",
            "quickchat_message",
            entity_id=question.id,
            details={"conversation_id": conversation.id, "provider": completion.provider},
        )
        return ExchangeOut(
            conversation_id=conversation.id,
            question=MessageOut.model_validate(question),
            answer=MessageOut.model_validate(answer),
        )


def _title_from(question: str) -> str:
    first_line = question.strip().splitlines()[0]
    if len(first_line) <= TITLE_FROM_QUESTION:
        return first_line
    return first_line[: TITLE_FROM_QUESTION - 1].rstrip() + "…"
