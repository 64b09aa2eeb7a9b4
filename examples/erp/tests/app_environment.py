"""The environment variables the app reads that a developer's shell may have set.

Tests clear them, so that they run on the settings they give and nothing else.
"""

APP_VARIABLES = (
    "REDIS_URL",
    "DATABASE_URL",
    "DB_DRIVER",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OLLAMA_BASE_URL",
    "SENTRY_ENABLED",
    "OTEL_TRACES_ENABLED",
    "ENVIRONMENT",
    "PROMETHEUS_MULTIPROC_DIR",
)
