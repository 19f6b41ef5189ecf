"""Pipeline analytics: funnels, time-in-stage, time-to-hire and source effectiveness.

Two lean queries fetch the applications in scope and their transitions (a few columns each, no
ORM objects); everything else is computed here by pure functions. Medians and percentiles are
taken in Python over the fetched durations, which works the same on SQLite and PostgreSQL (only
PostgreSQL has ``percentile_cont``) and needs the per-application walk over transitions anyway:
a stay in a stage starts with the transition into it and ends with the one out of it.

The metrics are defined in docs/pipeline.md and on the response fields. Two choices matter:
*reached* means "got at least this far" (skipping a stage still passes it, so conversions never
exceed 1), and only *active* time counts towards time in stage. Applications folded into another
by a candidate merge count nowhere.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.jobs import service as jobs
from rolecall.pipeline.analytics_schemas import (
    Funnel,
    FunnelStage,
    JobTimeToHire,
    Period,
    ReasonCount,
    SourceReport,
    SourceRow,
    TimeInStage,
    TimeToHire,
    TimeToHireReport,
)
from rolecall.pipeline.models import Application, ApplicationTransition
from rolecall.platform.auth import Principal
from rolecall.platform.errors import Unprocessable

# The organisation-wide funnel's steps: every stage type but "rejected", which is an outcome.
FUNNEL_TYPES = ("applied", "screen", "assessment", "interview", "offer", "hired")
ENDED = frozenset({"rejected", "withdrawn"})
_HOUR, _DAY = 3600.0, 86400.0
# Column lists in the order of the Trail and Move fields, so rows unpack straight into them.
_TRAIL_COLUMNS = (
    Application.id,
    Application.job_id,
    Application.stage,
    Application.stage_type,
    Application.status,
    Application.source,
    Application.reject_reason,
    Application.created_at,
)
_MOVE_COLUMNS = (
    ApplicationTransition.action,
    ApplicationTransition.from_stage,
    ApplicationTransition.from_type,
    ApplicationTransition.to_stage,
    ApplicationTransition.to_type,
    ApplicationTransition.status,
    ApplicationTransition.reason,
    ApplicationTransition.at,
)


@dataclass(frozen=True)
class Move:
    action: str
    from_stage: str | None
    from_type: str | None
    to_stage: str
    to_type: str
    status: str
    reason: str | None
    at: datetime


@dataclass
class Trail:
    """One application as analytics sees it: where it is now and every move it made, oldest first."""

    id: uuid.UUID
    job_id: uuid.UUID
    stage: str
    stage_type: str
    status: str
    source: str
    reject_reason: str | None
    created_at: datetime
    moves: list[Move] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """One step of a funnel: a job's stage (key = name) or a stage type (key = type)."""

    key: str
    type: str


# Maps a (stage name, stage type) pair to the funnel step it belongs to, or None if it is none.
KeyOf = Callable[[str, str], str | None]


# --- statistics -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile with linear interpolation between closest ranks (SQL ``percentile_cont``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _scaled(value: float | None, unit: float) -> float | None:
    return None if value is None else round(value / unit, 2)


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


# --- per-application facts -------------------------------------------------------------------


def _counts_as_entered(trail: Trail, to_type: str) -> bool:
    """A hired stage counts only while the application is hired: a reverted hire did not happen."""
    if to_type == "rejected":
        return False
    return to_type != "hired" or trail.status == "hired"


def entered_keys(trail: Trail, key_of: KeyOf) -> set[str]:
    keys = {key_of(m.to_stage, m.to_type) for m in trail.moves if _counts_as_entered(trail, m.to_type)}
    if _counts_as_entered(trail, trail.stage_type):
        keys.add(key_of(trail.stage, trail.stage_type))
    return {key for key in keys if key is not None}


def ended_in(trail: Trail, key_of: KeyOf) -> str | None:
    """The step a rejected or withdrawn application was in when it ended (None if still going)."""
    if trail.status not in ENDED:
        return None
    for move in reversed(trail.moves):
        if move.status == trail.status:
            if move.from_stage is not None and move.from_type not in (None, "rejected"):
                return key_of(move.from_stage, move.from_type)
            return key_of(move.to_stage, move.to_type)
    return key_of(trail.stage, trail.stage_type)


def stays(trail: Trail, key_of: KeyOf) -> tuple[list[tuple[str, float]], str | None]:
    """Completed stays as (step, active seconds), and the step of a stay still open, if any.

    Consecutive moves within one step (e.g. a reject and an un-reject in place, or two interview
    stages on the organisation's by-type funnel) are one stay; only active time counts.
    """
    done: list[tuple[str, float]] = []
    current: str | None = None
    seconds = 0.0
    active_since: datetime | None = None
    for index, move in enumerate(trail.moves):
        key = key_of(move.to_stage, move.to_type)
        if index == 0 or key != current:
            if current is not None:
                if active_since is not None:
                    seconds += (move.at - active_since).total_seconds()
                done.append((current, seconds))
            current, seconds = key, 0.0
            active_since = move.at if move.status == "active" else None
        elif active_since is not None and move.status != "active":
            seconds += (move.at - active_since).total_seconds()
            active_since = None
        elif active_since is None and move.status == "active":
            active_since = move.at
    if current is not None and active_since is not None:
        return done, current
    if current is not None and trail.status in ENDED:
        done.append((current, seconds))  # ended in place: the stay is over
    return done, None


def hire_seconds(trail: Trail) -> float | None:
    if trail.status != "hired":
        return None
    applied = next((m.at for m in trail.moves if m.action == "applied"), trail.created_at)
    hired = [m.at for m in trail.moves if m.to_type == "hired" and m.status == "hired"]
    return (hired[-1] - applied).total_seconds() if hired else None


# --- reports ------------------------------------------------------------------------------------


def _time_in_stage(durations: list[float], in_progress: int) -> TimeInStage:
    return TimeInStage(
        completed=len(durations),
        in_progress=in_progress,
        median_hours=_scaled(percentile(durations, 0.5), _HOUR),
        p90_hours=_scaled(percentile(durations, 0.9), _HOUR),
    )


def time_to_hire(trails: Iterable[Trail]) -> TimeToHire:
    durations = [s for s in map(hire_seconds, trails) if s is not None]
    return TimeToHire(
        hires=len(durations),
        median_days=_scaled(percentile(durations, 0.5), _DAY),
        p90_days=_scaled(percentile(durations, 0.9), _DAY),
    )


def funnel(
    trails: list[Trail], steps: list[Step], key_of: KeyOf, period: Period, job_id: uuid.UUID | None
) -> Funnel:
    rank = {step.key: index for index, step in enumerate(steps)}
    timed = {step.key for step in steps if step.type != "hired"}  # nobody "leaves" hired
    entered: Counter[str] = Counter()
    furthest: Counter[int] = Counter()
    current: Counter[str] = Counter()
    ended: dict[str, Counter[str]] = {"rejected": Counter(), "withdrawn": Counter()}
    reasons: Counter[str] = Counter()
    durations: dict[str, list[float]] = defaultdict(list)
    open_stays: Counter[str] = Counter()
    for trail in trails:
        keys = entered_keys(trail, key_of) & rank.keys()
        entered.update(keys)
        if keys:
            furthest[max(rank[key] for key in keys)] += 1
        if trail.status in ("active", "hired"):
            current[key_of(trail.stage, trail.stage_type) or ""] += 1
        elif (left := ended_in(trail, key_of)) is not None:
            ended[trail.status][left] += 1
        if trail.status == "rejected":
            reasons[trail.reject_reason or "unspecified"] += 1
        completed, still_in = stays(trail, key_of)
        for key, seconds in completed:
            if key in timed:
                durations[key].append(seconds)
        if still_in in timed:
            open_stays[still_in] += 1
    reached = [sum(furthest[r] for r in range(index, len(steps))) for index in range(len(steps))]
    stages = [
        FunnelStage(
            name=step.key,
            type=step.type,
            entered=entered[step.key],
            reached=reached[index],
            current=current[step.key],
            conversion_to_next=_ratio(reached[index + 1], reached[index]) if index + 1 < len(steps) else None,
            rejected=ended["rejected"][step.key],
            withdrawn=ended["withdrawn"][step.key],
            time_in_stage=_time_in_stage(durations[step.key], open_stays[step.key]),
        )
        for index, step in enumerate(steps)
    ]
    return Funnel(
        job_id=job_id,
        period=period,
        applications=len(trails),
        stages=stages,
        reject_reasons=[ReasonCount(reason=r, count=n) for r, n in sorted(reasons.items(), key=_by_count)],
        time_to_hire=time_to_hire(trails),
    )


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _by_type(_stage: str, stage_type: str) -> str | None:
    return stage_type if stage_type in FUNNEL_TYPES else None


def sources(trails: list[Trail], period: Period, job_id: uuid.UUID | None) -> SourceReport:
    rank = {stage_type: index for index, stage_type in enumerate(FUNNEL_TYPES)}
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    for trail in trails:
        keys = entered_keys(trail, _by_type)
        best = max((rank[key] for key in keys), default=0)
        row = rows[trail.source]
        row["applications"] += 1
        for stage_type in ("screen", "interview", "offer"):
            row[stage_type] += best >= rank[stage_type]
        row["hired"] += trail.status == "hired"
    return SourceReport(
        period=period,
        job_id=job_id,
        sources=[
            SourceRow(
                source=source,
                applications=row["applications"],
                reached_screen=row["screen"],
                reached_interview=row["interview"],
                reached_offer=row["offer"],
                hired=row["hired"],
                hire_rate=round(row["hired"] / row["applications"], 4),
            )
            for source, row in sorted(rows.items(), key=lambda item: (-item[1]["applications"], item[0]))
        ],
    )


# --- loading ------------------------------------------------------------------------------------


def period_of(start: date | None, end: date | None) -> Period:
    """The report window, refused (422) if it ends before it starts."""
    period = Period(from_=start, to=end)
    _window(period)
    return period


def _window(period: Period) -> tuple[datetime | None, datetime | None]:
    """Inclusive UTC days as a half-open datetime range on ``created_at``."""
    if period.from_ and period.to and period.to < period.from_:
        raise Unprocessable(
            "The period ends before it starts.",
            extra={"errors": [{"field": "to", "message": "must not be before 'from'"}]},
        )
    start = datetime.combine(period.from_, time(), UTC) if period.from_ else None
    # The last representable day has no next day to end before: it means "no end".
    end = (
        datetime.combine(period.to + timedelta(days=1), time(), UTC)
        if period.to and period.to < date.max
        else None
    )
    return start, end


async def load_trails(
    session: AsyncSession, principal: Principal, period: Period, job_id: uuid.UUID | None = None
) -> list[Trail]:
    """The applications created in the period (of one job, if given), each with its transitions.

    An unknown job (or another organisation's) is a 404 rather than an empty report, so a typo in
    an id is not mistaken for a job nobody applied to.
    """
    if job_id is not None:
        await jobs.get_job(session, principal, job_id)
    start, end = _window(period)
    scope = select(Application.id).where(Application.merged_into_id.is_(None))
    if job_id is not None:
        scope = scope.where(Application.job_id == job_id)
    if start is not None:
        scope = scope.where(Application.created_at >= start)
    if end is not None:
        scope = scope.where(Application.created_at < end)
    apps = select(*_TRAIL_COLUMNS).where(Application.id.in_(scope))
    trails = {row.id: Trail(*row) for row in await session.execute(apps)}
    moves = select(ApplicationTransition.application_id, *_MOVE_COLUMNS).where(
        ApplicationTransition.application_id.in_(scope)
    )
    if job_id is not None:
        moves = moves.where(ApplicationTransition.job_id == job_id)
    order = (ApplicationTransition.application_id, ApplicationTransition.at, ApplicationTransition.id)
    for row in await session.execute(moves.order_by(*order)):
        trail = trails.get(row.application_id)
        if trail is not None:
            trail.moves.append(Move(*row[1:]))
    return list(trails.values())


async def job_funnel(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID, period: Period
) -> Funnel:
    """The funnel over one job's stages in the job's order (NotFound for an unknown job)."""
    job = await jobs.get_job(session, principal, job_id)
    steps = [Step(str(s["name"]), str(s["type"])) for s in job.stages if s["type"] != "rejected"]
    names = {step.key for step in steps}

    def by_name(stage: str, _stage_type: str) -> str | None:
        return stage if stage in names else None

    report = funnel(await load_trails(session, principal, period, job_id), steps, by_name, period, job_id)
    return report.model_copy(update={"job_title": job.title})


async def organisation_funnel(
    session: AsyncSession, principal: Principal, period: Period, job_id: uuid.UUID | None = None
) -> Funnel:
    """The funnel over stage types, across every job (or one job, by type)."""
    steps = [Step(stage_type, stage_type) for stage_type in FUNNEL_TYPES]
    report = funnel(await load_trails(session, principal, period, job_id), steps, _by_type, period, job_id)
    return report.model_copy(update={"job_title": await _title(session, principal, job_id)})


async def _title(session: AsyncSession, principal: Principal, job_id: uuid.UUID | None) -> str | None:
    if job_id is None:
        return None
    return (await jobs.job_titles(session, principal, [job_id])).get(job_id)


async def time_to_hire_report(
    session: AsyncSession, principal: Principal, period: Period, job_id: uuid.UUID | None = None
) -> TimeToHireReport:
    trails = await load_trails(session, principal, period, job_id)
    per_job: dict[uuid.UUID, list[Trail]] = defaultdict(list)
    for trail in trails:
        per_job[trail.job_id].append(trail)
    titles = await jobs.job_titles(session, principal, per_job)  # one batched lookup for every row
    rows = [
        JobTimeToHire(job_id=job, job_title=titles.get(job), **time_to_hire(group).model_dump())
        for job, group in per_job.items()
    ]
    overall = time_to_hire(trails)
    return TimeToHireReport(
        **overall.model_dump(),
        period=period,
        jobs=sorted((row for row in rows if row.hires), key=lambda row: (-row.hires, str(row.job_id))),
    )


async def source_report(
    session: AsyncSession, principal: Principal, period: Period, job_id: uuid.UUID | None = None
) -> SourceReport:
    report = sources(await load_trails(session, principal, period, job_id), period, job_id)
    return report.model_copy(update={"job_title": await _title(session, principal, job_id)})
