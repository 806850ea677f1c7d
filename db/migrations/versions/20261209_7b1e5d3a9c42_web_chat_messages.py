"""web chat messages: the website widget's conversation history

Each message of a widget session (the resident's and the assistant's, and the office's
answers copied from the outbox when the widget fetches them, once: `outbox_id` unique).

Revision ID: 7b1e5d3a9c42
Revises: 8832e1f72212
Create Date: 2026-12-06 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "7b1e5d3a9c42"
down_revision: str | None = "8832e1f72212"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=64), nullable=False),
        sa.Column("from_resident", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.Text(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_chat_messages")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_web_chat_messages_outbox_id")),
    )
    op.create_index(
        op.f("ix_web_chat_messages_sender_id"), "web_chat_messages", ["sender_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_web_chat_messages_sender_id"), table_name="web_chat_messages")
    op.drop_table("web_chat_messages")
