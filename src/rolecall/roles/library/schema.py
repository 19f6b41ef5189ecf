"""The role profile document: one JSON file per role family, validated on load.

A profile describes a role family (say, back-end engineering) across the levels it is hired at.
Documents are strict: unknown fields, wrong types and out-of-range values are rejected with a
message that names the offending field. Checks that need more than one document (career-path
references) live in :mod:`rolecall.roles.library.loader`, not here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from rolecall.platform import iso
from rolecall.roles.taxonomy import default_taxonomy

Level = Literal["junior", "mid", "senior", "lead", "principal"]
LEVEL_ORDER: tuple[Level, ...] = get_args(Level)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
CategoryKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
# Names shown as a job's title or department; they must fit the columns and headings that hold them.
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
SocCode = Annotated[str, StringConstraints(pattern=r"^\d{2}-\d{4}\.\d{2}$")]
CurrencyCode = iso.CurrencyCode  # ISO 4217, checked against pycountry's table
Proficiency = Annotated[int, Field(ge=1, le=5)]
NonNegative = Annotated[int, Field(ge=0, le=1000)]
Amount = Annotated[int, Field(gt=0)]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _unique(values: list[str], what: str) -> None:
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise ValueError(f"duplicate {what}: {', '.join(repr(d) for d in dupes)}")


class IntRange(_Document):
    """An inclusive range of whole numbers (years, people)."""

    min: NonNegative
    max: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Responsibilities(_Document):
    primary: list[Text] = Field(min_length=1)
    secondary: list[Text] = []


class SkillRequirement(_Document):
    """A skill as the profile states it, plus the canonical taxonomy id it resolves to.

    ``skill_id`` may be omitted in the document; it is filled from the taxonomy. When present it
    must agree with the taxonomy, so a stored document cannot drift from the canonical mapping.
    An unresolvable name leaves ``skill_id`` empty here; the profile then rejects every such name
    in one error.
    """

    name: Text
    must_have: bool
    proficiency: dict[Level, Proficiency] = Field(min_length=1)
    skill_id: str | None = None

    @model_validator(mode="after")
    def _resolve(self) -> SkillRequirement:
        skill = default_taxonomy().normalise(self.name)
        if skill is None:
            if self.skill_id is not None:
                raise ValueError(f"skill {self.name!r} is not in the skills taxonomy")
            return self
        if self.skill_id is not None and self.skill_id != skill.id:
            raise ValueError(
                f"skill {self.name!r} resolves to {skill.id!r}, not the stated skill_id {self.skill_id!r}"
            )
        self.skill_id = skill.id
        return self


class Education(_Document):
    minimum: Text
    preferred: Text | None = None
    fields_of_study: list[Text] = []


class LevelSpec(_Document):
    """One rung of the profile's ladder: what changes at this level."""

    name: Level
    experience_years: IntRange
    scope: Text
    extra_responsibilities: list[Text] = []
    direct_reports: IntRange | None = None
    lead_experience_years: IntRange | None = None


class PathRef(_Document):
    """A reference to a level of a profile in the library (checked library-wide, not here)."""

    profile_id: Slug
    level: Level

    @property
    def key(self) -> tuple[str, Level]:
        return (self.profile_id, self.level)


class CareerPaths(_Document):
    entry_from: list[PathRef] = []
    advancement_to: list[PathRef] = []
    lateral_moves: list[PathRef] = []

    def refs(self) -> list[PathRef]:
        return [*self.entry_from, *self.advancement_to, *self.lateral_moves]


class SalaryBand(_Document):
    """Annual base salary in whole units of ``currency`` for one level in one location."""

    level: Level
    location: Text
    currency: CurrencyCode
    min: Amount
    max: Amount
    source: Text
    as_of: date

    @model_validator(mode="after")
    def _ordered(self) -> SalaryBand:
        if self.min > self.max:
            raise ValueError(f"salary min ({self.min}) must not exceed max ({self.max})")
        return self


class RoleProfile(_Document):
    id: Slug
    title: ShortText
    job_family: list[ShortText] = Field(min_length=1)
    soc_code: SocCode
    summary: Text
    responsibilities: Responsibilities
    hard_skills: list[SkillRequirement] = Field(min_length=1)
    soft_skills: list[SkillRequirement] = []
    education: Education
    experience_years: IntRange
    tools: dict[CategoryKey, list[Text]] = {}
    typical_team_size: IntRange
    interview_focus: list[Text] = []
    red_flags: list[Text] = []
    levels: list[LevelSpec] = Field(min_length=1)
    career_paths: dict[Level, CareerPaths] = {}
    salary_bands: list[SalaryBand] = []

    @property
    def level_names(self) -> list[Level]:
        return [lv.name for lv in self.levels]

    def level(self, name: str) -> LevelSpec | None:
        return next((lv for lv in self.levels if lv.name == name), None)

    @property
    def skills(self) -> list[SkillRequirement]:
        return [*self.hard_skills, *self.soft_skills]

    @model_validator(mode="after")
    def _consistent(self) -> RoleProfile:
        names = self.level_names
        _unique(list(names), "levels")
        if names != sorted(names, key=LEVEL_ORDER.index):
            raise ValueError(
                f"levels must be in ladder order ({' < '.join(LEVEL_ORDER)}), got {', '.join(names)}"
            )
        unknown = [s.name for s in self.skills if s.skill_id is None]
        if unknown:
            raise ValueError(
                "unknown skill names (not in the skills taxonomy): " + ", ".join(repr(n) for n in unknown)
            )
        _unique([s.skill_id for s in self.skills if s.skill_id], "skills (after normalisation)")
        have = set(names)
        for skill in self.skills:
            missing = [lv for lv in skill.proficiency if lv not in have]
            if missing:
                raise ValueError(
                    f"skill {skill.name!r} gives a proficiency for level(s) {', '.join(missing)} "
                    f"that profile {self.id!r} does not have (levels: {', '.join(names)})"
                )
        for where, levels in (
            ("career_paths", list(self.career_paths)),
            ("salary_bands", [b.level for b in self.salary_bands]),
        ):
            missing = sorted(set(levels) - have, key=LEVEL_ORDER.index)
            if missing:
                raise ValueError(
                    f"{where} mention level(s) {', '.join(missing)} that profile {self.id!r} does not have"
                )
        _unique([f"{b.level}/{b.location}/{b.currency}" for b in self.salary_bands], "salary bands")
        for category, items in self.tools.items():
            if not items:
                raise ValueError(f"tool category {category!r} is empty")
            _unique(items, f"tools in {category!r}")
        return self
