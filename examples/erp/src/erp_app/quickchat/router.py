"""``/api/quickchat``: conversations with the AI chain; each answer names its provider.

Conversations are shared with everyone who may read quickchat (a team's chat with the
assistant); ``?mine=true`` lists only the caller's. Reading needs ``quickchat:read``,
asking and starting a conversation ``quickchat:write``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from erp_app.platform.ai import AI
from erp_app.platform.db import Database
from erp_app.platform.errors import error_responses
from erp_app.platform.pagination import Page, PageParams, page_params
from erp_app.platform.security import GuardedRoute, Principal, require
from erp_app.quickchat import service
from erp_app.quickchat.schemas import (
    ConversationCreate,
    ConversationOut,
    ExchangeOut,
    MessageCreate,
    MessageOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/quickchat", tags=["quickchat"], route_class=GuardedRoute)

MAX_ID = 2**31 - 1
Reader = Annotated[Principal, require("quickchat:read")]
Writer = Annotated[Principal, require("quickchat:write")]
Paging = Annotated[PageParams, Depends(page_params)]
ConversationId = Annotated[int, Path(ge=1, le=MAX_ID, description="a conversation's id")]

_READ_ERRORS = error_responses(401, 403, 422)
_WRITE_ERRORS = error_responses(400, 401, 403, 413, 415, 422)


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _ai(request: Request) -> AI:
    ai: AI = request.app.state.ai
    return ai


@router.get(
    "/conversations",
    response_model=Page[ConversationOut],
    summary="Conversations, most recently active first",
    responses=_READ_ERRORS,
)
async def list_conversations(
    request: Request,
    principal: Reader,
    paging: Paging,
    mine: Annotated[bool, Query(description="only the caller's conversations")] = False,
) -> Page[ConversationOut]:
    total, items = await service.list_conversations(
        _db(request), paging, created_by=principal.username if mine else None
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post(
    "/conversations",
    status_code=201,
    response_model=ConversationOut,
    summary="Start an empty conversation",
    responses=_WRITE_ERRORS,
)
async def create_conversation(
    body: ConversationCreate, request: Request, principal: Writer
) -> ConversationOut:
    return await service.create_conversation(_db(request), principal, body.title)


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationOut,
    summary="One conversation",
    responses=error_responses(401, 403, 404, 422),
)
async def get_conversation(
    conversation_id: ConversationId, request: Request, _principal: Reader
) -> ConversationOut:
    return await service.get_conversation(_db(request), conversation_id)


@router.get(
    "/messages",
    response_model=Page[MessageOut],
    summary="Messages, oldest first; questions and the answers with their provider",
    responses=error_responses(401, 403, 404, 422),
)
async def list_messages(
    request: Request,
    _principal: Reader,
    paging: Paging,
    conversation_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="only this conversation's messages")
    ] = None,
) -> Page[MessageOut]:
    total, items = await service.list_messages(
        _db(request), paging, conversation_id=conversation_id
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post(
    "/messages",
    status_code=201,
    response_model=ExchangeOut,
    summary="Ask the AI chain; the question and the answer are stored",
    responses=error_responses(400, 401, 403, 404, 413, 415, 422, 502),
)
async def post_message(body: MessageCreate, request: Request, principal: Writer) -> ExchangeOut:
    """Without `conversation_id` a new conversation starts, titled by the question.

    The answer comes from the first provider of the chain that answers (openai, ollama,
    anthropic, then the local fallback) and records which one it was and how long it took.
    """
    return await service.ask(_db(request), _ai(request), principal, body)
