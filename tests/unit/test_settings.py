from __future__ import annotations

import secrets
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from laikhe import clock
from laikhe.settings import (
    MAKE_WEBHOOK_SECRET,
    Settings,
    get_settings,
    to_async_url,
    to_sync_url,
    webhook_secret_problem,
)


@pytest.mark.parametrize(
    ("url", "async_url", "sync_url"),
    [
        ("sqlite:////srv/x.db", "sqlite+aiosqlite:////srv/x.db", "sqlite:////srv/x.db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db", "postgresql+psycopg://u@h/db"),
        (
            "postgresql+asyncpg://u@h/db",
            "postgresql+asyncpg://u@h/db",
            "postgresql+psycopg://u@h/db",
        ),
    ],
)
def test_driver_mapping(url: str, async_url: str, sync_url: str) -> None:
    assert to_async_url(url) == async_url
    assert to_sync_url(url) == sync_url


def test_unsupported_database_is_refused_once_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/x")
    with pytest.raises(ValueError, match="DATABASE_URL"):
        Settings()
    with pytest.raises(ValueError):
        to_sync_url("not a url")


GOOD_SECRET = "q7V-x2_Lm9PzR4tYc8WbN1kJ6hDfG3sA5eU0"


@pytest.mark.parametrize(
    "secret",
    [
        None,
        "",
        "short-secret",
        "a" * 40,  # long but not random
        "abcdefghijklmnopqrstuvwxyz0123456789 +/",  # outside Telegram's alphabet
        "x" * 300,
    ],
)
def test_webhook_mode_refuses_a_missing_short_or_weak_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("TELEGRAM_MODE", "webhook")
    if secret is None:
        monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", secret)
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET") as refused:
        Settings(_env_file=None)
    assert MAKE_WEBHOOK_SECRET in str(refused.value)


def test_webhook_mode_accepts_a_long_random_secret_and_polling_needs_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_MODE", "webhook")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", GOOD_SECRET)
    settings = Settings(_env_file=None)
    assert settings.telegram_webhook_secret is not None
    assert settings.telegram_webhook_secret.get_secret_value() == GOOD_SECRET
    # What the refusal tells the operator to run makes a secret that is accepted.
    made = secrets.token_urlsafe(32)
    assert webhook_secret_problem(made) is None
    monkeypatch.setenv("TELEGRAM_MODE", "polling")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    assert Settings(_env_file=None).telegram_webhook_secret is None


@pytest.mark.parametrize("secret", [None, "short-secret", "a" * 40, "x" * 300])
def test_zalo_webhook_mode_refuses_a_missing_short_or_weak_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("ZALO_MODE", "webhook")
    if secret is None:
        monkeypatch.delenv("ZALO_WEBHOOK_SECRET", raising=False)
    else:
        monkeypatch.setenv("ZALO_WEBHOOK_SECRET", secret)
    with pytest.raises(ValueError, match="ZALO_WEBHOOK_SECRET") as refused:
        Settings(_env_file=None)
    assert "TELEGRAM_" not in str(refused.value)
    monkeypatch.setenv("ZALO_WEBHOOK_SECRET", GOOD_SECRET)
    settings = Settings(_env_file=None)
    assert settings.zalo_webhook_secret is not None
    assert settings.zalo_api_base_url == "https://bot-api.zaloplatforms.com"


@pytest.mark.parametrize("pace", ["0", "-5", "1000", "nhanh"])
def test_a_zalo_pace_that_is_not_a_positive_number_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, pace: str
) -> None:
    monkeypatch.setenv("ZALO_MESSAGES_PER_SECOND", pace)
    with pytest.raises(ValueError, match="zalo_messages_per_second"):
        Settings(_env_file=None)


def test_the_zalo_pace_is_telegrams_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZALO_MESSAGES_PER_SECOND", raising=False)
    assert Settings(_env_file=None).zalo_messages_per_second == 30
    monkeypatch.setenv("ZALO_MESSAGES_PER_SECOND", "2.5")
    assert Settings(_env_file=None).zalo_messages_per_second == 2.5


def test_the_commune_time_zone_is_checked_once_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIMEZONE", raising=False)
    assert Settings(_env_file=None).timezone == ZoneInfo("Asia/Ho_Chi_Minh")
    monkeypatch.setenv("TIMEZONE", "Asia/Bangkok")
    assert Settings(_env_file=None).timezone == ZoneInfo("Asia/Bangkok")
    monkeypatch.setenv("TIMEZONE", "Asia/Lai_Khe")  # a typo is refused, not UTC
    with pytest.raises(ValueError, match="timezone"):
        Settings(_env_file=None)


def test_the_clock_tells_the_commune_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Asia/Bangkok")
    get_settings.cache_clear()
    try:
        assert clock.commune_zone() == ZoneInfo("Asia/Bangkok")
        assert clock.now().tzinfo == ZoneInfo("Asia/Bangkok")
        midnight_utc = datetime(2026, 2, 2, 23, 30, tzinfo=timezone.utc)
        assert clock.to_local(midnight_utc) == datetime(
            2026, 2, 3, 6, 30, tzinfo=ZoneInfo("Asia/Bangkok")
        )
    finally:
        get_settings.cache_clear()
