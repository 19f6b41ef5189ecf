"""Message templates: packaged defaults per language, organisation overrides, a sandbox to render both.

A default is one file, ``mail_templates/<language>/<name>.txt``: a ``Subject:`` line, a blank line,
then the plain-text body. Its HTML part is made from the text (paragraphs, escaped, links made
clickable), so a default exists once per language. An override may bring its own HTML.

Overrides are written by organisation admins, so they are rendered in Jinja's immutable sandbox
(no attribute access to internals, no mutation of the context) with size limits on the source and
the result. HTML is always autoescaped: the ``safe`` filter and its kind are removed and
``{% autoescape %}`` blocks are refused (:mod:`rolecall.platform.template_sandbox`), and the HTML an
override produces is cleaned against an allow-list with ``nh3`` before it is put into the message.
Every render of an override, at send time, in a preview or in the save-time check, runs in a child
process under :data:`RENDER_BUDGET` (:mod:`rolecall.platform.budget`), so a template with nested
loops or a huge string is stopped instead of stalling the process. A template that fails to render
at send time (its budget included) is replaced by the default, and the failure is logged, so a
broken override never keeps a candidate's e-mail back.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jinja2
import structlog
from jinja2.sandbox import ImmutableSandboxedEnvironment

from rolecall.platform import template_sandbox
from rolecall.platform.budget import Budget, BudgetedPool, BudgetExceeded

log = structlog.get_logger("rolecall.notifications")

RENDER_BUDGET = Budget(seconds=2.0, memory_bytes=256 * 1024 * 1024)
"""One call: the subject, text and HTML of one message."""
_POOL = BudgetedPool(RENDER_BUDGET, workers=1, preload=("rolecall.notifications.rendering",))

LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"
MAX_SOURCE_CHARS = 20_000
MAX_OUTPUT_CHARS = 100_000

#: Every template and the variables it is given (documented in docs/email.md).
TEMPLATES: dict[str, tuple[str, ...]] = {
    "application_received": ("organisation_name", "recipient_name", "job_title", "status_link"),
    "application_repeat": ("organisation_name", "recipient_name", "job_title", "status_link"),
    "interview_invitation": ("organisation_name", "recipient_name", "job_title", "interview"),
    "interview_updated": ("organisation_name", "recipient_name", "job_title", "interview"),
    "interview_cancelled": ("organisation_name", "recipient_name", "job_title", "interview"),
    "rejection": ("organisation_name", "recipient_name", "job_title"),
    "offer_sent": ("organisation_name", "recipient_name", "job_title", "offer"),
    "assessment_invitation": (
        "organisation_name",
        "recipient_name",
        "job_title",
        "assessment_link",
        "expires_at",
    ),
    "approval_requested": ("organisation_name", "recipient_name", "job_title", "step", "role", "offer_link"),
    "scorecard_due": ("organisation_name", "recipient_name", "job_title", "interview", "scorecard_link"),
    "application_digest": ("organisation_name", "recipient_name", "total", "jobs", "app_link"),
    "webhook_disabled": (
        "organisation_name",
        "recipient_name",
        "endpoint_id",
        "reason",
        "failing_since",
        "endpoint_link",
    ),
}

_SAMPLE_INTERVIEW = {
    "starts_at": "2027-03-01 10:00 UTC",
    "duration_minutes": 45,
    "location": "Main office, room 2",
    "video_url": "https://meet.example.com/abc",
}
SAMPLE: dict[str, Any] = {
    "organisation_name": "Example Ltd",
    "recipient_name": "Alex Example",
    "job_title": "Back-End Engineer",
    "status_link": "https://jobs.example.com/status/EXAMPLE-LINK",
    "interview": _SAMPLE_INTERVIEW,
    "offer": {"expires_at": "2027-03-15 17:00 UTC"},
    "assessment_link": "https://jobs.example.com/assessments/EXAMPLE-LINK",
    "expires_at": "2027-03-08 10:00 UTC",
    "step": 1,
    "role": "hiring_manager",
    "offer_link": "https://rolecall.example.com/app/offers/EXAMPLE",
    "scorecard_link": "https://rolecall.example.com/app/interviews/EXAMPLE",
    "total": 3,
    "jobs": [{"title": "Back-End Engineer", "count": 2}, {"title": "Designer", "count": 1}],
    "app_link": "https://rolecall.example.com/app",
    "endpoint_id": "01a2423c-0000-7000-8000-000000000000",
    "reason": "too many failed events",
    "failing_since": "2027-03-01 10:00 UTC",
    "endpoint_link": "https://rolecall.example.com/v1/webhooks/endpoints/01a2423c-0000-7000-8000-000000000000",
}


class TemplateProblem(ValueError):
    """The template cannot be used: unknown name, too large, a syntax error, or refused by the sandbox."""


@dataclass(frozen=True)
class Source:
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class _Undefined(jinja2.Undefined):
    """A missing variable renders empty: a template written for another message still renders."""


def _environment(*, autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        autoescape=autoescape, undefined=_Undefined, keep_trailing_newline=True, trim_blocks=False
    )
    template_sandbox.harden(env)
    return env


_TEXT = _environment(autoescape=False)
_HTML = _environment(autoescape=True)


@cache
def default(name: str, language: str) -> Source:
    """The packaged default of ``name`` in ``language`` (English when that language has none)."""
    if name not in TEMPLATES:
        raise TemplateProblem(f"There is no template called {name!r}.")
    folder = resources.files("rolecall.notifications") / "mail_templates"
    for lang in (language, DEFAULT_LANGUAGE):
        found = folder / lang / f"{name}.txt"
        if found.is_file():
            raw = found.read_text(encoding="utf-8")
            head, _, body = raw.partition("\n\n")
            return Source(subject=head.removeprefix("Subject:").strip(), text=body)
    raise TemplateProblem(f"The default template {name!r} is missing.")


def _render(env: ImmutableSandboxedEnvironment, source: str, context: dict[str, Any]) -> str:
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateProblem(f"A template may be at most {MAX_SOURCE_CHARS} characters long.")
    try:
        switches = template_sandbox.escape_switches(env.parse(source))
        if switches:
            line, message = switches[0]
            raise TemplateProblem(f"Line {line}: {message}.")
        out = env.from_string(source).render(context)
    except TemplateProblem:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"Line {exc.lineno}: {exc.message}") from exc
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateProblem(f"The template tried something templates may not do: {exc}") from exc
    except MemoryError as exc:  # raised in the budgeted child by its address-space limit
        raise TemplateProblem("The template used more memory than its render budget allows.") from exc
    except Exception as exc:  # any other failure of an untrusted template is the template's problem
        raise TemplateProblem(f"The template failed to render: {type(exc).__name__}") from exc
    if len(out) > MAX_OUTPUT_CHARS:
        raise TemplateProblem(f"The rendered message is longer than {MAX_OUTPUT_CHARS} characters.")
    return out


_URL = re.compile(r"https?://[^\s<>\"']+")


def text_to_html(text: str) -> str:
    """Paragraphs of escaped text, links made clickable: the HTML part of a plain-text template."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph)
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        out.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return _page("\n".join(out))


def _page(body: str) -> str:
    style = "font-family: sans-serif; line-height: 1.5"
    return f'<!doctype html>\n<html><body style="{style}">\n{body}\n</body></html>\n'


def render(source: Source, context: dict[str, Any]) -> Rendered:
    """Render a template in the sandbox, in this process; raises :class:`TemplateProblem`.

    Only for the packaged defaults, and inside the budgeted child: an organisation's override goes
    through :func:`render_budgeted`. An override's own HTML is cleaned against the allow-list and
    put into the same page frame as the HTML made from text."""
    subject = " ".join(_render(_TEXT, source.subject, context).split())[:300]
    text = _render(_TEXT, source.text, context)
    if source.html:
        page = _page(template_sandbox.clean_html(_render(_HTML, source.html, context)))
    else:
        page = text_to_html(text)
    return Rendered(subject=subject, text=text, html=page)


async def render_budgeted(source: Source, context: dict[str, Any]) -> Rendered:
    """:func:`render` in a child process under :data:`RENDER_BUDGET`; raises :class:`TemplateProblem`.

    The caller's event loop stays free while it runs; callers with a database transaction open
    should end it first (the sender does), so a slow template holds no lock."""
    try:
        return await _POOL.run(render, source, context)
    except BudgetExceeded as exc:
        raise TemplateProblem(f"The template was {exc}; simplify it.") from exc


async def render_or_default(
    name: str, language: str, override: Source | None, context: dict[str, Any]
) -> tuple[Rendered, bool]:
    """The override rendered, or the default when it fails (logged). Returns (result, used override)."""
    if override is not None:
        try:
            return await render_budgeted(override, context), True
        except TemplateProblem as exc:
            log.warning("notification_template_failed", template=name, language=language, error=str(exc))
    return render(default(name, language), context), False


async def check(source: Source) -> None:
    """Refuse an override that does not render with the sample data (syntax, sandbox, size, budget)."""
    await render_budgeted(source, SAMPLE)
