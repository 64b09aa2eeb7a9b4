"""Health from real checks, through steinresil's ``HealthAggregator``.

| component | check | critical | why |
|---|---|---|---|
| database | ``SELECT 1`` with latency and pool numbers | yes | nothing works without it |
| sessions | the session store serving now | no | memory takes over when Redis is gone |
| ai | the provider chain's roll-up | no | the local provider always answers |
| functions | the catalogue's state | no | a stale catalogue is still served |
| breakers | every breaker of the app's registry | no | an open circuit means a fallback serves |

Results are cached for ``HEALTH_CACHE_SECONDS`` (1 s), so a storm of probes costs one run.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog

import steinresil as sr

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from erp_app.config import Settings
    from erp_app.platform.metrics import Metrics

__all__ = ["Health", "status_code_of"]

log = structlog.get_logger("erp.health")

_CODES = {sr.HealthStatus.HEALTHY: 0, sr.HealthStatus.DEGRADED: 1, sr.HealthStatus.UNHEALTHY: 2}


def status_code_of(status: sr.HealthStatus) -> int:
    return _CODES[status]


class Health:
    """The app's aggregator, plus what the health routes add (version, uptime, readiness)."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        registry: sr.Registry,
        *,
        version: str,
    ) -> None:
        self.version = version
        self.environment = settings.environment
        self.started = time.monotonic()
        self.started_at = datetime.now(UTC)
        self.ready = False
        self.shutting_down = False
        self._metrics = metrics
        self.aggregator = sr.HealthAggregator(
            timeout=settings.health_timeout_seconds,
            cache_ttl=settings.health_cache_seconds,
            listeners=[self._on_event],
        )
        self.aggregator.attach_breakers(registry, open_is=sr.HealthStatus.DEGRADED)

    def register(
        self,
        name: str,
        check: Callable[[], Any] | Callable[[], Awaitable[Any]],
        *,
        critical: bool,
        timeout: float | None = None,
    ) -> None:
        self.aggregator.register(name, check, critical=critical, timeout=timeout)

    def _on_event(self, event: object) -> None:
        if isinstance(event, sr.HealthStatusChanged):
            self._export(event.report)

    def _export(self, report: sr.HealthReport) -> None:
        self._metrics.health_status.set(status_code_of(report.status))
        for name, component in report.components.items():
            self._metrics.component_status.labels(name).set(status_code_of(component.status))

    async def report(self) -> dict[str, Any]:
        report = await self.aggregator.check_async()
        self._export(report)
        body = report.to_dict()
        checks = body.pop("components", {})
        return {
            "status": report.status.value,
            "timestamp": datetime.now(UTC).isoformat(),
            "version": self.version,
            "uptime": round(time.monotonic() - self.started, 3),
            "environment": self.environment,
            "checks": checks,
        }

    async def keep_fresh(self, every: float) -> None:
        """Run the checks every ``every`` seconds, so a probe reads a fresh cached report.

        Without it the request that finds the cache expired waits for the whole run (a
        database round trip, the AI chain's probes): that wait was the p99 of
        ``/api/health`` under load. Runs until cancelled; a failing run is logged.
        """
        while True:
            try:
                self._export(await self.aggregator.check_async())
            except Exception:
                log.exception("health refresh failed")
            await asyncio.sleep(every)

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started
