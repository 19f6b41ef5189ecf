"""audit: refuse TRUNCATE on the audit log (PostgreSQL); index file keys for the orphan sweep

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 23:00:00

Migration 0001 made ``audit_log`` append-only with row triggers, but row triggers do not fire for
``TRUNCATE``, which emptied the table in one statement. A statement-level ``BEFORE TRUNCATE``
trigger closes that gap, for the owner too (only a superuser who turns triggers off gets past it).
SQLite has no ``TRUNCATE``: its ``DELETE FROM`` already fires the row triggers, so the trigger is
PostgreSQL only.

The orphan-file sweep asks, a batch of keys at a time, which store keys file rows point at; the
index on ``candidate_files.storage_key`` keeps that a lookup rather than a scan per batch.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GUARD = [
    "CREATE FUNCTION audit_log_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only: TRUNCATE is refused'; END; $$",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_truncate()",
]
_UNGUARD = [
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_refuse_truncate()",
]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        for statement in _GUARD:
            op.execute(statement)
    op.create_index(op.f("ix_candidate_files_storage_key"), "candidate_files", ["storage_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_candidate_files_storage_key"), table_name="candidate_files")
    if _postgresql():
        for statement in _UNGUARD:
            op.execute(statement)
