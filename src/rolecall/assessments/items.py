"""Assessment item documents: the six question types, validated strictly, and what a candidate sees.

One format serves the YAML bank files, the API and the JSON stored per item version, so the three
can never disagree. Documents are strict like role profiles: unknown fields, wrong types and
out-of-range values are refused, and every refusal names its field (``answer``, ``options``,
``datasets``), cross-field checks included, because a person fixing a bank file needs to know
where to look.

The skill is written as free text and resolved with the skills taxonomy into ``skill_id``. A stored
document carries both; when ``skill_id`` is present it must agree with the taxonomy, so stored
content cannot drift from the canonical mapping (the same rule as a profile's skills).

:func:`candidate_view` is the only way an item reaches a candidate: it copies what the question
needs and nothing else, so an answer key, a rubric or a hidden SQL dataset cannot leak by a field
being forgotten in some page.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from rolecall.assessments import sandbox
from rolecall.roles.library.schema import Level
from rolecall.roles.taxonomy import default_taxonomy

ItemType = Literal["single_choice", "multiple_choice", "numeric", "ordering", "short_text", "sql"]
ITEM_TYPES: tuple[ItemType, ...] = get_args(ItemType)

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
SkillName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Difficulty = Annotated[int, Field(ge=1, le=5)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=50_000)]
Query = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


def _problems(title: str, problems: Sequence[tuple[str, str, object]]) -> ValidationError:
    """One validation error listing every ``(field, message, input)``: pydantic locates errors raised
    by a model validator at the model itself, and a cross-field problem still belongs to a field."""
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type=PydanticCustomError("value_error", "{reason}", {"reason": message}),
                loc=(field,),
                input=value,
            )
            for field, message, value in problems
        ],
    )


def _duplicates(values: Sequence[str]) -> list[str]:
    """Values repeated after case folding (``"Yes"`` and ``"yes"`` are the same option to a reader)."""
    seen: set[str] = set()
    dupes: list[str] = []
    for value in values:
        folded = value.casefold()
        if folded in seen and value not in dupes:
            dupes.append(value)
        seen.add(folded)
    return dupes


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Item(_Document):
    """The fields every item has. Subclasses narrow ``type`` and add their own fields."""

    key: Key
    skill: SkillName
    level: Level
    difficulty: Difficulty
    type: ItemType
    prompt: Prompt
    explanation: Note | None = None
    skill_id: str = ""

    @field_validator("skill")
    @classmethod
    def _known_skill(cls, value: str) -> str:
        if default_taxonomy().normalise(value) is None:
            raise ValueError(f"skill {value!r} is not in the skills taxonomy")
        return value

    @model_validator(mode="after")
    def _resolve_skill(self) -> _Item:
        skill = default_taxonomy().normalise(self.skill)
        assert skill is not None  # _known_skill ran first
        if self.skill_id and self.skill_id != skill.id:
            raise _problems(
                type(self).__name__,
                [
                    (
                        "skill_id",
                        f"skill {self.skill!r} resolves to {skill.id!r}, not the stated skill_id "
                        f"{self.skill_id!r}",
                        self.skill_id,
                    )
                ],
            )
        self.skill_id = skill.id
        return self


class SingleChoice(_Item):
    type: Literal["single_choice"]
    options: list[Option] = Field(min_length=2, max_length=8)
    answer: int

    @model_validator(mode="after")
    def _consistent(self) -> SingleChoice:
        problems: list[tuple[str, str, object]] = []
        if dupes := _duplicates(self.options):
            problems.append(("options", f"options must differ: {dupes[0]!r} appears twice", dupes[0]))
        if not 0 <= self.answer < len(self.options):
            problems.append(
                ("answer", f"must be an index of options (0 to {len(self.options) - 1})", self.answer)
            )
        if problems:
            raise _problems("SingleChoice", problems)
        return self


class MultipleChoice(_Item):
    """Several right options. Not all of them: a candidate who ticks everything must not score."""

    type: Literal["multiple_choice"]
    options: list[Option] = Field(min_length=3, max_length=8)
    answers: list[int] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> MultipleChoice:
        problems: list[tuple[str, str, object]] = []
        count = len(self.options)
        if dupes := _duplicates(self.options):
            problems.append(("options", f"options must differ: {dupes[0]!r} appears twice", dupes[0]))
        if len(set(self.answers)) != len(self.answers):
            problems.append(("answers", "each answer index may appear once", self.answers))
        outside = [a for a in self.answers if not 0 <= a < count]
        if outside:
            problems.append(
                ("answers", f"{outside[0]} is not an index of options (0 to {count - 1})", self.answers)
            )
        elif len(set(self.answers)) >= count:
            problems.append(("answers", "must leave at least one option wrong", self.answers))
        if problems:
            raise _problems("MultipleChoice", problems)
        return self


class Numeric(_Item):
    """A number, right within an absolute tolerance (``0`` asks for the exact value)."""

    type: Literal["numeric"]
    answer: Finite
    tolerance: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    unit: Unit | None = None


class Ordering(_Item):
    """Options written in the right order; candidates see them shuffled and put them back."""

    type: Literal["ordering"]
    options: list[Option] = Field(min_length=3, max_length=8)

    @field_validator("options")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if dupes := _duplicates(value):
            raise ValueError(f"options must differ: {dupes[0]!r} appears twice")
        return value


class Criterion(_Document):
    criterion: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    points: int = Field(ge=1, le=10)


class ShortText(_Item):
    """Free text that a person marks against the rubric; never scored automatically."""

    type: Literal["short_text"]
    rubric: list[Criterion] = Field(min_length=1, max_length=8)
    model_answer: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)] | None
    ) = None
    max_length: int = Field(default=2000, ge=1, le=10_000)

    @field_validator("rubric")
    @classmethod
    def _distinct(cls, value: list[Criterion]) -> list[Criterion]:
        if dupes := _duplicates([c.criterion for c in value]):
            raise ValueError(f"criteria must differ: {dupes[0]!r} appears twice")
        return value

    @property
    def total_points(self) -> int:
        return sum(c.points for c in self.rubric)


class Dataset(_Document):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    sql: Code


@functools.lru_cache(maxsize=512)
def _sql_problems(schema: str, datasets: tuple[tuple[str, str], ...], solution: str) -> tuple[str, ...]:
    """The sandbox's verdict on an item, remembered: stored items are parsed again on every page that
    shows them, and running the solution against each dataset every time would be wasted work."""
    return tuple(sandbox.check_item(schema, list(datasets), solution))


class Sql(_Item):
    """A query against a schema, scored by its result on datasets the candidate never sees."""

    type: Literal["sql"]
    schema_: Code = Field(alias="schema")
    datasets: list[Dataset] = Field(min_length=2, max_length=10)
    solution: Query
    ordered: bool = False
    example_rows: Annotated[str, StringConstraints(min_length=1, max_length=4000)] | None = None

    # "schema" would shadow a BaseModel attribute; the document and every dump still say "schema".
    model_config = ConfigDict(serialize_by_alias=True)

    @field_validator("datasets")
    @classmethod
    def _distinct(cls, value: list[Dataset]) -> list[Dataset]:
        if dupes := _duplicates([d.name for d in value]):
            raise ValueError(f"dataset names must differ: {dupes[0]!r} appears twice")
        return value

    @property
    def dataset_pairs(self) -> list[tuple[str, str]]:
        return [(d.name, d.sql) for d in self.datasets]

    @model_validator(mode="after")
    def _runs(self, info: ValidationInfo) -> Sql:
        if isinstance(info.context, dict) and info.context.get("check_sql") is False:
            return self
        problems = _sql_problems(self.schema_, tuple(self.dataset_pairs), self.solution)
        if problems:
            raise _problems("Sql", [("solution", problem, self.solution) for problem in problems])
        return self


ItemContent = Annotated[
    SingleChoice | MultipleChoice | Numeric | Ordering | ShortText | Sql, Field(discriminator="type")
]
ItemDocument = ItemContent  # the name the bank file format uses

MODELS: dict[str, type[_Item]] = {
    "single_choice": SingleChoice,
    "multiple_choice": MultipleChoice,
    "numeric": Numeric,
    "ordering": Ordering,
    "short_text": ShortText,
    "sql": Sql,
}


class _TypeOnly(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    type: ItemType


def parse_item(document: object, *, check_sql: bool = True) -> ItemContent:
    """Validate one item document; ``ValidationError`` with each problem located at its field.

    The type is read first and the matching model validates the rest, so error locations are
    plain field paths (``options.2``) rather than prefixed with the union member.

    ``check_sql=False`` skips running an SQL item's solution in the sandbox. Only for content that
    was validated when it was stored (an item version): it saves a sandbox process on every page
    that shows the item, and a stored version must stay readable whatever the sandbox says later.
    """
    kind = _TypeOnly.model_validate(document).type
    item = MODELS[kind].model_validate(document, context={"check_sql": check_sql})
    assert isinstance(item, SingleChoice | MultipleChoice | Numeric | Ordering | ShortText | Sql)
    return item


def skill_id_of(text: str) -> str | None:
    """The taxonomy id for a skill id or free-text name (``"Postgres"`` → ``postgresql``)."""
    taxonomy = default_taxonomy()
    if taxonomy.get(text) is not None:
        return text
    skill = taxonomy.normalise(text)
    return skill.id if skill is not None else None


def display_order(count: int, seed: int) -> list[int]:
    """A seeded shuffle of ``range(count)``: the same seed gives the same order on every reload."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    return order


def candidate_view(content: ItemContent, seed: int) -> dict[str, Any]:
    """What a candidate may see of an item: the question and the means to answer it, nothing else.

    Choice and ordering options come in a seeded shuffle. ``option_indexes`` gives, for each option
    shown, its index as stored, which is what answers refer to (the page maps its display back).
    An ordering item is never shown already in the right order.
    """
    view: dict[str, Any] = {"type": content.type, "prompt": content.prompt}
    if isinstance(content, SingleChoice | MultipleChoice | Ordering):
        order = display_order(len(content.options), seed)
        if isinstance(content, Ordering) and order == sorted(order):
            order = order[1:] + order[:1]
        view["options"] = [content.options[i] for i in order]
        view["option_indexes"] = order
    elif isinstance(content, Numeric):
        view["unit"] = content.unit
    elif isinstance(content, ShortText):
        view["max_length"] = content.max_length
    elif isinstance(content, Sql):
        view["schema"] = content.schema_
        view["example_rows"] = content.example_rows
        view["ordered"] = content.ordered
    return view
