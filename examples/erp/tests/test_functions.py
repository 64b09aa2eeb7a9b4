"""The functions catalogue: the shipped data, the service (TTL, single flight, stale on
failure, all-or-nothing checks) and the /api/functions router in the one error shape."""

from __future__ import annotations

import importlib.util
import json
import math
import pathlib
import statistics
import sys
import threading
import time

import anyio
import anyio.lowlevel
import httpx
import pytest
from erp_app.functions import service
from erp_app.functions.router import router
from erp_app.functions.service import (
    DEFAULT_DIRECTORY,
    CatalogError,
    CatalogSnapshot,
    FunctionsCatalog,
    read_catalog,
)
from erp_app.platform.errors import install_error_handlers
from fastapi import FastAPI

from steinresil import HealthStatus

AREAS = [
    "dashboard",
    "finance",
    "hr",
    "sales",
    "purchasing",
    "warehouse",
    "production",
    "quality",
    "documents",
    "communication",
    "system",
]
TTL = 60.0


@pytest.fixture
def anyio_backend():
    return "asyncio"


# ---- helpers -------------------------------------------------------------------------------


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def record(node_id, parent=None, kind=None, **fields):
    kind = kind or ("area" if parent is None else "function")
    return {
        "id": node_id,
        "parent": parent,
        "title": fields.pop("title", node_id.rsplit(".", 1)[-1].title()),
        "kind": kind,
        "description": fields.pop("description", f"About {node_id}."),
        "permissions": fields.pop("permissions", ["test:read"]),
        **fields,
    }


def small_catalog() -> dict[str, list]:
    """Two files, two areas, a module each, four functions."""
    return {
        "a-stone.jsonl": [
            record("stone", title="Stone", order=20),
            record("stone.slabs", "stone", "module", title="Slabs"),
            record("stone.slabs.cut", "stone.slabs", title="Cut slab", tags=["saw"]),
            record("stone.slabs.polish", "stone.slabs", title="Polish slab", order=-1),
        ],
        "b-office.jsonl": [
            record("office", title="Office", order=10),
            record("office.letters", "office", "module", title="Letters"),
            record("office.letters.write", "office.letters", title="Write letter"),
            record(
                "office.letters.grave",
                "office.letters",
                title="Grave owner letter",
                title_de="Brief an Grabnutzungsberechtigte",
                description="Tell a grave owner the memorial failed the stability test.",
            ),
        ],
    }


def write_files(directory: pathlib.Path, files: dict[str, list]) -> pathlib.Path:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.jsonl"):
        old.unlink()
    for name, lines in files.items():
        text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
        (directory / name).write_text(text + "\n", encoding="utf-8")
    return directory


@pytest.fixture
def catalog_dir(tmp_path) -> pathlib.Path:
    return write_files(tmp_path / "functions", small_catalog())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def catalog(catalog_dir, clock) -> FunctionsCatalog:
    return FunctionsCatalog(catalog_dir, ttl=TTL, clock=clock)


def break_file(directory: pathlib.Path) -> None:
    """A second line that is not JSON: the whole reload must fail, not half of it."""
    (directory / "b-office.jsonl").write_text(
        json.dumps(record("office")) + "\n{not json\n", encoding="utf-8"
    )


def all_ids(snapshot: CatalogSnapshot) -> list[str]:
    seen: list[str] = []
    stack = list(snapshot.roots)
    while stack:
        node = stack.pop()
        seen.append(node.id)
        stack.extend(node.children)
    return seen


# ---- the shipped catalogue -----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> CatalogSnapshot:
    return read_catalog(DEFAULT_DIRECTORY)


def test_shipped_catalogue_is_inside_the_package():
    assert DEFAULT_DIRECTORY.is_dir()
    assert DEFAULT_DIRECTORY.parent.name == "data"
    assert (DEFAULT_DIRECTORY.parent.parent / "__init__.py").is_file()  # erp_app itself
    assert len(list(DEFAULT_DIRECTORY.glob("*.jsonl"))) >= 5


def test_shipped_catalogue_has_all_areas_and_hundreds_of_nodes(shipped):
    assert [root.id for root in shipped.roots] == AREAS
    assert all(root.kind == "area" for root in shipped.roots)
    assert 300 <= len(shipped.by_id) <= 450
    assert not shipped.stale


def test_every_shipped_node_is_reachable_from_a_root(shipped):
    reachable = all_ids(shipped)
    assert len(reachable) == len(set(reachable)) == len(shipped.by_id)


def test_shipped_nodes_follow_the_conventions(shipped):
    for node in shipped.by_id.values():
        assert node.title
        assert node.description
        assert node.permissions
        if node.parent is not None:
            # Ids nest like the tree, so an id says where a node lives.
            assert node.id.startswith(node.parent + "."), node.id
            area = node.id.split(".", 1)[0]
            assert all(p.startswith(area + ":") for p in node.permissions), node.id
        if node.kind == "function":
            assert not node.children, node.id
        else:
            assert node.children, node.id
            assert node.route == "/api/" + node.id.replace(".", "/").replace("_", "-")
    modules = [node for node in shipped.by_id.values() if node.kind == "module"]
    assert len(modules) >= 4 * len(AREAS)


# ---- loading -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_load_builds_a_sorted_tree(catalog):
    await catalog.load()
    snapshot = await catalog.snapshot()
    assert [root.id for root in snapshot.roots] == ["office", "stone"]  # order 10 before 20
    stone = snapshot.by_id["stone.slabs"]
    assert [child.id for child in stone.children] == ["stone.slabs.polish", "stone.slabs.cut"]
    assert [n.id for n in snapshot.path("stone.slabs.cut")] == [
        "stone",
        "stone.slabs",
        "stone.slabs.cut",
    ]
    assert snapshot.path("nope") == ()
    assert snapshot.files == ("a-stone.jsonl", "b-office.jsonl")
    assert snapshot.by_id["stone.slabs.cut"].line == 3
    assert catalog.reloads == 1


@pytest.mark.anyio
async def test_health_when_fresh(catalog):
    await catalog.load()
    health = catalog.health()
    assert health.status is HealthStatus.HEALTHY
    assert health.error is None
    assert health.details["nodes"] == 8
    assert health.details["roots"] == 2
    assert health.details["files"] == 2
    assert health.details["stale"] is False
    assert health.details["loaded_at"].endswith("+00:00")


def test_health_before_any_load_is_unhealthy(catalog):
    health = catalog.health()
    assert health.status is HealthStatus.UNHEALTHY
    assert health.error == "not loaded yet"
    assert health.details["nodes"] == 0
    assert health.details["loaded_at"] is None


@pytest.mark.anyio
async def test_snapshot_loads_on_first_use(catalog):
    snapshot = await catalog.snapshot()
    assert len(snapshot.by_id) == 8
    assert catalog.reloads == 1


@pytest.mark.anyio
async def test_blank_lines_and_a_byte_order_mark_are_fine(tmp_path):
    lines = [record("a"), "", "   ", record("a.b", "a")]
    text = "\ufeff" + "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines)
    (tmp_path / "x.jsonl").write_text(text + "\r\n", encoding="utf-8")
    snapshot = read_catalog(tmp_path)
    assert list(snapshot.by_id) == ["a", "a.b"]
    assert snapshot.by_id["a.b"].line == 4


@pytest.mark.parametrize("ttl", [0, -1, math.nan, math.inf])
def test_nonsense_ttl_is_refused(tmp_path, ttl):
    with pytest.raises(ValueError, match=r"ttl must be a finite number > 0, got"):
        FunctionsCatalog(tmp_path, ttl=ttl)


@pytest.mark.parametrize("ttl", [True, "60"])
def test_ttl_must_be_a_number(tmp_path, ttl):
    with pytest.raises(TypeError, match="ttl must be a number of seconds"):
        FunctionsCatalog(tmp_path, ttl=ttl)


# ---- TTL, stale on failure, recovery -------------------------------------------------------


@pytest.mark.anyio
async def test_reloads_only_when_older_than_ttl(catalog, catalog_dir, clock):
    await catalog.load()
    first = await catalog.snapshot()
    files = small_catalog()
    files["a-stone.jsonl"].append(record("stone.slabs.drill", "stone.slabs"))
    write_files(catalog_dir, files)

    clock.advance(TTL - 0.001)
    assert await catalog.snapshot() is first
    assert catalog.reloads == 1

    clock.advance(0.001)
    second = await catalog.snapshot()
    assert second is not first
    assert "stone.slabs.drill" in second.by_id
    assert catalog.reloads == 2


@pytest.mark.anyio
async def test_failed_reload_serves_the_last_good_tree_as_stale(catalog, catalog_dir, clock):
    await catalog.load()
    good = await catalog.snapshot()
    break_file(catalog_dir)
    clock.advance(TTL)

    served = await catalog.snapshot()
    assert served.stale
    assert served.by_id.keys() == good.by_id.keys()  # not half of the new files
    assert served.loaded_at == good.loaded_at
    assert "b-office.jsonl:2: malformed JSON" in served.error
    health = catalog.health()
    assert health.status is HealthStatus.DEGRADED
    assert health.error == served.error
    assert health.details["stale"] is True
    assert health.details["nodes"] == len(good.by_id)
    assert catalog.failed_reloads == 1

    # The next try waits a TTL too: a broken file is not re-read on every request.
    clock.advance(TTL / 2)
    assert await catalog.snapshot() is served
    assert catalog.reloads == 2


@pytest.mark.anyio
async def test_recovers_when_the_files_are_fixed(catalog, catalog_dir, clock):
    await catalog.load()
    break_file(catalog_dir)
    clock.advance(TTL)
    assert (await catalog.snapshot()).stale

    write_files(catalog_dir, small_catalog())
    clock.advance(TTL)
    fresh = await catalog.snapshot()
    assert not fresh.stale
    assert fresh.error is None
    assert catalog.health().status is HealthStatus.HEALTHY
    assert catalog.health().error is None


@pytest.mark.anyio
async def test_load_raises_but_keeps_serving_an_earlier_tree(catalog, catalog_dir):
    await catalog.load()
    break_file(catalog_dir)
    with pytest.raises(CatalogError, match=r"b-office\.jsonl:2"):
        await catalog.load()
    assert (await catalog.snapshot()).stale


@pytest.mark.anyio
async def test_never_loaded_catalog_raises_and_is_unhealthy(tmp_path, clock):
    directory = write_files(tmp_path / "f", {"x.jsonl": ["[1, 2]"]})
    catalog = FunctionsCatalog(directory, ttl=TTL, clock=clock)
    with pytest.raises(CatalogError, match=r"x\.jsonl:1: not a catalogue record"):
        await catalog.load()
    with pytest.raises(CatalogError, match=r"x\.jsonl:1"):
        await catalog.snapshot()
    assert catalog.reloads == 1  # the failed load counts as the check of this TTL
    health = catalog.health()
    assert health.status is HealthStatus.UNHEALTHY
    assert "x.jsonl:1" in health.error


@pytest.mark.anyio
async def test_a_crash_while_reading_is_a_failed_reload_too(catalog, clock, monkeypatch):
    await catalog.load()

    def crash(directory):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "read_catalog", crash)
    clock.advance(TTL)
    served = await catalog.snapshot()
    assert served.stale
    assert "RuntimeError: disk on fire" in served.error


# ---- single flight -------------------------------------------------------------------------


def gated_reader(monkeypatch):
    """Replace the file reader with one that holds until released; count its calls."""
    real = service.read_catalog
    calls = []
    started, release = threading.Event(), threading.Event()

    def reader(directory):
        calls.append(directory)
        started.set()
        assert release.wait(5), "the test never released the reader"
        return real(directory)

    monkeypatch.setattr(service, "read_catalog", reader)
    return calls, started, release


async def until(condition) -> None:
    for _ in range(10_000):
        if condition():
            return
        await anyio.lowlevel.checkpoint()
    raise AssertionError("condition never became true")


@pytest.mark.anyio
async def test_a_thousand_concurrent_requests_share_one_reload(catalog, clock, monkeypatch):
    await catalog.load()
    calls, started, release = gated_reader(monkeypatch)
    clock.advance(TTL)
    results: list[CatalogSnapshot] = []
    entered = 0

    async def request() -> None:
        nonlocal entered
        entered += 1
        results.append(await catalog.snapshot())

    async with anyio.create_task_group() as tg:
        for _ in range(1000):
            tg.start_soon(request)
        # Every request is inside snapshot() and the one read is under way: now let it end.
        await until(lambda: entered == 1000 and started.is_set())
        release.set()

    assert len(calls) == 1
    assert catalog.reloads == 2  # the start-up load and this one
    assert len(results) == 1000
    assert len({id(snapshot) for snapshot in results}) == 1


@pytest.mark.anyio
async def test_cancelling_the_starter_does_not_abandon_the_reload(catalog, clock, monkeypatch):
    await catalog.load()
    calls, started, release = gated_reader(monkeypatch)
    clock.advance(TTL)
    starter = anyio.CancelScope()
    follower: list[CatalogSnapshot] = []
    following = False

    async def start() -> None:
        with starter:
            await catalog.snapshot()

    async def follow() -> None:
        nonlocal following
        following = True
        follower.append(await catalog.snapshot())

    async with anyio.create_task_group() as tg:
        tg.start_soon(start)
        await until(started.is_set)  # the starter's read is under way
        tg.start_soon(follow)
        await until(lambda: following)
        starter.cancel()  # say its client went away
        release.set()

    assert len(calls) == 1
    assert len(follower) == 1
    assert not follower[0].stale
    assert catalog.reloads == 2
    assert await catalog.snapshot() is follower[0]  # fresh now: no further reload


# ---- bad data: clear errors naming file and line, nothing half-loaded ----------------------


BAD_CASES = {
    "malformed JSON": (['{"id": "a",'], "x.jsonl:1: malformed JSON"),
    "not an object": (["[]"], "x.jsonl:1: not a catalogue record"),
    "duplicate id": (
        [record("a"), record("a.b", "a"), record("a.b", "a")],
        "x.jsonl:3: duplicate id 'a.b' (first at x.jsonl:2)",
    ),
    "unknown parent": (
        [record("a"), record("a.b", "a.zzz")],
        "x.jsonl:2: unknown parent 'a.zzz'",
    ),
    "cycle": (
        [
            record("a"),
            record("a.b", "a.d", "module"),
            record("a.c", "a.b", "module"),
            record("a.d", "a.c", "module"),
        ],
        "x.jsonl:2: parent cycle: a.b -> a.d -> a.c -> a.b",
    ),
    "own parent": (
        [record("a"), record("a.b", "a.b", "module")],
        "x.jsonl:2: parent cycle: a.b -> a.b",
    ),
    "bad kind": (
        [record("a"), record("a.b", "a", "modul")],
        "x.jsonl:2: field 'kind': Input should be 'area', 'module' or 'function' (got 'modul')",
    ),
    "missing field": (
        [{k: v for k, v in record("a").items() if k != "title"}],
        "x.jsonl:1: field 'title' is missing",
    ),
    "unknown field": ([{**record("a"), "titel": "A"}], "x.jsonl:1: unknown field 'titel'"),
    "bad id": ([record("A B")], "x.jsonl:1: field 'id': String should match pattern"),
    "order as text": ([{**record("a"), "order": "10"}], "x.jsonl:1: field 'order'"),
    "bad permission": (
        [record("a", permissions=["everything"])],
        "x.jsonl:1: field 'permissions.0'",
    ),
    "root that is not an area": (
        [record("a", kind="module")],
        "x.jsonl:1: kind must be 'area' for a root (parent null), got 'module'",
    ),
    "area with a parent": (
        [record("a"), record("a.b", "a", "area")],
        "x.jsonl:2: area 'a.b' must have parent null, got 'a'",
    ),
    "child of a function": (
        [record("a"), record("a.f", "a"), record("a.f.g", "a.f")],
        "x.jsonl:3: parent 'a.f' is a function; functions have no children",
    ),
}


@pytest.mark.parametrize(("lines", "expected"), BAD_CASES.values(), ids=BAD_CASES.keys())
def test_bad_data_is_refused_naming_file_and_line(tmp_path, lines, expected):
    write_files(tmp_path, {"ok.jsonl": [record("z")], "x.jsonl": lines})
    with pytest.raises(CatalogError) as caught:
        read_catalog(tmp_path)
    assert expected in str(caught.value)
    assert str(tmp_path) in str(caught.value)
    assert expected in caught.value.summary
    assert str(tmp_path) not in caught.value.summary


def test_every_problem_is_listed_at_once(tmp_path):
    write_files(tmp_path, {"x.jsonl": ["{", record("a"), "nope", {**record("b"), "kind": 1}]})
    with pytest.raises(CatalogError) as caught:
        read_catalog(tmp_path)
    assert [(p.file, p.line) for p in caught.value.problems] == [
        ("x.jsonl", 1),
        ("x.jsonl", 3),
        ("x.jsonl", 4),
    ]


def test_a_long_list_of_problems_is_shortened_in_the_message(tmp_path):
    write_files(tmp_path, {"x.jsonl": ["{"] * 25})
    with pytest.raises(CatalogError) as caught:
        read_catalog(tmp_path)
    assert len(caught.value.problems) == 25
    assert caught.value.summary.endswith("; and 15 more")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda path: path / "missing", "is not a directory"),
        (lambda path: path, "has no *.jsonl files"),
    ],
    ids=["missing directory", "empty directory"],
)
def test_a_directory_without_files_is_refused(tmp_path, make, expected):
    directory = make(tmp_path)
    with pytest.raises(CatalogError) as caught:
        read_catalog(directory)
    assert caught.value.summary == f"{directory.name}: {expected}"
    assert str(directory) in str(caught.value)  # the log line has the full path


# ---- search --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_search_matches_every_word_and_ranks_titles_first(catalog):
    snapshot = await catalog.snapshot()
    total, hits = snapshot.search("slab", 10)
    assert total == 3
    assert [hit.id for hit in hits] == ["stone.slabs", "stone.slabs.polish", "stone.slabs.cut"]
    assert snapshot.search("SAW", 10)[1][0].id == "stone.slabs.cut"  # a tag, any case
    assert [h.id for h in snapshot.search("grave stability", 10)[1]] == ["office.letters.grave"]
    assert snapshot.search("grabnutzung", 10)[0] == 1  # the German title counts
    assert snapshot.search("slab nothing", 10) == (0, [])
    assert snapshot.search("   ", 10) == (0, [])
    assert snapshot.search("slab", 1)[0] == 3


def test_search_in_the_shipped_catalogue(shipped):
    _, hits = shipped.search("gravestone", 5)
    assert hits[0].id == "sales.memorials"
    total, hits = shipped.search("invoice", 100)
    assert hits[0].id == "finance.invoices"
    assert total == len(hits) > 5


# ---- the router ----------------------------------------------------------------------------


def make_app(catalog: FunctionsCatalog | None) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    install_error_handlers(app, development=False)
    if catalog is not None:
        app.state.functions = catalog
    return app


@pytest.fixture
async def shipped_client():
    catalog = FunctionsCatalog(DEFAULT_DIRECTORY)
    await catalog.load()
    transport = httpx.ASGITransport(make_app(catalog))
    async with httpx.AsyncClient(transport=transport, base_url="http://erp") as client:
        yield client


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://erp")


# Not error_contract.assert_error: these apps mount the router without the request-id
# middleware, so there is no request id to compare.
def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["statusCode"] == status
    assert body["error"]["code"] == code
    assert body["error"]["path"] == response.request.url.path
    return body["error"]


@pytest.mark.anyio
async def test_roots_is_the_whole_tree_in_camel_case(shipped_client, shipped):
    response = await shipped_client.get("/api/functions/roots")
    assert response.status_code == 200
    body = response.json()
    assert [root["id"] for root in body["roots"]] == AREAS
    assert body["count"] == len(AREAS)
    assert body["total"] == len(shipped.by_id)
    assert body["stale"] is False
    assert body["loadedAt"].endswith("Z")
    finance = body["roots"][1]
    assert finance["titleDe"] == "Finanzen & Controlling"
    invoices = finance["children"][0]
    assert invoices["id"] == "finance.invoices"
    assert invoices["route"] == "/api/finance/invoices"
    assert {"id", "parent", "kind", "permissions", "tags", "order"} <= invoices.keys()

    def count(nodes):
        return sum(1 + count(node["children"]) for node in nodes)

    assert count(body["roots"]) == len(shipped.by_id)


@pytest.mark.anyio
async def test_node_has_its_subtree_and_breadcrumb(shipped_client):
    response = await shipped_client.get("/api/functions/nodes/finance.invoices.create")
    assert response.status_code == 200
    body = response.json()
    assert body["node"]["id"] == "finance.invoices.create"
    assert body["node"]["kind"] == "function"
    assert body["node"]["children"] == []
    assert body["node"]["permissions"] == ["finance:write"]
    assert [step["id"] for step in body["path"]] == [
        "finance",
        "finance.invoices",
        "finance.invoices.create",
    ]
    assert body["path"][0] == {"id": "finance", "title": "Finance & Controlling", "kind": "area"}

    module = (await shipped_client.get("/api/functions/nodes/sales.memorials")).json()
    assert len(module["node"]["children"]) >= 5
    assert [step["id"] for step in module["path"]] == ["sales", "sales.memorials"]


@pytest.mark.anyio
async def test_unknown_node_is_404_naming_the_id(shipped_client):
    response = await shipped_client.get("/api/functions/nodes/finance.nothing")
    error = assert_error(response, 404, "NOT_FOUND")
    assert "finance.nothing" in error["message"]
    assert error["details"] == {"id": "finance.nothing"}


@pytest.mark.anyio
async def test_overlong_node_id_is_422(shipped_client):
    response = await shipped_client.get("/api/functions/nodes/" + "a" * 201)
    assert_error(response, 422, "VALIDATION_ERROR")


@pytest.mark.anyio
async def test_search_answers_hits_with_their_path(shipped_client):
    response = await shipped_client.get(
        "/api/functions/search", params={"q": "invoice", "limit": 3}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "invoice"
    assert body["count"] == len(body["results"]) == 3
    assert body["total"] > 3
    first = body["results"][0]
    assert first["id"] == "finance.invoices"
    assert [step["id"] for step in first["path"]] == ["finance", "finance.invoices"]
    assert "children" not in first
    assert body["stale"] is False


@pytest.mark.anyio
async def test_search_without_matches_is_an_empty_list(shipped_client):
    response = await shipped_client.get("/api/functions/search", params={"q": "xylophone"})
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"q": "slab", "limit": 0},
        {"q": "slab", "limit": 101},
        {"q": "slab", "limit": "many"},
        {"q": ""},
        {"q": "x" * 101},
        {"q": "   "},
        {},
    ],
    ids=["limit 0", "limit 101", "limit text", "empty q", "long q", "blank q", "no q"],
)
@pytest.mark.anyio
async def test_bad_search_parameters_are_422(shipped_client, params):
    response = await shipped_client.get("/api/functions/search", params=params)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert error["details"]["errors"][0]["field"] in {"q", "limit"}


@pytest.mark.anyio
async def test_limit_100_is_allowed(shipped_client):
    response = await shipped_client.get("/api/functions/search", params={"q": "e", "limit": 100})
    assert response.status_code == 200
    assert response.json()["count"] == 100


@pytest.mark.anyio
async def test_stale_tree_is_served_and_flagged(catalog, catalog_dir, clock):
    await catalog.load()
    async with client_for(make_app(catalog)) as client:
        first = (await client.get("/api/functions/roots")).json()
        break_file(catalog_dir)
        clock.advance(TTL)
        response = await client.get("/api/functions/roots")
        assert response.status_code == 200
        body = response.json()
        assert body["stale"] is True
        assert body["roots"] == first["roots"]
        assert body["loadedAt"] == first["loadedAt"]
        node = (await client.get("/api/functions/nodes/stone.slabs")).json()
        assert node["stale"] is True


@pytest.mark.anyio
async def test_never_loaded_catalog_is_503(tmp_path, clock):
    catalog = FunctionsCatalog(tmp_path / "missing", ttl=TTL, clock=clock)
    async with client_for(make_app(catalog)) as client:
        for url in ("/api/functions/roots", "/api/functions/nodes/a", "/api/functions/search?q=a"):
            error = assert_error(await client.get(url), 503, "SERVICE_UNAVAILABLE")
            assert error["details"]["problems"][0].endswith("is not a directory")


@pytest.mark.anyio
async def test_app_without_a_catalogue_is_503():
    async with client_for(make_app(None)) as client:
        error = assert_error(await client.get("/api/functions/roots"), 503, "SERVICE_UNAVAILABLE")
        assert "not set up" in error["message"]


def test_openapi_documents_every_error_status():
    schema = make_app(None).openapi()
    expected = {
        "/api/functions/roots": {"200", "503"},
        "/api/functions/nodes/{node_id}": {"200", "404", "422", "503"},
        "/api/functions/search": {"200", "422", "503"},
    }
    for path, statuses in expected.items():
        responses = schema["paths"][path]["get"]["responses"]
        assert set(responses) == statuses, path
        for status in statuses - {"200"}:
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorResponse")
    roots = schema["components"]["schemas"]["RootsResponse"]["properties"]
    assert {"roots", "count", "total", "loadedAt", "stale"} == roots.keys()


@pytest.mark.anyio
async def test_roots_latency_over_a_thousand_requests(shipped_client):
    await shipped_client.get("/api/functions/roots")  # warm up: the first answer is built once
    timings = []
    for _ in range(1000):
        started = time.perf_counter()
        response = await shipped_client.get("/api/functions/roots")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"/api/functions/roots over ASGI: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms")
    assert p99 < 0.1  # the spec: under 100 ms


def test_shipped_files_match_their_outline(monkeypatch):
    """The JSONL files are generated from scripts/build_functions_catalog.py: no drift."""
    script = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "build_functions_catalog.py"
    spec = importlib.util.spec_from_file_location("build_functions_catalog", script)
    assert spec is not None
    assert spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, builder)  # dataclasses look their module up
    spec.loader.exec_module(builder)
    for area in builder.parse_outline(builder.OUTLINE):
        name = f"{builder.AREA_ORDER[area.slug] // builder.ORDER_STEP:02d}-{area.slug}.jsonl"
        lines = (DEFAULT_DIRECTORY / name).read_text(encoding="utf-8").splitlines()
        assert [json.loads(line) for line in lines] == builder.records(area), name
