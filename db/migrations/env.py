"""Alembic environment: async engine, batch mode for SQLite's limited ALTER TABLE."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from db.models import Base
from db.session import make_engine
from laikhe.settings import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata
# Indexes only PostgreSQL has, made by a migration but not declared on the models (SQLite
# has no such index type): autogenerate must not take them for drift.
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_tickets_search_text_trgm"})
# Likewise SQLite's FTS5 search index (migration 398111ce9fc4): the virtual table and the
# shadow tables FTS5 keeps it in (ticket_search_fts_data, _idx, _docsize, _config).
SQLITE_FTS_TABLE = "ticket_search_fts"
# And SQLite's covering indexes for the overview page (same migration).
SQLITE_ONLY_INDEXES = frozenset(
    {"ix_tickets_dashboard_created", "ix_tickets_dashboard_state", "ix_ticket_events_state_at"}
)


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if not reflected or name is None:
        return True
    if type_ == "index":
        return name not in POSTGRESQL_ONLY_INDEXES | SQLITE_ONLY_INDEXES
    if type_ == "table":
        return not (name == SQLITE_FTS_TABLE or name.startswith(f"{SQLITE_FTS_TABLE}_"))
    return True


def _database_url() -> str:
    explicit = context.get_x_argument(as_dictionary=True).get("database_url")
    return explicit or config.attributes.get("database_url") or get_settings().database_url


def _configure(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table to alter it, and dropping the old copy fails while
        # enforced foreign keys point at its rows. SQLite's own procedure for a rebuild:
        # enforcement off (it cannot change inside a transaction), then a check after.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
        if broken:
            raise RuntimeError(f"migration left {len(broken)} rows with a broken foreign key")


async def _run_async() -> None:
    engine = make_engine(_database_url())
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
