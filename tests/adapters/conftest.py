from support.redis_server import redis_proc, redis_server  # noqa: F401 - fixtures for this folder
