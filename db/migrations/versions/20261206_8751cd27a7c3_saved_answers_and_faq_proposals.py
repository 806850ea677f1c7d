"""back office knowledge: saved answers per office and FAQ proposals to review

Each office keeps reusable answer texts; staff propose question/answer pairs for the
assistant's FAQ, which commune leaders accept or reject (accepting trains nothing).

Revision ID: 8751cd27a7c3
Revises: ede02902c917
Create Date: 2026-12-05 13:23:21.663271
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8751cd27a7c3"
down_revision: str | None = "ede02902c917"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "faq_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "accepted",
                "rejected",
                name="proposalstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_faq_proposals_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["staff_members.id"],
            name=op.f("fk_faq_proposals_proposed_by_id_staff_members"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["staff_members.id"],
            name=op.f("fk_faq_proposals_reviewed_by_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_proposals")),
    )
    with op.batch_alter_table("faq_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_faq_proposals_office_id"), ["office_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_faq_proposals_status"), ["status"], unique=False)

    op.create_table(
        "saved_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_members.id"],
            name=op.f("fk_saved_answers_created_by_id_staff_members"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_saved_answers_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_answers")),
    )
    with op.batch_alter_table("saved_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saved_answers_office_id"), ["office_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("saved_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_answers_office_id"))
    op.drop_table("saved_answers")
    with op.batch_alter_table("faq_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faq_proposals_status"))
        batch_op.drop_index(batch_op.f("ix_faq_proposals_office_id"))
    op.drop_table("faq_proposals")
