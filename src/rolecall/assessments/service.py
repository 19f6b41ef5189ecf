"""The assessments context's published entry point: its use cases, for routes, pages and other contexts.

The use cases live in one module per job (the bank, blueprints, invitations, taking, grading,
marking, results, the ranking); this module re-exports them so callers outside the context import
one name. Services never commit: the request or the worker's job owns the transaction.
"""

from __future__ import annotations

from rolecall.assessments.invitations import (
    EXTRA_TIME_CHOICES,
    cancel,
    cancel_open_for_application,
    create_session,
    get_session,
    invite,
    job_settings,
    list_sessions,
    reissue_link,
    set_accommodation,
)
from rolecall.assessments.marking import mark, queue
from rolecall.assessments.personal_data import erase_candidate, export_candidate, rotate_keys
from rolecall.assessments.planning import (
    blueprint_by_id,
    generate_blueprint,
    get_blueprint,
    update_blueprint,
    versions,
)
from rolecall.assessments.question_bank import (
    create_item,
    ensure_starter_bank,
    export_bank,
    import_bank,
    item_with_versions,
    list_items,
    revise_item,
    set_version_status,
)
from rolecall.assessments.results import item_statistics, percentile, refresh_flags, result
from rolecall.assessments.standings import ranked, set_weights
from rolecall.assessments.taking import (
    LinkExpired,
    TimeUp,
    by_token,
    candidate_result,
    finish_overdue,
    overview,
    questions,
    record_signal,
    request_extra_time,
    save_answer,
    start,
    submit,
)

__all__ = [
    "EXTRA_TIME_CHOICES",
    "LinkExpired",
    "TimeUp",
    "blueprint_by_id",
    "by_token",
    "cancel",
    "cancel_open_for_application",
    "candidate_result",
    "create_item",
    "create_session",
    "ensure_starter_bank",
    "erase_candidate",
    "export_bank",
    "export_candidate",
    "finish_overdue",
    "generate_blueprint",
    "get_blueprint",
    "get_session",
    "import_bank",
    "invite",
    "item_statistics",
    "item_with_versions",
    "job_settings",
    "list_items",
    "list_sessions",
    "mark",
    "overview",
    "percentile",
    "questions",
    "queue",
    "ranked",
    "record_signal",
    "refresh_flags",
    "reissue_link",
    "request_extra_time",
    "result",
    "revise_item",
    "rotate_keys",
    "save_answer",
    "set_accommodation",
    "set_version_status",
    "set_weights",
    "start",
    "submit",
    "update_blueprint",
    "versions",
]
