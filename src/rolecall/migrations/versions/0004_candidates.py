"""candidates: people with encrypted personal data and blind indexes for dedup

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "candidates",
        sa.Column("id", sa.Uuid(), nullable=False),
        # Personal data: KeyRing tokens sealed for candidate:<id>:<column>, never plaintext.
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("links", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        # Keyed blind indexes of the normalised email and phone; NULLs never collide.
        sa.Column("email_index", sa.String(length=32), nullable=True),
        sa.Column("phone_index", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_details", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_candidates_organisation_id_organisations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_candidates"),
        sa.UniqueConstraint(
            "organisation_id", "email_index", name="uq_candidates_organisation_id_email_index"
        ),
        sa.UniqueConstraint(
            "organisation_id", "phone_index", name="uq_candidates_organisation_id_phone_index"
        ),
    )
    op.create_index("ix_candidates_organisation_id", "candidates", ["organisation_id"])


def downgrade() -> None:
    op.drop_table("candidates")
