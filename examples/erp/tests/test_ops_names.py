"""Every metric an alert rule or a dashboard panel uses is one the app really exports.

The seed document's alert rules named metrics that did not exist. These tests start the
app, drive traffic that makes every metric family appear (an error, an open breaker, a
slow query, a fallback AI answer), scrape ``/api/metrics``, and compare it with every
metric name and every label name in ``deploy/prometheus/*.rules.yml`` and
``deploy/grafana/*.json``. Recording-rule names (``level:metric:operation``) must be
recorded by a rule file instead; ``job`` and ``instance`` are added by the scrape.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from erp_app.config import Settings
from erp_app.main import create_app
from prometheus_client.parser import text_string_to_metric_families

from support.ai_stubs import AIStubServer, Reply

pytestmark = pytest.mark.anyio

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
SCRAPE_LABELS = {"job", "instance", "le"}  # added by Prometheus, or the histogram's own
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
OPERATORS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


def rule_expressions() -> Iterator[tuple[str, str]]:
    for path in sorted((DEPLOY / "prometheus").glob("*.rules.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                yield f"{path.name}: {rule.get('alert') or rule.get('record')}", rule["expr"]


def recorded_names() -> set[str]:
    names = set()
    for path in (DEPLOY / "prometheus").glob("*.rules.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {rule["record"] for rule in group["rules"] if "record" in rule}
    return names


def dashboard_expressions() -> Iterator[tuple[str, str]]:
    for path in sorted((DEPLOY / "grafana").glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in _panels(dashboard["panels"]):
            for target in panel.get("targets", []):
                yield f"{path.name}: {panel['title']}", target["expr"]
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                query = variable["query"]
                query = query["query"] if isinstance(query, dict) else query
                inner = re.fullmatch(r"label_values\((.*),\s*\w+\)", query)
                yield f"{path.name}: ${variable['name']}", inner.group(1) if inner else query


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # rows may hold collapsed panels


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """Each metric name in a PromQL expression with the label names its matcher uses.

    A small scanner rather than a PromQL parser: strings, ranges and grouping clauses are
    blanked out, then every identifier not followed by ``(`` (a function) and not an
    operator keyword is a metric name.
    """
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals: label values, $vars
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range and subquery windows
    text = re.sub(rf"\b(?:{'|'.join(KEYWORDS)})\s*\([^)]*\)", " ", text)  # by (a, b) ...
    found: list[tuple[str, set[str]]] = []
    for match in re.finditer(r"([A-Za-z_:][\w:]*)\s*(\{[^}]*\})?\s*(\()?", text):
        name, matcher, call = match.groups()
        if call or name.lower() in OPERATORS or name in KEYWORDS:
            continue
        if re.fullmatch(r"\d.*|e\d+", name):
            continue
        labels = set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matcher or ""))
        found.append((name, labels))
    return found


def test_the_scanner_finds_names_and_labels() -> None:
    expr = (
        'sum by (job, le) (rate(a_total{x="1", y=~"b|c"}[5m])) / on (job) '
        "group_left() b:rec:ratio > 0.1 and histogram_quantile(0.9, c_bucket[$__range])"
    )
    assert selectors(expr) == [("a_total", {"x", "y"}), ("b:rec:ratio", set()), ("c_bucket", set())]


@pytest.fixture
def stub() -> Iterator[AIStubServer]:
    with AIStubServer() as server:
        yield server


async def scrape_after_traffic(settings: Settings) -> str:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as http:
            assert (await http.get("/api/health")).status_code == 200
            assert (await http.get("/api/session")).status_code == 200
            assert (await http.get("/api/functions/roots")).status_code == 200
            assert (await http.get("/api/no-such-route")).status_code == 404  # an error
            deadline = time.monotonic() + 30
            while True:  # OpenAI fails every call: its breaker opens, fallback answers
                answer = await http.post("/api/ai/complete", json={"prompt": "hi"})
                assert answer.status_code == 200
                text = (await http.get("/api/metrics")).text
                if 'circuit_breaker_state{name="openai",state="open"} 1.0' in text:
                    return text
                assert time.monotonic() < deadline, "the openai breaker never opened"


@pytest.fixture
async def exported(
    make_settings: Callable[..., Settings], stub: AIStubServer
) -> dict[str, set[str]]:
    stub.openai.default = Reply.server_error(500)
    settings = make_settings(
        openai_api_key="sk-test",
        openai_base_url=stub.openai.base_url,
        slow_query_seconds=1e-9,  # every query is "slow", so the slow-query counter appears
    )
    text = await scrape_after_traffic(settings)
    names: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    return names


async def test_every_rule_and_panel_uses_only_exported_metrics(
    exported: dict[str, set[str]],
) -> None:
    recorded = recorded_names()
    used = [*rule_expressions(), *dashboard_expressions()]
    assert len(used) > 30  # the files were found and read
    problems = []
    for where, expr in used:
        found = selectors(expr)
        if not found:
            problems.append(f"{where}: no metric found in {expr!r}")
        for name, labels in found:
            if ":" in name:
                if name not in recorded:
                    problems.append(f"{where}: {name} is recorded by no rule")
            elif name not in exported:
                problems.append(f"{where}: {name} is not exported")
            elif unknown := labels - exported[name] - SCRAPE_LABELS:
                problems.append(f"{where}: {name} has no label {sorted(unknown)}")
    assert problems == [], "\n".join(problems)


async def test_the_traffic_produced_the_families_the_alerts_watch(
    exported: dict[str, set[str]],
) -> None:
    # The scrape the test above compares with really had an error, an open breaker, a
    # slow query and a fallback answer in it (else a missing name could hide).
    for name in (
        "erp_steinmetz_errors_total",
        "erp_steinmetz_circuit_breaker_state",
        "erp_steinmetz_db_slow_queries_total",
        "erp_steinmetz_ai_requests_total",
        "erp_steinmetz_http_request_duration_seconds_bucket",
        "erp_steinmetz_session_store_fallback",
        "erp_steinmetz_health_status",
    ):
        assert name in exported, name
