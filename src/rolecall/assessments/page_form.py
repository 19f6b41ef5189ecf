"""The blueprint editor's form: a blueprint document as form fields, and posted fields back as a
document for the service to validate (the service's messages are then placed beside their rows).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from rolecall.assessments.items import ITEM_TYPES
from rolecall.roles.taxonomy import default_taxonomy


def text_value(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _int(raw: str) -> int | str:
    """A whole number as typed, or the text itself for the service's validation to name."""
    try:
        return int(raw)
    except ValueError:
        return raw


def number_value(raw: str) -> float | str:
    try:
        return float(raw)
    except ValueError:
        return raw


def blueprint_form(document: dict[str, Any]) -> dict[str, Any]:
    """The edit form's values for a stored blueprint document."""
    types = document.get("item_types")
    return {
        "title": document["title"],
        "time_limit_minutes": str(document["time_limit_minutes"]),
        "show_result": bool(document.get("show_result_to_candidate")),
        "item_types": set(types) if types else set(ITEM_TYPES),
        "skills": [
            {
                "skill_id": s["skill_id"],
                "name": s["name"],
                "proficiency": str(s["proficiency"]),
                "weight": f"{float(s['weight']):g}",
                "items": str(s["items"]),
                "remove": False,
            }
            for s in document["skills"]
        ],
        "new_skill": {"name": "", "weight": "", "items": "2", "proficiency": "3"},
    }


def posted_blueprint_form(form: FormData) -> dict[str, Any]:
    """The edit form's values as the person sent them (to show them again after a refusal)."""
    skills = []
    index = 0
    while f"skills.{index}.skill_id" in form:
        prefix = f"skills.{index}."
        skills.append(
            {
                "skill_id": text_value(form, prefix + "skill_id"),
                "name": text_value(form, prefix + "name"),
                "proficiency": text_value(form, prefix + "proficiency"),
                "weight": text_value(form, prefix + "weight"),
                "items": text_value(form, prefix + "items"),
                "remove": text_value(form, prefix + "remove") == "true",
            }
        )
        index += 1
    return {
        "title": text_value(form, "title"),
        "time_limit_minutes": text_value(form, "time_limit_minutes"),
        "show_result": text_value(form, "show_result_to_candidate") == "true",
        "item_types": {t for t in form.getlist("item_types") if isinstance(t, str)},
        "skills": skills,
        "new_skill": {
            k: text_value(form, f"new_skill.{k}") for k in ("name", "weight", "items", "proficiency")
        },
    }


def blueprint_body(
    values: dict[str, Any], current: dict[str, Any]
) -> tuple[dict[str, Any], dict[int, str], dict[str, str]]:
    """The blueprint document the API's PUT would receive, which form row each skill came from (to
    put the service's messages next to the right fields), and problems found before asking it."""
    errors: dict[str, str] = {}
    skills: list[dict[str, Any]] = []
    rows: dict[int, str] = {}
    for index, row in enumerate(values["skills"]):
        if row["remove"]:
            continue
        rows[len(skills)] = f"skills.{index}"
        skills.append(
            {
                "skill_id": row["skill_id"],
                "name": row["name"],
                "weight": number_value(row["weight"]),
                "items": _int(row["items"]),
                "proficiency": _int(row["proficiency"]),
            }
        )
    added = values["new_skill"]
    if added["name"]:
        skill = default_taxonomy().normalise(added["name"])
        if skill is None:
            errors["new_skill.name"] = "This skill is not in the skills taxonomy; try another name for it."
        else:
            rows[len(skills)] = "new_skill"
            skills.append(
                {
                    "skill_id": skill.id,
                    "name": skill.name,
                    "weight": number_value(added["weight"] or "1"),
                    "items": _int(added["items"] or "2"),
                    "proficiency": _int(added["proficiency"] or "3"),
                }
            )
    chosen = [t for t in ITEM_TYPES if t in values["item_types"]]
    body = {
        "title": values["title"],
        "profile_slug": current["profile_slug"],
        "level": current["level"],
        "time_limit_minutes": _int(values["time_limit_minutes"]),
        "skills": skills,
        "item_types": chosen if chosen and len(chosen) < len(ITEM_TYPES) else None,
        "show_result_to_candidate": values["show_result"],
        "grace_seconds": current.get("grace_seconds", 30),
    }
    return body, rows, errors


def located_errors(errors: dict[str, str], rows: dict[int, str]) -> dict[str, str]:
    """The service names ``skills.<n>`` of the document sent; the form's rows may be numbered
    differently (removed rows, the added skill)."""
    located: dict[str, str] = {}
    for field, message in errors.items():
        parts = field.split(".")
        if len(parts) >= 2 and parts[0] == "skills" and parts[1].isdigit() and int(parts[1]) in rows:
            field = ".".join([rows[int(parts[1])], *parts[2:]])
        located.setdefault(field, message)
    return located
