"""Rendering with organisation overrides under a hard budget, away from the caller's process.

An override is code written by an organisation. The sandbox (:mod:`.overrides`) keeps it away
from Python's internals, but only a separate process can stop one that loops for minutes or
allocates gigabytes. So every render that involves an override, and every save-time trial render,
runs in a :class:`~rolecall.platform.budget.BudgetedPool` child under :data:`RENDER_BUDGET`: a
call that takes longer is killed (wall clock and ``RLIMIT_CPU``), one that allocates more memory
is stopped (``RLIMIT_AS``), and both answer with :class:`TemplateOverrideError`. Descriptions
without overrides use only the built-in templates and render in-process, as before.

Results are kept in a small in-process cache keyed by the exact input and override sources, so a
caller can render *before* it opens a write transaction (see ``rolecall.jobs.service``) and the
write then finds the description ready: the slow part never runs while a database lock is held.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final, Literal

from rolecall.jobs.description.model import JobDescriptionInput
from rolecall.jobs.description.overrides import TemplateOverrideError, _checked_overrides
from rolecall.jobs.description.render import job_posting_jsonld, render_html, render_markdown, render_text
from rolecall.jobs.description.validation import validate_override
from rolecall.platform.budget import Budget, BudgetedPool, BudgetExceeded

Part = Literal["markdown", "html", "text", "json_ld"]
ALL_PARTS: Final[tuple[Part, ...]] = ("markdown", "html", "text", "json_ld")

RENDER_BUDGET: Final = Budget(seconds=2.0, memory_bytes=256 * 1024 * 1024)
"""One call: every part of one description, or the trial renders of one override at save time."""

_POOL: Final = BudgetedPool(RENDER_BUDGET, workers=2, preload=("rolecall.jobs.description.budgeted",))
_CACHE_SIZE: Final = 512


def _render_parts(
    data: JobDescriptionInput, overrides: dict[str, str], parts: tuple[Part, ...]
) -> dict[str, Any]:
    """Runs in the child process: the requested parts of one description."""
    renderers = {
        "markdown": render_markdown,
        "html": render_html,
        "text": render_text,
        "json_ld": job_posting_jsonld,
    }
    return {part: renderers[part](data, overrides=overrides) for part in parts}


def _trial(name: str, source: str) -> None:
    """Runs in the child process: the save-time check of one override."""
    validate_override(name, source)


class _Cache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_cache: Final = _Cache(_CACHE_SIZE)


def _key(data: JobDescriptionInput, overrides: Mapping[str, str], parts: tuple[Part, ...]) -> str:
    material = json.dumps([data.model_dump(mode="json"), dict(overrides), parts], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


def _stopped(overrides: Mapping[str, str], exc: BudgetExceeded) -> TemplateOverrideError:
    names = ", ".join(sorted(overrides))
    return TemplateOverrideError(names, f"the render was {exc}; simplify the template")


async def render(
    data: JobDescriptionInput,
    overrides: Mapping[str, str] | None,
    parts: tuple[Part, ...] = ALL_PARTS,
) -> dict[str, Any]:
    """The requested parts of the description; raises :class:`TemplateOverrideError`.

    With overrides, the render runs in a budgeted child process while this task awaits it (the
    event loop stays free); the result is cached, so rendering again with the same input is free.
    """
    checked = dict(_checked_overrides(overrides))
    if not checked:
        return _render_parts(data, {}, parts)
    key = _key(data, checked, parts)
    found = _cache.get(key)
    if found is not None:
        return found
    try:
        result = await _POOL.run(_render_parts, data, checked, parts)
    except BudgetExceeded as exc:
        raise _stopped(checked, exc) from exc
    _cache.put(key, result)
    return result


def remember(
    data: JobDescriptionInput,
    overrides: Mapping[str, str] | None,
    result: dict[str, Any],
    parts: tuple[Part, ...] = ALL_PARTS,
) -> None:
    """Cache ``result`` as what these overrides give for this input: the built-in description a
    caller fell back to when they failed, so the write that follows does not try them again."""
    checked = dict(_checked_overrides(overrides))
    if checked:
        _cache.put(_key(data, checked, parts), result)


async def problems(overrides: Mapping[str, str]) -> list[TemplateOverrideError]:
    """Everything wrong with these overrides, one error per override that fails.

    Each override is compiled and trial-rendered against the sample descriptions in a budgeted
    child, so a template that is too slow or too large is refused when it is saved, like one with
    a syntax error or a forbidden construct.
    """
    found: list[TemplateOverrideError] = []
    for name, source in sorted(overrides.items()):
        try:
            await _POOL.run(_trial, name, source)
        except TemplateOverrideError as exc:
            found.append(exc)
        except BudgetExceeded as exc:
            found.append(TemplateOverrideError(name, f"the trial render was {exc}; simplify the template"))
    return found
