"""quickchat and ai-annotator over ASGI, and the status page's JSON.

Answers come from the local fallback provider (the embedded default: no keys) or from an
OpenAI stub on loopback; either way the stored answer names the provider that gave it.
Callers are logged in by writing a session the way login does (``Principal``'s data).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from erp_app.auth.models import AuditEntry
from erp_app.config import Settings
from erp_app.main import create_app
from erp_app.platform.security import ROLE_PERMISSIONS, Principal
from erp_app.platform.sessions import COOKIE
from erp_app.seed import SEEDERS
from error_contract import assert_error
from fastapi import FastAPI
from sqlalchemy import select

from support.ai_stubs import AIStubServer, Reply

pytestmark = pytest.mark.anyio

_ids = itertools.count(1)
OPENAI_KEY = "sk-test-do-not-leak"


async def login(app: FastAPI, client: httpx.AsyncClient, role: str) -> None:
    principal = Principal(
        user_id=next(_ids),
        username=f"{role}-{next(_ids)}",
        roles=(role,),
        permissions=frozenset(ROLE_PERMISSIONS[role]),
        session_id="",
    )
    sid = await app.state.sessions.create(principal.as_session_data())
    client.cookies.set(COOKIE, sid)


@pytest.fixture
def stub() -> Iterator[AIStubServer]:
    with AIStubServer() as server:
        yield server


@pytest.fixture
async def openai_app(
    make_settings: Callable[..., Settings], stub: AIStubServer
) -> AsyncIterator[FastAPI]:
    settings = make_settings(openai_api_key=OPENAI_KEY, openai_base_url=stub.openai.base_url)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def openai_client(openai_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=openai_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as http:
        yield http


# ---- quickchat ---------------------------------------------------------------------------


async def test_a_question_is_answered_by_the_local_provider_and_both_are_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(app, client, "user")
    posted = await client.post("/api/quickchat/messages", json={"content": "Hello there"})
    assert posted.status_code == 201, posted.text
    exchange = posted.json()
    assert exchange["question"]["role"] == "user"
    assert exchange["question"]["content"] == "Hello there"
    assert exchange["question"]["provider"] is None
    answer = exchange["answer"]
    assert answer["role"] == "assistant"
    assert answer["provider"] == "fallback"
    assert answer["content"]
    assert answer["latency_ms"] >= 0
    conversation = exchange["conversation_id"]

    follow_up = await client.post(
        "/api/quickchat/messages", json={"content": "And then?", "conversation_id": conversation}
    )
    assert follow_up.status_code == 201
    assert follow_up.json()["conversation_id"] == conversation

    page = (
        await client.get("/api/quickchat/messages", params={"conversation_id": conversation})
    ).json()
    assert page["total"] == 4
    assert [m["role"] for m in page["items"]] == ["user", "assistant", "user", "assistant"]
    assert page["items"][2]["content"] == "And then?"

    one = (await client.get(f"/api/quickchat/conversations/{conversation}")).json()
    assert one["title"] == "Hello there"
    assert one["message_count"] == 4
    mine = (await client.get("/api/quickchat/conversations", params={"mine": "true"})).json()
    assert [c["id"] for c in mine["items"]] == [conversation]


async def test_the_openai_stub_answers_and_is_recorded_with_the_conversation_so_far(
    openai_app: FastAPI, openai_client: httpx.AsyncClient, stub: AIStubServer
) -> None:
    stub.openai.default = Reply.ok("Granite is an igneous rock.")
    await login(openai_app, openai_client, "user")
    first = await openai_client.post(
        "/api/quickchat/messages", json={"content": "What is granite?"}
    )
    assert first.status_code == 201, first.text
    answer = first.json()["answer"]
    assert answer["provider"] == "openai"
    assert answer["model"] == openai_app.state.settings.openai_model
    assert answer["content"] == "Granite is an igneous rock."

    conversation = first.json()["conversation_id"]
    second = await openai_client.post(
        "/api/quickchat/messages",
        json={"content": "And marble?", "conversation_id": conversation},
    )
    assert second.status_code == 201
    prompt = stub.openai.bodies[-1]["messages"][0]["content"]
    assert "User: What is granite?" in prompt
    assert "Assistant: Granite is an igneous rock." in prompt
    assert prompt.rstrip().endswith("User: And marble?\nAssistant:")

    stored = (
        await openai_client.get("/api/quickchat/messages", params={"conversation_id": conversation})
    ).json()["items"]
    assert [m["provider"] for m in stored] == [None, "openai", None, "openai"]


async def test_the_local_provider_answers_when_openai_fails(
    openai_app: FastAPI, openai_client: httpx.AsyncClient, stub: AIStubServer
) -> None:
    stub.openai.default = Reply.server_error()
    await login(openai_app, openai_client, "user")
    posted = await openai_client.post("/api/quickchat/messages", json={"content": "Still there?"})
    assert posted.status_code == 201
    assert posted.json()["answer"]["provider"] == "fallback"


async def test_an_empty_conversation_can_be_started_and_sql_looking_text_is_stored_as_text(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(app, client, "user")
    title = "x'); DROP TABLE quickchat_messages; --"
    created = await client.post("/api/quickchat/conversations", json={"title": title})
    assert created.status_code == 201, created.text
    assert created.json()["title"] == title
    assert created.json()["message_count"] == 0
    cid = created.json()["id"]
    posted = await client.post(
        "/api/quickchat/messages", json={"content": "' OR 1=1 --", "conversation_id": cid}
    )
    assert posted.status_code == 201
    listed = (await client.get("/api/quickchat/messages", params={"conversation_id": cid})).json()
    assert listed["items"][0]["content"] == "' OR 1=1 --"


async def test_when_no_provider_answers_it_is_a_502_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def nobody_answers(prompt: str, max_tokens: int) -> None:
        raise RuntimeError("every provider failed")

    monkeypatch.setattr(app.state.ai, "complete", nobody_answers)
    await login(app, client, "user")
    before = (await client.get("/api/quickchat/messages")).json()["total"]
    asked = await client.post("/api/quickchat/messages", json={"content": "anyone?"})
    assert assert_error(asked, 502, "AI_PROVIDER_ERROR")["details"] == {"reason": "RuntimeError"}
    noted = await client.post("/api/ai-annotator/annotations", json={"node_id": "hr"})
    assert_error(noted, 502, "AI_PROVIDER_ERROR")
    assert (await client.get("/api/quickchat/messages")).json()["total"] == before
    hr_notes = await client.get("/api/ai-annotator/annotations", params={"node_id": "hr"})
    assert all(note["provider"] == "seed" for note in hr_notes.json()["items"])


async def test_writes_are_audited_without_the_message_text(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(app, client, "user")
    posted = (await client.post("/api/quickchat/messages", json={"content": "audit me"})).json()
    async with app.state.db.session() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "quickchat_message")
            )
        )
    assert len(entries) == 1
    assert entries[0].username is not None
    assert entries[0].username.startswith("user-")
    assert entries[0].entity_id == str(posted["question"]["id"])
    assert entries[0].details == {
        "conversation_id": posted["conversation_id"],
        "provider": "fallback",
    }


async def test_quickchat_bad_input(app: FastAPI, client: httpx.AsyncClient) -> None:
    await login(app, client, "user")
    too_long = await client.post("/api/quickchat/messages", json={"content": "x" * 2001})
    assert assert_error(too_long, 422, "VALIDATION_ERROR")["details"]["errors"][0]["field"] == (
        "content"
    )
    for body in (
        {"content": "   "},
        {"content": 5},
        {"content": "hi", "conversation_id": 0},
        {"content": "hi", "conversation_id": "one"},
        {"content": "hi", "unexpected": True},
        {"content": "hi", "max_tokens": 5000},
        {},
    ):
        assert_error(await client.post("/api/quickchat/messages", json=body), 422)
    assert_error(await client.post("/api/quickchat/conversations", json={"title": "t" * 201}), 422)
    unknown = await client.post(
        "/api/quickchat/messages", json={"content": "hi", "conversation_id": 424242}
    )
    error = assert_error(unknown, 404, "NOT_FOUND")
    assert "424242" in error["message"]
    assert (
        "424242"
        in assert_error(await client.get("/api/quickchat/conversations/424242"), 404)["message"]
    )
    assert_error(await client.get("/api/quickchat/messages?conversation_id=424242"), 404)
    assert_error(await client.get("/api/quickchat/conversations/abc"), 422)
    assert_error(await client.get("/api/quickchat/conversations/99999999999"), 422)
    assert_error(await client.get("/api/quickchat/messages?limit=101"), 422)
    assert_error(await client.get("/api/quickchat/messages?limit=0"), 422)
    assert_error(await client.get("/api/quickchat/conversations?offset=-1"), 422)
    form = await client.post("/api/quickchat/messages", data={"content": "hi"})
    assert_error(form, 415)


async def test_pagination(app: FastAPI, client: httpx.AsyncClient) -> None:
    await login(app, client, "user")
    for n in range(3):
        await client.post("/api/quickchat/messages", json={"content": f"question {n}"})
    page = (await client.get("/api/quickchat/conversations?limit=2&offset=1")).json()
    assert page["limit"] == 2
    assert page["offset"] == 1
    assert page["total"] >= 3
    assert len(page["items"]) == 2
    newest_first = (await client.get("/api/quickchat/conversations?limit=100")).json()["items"]
    titles = [c["title"] for c in newest_first if c["title"].startswith("question")]
    assert titles == ["question 2", "question 1", "question 0"]


async def test_a_first_start_has_conversations_and_annotations_seeded_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(app, client, "viewer")
    conversations = (await client.get("/api/quickchat/conversations")).json()
    messages = (await client.get("/api/quickchat/messages")).json()
    annotations = (await client.get("/api/ai-annotator/annotations")).json()
    assert conversations["total"] >= 1
    assert messages["total"] >= 2
    assert {m["provider"] for m in messages["items"]} == {None, "seed"}
    assert annotations["total"] >= 1
    assert {a["provider"] for a in annotations["items"]} == {"seed"}
    for seed in SEEDERS:  # every start runs them again: nothing is added twice
        await seed(app.state.db, app.state.settings)
    again = (await client.get("/api/quickchat/conversations")).json()
    assert again["total"] == conversations["total"]
    more = (await client.get("/api/ai-annotator/annotations")).json()
    assert more["total"] == annotations["total"]


# ---- who may ------------------------------------------------------------------------------

WRITES = [
    ("/api/quickchat/messages", {"content": "hi"}),
    ("/api/quickchat/conversations", {"title": "hi"}),
    ("/api/ai-annotator/annotations", {"node_id": "dashboard"}),
]
READS = [
    "/api/quickchat/conversations",
    "/api/quickchat/conversations/1",
    "/api/quickchat/messages",
    "/api/ai-annotator/annotations",
    "/api/ai-annotator/annotations/1",
]


async def test_unauthenticated_callers_get_401_before_validation(
    client: httpx.AsyncClient,
) -> None:
    for path, body in WRITES:
        assert_error(await client.post(path, json=body), 401, "UNAUTHORIZED")
        assert_error(await client.post(path, json={"bad": "body"}), 401)
    for path in READS:
        assert_error(await client.get(path), 401, "UNAUTHORIZED")


async def test_a_viewer_reads_but_cannot_write(app: FastAPI, client: httpx.AsyncClient) -> None:
    await login(app, client, "viewer")
    for path, body in WRITES:
        error = assert_error(await client.post(path, json=body), 403, "FORBIDDEN")
        assert error["details"]["permission"].endswith(":write")
    assert (await client.get("/api/quickchat/conversations")).status_code == 200
    assert (await client.get("/api/ai-annotator/annotations")).status_code == 200


# ---- ai-annotator -------------------------------------------------------------------------


async def test_a_node_is_annotated_by_the_local_provider_stored_and_listed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await login(app, client, "user")
    posted = await client.post(
        "/api/ai-annotator/annotations",
        json={"node_id": "dashboard.overview", "focus": "what auditors look at"},
    )
    assert posted.status_code == 201, posted.text
    note = posted.json()
    assert note["node_id"] == "dashboard.overview"
    assert note["node_title"] == "Company overview"
    assert note["provider"] == "fallback"
    assert note["focus"] == "what auditors look at"
    assert note["text"]

    async with app.state.db.session() as session:
        audited = await session.scalar(
            select(AuditEntry).where(AuditEntry.entity == "ai_annotation")
        )
    assert audited is not None
    assert audited.entity_id == str(note["id"])
    assert audited.details == {"node_id": "dashboard.overview", "provider": "fallback"}

    one = await client.get(f"/api/ai-annotator/annotations/{note['id']}")
    assert one.json() == note
    listed = (
        await client.get("/api/ai-annotator/annotations", params={"node_id": "dashboard.overview"})
    ).json()
    assert [n["id"] for n in listed["items"]] == [note["id"]]
    none = (await client.get("/api/ai-annotator/annotations", params={"node_id": "hr"})).json()
    assert all(n["node_id"] == "hr" for n in none["items"])


async def test_the_openai_stub_annotates_from_the_nodes_path_title_and_description(
    openai_app: FastAPI, openai_client: httpx.AsyncClient, stub: AIStubServer
) -> None:
    stub.openai.default = Reply.ok("The overview shows key figures.")
    await login(openai_app, openai_client, "admin")
    posted = await openai_client.post(
        "/api/ai-annotator/annotations", json={"node_id": "dashboard.overview"}
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["provider"] == "openai"
    assert posted.json()["text"] == "The overview shows key figures."
    prompt = stub.openai.bodies[-1]["messages"][0]["content"]
    assert "Path: Dashboard > Company overview" in prompt
    assert "Title: Company overview" in prompt
    assert "Description: Key figures of the stone works" in prompt


async def test_annotator_bad_input(app: FastAPI, client: httpx.AsyncClient) -> None:
    await login(app, client, "user")
    unknown = await client.post("/api/ai-annotator/annotations", json={"node_id": "no.such.node"})
    error = assert_error(unknown, 404, "NOT_FOUND")
    assert "no.such.node" in error["message"]
    assert error["details"] == {"id": "no.such.node"}
    sql = await client.post("/api/ai-annotator/annotations", json={"node_id": "x' OR '1'='1"})
    assert_error(sql, 404)
    for body in (
        {"node_id": "n" * 201},
        {"node_id": ""},
        {"node_id": 12},
        {"node_id": "dashboard", "focus": "f" * 501},
        {"node_id": "dashboard", "extra": 1},
    ):
        assert_error(await client.post("/api/ai-annotator/annotations", json=body), 422)
    assert (
        "424242"
        in assert_error(await client.get("/api/ai-annotator/annotations/424242"), 404)["message"]
    )
    assert_error(await client.get("/api/ai-annotator/annotations/0"), 422)
    assert_error(await client.get("/api/ai-annotator/annotations?limit=1000"), 422)


# ---- the contract in the OpenAPI document -------------------------------------------------


async def test_every_operation_documents_its_errors_and_its_body(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    mine = {
        path: operations
        for path, operations in spec["paths"].items()
        if path.startswith(("/api/quickchat", "/api/ai-annotator", "/api/status")) or path == "/"
    }
    assert len(mine) == 7
    for path, operations in mine.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            success = next(code for code in responses if code.startswith("2"))
            assert responses[success]["content"], (method, path)
            errors = [code for code in responses if code[0] in "45"]
            assert errors, (method, path)
            for code in errors:
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (code, path)
            if path.startswith(("/api/quickchat", "/api/ai-annotator")):
                assert {"401", "403", "422"} <= set(responses), (method, path)


# ---- the status page's data ---------------------------------------------------------------


async def test_status_json_is_public_and_shows_the_breaker_opening(
    openai_client: httpx.AsyncClient, stub: AIStubServer
) -> None:
    first = await openai_client.get("/api/status")
    assert first.status_code == 200
    status = first.json()
    assert status["status"] == "degraded"
    assert [p["provider"] for p in status["providers"]] == [
        "openai",
        "ollama",
        "anthropic",
        "fallback",
    ]
    assert status["providers"][0]["status"] == "healthy"
    assert status["providers"][1]["tone"] == "off"  # no URL: switched off, not failing
    assert status["providers"][1]["error"] == "not configured (OLLAMA_BASE_URL is not set)"
    assert status["sessions"]["active"] == "memory"
    breakers = {b["name"]: b for b in status["breakers"]}
    assert breakers["openai"]["state"] == "closed"
    assert {c["name"] for c in status["components"]} == {"database", "sessions", "ai", "functions"}

    stub.openai.default = Reply.server_error()
    for _ in range(4):  # 3 attempts each (2 retries); the breaker opens at the 5th failure
        answer = await openai_client.post("/api/ai/complete", json={"prompt": "hello"})
        assert answer.json()["provider"] == "fallback"
    after = (await openai_client.get("/api/status")).json()
    openai = {b["name"]: b for b in after["breakers"]}["openai"]
    assert openai["state"] == "open"
    assert openai["tone"] == "bad"
    assert openai["failed_calls"] >= 5
    assert openai["rejected_calls"] >= 1
    assert after["providers"][0]["status"] != "healthy"
    assert OPENAI_KEY not in first.text + (await openai_client.get("/api/status")).text


async def test_the_page_is_rendered_on_the_server_with_its_own_assets(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    assert 'id="overall"' in html
    assert ">degraded<" in html
    assert 'data-name="openai"' in html
    assert "/ui/status.js" in html
    assert "http://" not in html.replace('href="/', "")  # nothing from elsewhere
    script = await client.get("/ui/status.js")
    assert script.status_code == 200
    assert "/api/status" in script.text
    assert ".innerHTML" not in script.text
    assert (await client.get("/ui/status.css")).headers["content-type"].startswith("text/css")
    assert_error(await client.get("/ui/secrets.txt"), 404)
    assert_error(await client.get("/ui/..%2Fschemas.py"), 404)
