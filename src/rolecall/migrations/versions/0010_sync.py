"""sync: (organisation_id, updated_at, id) indexes for updated_since lists

Incremental sync (``updated_since``, docs/api.md) reads a tenant's rows in (updated_at, id) order;
these indexes serve that order. Every listed table already had ``updated_at`` (``TimestampMixin``)
except the append-only audit log, which syncs on ``occurred_at``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYNCED = (
    ("jobs", "updated_at"),
    ("candidates", "updated_at"),
    ("applications", "updated_at"),
    ("interviews", "updated_at"),
    ("offers", "updated_at"),
    ("assessment_items", "updated_at"),
    ("assessment_sessions", "updated_at"),
    ("role_profiles", "updated_at"),
    ("audit_log", "occurred_at"),
)


def upgrade() -> None:
    for table, column in SYNCED:
        op.create_index(f"ix_{table}_sync", table, ["organisation_id", column, "id"])


def downgrade() -> None:
    for table, _column in reversed(SYNCED):
        op.drop_index(f"ix_{table}_sync", table_name=table)
