"""Adapters for the outside world, each behind an extra so the core stays dependency-free.

- ``steinresil.adapters.ai`` (extra ``http``): AI providers behind breakers and retries,
  chained with a local fallback.
"""
