"""The vendored front-end files are exactly the ones VENDORED.md records, each with its licence beside it."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

VENDOR = Path(__file__).resolve().parents[2] / "src" / "rolecall" / "web" / "static" / "vendor"
RECORD = VENDOR / "VENDORED.md"
# A row of the first table: | `file` | `package` | version | licence | `licence file` | `sha256` |
_ROW = re.compile(
    r"^\|\s*`(?P<file>[^`]+)`\s*\|\s*`(?P<package>[^`]+)`\s*\|\s*(?P<version>\d+\.\d+\.\d+)\s*\|"
    r"\s*(?P<licence>[^|]+?)\s*\|\s*`(?P<licence_file>[^`]+)`\s*\|\s*`(?P<sha256>[0-9a-f]{64})`\s*\|\s*$",
    re.MULTILINE,
)
RECORDS = {match["file"]: match.groupdict() for match in _ROW.finditer(RECORD.read_text(encoding="utf-8"))}
# Builds that carry no version banner (Swagger UI's stylesheet): the recorded sha256 pins them.
UNVERSIONED = {"swagger-ui.css"}
LIBRARIES = sorted(p.name for p in VENDOR.iterdir() if p.suffix in (".js", ".css"))


def test_every_vendored_file_is_recorded_and_every_record_has_its_file() -> None:
    assert LIBRARIES, f"no vendored files in {VENDOR}"
    assert sorted(RECORDS) == LIBRARIES


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_vendored_file_has_the_recorded_sha256(name: str) -> None:
    digest = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()

    assert digest == RECORDS[name]["sha256"], (
        f"{name} changed: record its new version and sha256 ({digest}) in {RECORD.name}"
    )


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_vendored_file_has_its_licence_beside_it(name: str) -> None:
    record = RECORDS[name]
    licence = VENDOR / record["licence_file"]

    assert licence.is_file(), f"{name} has no licence file {licence.name}"
    assert licence.stem == Path(name).name.split(".")[0]
    text = licence.read_text(encoding="utf-8")
    expected = {"MIT": "MIT License", "0BSD": "Zero-Clause BSD", "Apache-2.0": "Apache License"}[
        record["licence"]
    ]
    assert expected in text


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_vendored_file_names_the_recorded_version(name: str) -> None:
    """Each build names its own version (htmx ``version:"2.0.11"``, a banner in the others)."""
    if name in UNVERSIONED:
        pytest.skip(f"{name} names no version; its sha256 pins it")
    text = (VENDOR / name).read_text(encoding="utf-8")
    version = re.escape(RECORDS[name]["version"])

    assert re.search(rf"(?<![\d.]){version}(?![\d.])", text), f"{name} does not name version {version}"
