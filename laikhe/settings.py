"""Process configuration, read once from the environment (and an optional .env file).

Secrets (bot token, engine token) are never stored in the repository: they come from the
environment. Local commune facts live in the commune configuration file, not here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Ticket database. SQLite file by default so nothing has to be installed;
    # `postgresql://user@host/db` selects PostgreSQL.
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'laikhe.db'}"
    commune_config: Path = PROJECT_ROOT / "config" / "commune.yml"

    # Rasa engine (REST channel). Loopback only; the API token protects the HTTP API.
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: SecretStr | None = None
    # Shared secret the engine, the action server and HAProxy require of their callers
    # (laikhe/internal_auth.py); sent to the engine as the X-Laikhe-Secret header.
    internal_secret: SecretStr | None = None
    rasa_timeout_seconds: float = 15.0
    action_server_port: int = 5055
    # Rasa's SQL tracker store (the same URL the engine gets): the bot erases a chat's
    # conversation there when the resident deletes their data.
    tracker_store_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"

    # Telegram. Without a token the assistant runs as a terminal chat.
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: SecretStr | None = None

    timezone: str = "Asia/Ho_Chi_Minh"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return value

    @property
    def async_database_url(self) -> str:
        return to_async_url(self.database_url)


# The drivers each environment ships: asyncio ones for the app, plain ones for tools
# that need a synchronous engine (Alembic inspection, the Rasa tracker store rows).
_DRIVERS = {
    "sqlite": ("sqlite+aiosqlite", "sqlite"),
    "postgresql": ("postgresql+asyncpg", "postgresql+psycopg"),
    "postgres": ("postgresql+asyncpg", "postgresql+psycopg"),
}


def with_driver(url: str, *, use_asyncio: bool) -> str:
    """Map a plain database URL onto the driver we ship for it."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r}")
    drivers = _DRIVERS.get(scheme.split("+", 1)[0])
    if drivers is None:
        raise ValueError(f"unsupported database: {scheme}")
    return f"{drivers[0] if use_asyncio else drivers[1]}://{rest}"


def to_async_url(url: str) -> str:
    return with_driver(url, use_asyncio=True)


def to_sync_url(url: str) -> str:
    return with_driver(url, use_asyncio=False)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
