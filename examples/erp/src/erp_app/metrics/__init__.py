"""``/api/metrics``: Prometheus text."""
