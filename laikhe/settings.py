"""Process configuration, read once from the environment (and an optional .env file).

Secrets (bot token, engine token) are never stored in the repository: they come from the
environment. Local commune facts live in the commune configuration file, not here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Telegram sends the webhook secret in a header with every update (1-256 characters of
# A-Z a-z 0-9 _ -); without a long random one, anyone who reaches the URL can post updates
# as any resident or staff member.
MIN_WEBHOOK_SECRET_CHARS = 32
_WEBHOOK_SECRET = re.compile(rf"[A-Za-z0-9_-]{{{MIN_WEBHOOK_SECRET_CHARS},256}}")
MAKE_WEBHOOK_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
WEBHOOK_SECRET_REQUIRED = (
    "Webhook mode needs TELEGRAM_WEBHOOK_SECRET: a random string of "
    f"{MIN_WEBHOOK_SECRET_CHARS} to 256 characters from A-Z a-z 0-9 _ - "
    "(anyone who reaches the webhook URL without it could post updates as any user). "
    f"Make one with: {MAKE_WEBHOOK_SECRET}"
)


def webhook_secret_problem(secret: str | None) -> str | None:
    """None when the secret is fit for webhook mode, else why not and how to make one."""
    if (
        secret is None
        or not _WEBHOOK_SECRET.fullmatch(secret)
        # "aaaa..." or "abab..." has the length but is not random.
        or len(set(secret)) < 12
    ):
        return WEBHOOK_SECRET_REQUIRED
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Ticket database. SQLite file by default so nothing has to be installed;
    # `postgresql://user@host/db` selects PostgreSQL.
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'laikhe.db'}"
    commune_config: Path = PROJECT_ROOT / "config" / "commune.yml"
    # Residents' photos sent through Zalo or the website (re-encoded, without location
    # data; services/photo_store.py). Created on first use; erased with the ticket's data.
    photo_dir: Path = PROJECT_ROOT / "var" / "photos"

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

    # Zalo Bot Platform (zalo/, `python -m zalo`): started beside Telegram when a token is
    # set. Tests point the base URL at the fake server (testkit/zalo.py). Webhook mode
    # needs a public HTTPS URL and a secret, which Zalo sends back in a header (8 to 256
    # characters; ours must be a long random one, as for Telegram).
    zalo_bot_token: SecretStr | None = None
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_mode: Literal["polling", "webhook"] = "polling"
    zalo_webhook_url: str | None = None
    zalo_webhook_listen: str = "127.0.0.1"
    zalo_webhook_port: int = 8444
    zalo_webhook_secret: SecretStr | None = None
    # Messages a second the Zalo sender sends in all (zalo/sender.py). Zalo documents no
    # limit; the default is Telegram's documented one, and a 429 halves it for a while.
    zalo_messages_per_second: float = Field(default=30.0, gt=0, le=100)

    # The staff back office (web/, `python -m web`). Loopback by default: a reverse proxy
    # with TLS sits in front of it in production. WEB_PUBLIC_URL is the address staff open
    # (the sign-in links point there); unset, it is http://WEB_HOST:WEB_PORT. The key signs
    # the session cookies: required outside tests, never in the repository.
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_public_url: str | None = None
    web_secret_key: SecretStr | None = None
    # The commune website's chat window (web/widget.py): the portal origins allowed to
    # embed it, comma-separated ("https://laikhe.gov.vn,https://www.laikhe.gov.vn").
    # Our own address (WEB_PUBLIC_URL) is always allowed: the demo page is there.
    widget_allowed_origins: str = ""
    # Messages a widget session / one client address may post per minute (web/widget.py
    # explains the defaults). Raised only for a load test from one address (bench).
    widget_session_limit_per_minute: int = 12
    widget_address_limit_per_minute: int = 60
    widget_read_limit_per_minute: int = 120

    # The commune's time zone (laikhe/clock.py): an IANA name, refused at start if unknown.
    timezone: ZoneInfo = ZoneInfo("Asia/Ho_Chi_Minh")

    @property
    def web_url(self) -> str:
        """Where staff open the back office (no trailing slash)."""
        return (self.web_public_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")

    @property
    def widget_origins(self) -> list[str]:
        return [origin.strip() for origin in self.widget_allowed_origins.split(",") if origin]

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return value

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        if self.telegram_mode == "webhook":
            secret = self.telegram_webhook_secret
            problem = webhook_secret_problem(secret.get_secret_value() if secret else None)
            if problem is not None:
                raise ValueError(problem)
        if self.zalo_mode == "webhook":
            secret = self.zalo_webhook_secret
            problem = webhook_secret_problem(secret.get_secret_value() if secret else None)
            if problem is not None:
                raise ValueError(problem.replace("TELEGRAM_", "ZALO_"))
        return self


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
