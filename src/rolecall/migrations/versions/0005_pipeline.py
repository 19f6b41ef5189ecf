"""pipeline: applications, interviews, offers, files, notes, pools, retention

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_OFFER = "status IN ('pending_approval', 'changes_requested', 'approved', 'sent', 'accepted')"


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=200), nullable=False),
        sa.Column("stage_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reject_reason", sa.String(length=40), nullable=True),
        sa.Column("answers", sa.Text(), nullable=True),
        sa.Column("consent", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_details", sa.JSON(), nullable=False),
        sa.Column("resume_file_id", sa.Uuid(), nullable=True),
        sa.Column("match_score", sa.Integer(), nullable=True),
        sa.Column("match", sa.JSON(), nullable=True),
        sa.Column("status_token_hash", sa.String(length=64), nullable=True),
        sa.Column("status_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_applications_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("status_token_hash", name=op.f("uq_applications_status_token_hash")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_job_id"), ["job_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_applications_last_activity_at"), ["last_activity_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_applications_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_applications_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_applications_job_candidate_live",
            ["organisation_id", "job_id", "candidate_id"],
            unique=True,
            postgresql_where=sa.text("merged_into_id IS NULL"),
            sqlite_where=sa.text("merged_into_id IS NULL"),
        )

    op.create_table(
        "interviews",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("interviewer_ids", sa.JSON(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("video_url", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_interviews_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interviews")),
    )
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interviews_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_interviews_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_interviews_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_interviews_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_interviews_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "offers",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("approval_chain", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_offers_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offers_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_offers_application_live",
            ["application_id"],
            unique=True,
            postgresql_where=sa.text(LIVE_OFFER),
            sqlite_where=sa.text(LIVE_OFFER),
        )

    op.create_table(
        "pipeline_settings",
        sa.Column("reject_reasons", sa.JSON(), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consent_version", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_pipeline_settings_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_settings")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_pipeline_settings_organisation_id")),
    )
    with op.batch_alter_table("pipeline_settings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pipeline_settings_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "retention_rules",
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_retention_rules_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_rules")),
        sa.UniqueConstraint(
            "organisation_id", "outcome", name=op.f("uq_retention_rules_organisation_id_outcome")
        ),
    )
    with op.batch_alter_table("retention_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_rules_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "talent_pools",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_talent_pools_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_pools")),
        sa.UniqueConstraint("organisation_id", "name", name=op.f("uq_talent_pools_organisation_id_name")),
    )
    with op.batch_alter_table("talent_pools", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_pools_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "application_transitions",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_stage", sa.String(length=200), nullable=True),
        sa.Column("from_type", sa.String(length=20), nullable=True),
        sa.Column("to_stage", sa.String(length=200), nullable=False),
        sa.Column("to_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("bulk_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_transitions_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_application_transitions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_transitions")),
    )
    with op.batch_alter_table("application_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_transitions_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_application_transitions_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_application_transitions_job_id"), ["job_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_application_transitions_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "candidate_files",
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_candidate_files_candidate_id_candidates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_candidate_files_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_files")),
    )
    with op.batch_alter_table("candidate_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidate_files_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_candidate_files_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "candidate_notes",
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_candidate_notes_candidate_id_candidates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_candidate_notes_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_notes")),
    )
    with op.batch_alter_table("candidate_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidate_notes_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_candidate_notes_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "hire_sagas",
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_hire_sagas_offer_id_offers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_hire_sagas_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hire_sagas")),
        sa.UniqueConstraint("offer_id", name=op.f("uq_hire_sagas_offer_id")),
    )
    with op.batch_alter_table("hire_sagas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hire_sagas_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hire_sagas_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hire_sagas_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hire_sagas_state"), ["state"], unique=False)

    op.create_table(
        "offer_approvals",
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("offer_version", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("approver", sa.String(length=80), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_approvals_offer_id_offers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_offer_approvals_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_approvals")),
        sa.UniqueConstraint(
            "offer_id", "offer_version", "step", name=op.f("uq_offer_approvals_offer_id_offer_version_step")
        ),
    )
    with op.batch_alter_table("offer_approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_approvals_offer_id"), ["offer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_offer_approvals_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "offer_versions",
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("salary", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("override_reason", sa.String(length=500), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_versions_offer_id_offers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_offer_versions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_versions")),
        sa.UniqueConstraint("offer_id", "number", name=op.f("uq_offer_versions_offer_id_number")),
    )
    with op.batch_alter_table("offer_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_versions_offer_id"), ["offer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_offer_versions_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "scorecards",
        sa.Column("interview_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("interviewer_id", sa.Uuid(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("recommendation", sa.String(length=20), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["interviews.id"],
            name=op.f("fk_scorecards_interview_id_interviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_scorecards_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecards")),
        sa.UniqueConstraint(
            "interview_id", "interviewer_id", name=op.f("uq_scorecards_interview_id_interviewer_id")
        ),
    )
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scorecards_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scorecards_interview_id"), ["interview_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scorecards_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "talent_pool_members",
        sa.Column("pool_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("added_by", sa.String(length=80), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_talent_pool_members_candidate_id_candidates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_talent_pool_members_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["talent_pools.id"],
            name=op.f("fk_talent_pool_members_pool_id_talent_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_pool_members")),
        sa.UniqueConstraint(
            "pool_id", "candidate_id", name=op.f("uq_talent_pool_members_pool_id_candidate_id")
        ),
    )
    with op.batch_alter_table("talent_pool_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_pool_members_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_talent_pool_members_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_talent_pool_members_pool_id"), ["pool_id"], unique=False)

    with op.batch_alter_table("job_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage_template", sa.JSON(), nullable=True))
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hires", sa.Integer(), server_default=sa.text("0"), nullable=False))
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("erased_email_index", sa.String(length=32), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_candidates_erased_email_index"), ["erased_email_index"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("hires")
    with op.batch_alter_table("job_settings", schema=None) as batch_op:
        batch_op.drop_column("stage_template")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidates_erased_email_index"))
        batch_op.drop_column("erased_email_index")
        batch_op.drop_column("erased_at")

    with op.batch_alter_table("talent_pool_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_pool_members_pool_id"))
        batch_op.drop_index(batch_op.f("ix_talent_pool_members_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_talent_pool_members_candidate_id"))

    op.drop_table("talent_pool_members")
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorecards_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_scorecards_interview_id"))
        batch_op.drop_index(batch_op.f("ix_scorecards_application_id"))

    op.drop_table("scorecards")
    with op.batch_alter_table("offer_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_versions_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_offer_versions_offer_id"))

    op.drop_table("offer_versions")
    with op.batch_alter_table("offer_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_approvals_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_offer_approvals_offer_id"))

    op.drop_table("offer_approvals")
    with op.batch_alter_table("hire_sagas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hire_sagas_state"))
        batch_op.drop_index(batch_op.f("ix_hire_sagas_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_hire_sagas_job_id"))
        batch_op.drop_index(batch_op.f("ix_hire_sagas_application_id"))

    op.drop_table("hire_sagas")
    with op.batch_alter_table("candidate_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_notes_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_candidate_notes_candidate_id"))

    op.drop_table("candidate_notes")
    with op.batch_alter_table("candidate_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_files_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_candidate_files_candidate_id"))

    op.drop_table("candidate_files")
    with op.batch_alter_table("application_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_transitions_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_application_transitions_job_id"))
        batch_op.drop_index(batch_op.f("ix_application_transitions_at"))
        batch_op.drop_index(batch_op.f("ix_application_transitions_application_id"))

    op.drop_table("application_transitions")
    with op.batch_alter_table("talent_pools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_pools_organisation_id"))

    op.drop_table("talent_pools")
    with op.batch_alter_table("retention_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_rules_organisation_id"))

    op.drop_table("retention_rules")
    with op.batch_alter_table("pipeline_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pipeline_settings_organisation_id"))

    op.drop_table("pipeline_settings")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offers_status"))
        batch_op.drop_index(batch_op.f("ix_offers_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_offers_job_id"))
        batch_op.drop_index(batch_op.f("ix_offers_candidate_id"))
        batch_op.drop_index(batch_op.f("ix_offers_application_id"))

    op.drop_table("offers")
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interviews_starts_at"))
        batch_op.drop_index(batch_op.f("ix_interviews_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_interviews_job_id"))
        batch_op.drop_index(batch_op.f("ix_interviews_candidate_id"))
        batch_op.drop_index(batch_op.f("ix_interviews_application_id"))

    op.drop_table("interviews")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_applications_job_candidate_live",
            postgresql_where=sa.text("merged_into_id IS NULL"),
            sqlite_where=sa.text("merged_into_id IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_applications_status"))
        batch_op.drop_index(batch_op.f("ix_applications_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_applications_last_activity_at"))
        batch_op.drop_index(batch_op.f("ix_applications_job_id"))
        batch_op.drop_index(batch_op.f("ix_applications_candidate_id"))

    op.drop_table("applications")
