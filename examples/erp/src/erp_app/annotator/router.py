"""``/api/ai-annotator``: annotate a functions-catalogue node through the AI chain; list notes.

Reading needs ``ai:read``, annotating ``ai:write``. An unknown node id is a 404 that names
it; so is an unknown annotation id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from erp_app.annotator import service
from erp_app.annotator.schemas import NODE_ID_MAX_LENGTH, AnnotationCreate, AnnotationOut
from erp_app.functions.router import Catalog
from erp_app.platform.ai import AI
from erp_app.platform.db import Database
from erp_app.platform.errors import error_responses
from erp_app.platform.pagination import Page, PageParams, page_params
from erp_app.platform.security import GuardedRoute, Principal, require

__all__ = ["router"]

router = APIRouter(prefix="/api/ai-annotator", tags=["ai-annotator"], route_class=GuardedRoute)

MAX_ID = 2**31 - 1
Reader = Annotated[Principal, require("ai:read")]
Writer = Annotated[Principal, require("ai:write")]
Paging = Annotated[PageParams, Depends(page_params)]


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _ai(request: Request) -> AI:
    ai: AI = request.app.state.ai
    return ai


@router.post(
    "/annotations",
    status_code=201,
    response_model=AnnotationOut,
    summary="Annotate a catalogue node through the AI chain",
    responses=error_responses(400, 401, 403, 404, 413, 415, 422, 502, 503),
)
async def annotate(
    body: AnnotationCreate, request: Request, principal: Writer, catalog: Catalog
) -> AnnotationOut:
    """The prompt is built from the node's path, title, kind and description; the note is
    stored with the provider that wrote it (openai, ollama, anthropic or the local one)."""
    return await service.annotate(_db(request), _ai(request), catalog, principal, body)


@router.get(
    "/annotations",
    response_model=Page[AnnotationOut],
    summary="Annotations, newest first",
    responses=error_responses(401, 403, 422),
)
async def list_annotations(
    request: Request,
    _principal: Reader,
    paging: Paging,
    node_id: Annotated[
        str | None,
        Query(min_length=1, max_length=NODE_ID_MAX_LENGTH, description="only this node's notes"),
    ] = None,
) -> Page[AnnotationOut]:
    total, items = await service.list_annotations(_db(request), paging, node_id=node_id)
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get(
    "/annotations/{annotation_id}",
    response_model=AnnotationOut,
    summary="One annotation",
    responses=error_responses(401, 403, 404, 422),
)
async def get_annotation(
    annotation_id: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request, _principal: Reader
) -> AnnotationOut:
    return await service.get_annotation(_db(request), annotation_id)
