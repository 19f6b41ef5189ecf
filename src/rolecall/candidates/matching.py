"""Match score: an explainable 0-100 score of a candidate against one level of a role profile.

:func:`score` is pure and deterministic: the same profile, level and evidence always give the same
:class:`MatchScore`, component for component. Every point of the total comes from a
:class:`Component` with a plain-English reason, so a recruiter sees why a candidate scored what
they did; the components' points add up exactly to the total.

**Budget.** 100 points: 80 for skills, 20 for experience. The profile's skills are what the level
is really about; years of experience are a weak proxy of ability, so they only tip the balance. A
level that asks for no skills at all (or, for evidence from a resume, no hard skills) gives the whole
100 to experience.

**Where the evidence comes from.** :class:`CandidateEvidence` says whether it was read from a resume
(``source="resume"``) or given per skill (``"stated"``, the default: ratings such as a
self-assessment). Proficiencies written in a resume next to a skill ("Kubernetes (expert)", "5 years
of Go"; see :mod:`rolecall.candidates.proficiency`) count as stated proficiencies either way. The
source changes how soft skills count, below.

**Skills (80 points).** Only skills the level asks for (those with a proficiency for that level)
count; anything else the candidate has is ignored, not a component. For evidence from a resume
that means the level's hard skills only (see soft skills below). The 80 points are shared out
by weight: a must-have weighs 3, a nice-to-have 1. A must-have is worth three nice-to-haves so a
candidate with every must-have and no nice-to-have (about 67% of the skill points for a back-end
lead) clearly outranks one with every nice-to-have and few must-haves. Per skill asked for:

* stated proficiency at or above the level's expectation: the skill's full weight
  (``matching_skill``). Proficiency above the expectation earns no bonus: the level asks for
  what it asks for, and a bonus would reward inflated self-assessments.
* stated proficiency below the expectation: a ``matching_skill`` component with the full weight
  and a negative ``proficiency_gap`` component for the shortfall, so the skill nets
  ``weight * stated / expected`` (proportionally less, and the gap is visible on its own).
* mentioned without a proficiency (a resume that states no level for it): half the weight
  (``matching_skill``). A mention proves familiarity, not depth; half is the neutral prior, as for
  unknown experience. A resume that states no levels at all therefore tops out at 40 + 20 = 60,
  however many skills it lists: listing every keyword earns no more than half of each.
* missing must-have: a ``missing_must_have`` component worth 0 points whose reason names the skill
  and the expected proficiency; the penalty is the weight it did not earn. There is no extra
  deduction on top, so the score stays a plain sum. A missing nice-to-have earns nothing and is
  not a component.

**Soft skills from a resume.** A resume can claim "leadership" or "teamwork" but cannot show it:
crediting the word would reward keyword stuffing, and calling it missing would punish people who
write plainly. So for evidence from a resume every soft skill the level asks for (the profile's
``soft_skills``, must-have or nice-to-have, mentioned or not) is a ``not_assessed`` component
worth 0 points whose reason is "<Skill> is not assessed from a resume.", never a
``missing_must_have``; it tells the recruiter what an interview has to find out. The 80 skill
points are then shared by the hard skills alone, so nobody is capped by skills no resume can prove.
Stated evidence scores soft skills like any other skill.

**Experience (20 points)**, against the level's ``experience_years`` range ``[min, max]``. The
years are the ones the candidate stated, or failing that the ones found in their resume (the reason
then says so):

* inside the range: 20.
* below it: ``20 * years / min``, proportionally less.
* above it: 20, no deduction. Years of experience correlate with age, and an automatic deduction
  for "too much experience" is an age proxy (and would hide senior people from a search).
  Whether someone is over-qualified is a recruiter's judgement; the reason says the candidate is
  above the range so they can make it.
* unknown: a neutral 10 (half).

**Rounding.** The total is the unrounded sum rounded half up to a whole number (clamped to 0-100).
Each component's points are then put in quarter-point steps by largest remainder: every value is
rounded down to a quarter, and the quarters still needed to reach the total go to the components
with the largest remainders (or are taken from those with the smallest ones). These adjustments
never turn a non-zero amount into zero or flip its sign, so a credit stays a credit and a gap a
gap; a credit under a quarter point that gets no extra quarter shows as 0, and evidence worth
under half a point in all gives a total of 0 with every component at 0. Quarters are exact in
binary floating point, so the points add up to exactly ``total`` in any order, with no drift.

**Order.** Components are sorted by kind (``matching_skill``, ``proficiency_gap``,
``missing_must_have``, ``not_assessed``, ``experience_fit``), then by size of contribution (largest
absolute points first), then by skill id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from rolecall.candidates.resumes import SkillMention
from rolecall.roles.library.schema import LevelSpec, RoleProfile, SkillRequirement

ComponentKind = Literal[
    "matching_skill", "missing_must_have", "proficiency_gap", "not_assessed", "experience_fit"
]
EvidenceSource = Literal["resume", "stated"]

SKILL_POINTS: Final = 80.0
EXPERIENCE_POINTS: Final = 20.0
MUST_HAVE_WEIGHT: Final = 3.0
NICE_TO_HAVE_WEIGHT: Final = 1.0
#: Share of a skill's weight earned by a mention without a stated proficiency.
MENTION_CREDIT: Final = 0.5
#: Share of the experience points earned when the years of experience are unknown.
UNKNOWN_EXPERIENCE_CREDIT: Final = 0.5
#: Points are multiples of this (exact in binary floating point).
STEP: Final = 0.25

_KIND_ORDER: Final[dict[str, int]] = {
    "matching_skill": 0,
    "proficiency_gap": 1,
    "missing_must_have": 2,
    "not_assessed": 3,
    "experience_fit": 4,
}

ProficiencyLevel = Annotated[int, Field(ge=1, le=5)]


class CandidateEvidence(BaseModel):
    """What is known about a candidate's skills and experience.

    ``skills`` maps canonical skill ids to a claimed or inferred proficiency (1-5), or ``None``
    when the skill is only mentioned. ``source`` says where the skills were read: from a resume
    (soft skills are then not assessed) or stated per skill. ``years_source`` says the same of
    ``years_experience``, so the experience reason can say the years were found in a resume.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    skills: dict[Annotated[str, Field(min_length=1)], ProficiencyLevel | None] = {}
    years_experience: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    source: EvidenceSource = "stated"
    years_source: EvidenceSource = "stated"


class Component(BaseModel):
    """One explained contribution to a match score."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ComponentKind
    skill_id: str | None = None
    skill: str | None = None
    points: float
    reason: str


class MatchScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    profile_id: str
    level: str
    total: Annotated[int, Field(ge=0, le=100)]
    components: list[Component]


def resume_evidence(
    skills: Mapping[str, int | None], *, stated_years: float | None, resume_years: float | None
) -> CandidateEvidence:
    """Evidence read from a resume: skill ids with the proficiency stated next to them (or ``None``).

    Years the candidate stated (in the application form) win over years found in the resume: the
    candidate answered that question on purpose, while the resume's figure is read by a heuristic.
    """
    if stated_years is None and resume_years is not None:
        return CandidateEvidence(
            skills=dict(skills), years_experience=resume_years, source="resume", years_source="resume"
        )
    return CandidateEvidence(skills=dict(skills), years_experience=stated_years, source="resume")


def evidence_from_resume(
    mentions: Sequence[SkillMention],
    years_experience: float | None = None,
    *,
    resume_years: float | None = None,
) -> CandidateEvidence:
    """Evidence from a parsed resume's skill mentions; ``years_experience`` is what the candidate
    stated, ``resume_years`` what :func:`rolecall.candidates.resumes.parse_resume` found."""
    return resume_evidence(
        {m.skill_id: m.proficiency for m in mentions},
        stated_years=years_experience,
        resume_years=resume_years,
    )


class _Raw:
    """A component before rounding: its unrounded points and what it says."""

    __slots__ = ("kind", "points", "reason", "skill", "skill_id")

    def __init__(
        self,
        kind: ComponentKind,
        points: float,
        reason: str,
        skill: SkillRequirement | None = None,
    ) -> None:
        self.kind = kind
        self.points = points
        self.reason = reason
        self.skill_id = skill.skill_id if skill else None
        self.skill = skill.name if skill else None


def _years(value: float) -> str:
    text = f"{value:g}"
    return f"{text} year" if text == "1" else f"{text} years"


def _skill_components(
    asked: list[tuple[SkillRequirement, int]], evidence: CandidateEvidence, budget: float
) -> list[_Raw]:
    total_weight = sum(MUST_HAVE_WEIGHT if s.must_have else NICE_TO_HAVE_WEIGHT for s, _ in asked)
    out: list[_Raw] = []
    for skill, expected in asked:
        weight = budget * (MUST_HAVE_WEIGHT if skill.must_have else NICE_TO_HAVE_WEIGHT) / total_weight
        kind_text = "must-have" if skill.must_have else "nice-to-have"
        assert skill.skill_id is not None  # the profile rejects unresolved skills
        if skill.skill_id not in evidence.skills:
            if skill.must_have:
                out.append(
                    _Raw(
                        "missing_must_have",
                        0.0,
                        f"Missing must-have skill {skill.name} (expected proficiency {expected} of 5).",
                        skill,
                    )
                )
            continue
        stated = evidence.skills[skill.skill_id]
        if stated is None:
            out.append(
                _Raw(
                    "matching_skill",
                    weight * MENTION_CREDIT,
                    f"Mentions {kind_text} skill {skill.name}, proficiency not stated "
                    f"(expected {expected} of 5): half credit.",
                    skill,
                )
            )
        elif stated >= expected:
            out.append(
                _Raw(
                    "matching_skill",
                    weight,
                    f"Has {kind_text} skill {skill.name} at proficiency {stated} of 5 "
                    f"(expected {expected} of 5): full credit.",
                    skill,
                )
            )
        else:
            out.append(
                _Raw(
                    "matching_skill",
                    weight,
                    f"Has {kind_text} skill {skill.name} at proficiency {stated} of 5 "
                    f"(expected {expected} of 5).",
                    skill,
                )
            )
            out.append(
                _Raw(
                    "proficiency_gap",
                    -weight * (expected - stated) / expected,
                    f"Proficiency gap in {skill.name}: {stated} of 5 stated, {expected} of 5 expected.",
                    skill,
                )
            )
    return out


def _not_assessed_components(skills: list[SkillRequirement]) -> list[_Raw]:
    return [
        _Raw("not_assessed", 0.0, f"{skill.name} is not assessed from a resume.", skill) for skill in skills
    ]


def _experience_component(spec: LevelSpec, evidence: CandidateEvidence, budget: float) -> _Raw:
    low, high = spec.experience_years.min, spec.experience_years.max
    span = f"the {spec.name} range of {low} to {high} years"
    years = evidence.years_experience
    if years is None:
        return _Raw(
            "experience_fit",
            budget * UNKNOWN_EXPERIENCE_CREDIT,
            f"Years of experience unknown: neutral half credit against {span}.",
        )
    found = " (found in the resume)" if evidence.years_source == "resume" else ""
    if years < low:
        return _Raw(
            "experience_fit",
            budget * years / low,
            f"{_years(years)} of experience{found} is below {span}: proportionally less credit.",
        )
    if years > high:
        return _Raw(
            "experience_fit",
            budget,
            f"{_years(years)} of experience{found} is above {span}: full credit, no deduction "
            "(check whether a higher level fits better).",
        )
    return _Raw(
        "experience_fit", budget, f"{_years(years)} of experience{found} is within {span}: full credit."
    )


def _sort_key(kind: str, points: float, skill_id: str | None) -> tuple[int, float, str]:
    return (_KIND_ORDER[kind], -abs(points), skill_id or "")


def _apportion(raws: list[_Raw]) -> tuple[int, list[int]]:
    """The whole-number total and each component's points in quarter steps (summing to it)."""
    unrounded = math.fsum(r.points for r in raws)
    total = min(100, max(0, math.floor(unrounded + 0.5)))
    scaled = [r.points / STEP for r in raws]
    steps = [math.floor(v) for v in scaled]
    frac = [v - s for v, s in zip(scaled, steps, strict=True)]
    missing = round(total / STEP) - sum(steps)
    nonzero = [i for i, r in enumerate(raws) if r.points != 0]
    while missing != 0:
        up = missing > 0
        # Never turn a non-zero contribution into zero or flip its sign.
        allowed = [i for i in nonzero if (steps[i] != -1 if up else steps[i] not in (0, 1))] or nonzero
        if not allowed:  # nothing to move: cannot happen while the total is a sum of components
            raise AssertionError("match score rounding found no component to adjust")
        order = sorted(allowed, key=lambda i: (-frac[i] if up else frac[i], i))
        for i in order[: abs(missing)]:
            steps[i] += 1 if up else -1
            missing += -1 if up else 1
    return total, steps


def score(profile: RoleProfile, level: str, evidence: CandidateEvidence) -> MatchScore:
    """Score ``evidence`` against ``level`` of ``profile``; see the module docstring for the rules.

    Raises :class:`ValueError` when the profile has no such level.
    """
    spec = profile.level(level)
    if spec is None:
        raise ValueError(
            f"profile {profile.id!r} has no level {level!r} (levels: {', '.join(profile.level_names)})"
        )
    asked = [(s, s.proficiency[spec.name]) for s in profile.skills if spec.name in s.proficiency]
    unassessed: list[SkillRequirement] = []
    if evidence.source == "resume":
        soft = {s.skill_id for s in profile.soft_skills}
        unassessed = [s for s, _ in asked if s.skill_id in soft]
        asked = [(s, expected) for s, expected in asked if s.skill_id not in soft]
    skill_budget = SKILL_POINTS if asked else 0.0
    experience_budget = 100.0 - skill_budget
    raws = _skill_components(asked, evidence, skill_budget) if asked else []
    raws.extend(_not_assessed_components(unassessed))
    raws.append(_experience_component(spec, evidence, experience_budget))
    raws.sort(key=lambda r: _sort_key(r.kind, r.points, r.skill_id))
    total, steps = _apportion(raws)
    components = [
        Component(kind=r.kind, skill_id=r.skill_id, skill=r.skill, points=n * STEP, reason=r.reason)
        for r, n in zip(raws, steps, strict=True)
    ]
    components.sort(key=lambda c: _sort_key(c.kind, c.points, c.skill_id))
    return MatchScore(profile_id=profile.id, level=spec.name, total=total, components=components)
