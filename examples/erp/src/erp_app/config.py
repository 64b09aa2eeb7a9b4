"""Settings from the environment, validated once at start-up.

A bad value stops start-up with one line that names the variable and says what is wrong,
never echoing a secret (``ConfigError``). Every variable is in the docs' table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ConfigError", "Settings", "load_settings"]

_SECRETS = frozenset(
    {
        "SESSION_SECRET",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "SENTRY_DSN",
        "ERP_ADMIN_PASSWORD",
        "ERP_USER_PASSWORD",
        "ERP_VIEWER_PASSWORD",
        "DATABASE_URL",
        "REDIS_URL",
    }
)


class ConfigError(Exception):
    """One line for the operator: the variable, and what is wrong with it."""


def _check_url(name: str, value: str | None, schemes: tuple[str, ...]) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ValueError(f"{name} is not a valid URL ({exc})") from None
    if parts.scheme not in schemes:
        raise ValueError(
            f"{name} must start with {' or '.join(s + '://' for s in schemes)}, "
            f"got {parts.scheme or 'no scheme'}://"
        )
    if not parts.hostname and parts.scheme not in ("unix", "sqlite", "sqlite+aiosqlite"):
        raise ValueError(f"{name} has no host")
    return value


class Settings(BaseSettings):
    """Everything the app reads from the environment (names as in ERP.md)."""

    model_config = SettingsConfigDict(
        env_file=None,
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
        populate_by_name=True,
    )

    environment: Literal["development", "production"] = "production"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    data_dir: Path = Field(default=Path("data"), alias="ERP_DATA_DIR")

    database_url: str | None = None
    db_driver: Literal["sqlite", "postgres"] | None = None
    sqlite_file: Path | None = None
    db_pool_size: int = Field(default=10, ge=1, le=200)
    slow_query_seconds: float = Field(default=0.1, gt=0)

    redis_url: str | None = None
    session_secret: SecretStr | None = None
    session_ttl_seconds: float = Field(default=8 * 3600.0, gt=0)
    cookie_secure: bool = False

    openai_api_key: SecretStr | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "gpt-4o-mini"
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str = "https://api.anthropic.com"
    anthropic_model: str = "claude-3-5-haiku-latest"
    ollama_base_url: str | None = None
    ollama_model: str = "llama3.2"
    ai_timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    functions_json_dir: Path | None = None
    functions_ttl_seconds: float = Field(default=60.0, gt=0)
    health_cache_seconds: float = Field(default=1.0, ge=0)
    health_timeout_seconds: float = Field(default=2.0, gt=0)

    sentry_enabled: bool = False
    sentry_dsn: SecretStr | None = None
    otel_traces_enabled: bool = False
    otel_exporter_otlp_endpoint: str | None = None

    erp_admin_password: SecretStr | None = None
    erp_user_password: SecretStr | None = None
    erp_viewer_password: SecretStr | None = None

    # Login limits (auth/lockout.py): N failures within the window lock the account.
    login_max_failures: int = Field(default=5, ge=2, le=100)
    login_failure_window_seconds: float = Field(default=900.0, gt=0)
    login_lockout_seconds: float = Field(default=900.0, gt=0)
    login_address_limit: int = Field(default=20, ge=1)
    login_address_per_seconds: float = Field(default=60.0, gt=0)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        return _check_url("REDIS_URL", value, ("redis", "rediss", "unix"))

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        return _check_url(
            "DATABASE_URL",
            value,
            ("postgres", "postgresql", "postgresql+asyncpg", "sqlite", "sqlite+aiosqlite"),
        )

    @field_validator("ollama_base_url", "openai_base_url", "anthropic_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return _check_url("base URL", value, ("http", "https"))

    @field_validator("otel_exporter_otlp_endpoint")
    @classmethod
    def _otlp(cls, value: str | None) -> str | None:
        return _check_url("OTEL_EXPORTER_OTLP_ENDPOINT", value, ("http", "https"))

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.db_driver == "postgres" and not self.database_url:
            raise ValueError("DATABASE_URL is required when DB_DRIVER=postgres")
        if self.sentry_enabled and self.sentry_dsn is None:
            raise ValueError("SENTRY_DSN is required when SENTRY_ENABLED=true")
        return self

    # ---- derived -------------------------------------------------------------------------

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def async_database_url(self) -> str:
        """The SQLAlchemy URL with an async driver; the embedded SQLite file by default."""
        url = self.database_url
        if url is None:
            path = self.sqlite_file or (self.data_dir / "erp.sqlite3")
            return f"sqlite+aiosqlite:///{path}"
        scheme, _, rest = url.partition("://")
        if scheme in ("postgres", "postgresql"):
            return f"postgresql+asyncpg://{rest}"
        if scheme == "sqlite":
            return f"sqlite+aiosqlite://{rest}"
        return url

    @property
    def database_kind(self) -> Literal["sqlite", "postgres"]:
        return "sqlite" if self.async_database_url.startswith("sqlite") else "postgres"

    def summary(self) -> dict[str, object]:
        """The configuration with every secret masked, for logs and the system router."""
        shown: dict[str, object] = {}
        for name, value in self.model_dump().items():
            env = name.upper()
            if isinstance(value, SecretStr) or (env in _SECRETS and value is not None):
                shown[env] = "***" if value else None
            else:
                shown[env] = str(value) if isinstance(value, Path) else value
        shown["ERP_DATA_DIR"] = str(self.data_dir)
        return shown


def load_settings(**overrides: object) -> Settings:
    """Read the environment (plus ``overrides``, for tests); one clear line when it is bad."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        location = [str(part).upper() for part in error.get("loc", ())]
        variable = location[0] if location else ""
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        # Never echo what was given: it may be a key or a password.
        problems.append(f"{variable}: {message}" if variable else message)
    return "invalid configuration: " + "; ".join(problems)
