"""identity: staff e-mail unique per organisation; TOTP second factor

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 23:00:00
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organisation_id"],
        ["organisations.id"],
        name=op.f(f"fk_{table}_organisation_id_organisations"),
        ondelete="CASCADE",
    )


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


@contextmanager
def _sqlite_foreign_keys_off() -> Iterator[None]:
    """SQLite changes a constraint by copying the table and dropping the old one; with foreign keys
    on, that drop first deletes every row and cascades (every user's logins would go). The pragma
    only takes effect outside a transaction, so the migration's transaction is committed (it holds
    nothing yet), the pragma set, and a new one begun for the whole change; SQLite's own recipe
    (https://sqlite.org/lang_altertable.html#otheralter). Alembic's autocommit block cannot do
    this here: the engine begins every transaction with BEGIN IMMEDIATE, even in autocommit mode.
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    yield
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"the rebuilt tables break foreign keys: {problems[:5]}")
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")
    bind.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade() -> None:
    # Addresses were unique across tenants; they become unique per organisation. Existing rows
    # already satisfy the narrower rule, so no data changes.
    with _sqlite_foreign_keys_off(), op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_email"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_organisation_id_email"), ["organisation_id", "email"]
        )
        batch_op.create_index(batch_op.f("ix_users_email"), ["email"], unique=False)

    # A plain ADD COLUMN (no batch): SQLite can, and a rebuilt organisations table would cascade.
    op.add_column(
        "organisations", sa.Column("require_mfa", sa.Boolean(), server_default=sa.false(), nullable=False)
    )

    op.create_table(
        "user_totp",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_step", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        _tenant_fk("user_totp"),
        _user_fk("user_totp"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_totp")),
        sa.UniqueConstraint("user_id", name=op.f("uq_user_totp_user_id")),
    )
    with op.batch_alter_table("user_totp", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_totp_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "mfa_recovery_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        _tenant_fk("mfa_recovery_codes"),
        _user_fk("mfa_recovery_codes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_mfa_recovery_codes_code_hash")),
    )
    with op.batch_alter_table("mfa_recovery_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mfa_recovery_codes_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mfa_recovery_codes_user_id"), ["user_id"], unique=False)

    op.create_table(
        "mfa_challenges",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        _tenant_fk("mfa_challenges"),
        _user_fk("mfa_challenges"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_challenges")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_mfa_challenges_token_hash")),
    )
    with op.batch_alter_table("mfa_challenges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mfa_challenges_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mfa_challenges_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mfa_challenges_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("mfa_challenges")
    op.drop_table("mfa_recovery_codes")
    op.drop_table("user_totp")
    with _sqlite_foreign_keys_off(), op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("require_mfa")
    # Going back to globally unique addresses fails if two organisations now share one; that is
    # deliberate: the old schema cannot hold such data, and deleting accounts is not a migration's call.
    with _sqlite_foreign_keys_off(), op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_email"))
        batch_op.drop_constraint(batch_op.f("uq_users_organisation_id_email"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_users_email"), ["email"])
