"""identity/pipeline: need-to-know access (organisation-wide staff flag)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 23:00:00

``users.sees_all_jobs`` marks staff who see every job of their organisation; everyone else (admins
aside) sees only the jobs whose hiring team names them. New users start without it.
``candidates.added_by_user_id`` names the staff member who added a person by hand, who keeps seeing
them before any application exists; existing rows stay NULL (nobody is known to have added them).

Backfill: existing users holding the recruiter role get it. Until now every recruiter saw every job,
and many installations have never filled in hiring teams, so taking that away in an upgrade would
empty their recruiters' pipelines overnight. Hiring managers and interviewers are not backfilled:
seeing only their own jobs is what this change is for, and an admin can grant the flag to anyone.
The UPDATE only ever sets the flag for recruiters, so running it again changes nothing; the users
table is small (staff, not candidates), so one statement is the batch.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch): SQLite can, and rebuilding users would cascade to their logins.
    op.add_column(
        "users", sa.Column("sees_all_jobs", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    # roles is a JSON list of role names; the quoted name matches on SQLite and PostgreSQL alike.
    op.execute(
        sa.text(
            "UPDATE users SET sees_all_jobs = :yes "
            "WHERE CAST(roles AS TEXT) LIKE '%\"recruiter\"%' AND sees_all_jobs = :no"
        ).bindparams(yes=True, no=False)
    )
    op.add_column("candidates", sa.Column("added_by_user_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place; a batch rebuild would cascade to the users' logins.
    op.drop_column("candidates", "added_by_user_id")
    op.drop_column("users", "sees_all_jobs")
