"""identity: OpenID Connect single sign-on per organisation

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organisation_id"],
        ["organisations.id"],
        name=op.f(f"fk_{table}_organisation_id_organisations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    # New tables only: nothing existing changes, so no batch rebuild is needed on SQLite.
    op.create_table(
        "sso_connections",
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("default_role", sa.String(length=32), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        _tenant_fk("sso_connections"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_connections")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_sso_connections_organisation_id")),
    )
    with op.batch_alter_table("sso_connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sso_connections_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "sso_domains",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["sso_connections.id"],
            name=op.f("fk_sso_domains_connection_id_sso_connections"),
            ondelete="CASCADE",
        ),
        _tenant_fk("sso_domains"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_domains")),
        sa.UniqueConstraint("domain", name=op.f("uq_sso_domains_domain")),
    )
    with op.batch_alter_table("sso_domains", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_domains_connection_id"), ["connection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sso_domains_organisation_id"), ["organisation_id"], unique=False)


def downgrade() -> None:
    op.drop_table("sso_domains")
    op.drop_table("sso_connections")
