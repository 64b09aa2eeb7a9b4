"""One consistent snapshot for the status page, from the app's own checks and breakers.

Nothing secret goes in: component details are left out (only status, latency and the
one-line reason), and a URL's credentials in a reason are masked, should one ever carry
them. The page is public, like ``/api/health``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from erp_app.ui.schemas import (
    BreakerOut,
    ComponentOut,
    ProviderOut,
    SessionStoreOut,
    StatusOut,
    Tone,
)

if TYPE_CHECKING:
    import steinresil as sr
    from erp_app.platform.ai import AI
    from erp_app.platform.health import Health
    from erp_app.platform.sessions import Sessions

__all__ = ["snapshot"]

_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")
_NOT_CONFIGURED = "no API key configured"
_SWITCHED_ON_BY = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "ollama": "OLLAMA_BASE_URL",
}

_HEALTH_TONES: dict[str, Tone] = {"healthy": "ok", "degraded": "warn", "unhealthy": "bad"}
_BREAKER_TONES: dict[str, Tone] = {
    "closed": "ok",
    "half_open": "warn",
    "forced_closed": "warn",
    "open": "bad",
    "forced_open": "bad",
}
_PROVIDER_TONES: dict[str, Tone] = {"healthy": "ok", "degraded": "warn", "unavailable": "bad"}


def _mask(text: object) -> str | None:
    return None if text is None else _CREDENTIALS.sub("***@", str(text))


def _provider(position: int, entry: dict[str, Any]) -> ProviderOut:
    error = _mask(entry.get("error"))
    tone = _PROVIDER_TONES[entry["status"]]
    if error == _NOT_CONFIGURED:
        # Switched off, not failing: grey, not red, and which setting switches it on.
        tone = "off"
        setting = _SWITCHED_ON_BY.get(entry["provider"])
        error = f"not configured ({setting} is not set)" if setting else "not configured"
    return ProviderOut(
        position=position,
        provider=entry["provider"],
        status=entry["status"],
        tone=tone,
        latency_ms=entry.get("latency_ms") or 0.0,
        error=error,
    )


def _components(checks: dict[str, Any]) -> list[ComponentOut]:
    # Breakers get their own table with their counts; here only the real checks.
    return [
        ComponentOut(
            name=name,
            status=check["status"],
            tone=_HEALTH_TONES[check["status"]],
            critical=bool(check.get("critical")),
            latency_ms=check.get("latency_ms"),
            error=_mask(check.get("error")),
        )
        for name, check in checks.items()
        if not name.startswith("circuit:")
    ]


def _breakers(registry: sr.Registry) -> list[BreakerOut]:
    found = []
    for breaker in sorted(registry.circuit_breakers(), key=lambda b: b.name):
        metrics = breaker.metrics
        state = metrics.state.value
        found.append(
            BreakerOut(
                name=metrics.name,
                state=state,
                tone=_BREAKER_TONES[state],
                successful_calls=metrics.successful_calls,
                failed_calls=metrics.failed_calls,
                rejected_calls=metrics.rejected_calls,
                consecutive_failures=metrics.consecutive_failures,
                retry_after=round(metrics.retry_after, 1),
            )
        )
    return found


def _sessions(sessions: Sessions) -> SessionStoreOut:
    stats = sessions.stats()
    configured = bool(stats.get("redis_configured"))
    active = str(stats.get("active", "memory"))
    tone: Tone = "ok" if active == "redis" else "warn"
    return SessionStoreOut(
        active=active,
        tone=tone,
        redis_configured=configured,
        failovers=int(stats.get("failovers") or 0),
        failbacks=int(stats.get("failbacks") or 0),
        sessions=stats.get("sessions"),
    )


async def snapshot(health: Health, ai: AI, sessions: Sessions, registry: sr.Registry) -> StatusOut:
    report = await health.report()
    chain = await ai.chain.check_all()
    status = report["status"]
    return StatusOut(
        status=status,
        tone=_HEALTH_TONES[status],
        timestamp=report["timestamp"],
        version=report["version"],
        environment=report["environment"],
        uptime=report["uptime"],
        components=_components(report["checks"]),
        breakers=_breakers(registry),
        sessions=_sessions(sessions),
        ai_overall=chain["overall"],
        ai_tone=_PROVIDER_TONES[chain["overall"]],
        providers=[_provider(i, p) for i, p in enumerate(chain["providers"], start=1)],
    )
