"""``/api/functions``: the catalogue as a tree, one node with its breadcrumb, and search."""

from __future__ import annotations

import weakref
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from erp_app.functions.schemas import (
    NODE_ID_MAX_LENGTH,
    Breadcrumb,
    FunctionNodeOut,
    FunctionTreeOut,
    NodeResponse,
    RootsResponse,
    SearchHit,
    SearchResponse,
)
from erp_app.functions.service import CatalogError, CatalogSnapshot, FunctionNode, FunctionsCatalog
from erp_app.platform.errors import (
    NotFoundError,
    ServiceUnavailableError,
    ValidationError,
    error_responses,
)
from erp_app.platform.security import public

__all__ = ["get_catalog", "router"]

# Open to everyone by design (probes, Prometheus, the status page, visitors); declared so.
router = APIRouter(prefix="/api/functions", tags=["functions"], dependencies=[public()])

SEARCH_LIMIT_DEFAULT = 20
SEARCH_LIMIT_MAX = 100
QUERY_MAX_LENGTH = 100


async def get_catalog(request: Request) -> FunctionsCatalog:
    """The app's catalogue, set at start-up as ``app.state.functions``."""
    catalog = getattr(request.app.state, "functions", None)
    if not isinstance(catalog, FunctionsCatalog):
        raise ServiceUnavailableError("the functions catalogue is not set up")
    return catalog


Catalog = Annotated[FunctionsCatalog, Depends(get_catalog)]


async def _snapshot(catalog: FunctionsCatalog) -> CatalogSnapshot:
    try:
        return await catalog.snapshot()
    except CatalogError as exc:
        # Only before the first successful load; afterwards a stale tree is served instead.
        raise ServiceUnavailableError(
            "the functions catalogue is not loaded",
            details={"problems": [str(problem) for problem in exc.problems[:10]]},
        ) from exc


@router.get(
    "/roots",
    summary="The whole catalogue as a tree of areas, modules and functions",
    response_model=RootsResponse,
    responses=error_responses(503),
)
async def get_roots(catalog: Catalog) -> Response:
    snapshot = await _snapshot(catalog)
    body = _roots_answers.get(snapshot)
    if body is None:
        body = _roots_answers[snapshot] = _roots_answer(snapshot).model_dump_json(by_alias=True)
    # Returned as bytes: FastAPI would validate and serialise the whole tree again per
    # request (several ms for ~400 nodes); the model above still documents the shape.
    return Response(body, media_type="application/json")


# The whole tree is the same answer until the next reload: build and serialise it once per
# snapshot rather than per request. Weak keys drop it with its snapshot.
_roots_answers: weakref.WeakKeyDictionary[CatalogSnapshot, str] = weakref.WeakKeyDictionary()


def _roots_answer(snapshot: CatalogSnapshot) -> RootsResponse:
    return RootsResponse(
        roots=[FunctionTreeOut.model_validate(root) for root in snapshot.roots],
        count=len(snapshot.roots),
        total=len(snapshot.by_id),
        loaded_at=snapshot.loaded_at,
        stale=snapshot.stale,
    )


@router.get(
    "/nodes/{node_id}",
    summary="One node with its subtree and its breadcrumb path",
    responses=error_responses(404, 422, 503),
)
async def get_node(
    catalog: Catalog,
    node_id: Annotated[
        str,
        Path(
            min_length=1,
            max_length=NODE_ID_MAX_LENGTH,
            description="Dotted id, such as `finance.invoices.create`.",
        ),
    ],
) -> NodeResponse:
    snapshot = await _snapshot(catalog)
    node = snapshot.get(node_id)
    if node is None:
        raise NotFoundError(f"no function node {node_id!r}", details={"id": node_id})
    return NodeResponse(
        node=FunctionTreeOut.model_validate(node),
        path=_breadcrumb(snapshot, node),
        loaded_at=snapshot.loaded_at,
        stale=snapshot.stale,
    )


@router.get(
    "/search",
    summary="Nodes whose title, tags or description contain every word of q",
    responses=error_responses(422, 503),
)
async def search(
    catalog: Catalog,
    q: Annotated[
        str,
        Query(min_length=1, max_length=QUERY_MAX_LENGTH, description="Words to look for."),
    ],
    limit: Annotated[
        int, Query(ge=1, le=SEARCH_LIMIT_MAX, description="Most results to return.")
    ] = SEARCH_LIMIT_DEFAULT,
) -> SearchResponse:
    if not q.strip():
        raise ValidationError(
            "the request is not valid: q: must contain a word, not only spaces",
            details={"errors": [{"field": "q", "type": "blank", "message": "q is blank"}]},
        )
    snapshot = await _snapshot(catalog)
    total, nodes = snapshot.search(q, limit)
    results = [
        SearchHit(**dict(FunctionNodeOut.model_validate(node)), path=_breadcrumb(snapshot, node))
        for node in nodes
    ]
    return SearchResponse(
        query=q,
        results=results,
        count=len(results),
        total=total,
        loaded_at=snapshot.loaded_at,
        stale=snapshot.stale,
    )


def _breadcrumb(snapshot: CatalogSnapshot, node: FunctionNode) -> list[Breadcrumb]:
    return [Breadcrumb.model_validate(step) for step in snapshot.path(node.id)]
