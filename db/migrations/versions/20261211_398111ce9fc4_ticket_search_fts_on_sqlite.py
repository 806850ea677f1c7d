"""SQLite: an FTS5 trigram index for the ticket search, covering indexes for the overview

PostgreSQL finds the search's LIKE '% words%' through the pg_trgm index (8832e1f72212);
SQLite had to read all 100,000 texts. An FTS5 table with the trigram tokenizer answers
the same LIKE from its index: external content (it stores no copy of the text, it reads
tickets.search_text for the final check), kept in step by triggers, so whatever writes
search_text -- a submission, an answer, erasure clearing it, a bulk insert -- updates
the index in the same transaction.

The overview page (services.dashboard) aggregates a period's tickets: on SQLite each of
~25,000 rows was fetched from the wide tickets table by rowid (the content makes it
wide). Indexes holding every column those aggregates read answer them from the index
alone (bench/dashboard_timing.py --sqlite, see docs/performance.md).

Only on SQLite: PostgreSQL keeps pg_trgm and meets its targets without these; they are
kept out of `alembic check` by db/migrations/env.py.

A later migration that rebuilds `tickets` in batch mode (DROP TABLE + rename) drops
these triggers with it: it must recreate them (TRIGGERS below) and 'rebuild' the index.

Revision ID: 398111ce9fc4
Revises: b7c41e9d03a6
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "398111ce9fc4"
down_revision: str | None = "b7c41e9d03a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_TABLE = "ticket_search_fts"

# An external content table is told exactly what to remove ('delete' with the old text):
# a row whose text was cleared must leave no trigram of it behind.
TRIGGERS = {
    "ticket_search_fts_insert": f"""
        CREATE TRIGGER ticket_search_fts_insert AFTER INSERT ON tickets
        WHEN new.search_text IS NOT NULL BEGIN
            INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    "ticket_search_fts_delete": f"""
        CREATE TRIGGER ticket_search_fts_delete AFTER DELETE ON tickets
        WHEN old.search_text IS NOT NULL BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
                VALUES ('delete', old.id, old.search_text);
        END""",
    "ticket_search_fts_update": f"""
        CREATE TRIGGER ticket_search_fts_update AFTER UPDATE OF id, search_text ON tickets
        BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
                SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
            INSERT INTO {FTS_TABLE}(rowid, search_text)
                SELECT new.id, new.search_text WHERE new.search_text IS NOT NULL;
        END""",
}


# (name, table, columns), the first columns the ones the queries filter on.
COVERING_INDEXES = (
    # The period's received tickets: per week and kind, ratings, villages, outcomes.
    (
        "ix_tickets_dashboard_created",
        "tickets",
        (
            "created_at",
            "office_id",
            "kind",
            "state",
            "due_date",
            "closed_at",
            "updated_at",
            "satisfaction",
            "confidential",
            "village_id",
        ),
    ),
    # Open tickets by age: few among many.
    ("ix_tickets_dashboard_state", "tickets", ("state", "created_at", "due_date", "office_id")),
    # The first answer of each ticket in the period, and the state at a past cut-off.
    ("ix_ticket_events_state_at", "ticket_events", ("to_state", "at", "ticket_id")),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, table, columns in COVERING_INDEXES:
        op.create_index(name, table, list(columns))
    op.execute(
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
        "search_text, content='tickets', content_rowid='id', tokenize='trigram')"
    )
    for statement in TRIGGERS.values():
        op.execute(statement)
    # The rows already there: read from tickets.search_text in one pass.
    op.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    for name, table, _ in reversed(COVERING_INDEXES):
        op.drop_index(name, table_name=table)
