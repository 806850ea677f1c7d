"""Shared fixtures: real databases built by the Alembic migrations (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin.database import load_config, migrate
from db.session import sessionmaker_for, unit_of_work
from laikhe.commune import CommuneConfig, load_commune_config

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


COMMUNE_YML = ROOT / "config" / "commune.yml"


class PostgresDatabase:
    """A throwaway database on the real PostgreSQL server, dropped afterwards."""

    def __init__(self) -> None:
        self.name = f"laikhe_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.url = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{self.name}"

    def drop(self) -> None:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    database = PostgresDatabase()
    try:
        yield database.url
    finally:
        database.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each kind the production path supports."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tickets.db'}"
        migrate(url)
        yield url
        return
    database = PostgresDatabase()
    try:
        migrate(database.url)
        yield database.url
    finally:
        database.drop()


@pytest.fixture(scope="session")
def commune() -> CommuneConfig:
    return load_commune_config(COMMUNE_YML)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Session factory on a migrated database with the commune configuration loaded."""
    factory = sessionmaker_for(database_url)
    async with unit_of_work(factory) as session:
        await load_config(session, COMMUNE_YML)
    yield factory
    await factory.kw["bind"].dispose()
