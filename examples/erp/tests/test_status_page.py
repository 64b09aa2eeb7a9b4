"""The status page in a real browser: Debian's Chromium driven by Playwright.

The app runs as an operator runs it (a uvicorn process on the embedded default) with an
OpenAI stub on loopback. The page loads showing "degraded"; the stub then fails until the
openai breaker opens, and the page shows that on its own, in place: a marker set in the
page's JavaScript at load is still there afterwards, so the page was never reloaded.
Screenshots (desktop before and after, and a phone) go to ``examples/erp/test-artifacts``.

Chromium comes from Debian (``apt-get install chromium``; ``./scripts/test`` installs it);
``playwright install`` is never run. Without the browser this test fails, it never skips.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from test_process import ErpProcess

from support.ai_stubs import AIStubServer, Reply

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "status-page"
POLL_SECONDS = 2.0


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's Chromium "
            "(apt-get install chromium; ./scripts/test does it as root). "
            "Never `playwright install`."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def stub() -> Iterator[AIStubServer]:
    with AIStubServer() as server:
        yield server


@pytest.fixture
def erp(tmp_path: Path, stub: AIStubServer) -> Iterator[ErpProcess]:
    process = ErpProcess(
        tmp_path,
        env={"OPENAI_API_KEY": "sk-test-status-page", "OPENAI_BASE_URL": stub.openai.base_url},
    )
    process.start()
    yield process
    process.kill()


def _breaker_state(base: str, name: str) -> str:
    status = httpx.get(base + "/api/status", timeout=5).json()
    return str(next(b["state"] for b in status["breakers"] if b["name"] == name))


def _open_the_openai_breaker(base: str, stub: AIStubServer) -> int:
    """Fail every OpenAI call and complete until the breaker opens; returns the requests."""
    stub.openai.default = Reply.server_error()
    for sent in range(1, 11):
        answer = httpx.post(base + "/api/ai/complete", json={"prompt": "status?"}, timeout=30)
        assert answer.status_code == 200
        assert answer.json()["provider"] == "fallback"  # the chain still answers
        if _breaker_state(base, "openai") == "open":
            return sent
    raise AssertionError("the openai breaker did not open after 10 failing completions")


def _watch_console(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"{message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def test_the_page_shows_a_breaker_opening_without_reloading(
    browser: Browser, erp: ErpProcess, stub: AIStubServer
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    problems = _watch_console(page)
    page.goto(erp.url + "/")

    assert page.text_content("#overall") == "degraded"
    assert "tone-warn" in (page.get_attribute("#overall", "class") or "")
    openai_breaker = page.locator('#breakers tr[data-name="openai"]')
    assert "closed" in openai_breaker.inner_text()
    openai_provider = page.locator('#providers li[data-name="openai"]')
    assert "healthy" in openai_provider.inner_text()
    assert page.text_content("#session-active") == "memory"
    # The first poll replaces the server-rendered rows with the script's.
    page.wait_for_function("() => Number(document.body.dataset.polls) >= 1", timeout=10_000)
    page.evaluate("window.__loadMarker = 'set at load'")
    navigations = page.evaluate("performance.getEntriesByType('navigation').length")
    page.screenshot(path=str(ARTIFACTS / "1-desktop-before.png"), full_page=True)

    started = time.monotonic()
    requests = _open_the_openai_breaker(erp.url, stub)
    page.wait_for_function(
        """() => {
            const row = document.querySelector('#breakers tr[data-name="openai"]');
            const provider = document.querySelector('#providers li[data-name="openai"]');
            return row && row.dataset.state === 'open'
                && provider && provider.dataset.status !== 'healthy';
        }""",
        timeout=(3 * POLL_SECONDS + 2) * 1000,
    )
    seen_after = time.monotonic() - started
    print(f"\nbreaker open after {requests} completions; on the page {seen_after:.1f} s later")

    # The same document: the marker survived and no navigation happened.
    assert page.evaluate("window.__loadMarker") == "set at load"
    assert page.evaluate("performance.getEntriesByType('navigation').length") == navigations
    assert "open" in openai_breaker.inner_text()
    assert "retry in" in openai_breaker.inner_text()
    assert "tone-bad" in (openai_breaker.locator(".pill").get_attribute("class") or "")
    assert page.text_content("#overall") == "degraded"  # the local provider still answers
    page.screenshot(path=str(ARTIFACTS / "2-desktop-breaker-open.png"), full_page=True)
    assert problems == []


def test_the_page_reads_on_a_phone(browser: Browser, erp: ErpProcess) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = phone.new_page()
    problems = _watch_console(page)
    page.goto(erp.url + "/")
    page.wait_for_function("() => Number(document.body.dataset.polls) >= 1", timeout=10_000)
    # Nothing wider than the screen: no sideways scrolling of the page itself.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.is_visible("#overall")
    page.screenshot(path=str(ARTIFACTS / "3-phone.png"), full_page=True)
    phone.close()
    assert problems == []


def test_the_page_says_so_when_the_server_is_gone(browser: Browser, erp: ErpProcess) -> None:
    page = browser.new_page()
    page.goto(erp.url + "/")
    page.wait_for_function("() => Number(document.body.dataset.polls) >= 1", timeout=10_000)
    assert page.is_hidden("#offline")
    erp.kill()
    page.wait_for_selector("#offline", state="visible", timeout=(2 * POLL_SECONDS + 3) * 1000)
    assert page.text_content("#overall") == "degraded"  # the last figures stay on screen
    page.screenshot(path=str(ARTIFACTS / "4-desktop-offline.png"), full_page=True)
