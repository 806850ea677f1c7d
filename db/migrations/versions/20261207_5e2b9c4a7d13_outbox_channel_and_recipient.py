"""outbox rows name their channel; a Zalo chat is a string recipient

The Zalo process sends the answers and notices of tickets that came through Zalo, from
the same outbox as Telegram. Each row says which channel sends it (existing rows are
Telegram's) and whom: a Telegram chat id is a number (`chat_id`), a Zalo one a string
(`recipient`), so `chat_id` may now be empty.

Revision ID: 5e2b9c4a7d13
Revises: 8751cd27a7c3
Create Date: 2026-12-05 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e2b9c4a7d13"
down_revision: str | None = "8751cd27a7c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

outbox = sa.table("outbox_messages", sa.column("chat_id", sa.BigInteger))


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "channel", sa.String(length=16), nullable=False, server_default="telegram"
            )
        )
        batch_op.add_column(sa.Column("recipient", sa.String(length=64), nullable=True))
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_channel"), ["channel"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_recipient"), ["recipient"], unique=False
        )


def downgrade() -> None:
    # Rows for another channel than Telegram have no chat id to keep under NOT NULL.
    op.execute(outbox.delete().where(outbox.c.chat_id.is_(None)))
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_recipient"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_channel"))
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("recipient")
        batch_op.drop_column("channel")
