from __future__ import annotations

import pytest

from laikhe.settings import Settings, to_async_url, to_sync_url


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
