"""a duplicate ticket links its original; the unused «in_progress» state goes

Staff mark a ticket as a duplicate of an earlier open one (services.lifecycle
MARK_DUPLICATE); the resident then hears the original's answer. «in_progress» was never
set by any path ("Nhận xử lý" is «assigned»): rows carrying it, imported or typed by
hand, become «assigned», which means the same to staff and to the report.

Revision ID: c4e8a1f6d2b9
Revises: b8d4f0a2c6e1
Create Date: 2026-12-03 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "c4e8a1f6d2b9"
down_revision: str | None = "b8d4f0a2c6e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE tickets SET state = 'assigned' WHERE state = 'in_progress'")
    op.execute(
        "UPDATE ticket_events SET from_state = 'assigned' WHERE from_state = 'in_progress'"
    )
    op.execute("UPDATE ticket_events SET to_state = 'assigned' WHERE to_state = 'in_progress'")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_duplicate_of_id_tickets"), "tickets", ["duplicate_of_id"], ["id"]
        )


def downgrade() -> None:
    # «in_progress» is not restored: which rows had it is not known any more.
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tickets_duplicate_of_id_tickets"), type_="foreignkey")
        batch_op.drop_column("duplicate_of_id")
