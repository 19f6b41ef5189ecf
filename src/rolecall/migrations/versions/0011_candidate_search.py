"""candidate search: a keyed token index of candidate names

Names are sealed, so a database cannot search them. Each candidate's normalised name tokens are
stored as keyed blind-index values (the organisation's blind-index key, HMAC), one row per token,
so ``GET /v1/candidates?name=`` is an indexed equality lookup. What the index reveals is written
down in docs/adr/0016-candidate-name-search.md.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 20:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "candidate_name_tokens",
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidates.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("candidate_id", "token"),
    )
    op.create_index("ix_candidate_name_tokens_organisation_id", "candidate_name_tokens", ["organisation_id"])
    op.create_index("ix_candidate_name_tokens_lookup", "candidate_name_tokens", ["organisation_id", "token"])


def downgrade() -> None:
    op.drop_index("ix_candidate_name_tokens_lookup", table_name="candidate_name_tokens")
    op.drop_index("ix_candidate_name_tokens_organisation_id", table_name="candidate_name_tokens")
    op.drop_table("candidate_name_tokens")
