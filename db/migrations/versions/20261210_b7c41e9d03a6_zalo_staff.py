"""offices may keep their group on Zalo; staff may be named by their Zalo user id

An office's group is a Telegram chat (`staff_chat_id`, a number) or a Zalo group
(`zalo_group_id`, a string); staff who act from Zalo are recognised by their Zalo user id,
and may have no Telegram user id.

Revision ID: b7c41e9d03a6
Revises: 7b1e5d3a9c42
Create Date: 2026-12-08 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7c41e9d03a6"
down_revision: str | None = "7b1e5d3a9c42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("offices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("zalo_group_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("zalo_user_id", sa.String(length=64), nullable=True))
        batch_op.alter_column("telegram_user_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_unique_constraint(
            batch_op.f("uq_staff_members_zalo_user_id"), ["zalo_user_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_staff_members_zalo_user_id"), type_="unique")
        batch_op.drop_column("zalo_user_id")
        # Members known by Zalo only cannot stay: a downgrade needs them removed first.
        batch_op.alter_column("telegram_user_id", existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table("offices", schema=None) as batch_op:
        batch_op.drop_column("zalo_group_id")
