"""Integrations with metrics systems, each behind an extra.

- ``steinresil.contrib.prometheus`` (extra ``prometheus``): a collector for prometheus-client.
- ``steinresil.contrib.otel`` (extra ``otel``): OpenTelemetry observable instruments.

Both read snapshots from a ``Registry`` when they are scraped, so the protected calls pay
nothing for being observed.
"""
