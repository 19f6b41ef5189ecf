"""web: page sign-in sessions and careers-site branding

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A login started on the sign-in page carries the keyed hash of its cookie; OAuth logins leave it
    # empty. Both are rows of the same table, so revoking a login ends the page session too.
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(sa.Column("cookie_hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_auth_sessions_cookie_hash", ["cookie_hash"])
    with op.batch_alter_table("job_settings") as batch:
        batch.add_column(sa.Column("accent_colour", sa.String(length=7), nullable=True))
        batch.add_column(sa.Column("careers_intro", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_settings") as batch:
        batch.drop_column("careers_intro")
        batch.drop_column("accent_colour")
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_constraint("uq_auth_sessions_cookie_hash", type_="unique")
        batch.drop_column("cookie_hash")
