"""ticket attachments may be photos stored on our disk (Zalo, website chat window)

A Telegram photo keeps its file id; a photo from Zalo or the website is re-encoded and
stored, named by `storage_key`. Exactly one of the two is set.

Revision ID: 3f6a9c2e81d4
Revises: 398111ce9fc4
Create Date: 2026-12-11 14:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f6a9c2e81d4"
down_revision: str | None = "398111ce9fc4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("storage_key", sa.String(length=64), nullable=True))
        batch_op.alter_column("telegram_file_id", existing_type=sa.String(length=255), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        # Stored photos cannot be kept without a file id: a downgrade needs them erased.
        batch_op.alter_column(
            "telegram_file_id", existing_type=sa.String(length=255), nullable=False
        )
        batch_op.drop_column("storage_key")
