"""consent refusals are stored without the sender id

Revision ID: e3a7c9d1b5f2
Revises: d5e6f7a8b9c0
Create Date: 2026-12-02 03:05:00.000000

A refusal is what lets a resident send an anonymous suggestion; keeping their chat id
with it broke that promise. The refusals already stored lose their id too: deciding
consent never needed it (a refusal stamps the earlier consents of the chat withdrawn).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3a7c9d1b5f2"
down_revision: str | None = "d5e6f7a8b9c0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

consent_records = sa.table(
    "consent_records", sa.column("sender_id", sa.String), sa.column("granted", sa.Boolean)
)


def upgrade() -> None:
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.alter_column("sender_id", existing_type=sa.String(length=64), nullable=True)
    op.execute(
        consent_records.update()
        .where(consent_records.c.granted.is_(sa.false()))
        .values(sender_id=None)
    )


def downgrade() -> None:
    # The ids are gone; rows without one cannot go back under NOT NULL.
    op.execute(consent_records.delete().where(consent_records.c.sender_id.is_(None)))
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.alter_column("sender_id", existing_type=sa.String(length=64), nullable=False)
