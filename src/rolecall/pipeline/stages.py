"""The application state machine, as pure functions over a job's stage list.

A job's stages are an ordered list of ``{"name", "type"}``; the first is of type ``applied`` and
there is one ``hired`` and at least one ``rejected`` stage (the jobs context validates that).

Rules, by the application's status:

* ``active``: *move* to any other stage of the job that is not of type ``hired`` or ``rejected``
  (backwards too: a recruiter may send someone back to a screen); *reject* (with a reason), which puts
  the application in the job's first ``rejected`` stage; *withdraw*, which keeps the stage.
  ``hired`` is reached only through an accepted offer (the hire saga), never by a plain move.
* ``rejected``: *unreject* puts it back in the stage it was rejected from (or the first stage when
  that stage no longer exists on the job).
* ``withdrawn`` and ``hired`` are final for people; the hire saga alone may undo a hire.
"""

from __future__ import annotations

from typing import Any, Literal

Action = Literal["move", "reject", "withdraw", "unreject"]
TERMINAL_TYPES = frozenset({"hired", "rejected"})


def find(stages: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The job's stage called ``name``; names are unique per job, compared without case."""
    wanted = name.casefold()
    return next((stage for stage in stages if stage["name"].casefold() == wanted), None)


def first_of_type(stages: list[dict[str, Any]], stage_type: str) -> dict[str, Any] | None:
    return next((stage for stage in stages if stage["type"] == stage_type), None)


def move_targets(stages: list[dict[str, Any]], current: str) -> list[str]:
    """Stages an active application in ``current`` may move to, in the job's order."""
    return [
        stage["name"]
        for stage in stages
        if stage["type"] not in TERMINAL_TYPES and stage["name"].casefold() != current.casefold()
    ]


def allowed(status: str) -> list[Action]:
    if status == "active":
        return ["move", "reject", "withdraw"]
    if status == "rejected":
        return ["unreject"]
    return []


def refusal(status: str, action: Action) -> str:
    """Why ``action`` is not possible from ``status``, in words a recruiter understands."""
    if status == "hired":
        return f"The application is hired; it cannot be {_past(action)}."
    if status == "withdrawn":
        return f"The candidate withdrew this application; it cannot be {_past(action)}."
    if status == "rejected":
        return f"The application is rejected; unreject it before it can be {_past(action)}."
    return f"An active application cannot be {_past(action)}."


def _past(action: Action) -> str:
    return {"move": "moved", "reject": "rejected", "withdraw": "withdrawn", "unreject": "unrejected"}[action]
