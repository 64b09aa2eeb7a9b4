"""OpenTelemetry metrics for every instance in a steinresil ``Registry``.

    from steinresil.contrib.otel import instrument
    instrument(my_registry)                  # uses the global MeterProvider

The same metrics as ``steinresil.contrib.prometheus``, as observable instruments named
``steinresil.<metric>`` (e.g. ``steinresil.circuit_breaker.calls`` with attributes
``name`` and ``outcome``). Observations are read from snapshots when the SDK collects;
the protected calls pay nothing for it. Needs the ``otel`` extra (``opentelemetry-api``).
"""

from __future__ import annotations

from steinresil._extras import require_extra

require_extra(__name__, package="opentelemetry", extra="otel", user="steinresil.contrib.otel")

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Meter, MeterProvider, Observation

from steinresil._registry import Registry, default_registry
from steinresil.contrib._samples import SPECS, MetricSpec, samples

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["Instrumentation", "instrument"]

# ``circuit_breaker_calls`` -> ``circuit_breaker.calls``: OTel names group by dots.
_GROUPS = ("circuit_breaker", "bulkhead", "rate_limiter", "retry_budget", "retry", "timeout")


def otel_name(prefix: str, spec: MetricSpec) -> str:
    for group in _GROUPS:
        if spec.name.startswith(group + "_"):
            return f"{prefix}.{group}.{spec.name[len(group) + 1 :]}"
    return f"{prefix}.{spec.name}"  # pragma: no cover - every spec belongs to a group


@dataclass(frozen=True, slots=True)
class Instrumentation:
    """What ``instrument`` created; keep it alive as long as the metrics should flow."""

    registry: Registry
    meter: Meter
    names: tuple[str, ...]


def _callback(
    registry: Registry, spec: MetricSpec
) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def observe(options: CallbackOptions) -> Iterable[Observation]:  # noqa: ARG001 - OTel's signature
        return [
            Observation(sample.value, dict(zip(spec.labels, sample.labels, strict=True)))
            for sample in samples(registry)
            if sample.spec is spec
        ]

    return observe


def instrument(
    registry: Registry | None = None,
    *,
    meter_provider: MeterProvider | None = None,
    prefix: str = "steinresil",
) -> Instrumentation:
    """Create observable instruments that report ``registry`` (default: the default one)."""
    registry = registry if registry is not None else default_registry
    meter = metrics.get_meter("steinresil", meter_provider=meter_provider)
    names = []
    for spec in SPECS:
        name = otel_name(prefix, spec)
        create = (
            meter.create_observable_gauge
            if spec.kind == "gauge"
            else meter.create_observable_counter
        )
        create(name, callbacks=[_callback(registry, spec)], description=spec.help)
        names.append(name)
    return Instrumentation(registry, meter, tuple(names))
