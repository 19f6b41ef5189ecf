"""The analytics reports as CSV tables: one row per stage, per job or per source.

A CSV file is one table, so each report keeps its main table and repeats the report's context (the
job and the period) on every row; that way a file still says what it covers once rows are pasted
elsewhere. Funnel reject reasons and the organisation-wide time to hire stay in the JSON report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rolecall.pipeline.analytics_schemas import Funnel, Period, SourceReport, TimeToHireReport

Table = tuple[list[str], list[Sequence[Any]]]
_CONTEXT = ["job_id", "job_title", "period_from", "period_to"]


def _context(job_id: Any, job_title: str | None, period: Period) -> list[Any]:
    return [job_id, job_title, period.from_, period.to]


def funnel_table(report: Funnel) -> Table:
    header = [
        *_CONTEXT,
        "stage",
        "type",
        "entered",
        "reached",
        "current",
        "conversion_to_next",
        "rejected",
        "withdrawn",
        "stays_completed",
        "stays_in_progress",
        "median_hours",
        "p90_hours",
    ]
    context = _context(report.job_id, report.job_title, report.period)
    rows: list[Sequence[Any]] = [
        [
            *context,
            stage.name,
            stage.type,
            stage.entered,
            stage.reached,
            stage.current,
            stage.conversion_to_next,
            stage.rejected,
            stage.withdrawn,
            stage.time_in_stage.completed,
            stage.time_in_stage.in_progress,
            stage.time_in_stage.median_hours,
            stage.time_in_stage.p90_hours,
        ]
        for stage in report.stages
    ]
    return header, rows


def time_to_hire_table(report: TimeToHireReport) -> Table:
    """First the figures over every job in scope (no job id), then one row per job with a hire."""
    header = [*_CONTEXT, "hires", "median_days", "p90_days"]
    rows: list[Sequence[Any]] = [
        [*_context(None, None, report.period), report.hires, report.median_days, report.p90_days]
    ]
    rows += [
        [*_context(job.job_id, job.job_title, report.period), job.hires, job.median_days, job.p90_days]
        for job in report.jobs
    ]
    return header, rows


def source_table(report: SourceReport) -> Table:
    header = [
        *_CONTEXT,
        "source",
        "applications",
        "reached_screen",
        "reached_interview",
        "reached_offer",
        "hired",
        "hire_rate",
    ]
    context = _context(report.job_id, report.job_title, report.period)
    rows: list[Sequence[Any]] = [
        [
            *context,
            row.source,
            row.applications,
            row.reached_screen,
            row.reached_interview,
            row.reached_offer,
            row.hired,
            row.hire_rate,
        ]
        for row in report.sources
    ]
    return header, rows


def download_name(report: str, period: Period, job_id: Any = None) -> str:
    """e.g. ``analytics-funnel-<job id>-2026-03-01-to-2026-03-31.csv``."""
    parts = ["analytics", report]
    if job_id is not None:
        parts.append(str(job_id))
    if period.from_ or period.to:
        parts.append(f"{period.from_ or 'start'}-to-{period.to or 'today'}")
    return "-".join(parts)
