"""Prometheus metrics for every instance in a steinresil ``Registry``.

    from steinresil.contrib.prometheus import register_collector
    register_collector(my_registry)          # onto prometheus_client's default REGISTRY

Exported (namespace ``steinresil`` by default; every metric has a ``name`` label):

| metric | type | extra labels |
|---|---|---|
| ``steinresil_circuit_breaker_state`` | gauge, one-hot | ``state`` |
| ``steinresil_circuit_breaker_calls_total`` | counter | ``outcome``: success, failure, ignored, |
|   | | rejected |
| ``steinresil_circuit_breaker_slow_calls_total`` | counter | |
| ``steinresil_circuit_breaker_failure_rate`` | gauge (rate mode) | |
| ``steinresil_bulkhead_in_use`` / ``_queued`` / ``_max_concurrent`` | gauge | |
| ``steinresil_bulkhead_calls_total`` | counter | ``outcome``: admitted, rejected |
| ``steinresil_rate_limiter_calls_total`` | counter | ``outcome``: admitted, rejected |
| ``steinresil_rate_limiter_available`` | gauge | |
| ``steinresil_retry_calls_total`` | counter | ``outcome``: success_first_try, |
|   | | success_after_retry, or the give-up reason |
| ``steinresil_retry_retries_total`` | counter | |
| ``steinresil_retry_budget_balance`` | gauge | |
| ``steinresil_retry_budget_retries_total`` | counter | ``outcome``: granted, refused |
| ``steinresil_timeout_calls_total`` | counter | ``outcome``: timed_out |
| ``steinresil_timeout_abandoned_calls`` / ``_seconds`` | gauge | |

The collector reads snapshots when scraped; the protected calls pay nothing for it.
Needs the ``prometheus`` extra (``prometheus-client``).
"""

from __future__ import annotations

from steinresil._extras import require_extra

require_extra(
    __name__, package="prometheus_client", extra="prometheus", user="steinresil.contrib.prometheus"
)

from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, CollectorRegistry

from steinresil._registry import Registry, default_registry
from steinresil.contrib._samples import SPECS, MetricSpec, Sample, samples

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["SteinresilCollector", "register_collector"]


class SteinresilCollector:
    """A prometheus-client custom collector over one steinresil ``Registry``."""

    def __init__(self, registry: Registry | None = None, *, namespace: str = "steinresil") -> None:
        if not namespace.replace("_", "").isalnum():
            raise ValueError(
                f"SteinresilCollector: namespace must be letters, digits and _, got {namespace!r}"
            )
        self.registry = registry if registry is not None else default_registry
        self.namespace = namespace

    def _families(self, found: Iterable[Sample]) -> Iterator[Metric]:
        families: dict[MetricSpec, GaugeMetricFamily | CounterMetricFamily] = {}
        for spec in SPECS:
            name = f"{self.namespace}_{spec.name}"
            kind = GaugeMetricFamily if spec.kind == "gauge" else CounterMetricFamily
            families[spec] = kind(name, spec.help, labels=spec.labels)
        for sample in found:
            families[sample.spec].add_metric(list(sample.labels), sample.value)
        yield from families.values()

    def describe(self) -> Iterator[Metric]:
        """The metric names, without reading any instance (checked for clashes on register)."""
        return self._families(())

    def collect(self) -> Iterator[Metric]:
        return self._families(samples(self.registry))


def register_collector(
    registry: Registry | None = None,
    *,
    prometheus_registry: CollectorRegistry | None = None,
    namespace: str = "steinresil",
) -> SteinresilCollector:
    """Export ``registry`` (default: ``steinresil.default_registry``) to Prometheus."""
    collector = SteinresilCollector(registry, namespace=namespace)
    (prometheus_registry if prometheus_registry is not None else REGISTRY).register(collector)
    return collector
