"""The annotator's work: a catalogue node to a prompt, the chain's answer to a stored note.

As in quickchat, no database transaction is open while the chain answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from erp_app.annotator.models import Annotation
from erp_app.annotator.schemas import AnnotationCreate, AnnotationOut
from erp_app.functions.service import CatalogError, CatalogSnapshot, FunctionNode
from erp_app.platform.audit import record
from erp_app.platform.errors import AIProviderError, NotFoundError, ServiceUnavailableError

if TYPE_CHECKING:
    from erp_app.functions.service import FunctionsCatalog
    from erp_app.platform.ai import AI
    from erp_app.platform.db import Database
    from erp_app.platform.pagination import PageParams
    from erp_app.platform.security import Principal

__all__ = ["annotate", "build_prompt", "get_annotation", "list_annotations"]

MAX_TOKENS = 300


async def _snapshot(catalog: FunctionsCatalog) -> CatalogSnapshot:
    try:
        return await catalog.snapshot()
    except CatalogError as exc:  # never loaded; after one load a stale tree is served
        raise ServiceUnavailableError("the functions catalogue is not loaded") from exc


def build_prompt(path: tuple[FunctionNode, ...], focus: str | None) -> str:
    """What the chain is asked about ``path[-1]``: its place, title, kind, description."""
    node = path[-1]
    lines = [
        "You annotate the functions catalogue of ERP SteinmetZ, the ERP of a stone works.",
        "Write a short note (3 to 5 sentences) for the people who use this entry: what it",
        "is for, who needs it, and what to watch out for.",
        "",
        "Path: " + " > ".join(step.title for step in path),
        f"Title: {node.title}" + (f" ({node.title_de})" if node.title_de else ""),
        f"Kind: {node.kind}",
        f"Description: {node.description}",
    ]
    if node.tags:
        lines.append("Tags: " + ", ".join(node.tags))
    if focus:
        lines.append(f"Focus on: {focus}")
    return "\n".join(lines)


async def annotate(
    db: Database,
    ai: AI,
    catalog: FunctionsCatalog,
    principal: Principal,
    body: AnnotationCreate,
) -> AnnotationOut:
    snapshot = await _snapshot(catalog)
    path = snapshot.path(body.node_id)
    if not path:
        raise NotFoundError(
            f"no function node {body.node_id!r} in the catalogue", details={"id": body.node_id}
        )
    try:
        completion = await ai.complete(build_prompt(path, body.focus), MAX_TOKENS)
    except Exception as exc:  # the local provider makes this rare: every provider failed
        raise AIProviderError(
            "no AI provider could answer", details={"reason": type(exc).__name__}
        ) from exc
    async with db.session() as session:
        annotation = Annotation(
            node_id=path[-1].id,
            node_title=path[-1].title,
            focus=body.focus,
            text=completion.text,
            provider=completion.provider,
            model=completion.model,
            latency_ms=completion.latency_ms,
            created_by=principal.username,
        )
        session.add(annotation)
        await session.flush()
        record(
            session,
            principal,
            "create",
            "ai_annotation",
            entity_id=annotation.id,
            details={"node_id": annotation.node_id, "provider": completion.provider},
        )
        return AnnotationOut.model_validate(annotation)


async def list_annotations(
    db: Database, params: PageParams, *, node_id: str | None
) -> tuple[int, list[AnnotationOut]]:
    """Newest first; only ``node_id``'s when given (an unknown node has none: empty page)."""
    query = select(Annotation)
    total_query = select(func.count(Annotation.id))
    if node_id is not None:
        query = query.where(Annotation.node_id == node_id)
        total_query = total_query.where(Annotation.node_id == node_id)
    async with db.session() as session:
        total = int((await session.execute(total_query)).scalar_one())
        found = await session.scalars(
            query.order_by(Annotation.created_at.desc(), Annotation.id.desc())
            .limit(params.limit)
            .offset(params.offset)
        )
        return total, [AnnotationOut.model_validate(annotation) for annotation in found]


async def get_annotation(db: Database, annotation_id: int) -> AnnotationOut:
    async with db.session() as session:
        annotation = await session.get(Annotation, annotation_id)
        if annotation is None:
            raise NotFoundError(f"no annotation {annotation_id}", details={"id": annotation_id})
        return AnnotationOut.model_validate(annotation)
