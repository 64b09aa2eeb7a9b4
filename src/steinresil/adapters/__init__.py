"""Adapters for the services an application leans on, each behind its own extra.

The core package imports none of them; each module needs its extra:

- ``steinresil.adapters.sessions`` (``redis``): session stores with live fail-over.
- ``steinresil.adapters.redis`` (``redis``): breaker state and rate limits shared across
  processes.
- ``steinresil.adapters.ai`` (``http``): AI providers behind breakers and retries, chained
  with a local fallback.
- ``steinresil.adapters.db`` (``db``, ``postgres``): database start-up that waits,
  verifies and repairs; a health check; query metrics.
"""
