"""back office sign-in: one-time links (hashed) and a web session version per staff member

Staff sign in to the web back office with a link the bot sends to their private chat;
only the token's SHA-256 is stored, with its expiry and when it was used. Raising a
member's web_session_version ends every web session they have open.

Revision ID: d9f1b3c5e7a2
Revises: c4e8a1f6d2b9
Create Date: 2026-12-04 10:55:05.336401
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d9f1b3c5e7a2"
down_revision: str | None = "c4e8a1f6d2b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_web_sign_in_links_staff_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sign_in_links_token_hash")),
    )
    with op.batch_alter_table("web_sign_in_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_sign_in_links_staff_id"), ["staff_id"], unique=False
        )
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("web_session_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.drop_column("web_session_version")
    with op.batch_alter_table("web_sign_in_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sign_in_links_staff_id"))
    op.drop_table("web_sign_in_links")
