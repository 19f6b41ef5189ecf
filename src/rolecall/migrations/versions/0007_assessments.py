"""assessments: item bank, blueprints, sessions, responses, marks, signals, partners; resume facts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_blueprints",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_blueprints_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_blueprints")),
        sa.UniqueConstraint("job_id", name=op.f("uq_assessment_blueprints_job_id")),
    )
    with op.batch_alter_table("assessment_blueprints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_blueprints_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "assessment_items",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("skill_id", sa.String(length=120), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("ready_version", sa.Integer(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("flag_reason", sa.String(length=300), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_items_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_items")),
        sa.UniqueConstraint("organisation_id", "key", name=op.f("uq_assessment_items_organisation_id_key")),
    )
    with op.batch_alter_table("assessment_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_items_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assessment_items_skill_id"), ["skill_id"], unique=False)

    op.create_table(
        "assessment_job_settings",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("auto_invite", sa.Boolean(), nullable=False),
        sa.Column("link_days", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=True),
        sa.Column("vendor_test_id", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_job_settings_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_job_settings")),
        sa.UniqueConstraint("job_id", name=op.f("uq_assessment_job_settings_job_id")),
    )
    with op.batch_alter_table("assessment_job_settings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_job_settings_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "assessment_partner_keys",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_partner_keys_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_partner_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_assessment_partner_keys_key_hash")),
    )
    with op.batch_alter_table("assessment_partner_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_partner_keys_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "assessment_sessions",
        sa.Column("blueprint_id", sa.Uuid(), nullable=False),
        sa.Column("blueprint_version", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("candidate_id", sa.Uuid(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("time_limit_minutes", sa.Integer(), nullable=False),
        sa.Column("grace_seconds", sa.Integer(), nullable=False),
        sa.Column("extra_time_percent", sa.Integer(), nullable=False),
        sa.Column("requested_extra_time_percent", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("skill_scores", sa.JSON(), nullable=True),
        sa.Column("pending_marking", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("partner", sa.JSON(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("invited_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_sessions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_assessment_sessions_token_hash")),
    )
    with op.batch_alter_table("assessment_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_sessions_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assessment_sessions_blueprint_id"), ["blueprint_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assessment_sessions_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assessment_sessions_job_id"), ["job_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_assessment_sessions_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assessment_sessions_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_sessions_total"), ["total"], unique=False)

    op.create_table(
        "assessment_vendors",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("api_key", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_vendors_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_vendors")),
    )
    with op.batch_alter_table("assessment_vendors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_vendors_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "assessment_blueprint_versions",
        sa.Column("blueprint_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blueprint_id"],
            ["assessment_blueprints.id"],
            name=op.f("fk_assessment_blueprint_versions_blueprint_id_assessment_blueprints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_blueprint_versions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_blueprint_versions")),
        sa.UniqueConstraint(
            "blueprint_id", "number", name=op.f("uq_assessment_blueprint_versions_blueprint_id_number")
        ),
    )
    with op.batch_alter_table("assessment_blueprint_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_blueprint_versions_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "assessment_item_versions",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("skill_id", sa.String(length=120), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["assessment_items.id"],
            name=op.f("fk_assessment_item_versions_item_id_assessment_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_item_versions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_item_versions")),
        sa.UniqueConstraint("item_id", "number", name=op.f("uq_assessment_item_versions_item_id_number")),
    )
    with op.batch_alter_table("assessment_item_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_item_versions_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assessment_item_versions_skill_id"), ["skill_id"], unique=False)

    op.create_table(
        "assessment_marks",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Uuid(), nullable=False),
        sa.Column("response_id", sa.Uuid(), nullable=True),
        sa.Column("credit", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("marker", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_marks_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["assessment_sessions.id"],
            name=op.f("fk_assessment_marks_session_id_assessment_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_marks")),
    )
    with op.batch_alter_table("assessment_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_marks_item_version_id"), ["item_version_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assessment_marks_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assessment_marks_session_id"), ["session_id"], unique=False)

    op.create_table(
        "assessment_responses",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Uuid(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_responses_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["assessment_sessions.id"],
            name=op.f("fk_assessment_responses_session_id_assessment_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_responses")),
    )
    with op.batch_alter_table("assessment_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_responses_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assessment_responses_session_id"), ["session_id"], unique=False)

    op.create_table(
        "assessment_signals",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_assessment_signals_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["assessment_sessions.id"],
            name=op.f("fk_assessment_signals_session_id_assessment_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_signals")),
    )
    with op.batch_alter_table("assessment_signals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_signals_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assessment_signals_session_id"), ["session_id"], unique=False)
    # A resume's stated proficiency per skill and the years of experience found in its text.
    with op.batch_alter_table("candidate_files") as batch:
        batch.add_column(sa.Column("resume_facts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("candidate_files") as batch:
        batch.drop_column("resume_facts")
    with op.batch_alter_table("assessment_signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_signals_session_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_signals_organisation_id"))

    op.drop_table("assessment_signals")
    with op.batch_alter_table("assessment_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_responses_session_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_responses_organisation_id"))

    op.drop_table("assessment_responses")
    with op.batch_alter_table("assessment_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_marks_session_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_marks_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_marks_item_version_id"))

    op.drop_table("assessment_marks")
    with op.batch_alter_table("assessment_item_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_item_versions_skill_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_item_versions_organisation_id"))

    op.drop_table("assessment_item_versions")
    with op.batch_alter_table("assessment_blueprint_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_blueprint_versions_organisation_id"))

    op.drop_table("assessment_blueprint_versions")
    with op.batch_alter_table("assessment_vendors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_vendors_organisation_id"))

    op.drop_table("assessment_vendors")
    with op.batch_alter_table("assessment_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_sessions_total"))
        batch_op.drop_index(batch_op.f("ix_assessment_sessions_status"))
        batch_op.drop_index(batch_op.f("ix_assessment_sessions_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_sessions_job_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_sessions_candidate_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_sessions_blueprint_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_sessions_application_id"))

    op.drop_table("assessment_sessions")
    with op.batch_alter_table("assessment_partner_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_partner_keys_organisation_id"))

    op.drop_table("assessment_partner_keys")
    with op.batch_alter_table("assessment_job_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_job_settings_organisation_id"))

    op.drop_table("assessment_job_settings")
    with op.batch_alter_table("assessment_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_items_skill_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_items_organisation_id"))

    op.drop_table("assessment_items")
    with op.batch_alter_table("assessment_blueprints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_blueprints_organisation_id"))

    op.drop_table("assessment_blueprints")
