"""Shared state across processes, through Redis: breaker states and rate limits.

    from steinresil.adapters.redis import RedisRateLimiter, RedisStateStore

    store = RedisStateStore.from_url("redis://127.0.0.1:6379/0", namespace="erp")
    payments = sr.CircuitBreaker("payments", state_store=store)  # opens here -> all reject
    login = RedisRateLimiter.from_url(url, name="login", rate=5, per=60.0)  # one limit

While Redis is down, breakers decide on their own and the limiter limits per process;
both rejoin when it returns. Needs the ``redis`` extra (redis-py).
"""

from __future__ import annotations

from steinresil._extras import require_extra
from steinresil._public import adopt as _adopt

require_extra(__name__, package="redis", extra="redis", user="steinresil.adapters.redis")

from steinresil.adapters._redis_conn import RedisUnavailableError, mask_url
from steinresil.adapters._redis_rate_limit import RedisRateLimiter
from steinresil.adapters._redis_state import RedisStateStore

__all__ = ["RedisRateLimiter", "RedisStateStore", "RedisUnavailableError", "mask_url"]

for _name in __all__:
    _adopt(globals()[_name], __name__)
