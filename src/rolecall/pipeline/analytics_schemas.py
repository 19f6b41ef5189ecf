"""Response documents of the pipeline analytics routes.

Every report carries counts, stage names, reject-reason codes, job ids and titles only: nothing in it
describes a person, so reports can be exported and shared like any other management figure.
Durations are medians and 90th percentiles (linear interpolation, as SQL's ``percentile_cont``);
a statistic over no data is ``null``, never zero, so "nobody was hired" and "hired instantly"
stay distinguishable.
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)


class Period(_Out):
    """The window on applications' creation dates (both days inclusive, UTC) the report covers."""

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


class TimeInStage(_Out):
    """Active time from the transition into a stage to the one out of it (a move on, a rejection or
    a withdrawal). Time spent rejected before an un-reject is not time in the stage."""

    completed: int = Field(description="Stays in this stage that have ended (moved on, rejected, withdrawn)")
    in_progress: int = Field(description="Active applications in this stage now; not in the statistics")
    median_hours: float | None
    p90_hours: float | None


class FunnelStage(_Out):
    name: str = Field(description="The stage's name (a job's funnel) or its type (the organisation's)")
    type: str
    entered: int = Field(description="Applications that were ever moved into this stage")
    reached: int = Field(description="Applications that got at least this far (this stage or a later one)")
    current: int = Field(description="Applications in this stage now (active, or hired for the hired stage)")
    conversion_to_next: float | None = Field(
        description="reached(next stage) / reached(this stage); null for the last stage or when none reached"
    )
    rejected: int = Field(description="Applications rejected while in this stage (and still rejected)")
    withdrawn: int = Field(description="Applications withdrawn while in this stage")
    time_in_stage: TimeInStage


class ReasonCount(_Out):
    reason: str
    count: int


class TimeToHire(_Out):
    """Days from the ``applied`` transition to the latest ``hire`` one, over applications hired now."""

    hires: int
    median_days: float | None
    p90_days: float | None


class JobTimeToHire(TimeToHire):
    job_id: uuid.UUID
    job_title: str | None = Field(
        default=None, description="The job's title, so a report reads without a lookup"
    )


class Funnel(_Out):
    job_id: uuid.UUID | None
    job_title: str | None = Field(default=None, description="The job's title (null when no job is given)")
    period: Period
    applications: int
    stages: list[FunnelStage]
    reject_reasons: list[ReasonCount] = Field(
        description="Currently rejected applications by reason code, most frequent first"
    )
    time_to_hire: TimeToHire


class TimeToHireReport(TimeToHire):
    period: Period
    jobs: list[JobTimeToHire] = Field(description="One row per job with at least one hire")


class SourceRow(_Out):
    source: str
    applications: int
    reached_screen: int
    reached_interview: int
    reached_offer: int
    hired: int
    hire_rate: float = Field(description="hired / applications")


class SourceReport(_Out):
    period: Period
    job_id: uuid.UUID | None
    job_title: str | None = Field(default=None, description="The job's title (null when no job is given)")
    sources: list[SourceRow]
