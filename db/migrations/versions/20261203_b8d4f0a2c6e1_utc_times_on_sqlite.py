"""times stored in UTC on SQLite too; enum columns typed (same strings, no schema change)

Revision ID: b8d4f0a2c6e1
Revises: a7c3e9d1f2b4
Create Date: 2026-12-03 02:00:00.000000

The datetime columns are now db.types.UtcDateTime, which writes UTC. PostgreSQL's
timestamptz already held instants, so nothing changes there. SQLite keeps only the
wall-clock text: every writer stored Vietnam time, except the outbox, which stored UTC.
This rewrites the Vietnam wall times as UTC so the old rows read back as the same
instants (and compare in SQL with the new ones). Vietnam has kept UTC+7 without daylight
saving since 1975, so the shift is exact.

The enum columns keep their VARCHAR(32) and their stored values ("phan_anh", "new"):
sa.Enum(native_enum=False) without a CHECK constraint is the same schema, so existing
rows are valid as they are.
"""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision: str = "b8d4f0a2c6e1"
down_revision: str | None = "a7c3e9d1f2b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIETNAM = timezone(timedelta(hours=7))

# Every datetime column the application wrote in Vietnam time (outbox_messages: UTC).
VIETNAM_WALL_TIME: dict[str, tuple[str, ...]] = {
    "tickets": ("created_at", "updated_at", "closed_at", "answered_at", "anonymised_at"),
    "ticket_events": ("at",),
    "ticket_attachments": ("added_at",),
    "consent_records": ("given_at", "withdrawn_at"),
    "faq_votes": ("at",),
    "unanswered_questions": ("at",),
}


def _to_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=VIETNAM).astimezone(timezone.utc).replace(tzinfo=None)


def _to_vietnam(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc).astimezone(VIETNAM).replace(tzinfo=None)


def _shift(convert: Callable[[datetime], datetime]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for name, columns in VIETNAM_WALL_TIME.items():
        # Naive sa.DateTime: SQLAlchemy parses and writes SQLite's text format as is.
        table = sa.table(name, sa.column("id", sa.Integer), *(sa.column(c, sa.DateTime()) for c in columns))
        rows = bind.execute(sa.select(table.c.id, *(table.c[c] for c in columns))).all()
        if not rows:
            continue
        changes = [
            {"row_id": row.id}
            | {f"new_{c}": None if row._mapping[c] is None else convert(row._mapping[c]) for c in columns}
            for row in rows
        ]
        bind.execute(
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values({c: sa.bindparam(f"new_{c}") for c in columns}),
            changes,
        )


def upgrade() -> None:
    _shift(_to_utc)


def downgrade() -> None:
    _shift(_to_vietnam)
