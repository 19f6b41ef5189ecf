"""role profiles with versions, jobs, job settings, board projection

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ORG_FK = ("organisation_id", "organisations.id")


def _org_column() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("organisation_id", sa.Uuid(), nullable=False)


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organisation_id"],
        ["organisations.id"],
        name=f"fk_{table}_organisation_id_organisations",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "role_profiles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("forked_from", sa.String(length=80), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *_timestamps(),
        _org_column(),
        _org_fk("role_profiles"),
        sa.PrimaryKeyConstraint("id", name="pk_role_profiles"),
        sa.UniqueConstraint("organisation_id", "slug", name="uq_role_profiles_organisation_id_slug"),
    )
    op.create_index("ix_role_profiles_organisation_id", "role_profiles", ["organisation_id"])
    op.create_table(
        "role_profile_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        *_timestamps(),
        _org_column(),
        _org_fk("role_profile_versions"),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["role_profiles.id"],
            name="fk_role_profile_versions_profile_id_role_profiles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_role_profile_versions"),
        sa.UniqueConstraint("profile_id", "number", name="uq_role_profile_versions_profile_id_number"),
    )
    op.create_index("ix_role_profile_versions_organisation_id", "role_profile_versions", ["organisation_id"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("role_profile_id", sa.Uuid(), nullable=False),
        sa.Column("profile_version", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=120), nullable=False),
        sa.Column("employment_type", sa.String(length=20), nullable=False),
        sa.Column("work_arrangement", sa.String(length=10), nullable=False),
        sa.Column("locations", sa.JSON(), nullable=False),
        sa.Column("remote_countries", sa.JSON(), nullable=False),
        sa.Column("remote_time_zones", sa.JSON(), nullable=False),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.Column("salary", sa.JSON(), nullable=True),
        sa.Column("show_salary", sa.Boolean(), nullable=True),
        sa.Column("hiring_team", sa.JSON(), nullable=False),
        sa.Column("application_form", sa.JSON(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("valid_through", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("close_reason", sa.String(length=20), nullable=True),
        sa.Column("close_note", sa.String(length=500), nullable=True),
        sa.Column("first_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *_timestamps(),
        _org_column(),
        _org_fk("jobs"),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    op.create_index("ix_jobs_organisation_id", "jobs", ["organisation_id"])
    op.create_index("ix_jobs_role_profile_id", "jobs", ["role_profile_id"])
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_table(
        "job_settings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("board_slug", sa.String(length=60), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("show_salary", sa.Boolean(), nullable=False),
        sa.Column("about", sa.Text(), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("logo_url", sa.String(length=500), nullable=True),
        sa.Column("benefits", sa.JSON(), nullable=False),
        sa.Column("equal_opportunity", sa.Text(), nullable=True),
        sa.Column("template_overrides", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_timestamps(),
        _org_column(),
        _org_fk("job_settings"),
        sa.PrimaryKeyConstraint("id", name="pk_job_settings"),
        sa.UniqueConstraint("organisation_id", name="uq_job_settings_organisation_id"),
        sa.UniqueConstraint("board_slug", name="uq_job_settings_board_slug"),
    )
    op.create_index("ix_job_settings_organisation_id", "job_settings", ["organisation_id"])
    op.create_table(
        "board_postings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_slug", sa.String(length=60), nullable=True),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("job_version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        _org_fk("board_postings"),
        sa.PrimaryKeyConstraint("id", name="pk_board_postings"),
    )
    op.create_index("ix_board_postings_organisation_id", "board_postings", ["organisation_id"])
    op.create_index("ix_board_postings_organisation_slug", "board_postings", ["organisation_slug"])
    op.create_index("ix_board_postings_changed_at", "board_postings", ["changed_at"])


def downgrade() -> None:
    op.drop_table("board_postings")
    op.drop_table("job_settings")
    op.drop_table("jobs")
    op.drop_table("role_profile_versions")
    op.drop_table("role_profiles")
