"""Career guides: a starter-library profile laid out for people reading it, not for a program.

A guide shows the profile's facts in words (proficiency "advanced", not "4"), joins the profile's
occupation code to the BLS OEWS wage benchmark and the O*NET title, and resolves career paths in
both directions through the same library graph as ``/v1/role-library/{id}/paths``. Everything here is
a pure function of packaged data: no database, no clock, so a guide can be cached publicly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from rolecall.roles import service, wages
from rolecall.roles.library.schema import LEVEL_ORDER, Level, RoleProfile, SkillRequirement
from rolecall.roles.schemas import PathStep, ProfileSummary

LEVEL_LABELS: Final[dict[str, str]] = {
    "junior": "Junior",
    "mid": "Mid-level",
    "senior": "Senior",
    "lead": "Lead",
    "principal": "Principal",
}
PROFICIENCY_WORDS: Final[dict[int, str]] = {
    1: "foundational",
    2: "working",
    3: "proficient",
    4: "advanced",
    5: "expert",
}
_TOOL_LABELS: Final[dict[str, str]] = {"ci_cd": "CI/CD", "on_call": "On-call", "ide": "IDE"}
_ACRONYMS: Final[dict[str, str]] = {"api": "API", "ml": "ML", "qa": "QA", "sql": "SQL", "ui": "UI"}

# BLS asks to be credited and to say that it cannot vouch for derived data; O*NET's CC BY 4.0 licence
# asks for its attribution and a note that we changed the data. Both as in docs/roles.md.
OEWS_CREDIT: Final = (
    "Wage data: U.S. Bureau of Labor Statistics, Occupational Employment and Wage Statistics (OEWS), "
    "May 2025. OEWS is a U.S. government work in the public domain. BLS.gov cannot vouch for the data "
    "or analyses derived from these data after the data have been retrieved from BLS.gov."
)
ONET_CREDIT: Final = (
    "This product includes information from the O*NET 29.2 Database by the U.S. Department of Labor, "
    "Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license. O*NET® is a "
    "trademark of USDOL/ETA. The Rolecall project has modified all or some of this information. "
    "USDOL/ETA has not approved, endorsed, or tested these modifications."
)

# Role families as a reader looks for them; a profile added to the library later lands in "Other roles"
# until it is placed here.
GROUPS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("Building products", ("backend-engineer", "frontend-engineer", "fullstack-engineer", "mobile-engineer")),
    (
        "Infrastructure, reliability and security",
        ("platform-engineer", "site-reliability-engineer", "security-engineer"),
    ),
    ("Data and machine learning", ("data-engineer", "ml-engineer")),
    ("Quality", ("qa-engineer",)),
    ("Leadership and architecture", ("engineering-manager", "software-architect")),
)


def level_label(level: str) -> str:
    return LEVEL_LABELS.get(level, level.capitalize())


def levels_text(levels: list[Level]) -> str:
    return ", ".join(level_label(level) for level in levels)


@dataclass(frozen=True)
class IndexEntry:
    id: str
    title: str
    family: str
    summary: str
    levels: str


@dataclass(frozen=True)
class IndexGroup:
    name: str
    entries: list[IndexEntry]


def _first_sentence(text: str) -> str:
    head, dot, _rest = text.partition(". ")
    return head + "." if dot else text


def index() -> list[IndexGroup]:
    """Every library profile, grouped by kind of work, each with a one-line summary."""
    summaries: dict[str, ProfileSummary] = {s.slug: s for s in service.library_summaries()}

    def entry(slug: str) -> IndexEntry:
        summary = summaries[slug]
        profile = service.library_profile(slug)
        family = " \u203a ".join(summary.job_family)
        return IndexEntry(
            slug, summary.title, family, _first_sentence(profile.summary), levels_text(summary.levels)
        )

    placed: set[str] = set()
    groups: list[IndexGroup] = []
    for name, ids in GROUPS:
        found = [entry(slug) for slug in ids if slug in summaries]
        placed.update(ids)
        if found:
            groups.append(IndexGroup(name, found))
    rest = [entry(slug) for slug in sorted(summaries) if slug not in placed]
    if rest:
        groups.append(IndexGroup("Other roles", rest))
    return groups


@dataclass(frozen=True)
class SkillRow:
    name: str
    requirement: str  # "Must have" / "Nice to have", in words
    cells: list[str]  # per level of the profile: "4 · advanced" or "Not expected"


def _skill_row(skill: SkillRequirement, levels: list[Level]) -> SkillRow:
    cells = []
    for level in levels:
        value = skill.proficiency.get(level)
        cells.append("Not expected" if value is None else f"{value} · {PROFICIENCY_WORDS[value]}")
    return SkillRow(skill.name, "Must have" if skill.must_have else "Nice to have", cells)


@dataclass(frozen=True)
class PathLink:
    title: str
    level: str
    href: str | None  # None when the step is not a library profile with a public guide


@dataclass(frozen=True)
class LevelGuide:
    name: str
    label: str
    scope: str
    experience: str
    lead_experience: str | None
    direct_reports: str | None
    extra_responsibilities: list[str]
    entry_from: list[PathLink]
    advancement_to: list[PathLink]
    lateral_moves: list[PathLink]


@dataclass(frozen=True)
class Band:
    level: str
    location: str
    range: str
    source: str
    as_of: str


@dataclass(frozen=True)
class Benchmark:
    occupation: str
    soc_code: str
    area: str
    percentiles: list[tuple[str, str]]  # ("10th percentile", "$82,460")
    employment: str | None
    period: str
    source: str


@dataclass(frozen=True)
class Guide:
    id: str
    title: str
    family: str
    summary: str
    occupation: str | None
    soc_code: str
    levels: list[LevelGuide]
    level_labels: list[str]
    primary: list[str]
    secondary: list[str]
    hard_skills: list[SkillRow]
    soft_skills: list[SkillRow]
    education_minimum: str
    education_preferred: str | None
    fields_of_study: list[str]
    experience: str
    team_size: str
    tools: list[tuple[str, str]]
    interview_focus: list[str]
    red_flags: list[str]
    bands: list[Band]
    benchmark: Benchmark | None
    cta_level: str
    credits: list[str] = field(default_factory=list)


def _span(low: int, high: int, unit: str) -> str:
    return f"{low} {unit}" if low == high else f"{low}\u2013{high} {unit}"


def _tool_label(key: str) -> str:
    if key in _TOOL_LABELS:
        return _TOOL_LABELS[key]
    words = [_ACRONYMS.get(word, word) for word in key.split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def _dollars(wage: wages.Wage | None) -> str:
    if wage is None:
        return "Not published"
    text = f"${wage.amount:,}"
    return f"at least {text}" if wage.top_coded else text


def _benchmark(profile: RoleProfile) -> Benchmark | None:
    found = wages.benchmark(profile.soc_code)
    if found is None:
        return None
    ranks = [(f"{rank}th percentile", _dollars(wage)) for rank, wage in found.percentiles.items()]
    return Benchmark(
        occupation=found.occupation_title,
        soc_code=found.soc_code,
        area="United States" if found.area.type == "national" else found.area.name,
        percentiles=ranks,
        employment=f"{found.employment:,}" if found.employment is not None else None,
        period=found.period,
        source=found.source,
    )


def _links(steps: list[PathStep], known: set[str]) -> list[PathLink]:
    return [
        PathLink(
            title=step.title,
            level=level_label(step.level),
            href=f"/roles/{step.profile}#level-{step.level}" if step.profile in known else None,
        )
        for step in steps
    ]


def guide(slug: str) -> Guide:
    """The career guide of one library profile; ``NotFound`` for an id the library does not have."""
    profile = service.library_profile(slug)
    known = {s.slug for s in service.library_summaries()}
    names = profile.level_names
    levels = []
    for spec in profile.levels:
        paths = service.library_paths(slug, spec.name)
        reports = spec.direct_reports
        lead = spec.lead_experience_years
        levels.append(
            LevelGuide(
                name=spec.name,
                label=level_label(spec.name),
                scope=spec.scope,
                experience=_span(spec.experience_years.min, spec.experience_years.max, "years"),
                lead_experience=_span(lead.min, lead.max, "years") if lead else None,
                direct_reports=_span(reports.min, reports.max, "people") if reports and reports.max else None,
                extra_responsibilities=list(spec.extra_responsibilities),
                entry_from=_links(paths.entry_from, known),
                advancement_to=_links(paths.advancement_to, known),
                lateral_moves=_links(paths.lateral_moves, known),
            )
        )
    occupation = wages.occupation(profile.soc_code)
    benchmark = _benchmark(profile)
    credits = [OEWS_CREDIT] if benchmark else []
    if occupation is not None:
        credits.append(ONET_CREDIT)
    return Guide(
        id=profile.id,
        title=profile.title,
        family=" \u203a ".join(profile.job_family),
        summary=profile.summary,
        occupation=occupation.title if occupation else None,
        soc_code=profile.soc_code,
        levels=levels,
        level_labels=[level_label(n) for n in names],
        primary=list(profile.responsibilities.primary),
        secondary=list(profile.responsibilities.secondary),
        hard_skills=[_skill_row(s, names) for s in profile.hard_skills],
        soft_skills=[_skill_row(s, names) for s in profile.soft_skills],
        education_minimum=profile.education.minimum,
        education_preferred=profile.education.preferred,
        fields_of_study=list(profile.education.fields_of_study),
        experience=_span(profile.experience_years.min, profile.experience_years.max, "years"),
        team_size=_span(profile.typical_team_size.min, profile.typical_team_size.max, "people"),
        tools=[(_tool_label(key), ", ".join(items)) for key, items in profile.tools.items()],
        interview_focus=list(profile.interview_focus),
        red_flags=list(profile.red_flags),
        bands=[
            Band(
                level=level_label(b.level),
                location=b.location,
                range=f"{b.currency} {b.min:,}\u2013{b.max:,} per year",
                source=b.source,
                as_of=b.as_of.isoformat(),
            )
            for b in sorted(profile.salary_bands, key=lambda b: LEVEL_ORDER.index(b.level))
        ],
        benchmark=benchmark,
        cta_level="senior" if "senior" in names else names[0],
        credits=credits,
    )
