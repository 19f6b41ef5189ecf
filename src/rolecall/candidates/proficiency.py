"""What a resume says about depth: a proficiency stated next to a skill, and total years of experience.

:mod:`rolecall.candidates.resumes` finds *which* skills a text mentions; this module reads the few
words around one mention for a stated level, and the whole text for how long the person has worked.
Both are pure functions of text (and of "today", passed in), so they are tested without a database
and give the same answer every time.

**Proficiency words**, on the 1-5 scale role profiles use:

========================================  =====
Words                                     Level
========================================  =====
beginner, basic, novice, elementary       1
familiar, working (knowledge)             2
intermediate, good, competent             3
advanced, proficient, strong              4
expert                                    5
========================================  =====

**Years with a skill**: under 1 year is 1, 1-2 years 2, 3-4 years 3, 5-7 years 4, 8 or more 5 (a
fraction falls to the lower band: 2.5 years is 2). Months count as a fraction of a year; a range
("5-7 years") counts as its lower end; more than :data:`MAX_YEARS` is ignored as implausible.

**Adjacent only.** A claim attaches to a mention only when it touches it: in brackets right after it
("Kubernetes (expert)", "Go (3 yrs)", "Python (advanced, 5 years)"), as the whole phrase after a
colon or a spaced dash ("Python: proficient", "Go - advanced", "Go — 5 years"), or right before it
("basic SQL", "proficient in Python", "working knowledge of SQL", "7+ years with PostgreSQL",
"5 years of Go"), or as "for N years" right after it. The words must make up the whole bracket item
or dash phrase: "Kafka - advanced stream processing" and "(used by the expert team)" state nothing,
and "expert" anywhere else in the line is never used. "working" and "familiar" only count with
their usual companions ("working knowledge of", "familiar with"), because "working with Python"
and "working Python code" describe the work, not the person.

**One skill, many mentions.** An explicit word beats years ("Go (advanced, 9 years)" is 4, not 5):
the candidate chose the word, while years with a tool say little about depth. Between mentions the
highest claim wins: a skills list saying "Python (expert)" and a project line saying "basic Python
scripts" describe the person and one piece of work, and the match score gives no bonus above what
a level expects anyway.

**Total years of experience** (:func:`experience_years`) come from what the text says outright
("10 years of experience", "over 8 years in software", "Experience: 6+ years"; the largest such
figure, since each is a lower bound on a whole career), and failing that from the dated ranges of
the work history ("2015 - present", "03/2018 - 06/2021", "Jan 2019 to Dec 2022"; a hyphen, an en or
em dash, "to", "until" or "till" between the dates), merged so that overlapping jobs are not
counted twice. Month dates count whole months, both ends included; a year without a month stands
for the middle of that year (unbiased when the month is unknown), so "2015 - 2019" is four years.
"present", "current", "now" and "today" are today. Ranges under an education heading, or on a line
naming a degree or school, are not work. A range that starts or ends after today, and a range or a
total longer than :data:`MAX_YEARS`, are ignored.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

#: Proficiency words and the 1-5 level each states; see the module docstring.
LEVEL_WORDS: Final[dict[str, int]] = {
    "beginner": 1,
    "basic": 1,
    "novice": 1,
    "elementary": 1,
    "familiar": 2,
    "working": 2,
    "intermediate": 3,
    "good": 3,
    "competent": 3,
    "advanced": 4,
    "proficient": 4,
    "strong": 4,
    "expert": 5,
}
#: More years than this, with one skill or in total, is a typo or a joke, not evidence.
MAX_YEARS: Final = 50.0
#: How far before a mention a claim may start; the longest prefix form is about 60 characters.
_LOOK_BEHIND: Final = 80

_NUMBER_WORDS: Final[dict[str, int]] = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "  # noqa: SIM905
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_ANY_WORD = _alternatives(LEVEL_WORDS)
# "working Python code" and "familiar Python" are not claims; "strong Go" and "basic SQL" are.
_ADJECTIVE_WORD = _alternatives(w for w in LEVEL_WORDS if w not in {"working", "familiar"})
# "working with Python" is what someone did, not how well.
_PREPOSITION_WORD = _alternatives(w for w in LEVEL_WORDS if w != "working")
# Hyphen, en dash and em dash; straight and typographic apostrophes (as escapes, like resumes.py).
_DASH = "(?:-|\u2013|\u2014)"
_APOSTROPHE = "['\u2019]"
_INTENSIFIER = r"(?:(?:very|highly)\s+)?"
_NUMBER = r"\d{1,2}(?:[.,]\d{1,2})?|" + _alternatives(_NUMBER_WORDS)
_APPROXIMATELY = r"(?:(?:over|more\s+than|almost|nearly|about|around|approximately|approx\.?|circa|~)\s*)?"
_SPAN = (
    rf"{_APPROXIMATELY}(?P<n>{_NUMBER})(?:\s*(?:{_DASH}|to)\s*(?:{_NUMBER}))?\s*\+?\s*"
    r"(?:(?P<years>years?|yrs?|y)|(?P<months>months?|mos?))\.?"
)

# Whole items, in brackets or after a colon or dash: "expert", "expert level", "5+ yrs".
_LEVEL_ITEM = re.compile(
    rf"{_INTENSIFIER}(?P<word>{_ANY_WORD})(?:[\s-]+(?:level|user|knowledge|proficiency|skills?))?", re.I
)
_YEARS_ITEM = re.compile(rf"{_SPAN}(?:{_APOSTROPHE}?\s*(?:of\s+)?(?:experience|exp\.?))?", re.I)
_ITEM_SEPARATOR = re.compile(r"\s*(?:[,;/]|\band\b)\s*", re.I)

_BRACKETS_AFTER = re.compile(r"\s*\(([^()]{1,60})\)")
# A colon or a dash with space before it ("Python - expert"); "Python-expert" is one odd word.
_DASH_AFTER = re.compile(
    r"(?:\s*[:\u2013\u2014]|\s+-)\s*([^,;|()\[\]{}<>:]{1,40}?)\s*(?=$|[,;|()\[\]]|\.(?:\s|$))"
)
_FOR_YEARS_AFTER = re.compile(rf"\s+for\s+{_SPAN}(?![\w])", re.I)
# The skill matcher reads a number after a skill as its version ("Postgres 15"), so "Python - 2 years"
# arrives as the mention "Python - 2"; the number is given back when a unit of time follows it.
_TRAILING_NUMBER = re.compile(r"[\s:\u2013\u2014-]*\d{1,2}(?:[.,]\d{1,2})?$")
_UNIT_AHEAD = re.compile(r"\s*\+?\s*(?:years?|yrs?|y|months?|mos?)\b", re.I)

_ADJECTIVE_BEFORE = re.compile(rf"(?<![\w-]){_INTENSIFIER}(?P<word>{_ADJECTIVE_WORD})(?:-level)?\s+$", re.I)
_NOUN_BEFORE = re.compile(
    rf"(?<![\w-]){_INTENSIFIER}(?P<word>{_ANY_WORD})(?:[\s-]+level)?\s+"
    r"(?:knowledge|experience|skills?|understanding|command|proficiency|background|expertise)\s+"
    r"(?:of|in|with)\s+$",
    re.I,
)
_PREPOSITION_BEFORE = re.compile(
    rf"(?<![\w-]){_INTENSIFIER}(?P<word>{_PREPOSITION_WORD})\s+(?:in|with|at)\s+$", re.I
)
_YEARS_BEFORE = re.compile(
    rf"(?<![\w.,]){_SPAN}{_APOSTROPHE}?\s+(?:of\s+)?(?:(?:hands-on|professional|commercial|production)\s+)?"
    r"(?:experience\s+)?(?:(?:with|in|using|on|of)\s+)?$",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Claim:
    """What the words touching one skill mention state: a proficiency word, years, both or neither."""

    word: int | None = None
    years: float | None = None


def _number(text: str) -> float:
    text = text.lower()
    if text in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text])
    return float(text.replace(",", "."))


def _span_years(match: re.Match[str]) -> float | None:
    value = _number(match.group("n"))
    if match.group("months"):
        value /= 12
    return value if value <= MAX_YEARS else None


def _item_claim(items: Iterable[str]) -> Claim:
    """The first level word and the first span of years among whole items; anything else is skipped."""
    word: int | None = None
    years: float | None = None
    for item in items:
        if word is None and (level := _LEVEL_ITEM.fullmatch(item)):
            word = LEVEL_WORDS[level.group("word").lower()]
        elif years is None and (span := _YEARS_ITEM.fullmatch(item)):
            years = _span_years(span)
    return Claim(word, years)


def _split(text: str) -> list[str]:
    return [item for item in _ITEM_SEPARATOR.split(text.strip()) if item]


def claim_near(line: str, start: int, end: int) -> Claim:
    """The proficiency stated right next to the mention at ``line[start:end]``.

    Bracketed items after the mention count even if other items sit beside them ("Kubernetes (EKS,
    expert)"); the phrase after a colon or dash must be nothing but the claim. In front of the
    mention the claim must end exactly where the mention starts.
    """
    if _UNIT_AHEAD.match(line, end) and (number := _TRAILING_NUMBER.search(line, start, end)):
        end = number.start()
    after = Claim()
    if brackets := _BRACKETS_AFTER.match(line, end):
        after = _item_claim(_split(brackets.group(1)))
    elif dash := _DASH_AFTER.match(line, end):
        items = _split(dash.group(1))
        claim = _item_claim(items)
        # Every item must be a claim: "Python: Django, Flask" and "Go - advanced tooling" say nothing.
        if sum(1 for v in (claim.word, claim.years) if v is not None) == len(items):
            after = claim
    elif for_years := _FOR_YEARS_AFTER.match(line, end):
        after = Claim(years=_span_years(for_years))
    word, years = after.word, after.years
    # Every form in front ends in a space before the mention: "5 years of(Go" cannot be one.
    if not line[start - 1 : start].isspace():
        return Claim(word, years)
    lo = max(0, start - _LOOK_BEHIND)
    if word is None:
        for pattern in (_NOUN_BEFORE, _PREPOSITION_BEFORE, _ADJECTIVE_BEFORE):
            if level := pattern.search(line, lo, start):
                word = LEVEL_WORDS[level.group("word").lower()]
                break
    if years is None and (span := _YEARS_BEFORE.search(line, lo, start)):
        years = _span_years(span)
    return Claim(word, years)


def years_to_proficiency(years: float) -> int:
    """Years with one skill on the 1-5 scale: <1 is 1, 1-2 is 2, 3-4 is 3, 5-7 is 4, 8+ is 5."""
    if years < 1:
        return 1
    if years < 3:
        return 2
    if years < 5:
        return 3
    if years < 8:
        return 4
    return 5


def proficiency_of(claims: Iterable[Claim]) -> int | None:
    """One skill's level from the claims next to each of its mentions; ``None`` if none states one.

    The highest explicit word wins; only when no mention has a word do years count (the most years).
    """
    claims = list(claims)
    words = [c.word for c in claims if c.word is not None]
    if words:
        return max(words)
    years = [c.years for c in claims if c.years is not None]
    return years_to_proficiency(max(years)) if years else None


# -- total years of experience ----------------------------------------------------------------

_STATED_TOTAL = (
    # "10 years of experience", "8+ years' professional experience", "5-7 years of industry experience"
    re.compile(
        rf"(?<![\w.,]){_SPAN}{_APOSTROPHE}?\s+(?:of\s+)?"
        r"(?:(?:professional|industry|work|working|hands-on|commercial|relevant|total|overall|"
        r"software|engineering|development|it)\s+){0,2}experience\b",
        re.I,
    ),
    # "over 8 years in software", "12 years in the industry", "6 years of software engineering"
    re.compile(
        rf"(?<![\w.,]){_SPAN}\s+(?:in|of)\s+(?:the\s+)?"
        r"(?:software|it|tech|technology|industry|engineering|development|programming)\b",
        re.I,
    ),
    # "Experience: 6+ years", "Total experience - 9 years"
    re.compile(rf"\bexperience\s*(?::|{_DASH})\s*{_SPAN}(?![\w])", re.I),
)

_MONTHS: Final[dict[str, int]] = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAME = _alternatives(_MONTHS)
_YEAR = r"(?:19|20)\d{2}"


def _date(tag: str) -> str:
    """One end of a range: "Jan 2019", "January 2019", "03/2018", "3.2018" or "2015"."""
    return (
        rf"(?:(?P<{tag}_name>{_MONTH_NAME})\.?\s+(?P<{tag}_ny>{_YEAR})"
        rf"|(?P<{tag}_num>0?[1-9]|1[0-2])\s*[/.]\s*(?P<{tag}_my>{_YEAR})"
        rf"|(?P<{tag}_y>{_YEAR}))"
    )


_RANGE = re.compile(
    rf"(?<![\w/.]){_date('a')}\s*(?:{_DASH}|\bto\b|\buntil\b|\btill\b)\s*"
    rf"(?:{_date('b')}|(?P<open>present|current|now|today))(?![\w/])",
    re.I,
)
# A heading that opens a part of the resume whose dates are not work, and one that reopens work.
_NOT_WORK_HEADING = re.compile(
    r"(?:academic\s+)?(?:education|qualifications?|degrees?|certifications?|courses|training|studies)"
    r"(?:\s+(?:and|&)\s+[\w ]+)?",
    re.I,
)
_WORK_HEADING = re.compile(
    r"(?:(?:professional|work|relevant|employment|career|industry)\s+)?"
    r"(?:experience|history|employment|career)(?:\s+(?:history|summary))?",
    re.I,
)
_STUDY_LINE = re.compile(
    r"\b(?:university|college|school|academy|institute\s+of|bachelor|master|b\.?sc|m\.?sc|ph\.?d|"
    r"mba|degree|diploma|graduated|student)\b",
    re.I,
)
_MAX_HEADING_WORDS = 5


@dataclass(frozen=True, slots=True)
class _When:
    """A point in time in months since year 0 (a float, so "the middle of a year" is exact)."""

    at: float
    #: The first month of the period the text names (the year for a year without a month).
    opens: float


def _end_point(match: re.Match[str], tag: str, *, start: bool) -> _When:
    if name := match.group(f"{tag}_name"):
        year, month = int(match.group(f"{tag}_ny")), _MONTHS[name.lower()]
    elif number := match.group(f"{tag}_num"):
        year, month = int(match.group(f"{tag}_my")), int(number)
    else:
        year = int(match.group(f"{tag}_y"))
        middle = year * 12 + 6.0
        return _When(middle, year * 12.0)
    first = year * 12 + month - 1.0
    return _When(first if start else first + 1, first)


def _today(today: date) -> float:
    days = calendar.monthrange(today.year, today.month)[1]
    return today.year * 12 + today.month - 1 + today.day / days


def _stated_total(text: str) -> float | None:
    found = [
        years
        for pattern in _STATED_TOTAL
        for match in pattern.finditer(text)
        if (years := _span_years(match)) is not None
    ]
    return max(found) if found else None


def _work_ranges(text: str, today: date) -> list[tuple[float, float]]:
    now = _today(today)
    ranges: list[tuple[float, float]] = []
    in_studies = False
    for line in text.splitlines():
        heading = line.strip().rstrip(":").strip()
        if heading and len(heading.split()) <= _MAX_HEADING_WORDS and not any(c.isdigit() for c in heading):
            if _NOT_WORK_HEADING.fullmatch(heading):
                in_studies = True
                continue
            if _WORK_HEADING.fullmatch(heading):
                in_studies = False
                continue
        if in_studies or _STUDY_LINE.search(line):
            continue
        for match in _RANGE.finditer(line):
            begin = _end_point(match, "a", start=True)
            if begin.opens > now:
                continue  # starts in the future: a plan, not experience
            if match.group("open"):
                finish = now
            else:
                end = _end_point(match, "b", start=False)
                if end.opens > now:
                    continue  # ends in the future: a typo or an expected date
                finish = min(end.at, now)
            if 0 < finish - begin.at <= MAX_YEARS * 12:
                ranges.append((begin.at, finish))
    return ranges


def _merged_months(ranges: list[tuple[float, float]]) -> float:
    total = 0.0
    current: tuple[float, float] | None = None
    for begin, finish in sorted(ranges):
        if current is None or begin > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = (begin, finish)
        else:
            current = (current[0], max(current[1], finish))
    if current is not None:
        total += current[1] - current[0]
    return total


def experience_years(text: str, today: date) -> float | None:
    """Total years of experience the text states or its work history spans; ``None`` if unknown.

    A stated figure wins over dates. The result is rounded to a tenth of a year; see the module
    docstring for the rules.
    """
    stated = _stated_total(text)
    if stated is not None:
        return round(stated, 1)
    months = _merged_months(_work_ranges(text, today))
    years = round(months / 12, 1)
    if years <= 0 or years > MAX_YEARS:
        return None
    return years
