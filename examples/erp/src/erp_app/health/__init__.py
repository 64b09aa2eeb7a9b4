"""``/api/health``: liveness, readiness and the full report."""
