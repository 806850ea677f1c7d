"""back office search and queue: a folded search column and the indexes the queue walks

tickets.search_text holds content, claim and staff answers folded (lower case, no
diacritics) by services.ticket_search; existing rows are filled here from the same
texts (anonymised ones stay empty: their text is gone). The queue filters by office,
village and due date and sorts by creation or due date: an index for each. On
PostgreSQL a pg_trgm GIN index makes the search's LIKE '%word%' an index look-up; where
the extension cannot be created (no privilege) the search still works, scanning.

Revision ID: 8832e1f72212
Revises: 5e2b9c4a7d13
Create Date: 2026-12-05 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from laikhe.vntext import normalize

revision: str = "8832e1f72212"
down_revision: str | None = "5e2b9c4a7d13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRGM_INDEX = "ix_tickets_search_text_trgm"
# How services.handling writes an answer in the history (the ANSWER step, from an open state).
ANSWER_PREFIX = "Trả lời: "
OPEN_STATES = ("new", "assigned", "reopened")
BATCH = 2000

INDEXES = (
    ("ix_tickets_office_created", ["office_id", "created_at"]),
    ("ix_tickets_office_due", ["office_id", "due_date"]),
    ("ix_tickets_created_at", ["created_at"]),
    ("ix_tickets_due_date", ["due_date"]),
    ("ix_tickets_village_id", ["village_id"]),
)


def _backfill() -> None:
    connection = op.get_bind()
    tickets = sa.table(
        "tickets",
        sa.column("id", sa.Integer),
        sa.column("content", sa.Text),
        sa.column("claim", sa.Text),
        sa.column("anonymised_at", sa.DateTime),
        sa.column("search_text", sa.Text),
    )
    events = sa.table(
        "ticket_events",
        sa.column("id", sa.Integer),
        sa.column("ticket_id", sa.Integer),
        sa.column("from_state", sa.String),
        sa.column("to_state", sa.String),
        sa.column("note", sa.Text),
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(tickets.c.id, tickets.c.content, tickets.c.claim)
            .where(tickets.c.id > last, tickets.c.anonymised_at.is_(None))
            .order_by(tickets.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        ids = [row.id for row in rows]
        answers: dict[int, list[str]] = {}
        for ticket_id, note in connection.execute(
            sa.select(events.c.ticket_id, events.c.note)
            .where(
                events.c.ticket_id.in_(ids),
                events.c.to_state == "answered",
                events.c.from_state.in_(OPEN_STATES),
                events.c.note.is_not(None),
            )
            .order_by(events.c.id)
        ):
            answers.setdefault(ticket_id, []).append(note.removeprefix(ANSWER_PREFIX))
        connection.execute(
            sa.update(tickets)
            .where(tickets.c.id == sa.bindparam("ticket_id"))
            .values(search_text=sa.bindparam("text")),
            [
                {
                    "ticket_id": row.id,
                    # As services.ticket_search stores it: a space before every word.
                    "text": "".join(
                        f" {folded}"
                        for part in (row.content, row.claim, *answers.get(row.id, []))
                        if part and (folded := normalize(part))
                    )
                    or " ",
                }
                for row in rows
            ],
        )
        last = ids[-1]


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
        for name, columns in INDEXES:
            batch_op.create_index(name, columns, unique=False)
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        # A savepoint: without the privilege to create the extension the migration goes
        # on (the search scans instead), rather than aborting the whole transaction.
        connection = op.get_bind()
        try:
            with connection.begin_nested():
                connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                connection.exec_driver_sql(
                    f"CREATE INDEX {TRGM_INDEX} ON tickets "
                    "USING gin (search_text gin_trgm_ops)"
                )
        except sa.exc.DBAPIError:
            pass


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for name, _ in reversed(INDEXES):
            batch_op.drop_index(name)
        batch_op.drop_column("search_text")
