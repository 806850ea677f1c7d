"""ticket submission id: a second «Gửi» of the same form returns the same ticket

Revision ID: a7c3e9d1f2b4
Revises: e3a7c9d1b5f2
Create Date: 2026-12-02 03:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "a7c3e9d1f2b4"
down_revision: str | None = "e3a7c9d1b5f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_tickets_submission_id"), ["submission_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_tickets_submission_id"), type_="unique")
        batch_op.drop_column("submission_id")
