"""Prometheus metrics, prefix ``erp_steinmetz_``, correct with one worker or many.

With several workers (``--workers N``) prometheus-client runs in multiprocess mode: the
launcher sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker imports prometheus-client,
each worker writes its samples to files there, and a scrape of any worker adds them up
(counters and histograms summed, gauges by the mode given below). Values read at scrape
time (steinresil's breakers and retries, the process) come from the worker that answers.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from steinresil.contrib.prometheus import SteinresilCollector

if TYPE_CHECKING:
    import steinresil as sr

__all__ = ["CONTENT_TYPE_LATEST", "PREFIX", "Metrics", "multiprocess_mode"]

PREFIX = "erp_steinmetz"

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_AI_BUCKETS = (0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class Metrics:
    """Every metric the app exports, registered on a registry of its own.

    A registry per app (not prometheus-client's global one) lets tests build many apps in
    one process; in multiprocess mode the values live in files whatever the registry.
    """

    def __init__(self, steinresil_registry: sr.Registry) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._steinresil = SteinresilCollector(steinresil_registry, namespace=PREFIX)
        r = self.registry
        http = ("method", "route", "status_code")
        self.http_duration = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "HTTP request latency",
            http,
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.http_requests = Counter(
            f"{PREFIX}_http_requests", "HTTP requests answered", http, registry=r
        )
        self.http_in_progress = Gauge(
            f"{PREFIX}_http_requests_in_progress",
            "HTTP requests being answered",
            ("method", "route"),
            registry=r,
            multiprocess_mode="livesum",
        )
        self.errors = Counter(
            f"{PREFIX}_errors", "Error responses by code", ("code", "status_code"), registry=r
        )
        self.db_query_duration = Histogram(
            f"{PREFIX}_db_query_duration_seconds",
            "Database query latency by statement kind",
            ("kind",),
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.db_queries = Counter(
            f"{PREFIX}_db_queries", "Database queries", ("kind", "outcome"), registry=r
        )
        self.db_slow_queries = Counter(
            f"{PREFIX}_db_slow_queries",
            "Database queries slower than SLOW_QUERY_SECONDS",
            ("kind",),
            registry=r,
        )
        self.sessions_active = Gauge(
            f"{PREFIX}_sessions_active",
            "Sessions in the store serving now",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.session_store_fallback = Gauge(
            f"{PREFIX}_session_store_fallback",
            "1 while sessions are served by the in-memory fallback",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.ai_requests = Counter(
            f"{PREFIX}_ai_requests",
            "AI completions by the provider that answered (or failed)",
            ("provider", "outcome"),
            registry=r,
        )
        self.ai_duration = Histogram(
            f"{PREFIX}_ai_request_duration_seconds",
            "AI completion latency by provider",
            ("provider",),
            buckets=_AI_BUCKETS,
            registry=r,
        )
        self.health_status = Gauge(
            f"{PREFIX}_health_status",
            "Overall health: 0 healthy, 1 degraded, 2 unhealthy",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.component_status = Gauge(
            f"{PREFIX}_health_component_status",
            "Health of one component: 0 healthy, 1 degraded, 2 unhealthy",
            ("component",),
            registry=r,
            multiprocess_mode="livemax",
        )
        self.info = Gauge(
            f"{PREFIX}_info",
            "Version and environment of the running app",
            ("version", "environment"),
            registry=r,
            multiprocess_mode="livemax",
        )
        if not multiprocess_mode():
            r.register(self._steinresil)
            ProcessCollector(namespace=PREFIX, registry=r)

    def exposition(self) -> bytes:
        """The text a scrape gets: every worker's samples in multiprocess mode."""
        if not multiprocess_mode():
            return generate_latest(self.registry)
        scrape = CollectorRegistry()
        MultiProcessCollector(scrape)  # type: ignore[no-untyped-call]
        scrape.register(self._steinresil)
        ProcessCollector(namespace=PREFIX, registry=scrape)
        return generate_latest(scrape)
