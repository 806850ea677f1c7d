"""Bringing a database up to date: the Alembic migrations to head, then the commune
configuration (config/commune.yml). Both steps are idempotent.

The one way every caller does it: `python -m admin config load` (and `make load-config`),
scripts/stack.py (`make run`), the benchmark, the conversation report and the tests'
fixtures.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncSession

from db.session import sessionmaker_for, unit_of_work
from laikhe.commune import load_commune_config
from laikhe.settings import get_settings
from services.commune_config import LoadReport, apply_commune_config

ROOT = Path(__file__).resolve().parent.parent


def migrate(database_url: str) -> None:
    """Alembic `upgrade head`. Alembic's environment runs its own event loop, so this is
    called from synchronous code, never inside a running loop."""
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False  # leave the caller's logging alone
    command.upgrade(config, "head")


async def load_config(session: AsyncSession, path: Path | None = None) -> LoadReport:
    """Loads the commune configuration (default: COMMUNE_CONFIG or config/commune.yml) into
    the session; the caller's unit of work commits it."""
    config = load_commune_config(path or get_settings().commune_config)
    return await apply_commune_config(session=session, config=config)


async def _load_and_commit(database_url: str, path: Path | None) -> LoadReport:
    factory = sessionmaker_for(database_url)
    try:
        async with unit_of_work(factory) as session:
            return await load_config(session, path)
    finally:
        await factory.kw["bind"].dispose()


def prepare(database_url: str, config_path: Path | None = None) -> LoadReport:
    """Migrates the database to head and loads the commune configuration into it."""
    migrate(database_url)
    return asyncio.run(_load_and_commit(database_url, config_path))


def describe(report: LoadReport) -> str:
    return (
        f"commune config loaded: {report.offices} offices, {report.villages} villages, "
        f"{report.categories} categories ({report.created} new rows)"
    )
