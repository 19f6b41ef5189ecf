"""compat: per-organisation board keys for the Greenhouse- and Lever-shaped apply routes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compat_board_keys",
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_compat_board_keys_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compat_board_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_compat_board_keys_prefix")),
    )
    with op.batch_alter_table("compat_board_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compat_board_keys_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("compat_board_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compat_board_keys_organisation_id"))
    op.drop_table("compat_board_keys")
