"""staff's internal notes in the ticket history

A history row written by staff as a note for colleagues (services.lifecycle
INTERNAL_NOTE) is marked `internal`: it is shown with its own label on the back office,
never counts as activity on the ticket for retention, and is never part of what the
resident is told. Existing rows are not notes of that kind.

Revision ID: ede02902c917
Revises: d9f1b3c5e7a2
Create Date: 2026-12-05 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "ede02902c917"
down_revision: str | None = "d9f1b3c5e7a2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("internal", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_column("internal")
