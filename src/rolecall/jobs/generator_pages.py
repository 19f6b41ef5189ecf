"""The public job-description generator: a GET form, its live preview and the description as a file.

The form is a plain GET form, so a filled-in generator is a link someone can share and everything
works without JavaScript ("Show description" reloads the page with the preview). With htmx the
preview region is fetched from ``/tools/job-description/preview`` as the person types, and the
messages next to the fields are updated out of band. Nothing is stored: no database session, no
audit entry, no event; the description comes from the same renderer as published jobs.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from markupsafe import Markup

from rolecall.jobs import description as jd
from rolecall.jobs import generator
from rolecall.platform.auth import PUBLIC
from rolecall.roles import service as roles
from rolecall.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[PUBLIC])
_NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
# The downloaded document is meant to be saved, not shown by us; if a browser renders it anyway,
# nothing in it may run or load.
_DOCUMENT_CSP = "default-src 'none'; img-src https:; style-src 'none'; sandbox"


def _options() -> dict[str, Any]:
    profiles = sorted(roles.library_summaries(), key=lambda s: s.title)
    return {
        "profiles": [(p.slug, p.title) for p in profiles],
        "levels": list(generator.LEVEL_LABELS.items()),
        "arrangements": generator.ARRANGEMENTS,
        "periods": generator.PERIODS,
    }


def _result(form: generator.GeneratorForm) -> dict[str, Any]:
    """The description in every shape the page shows, or ``None`` values when there is none."""
    data = generator.build_input(form)
    if data is None:
        return {"title": None, "markdown": None, "html": None, "preview": None, "query": ""}
    html = jd.render_html(data)
    return {
        "title": data.job.title,
        "markdown": jd.render_markdown(data),
        "html": html,
        "preview": Markup(generator.preview_html(html)),  # noqa: S704 - the renderer escaped every value
        "query": urlencode(form.values),
    }


def _context(form: generator.GeneratorForm, *, oob: bool) -> dict[str, Any]:
    profile = form.profile
    offered = ", ".join(generator.LEVEL_LABELS[n] for n in profile.level_names) if profile is not None else ""
    return {
        "form": form.values,
        "errors": form.errors,
        "profile_title": profile.title if profile is not None else None,
        "profile_levels": offered,
        "slots": [name for name in generator.FIELDS if name != "show_salary"],
        "oob": oob,
        **_options(),
        **_result(form),
    }


@router.get("/tools/job-description")
async def generator_page(request: Request) -> Response:
    form = generator.read_form(request.query_params)
    return render(request, "jobs/generator.html", _context(form, oob=False), headers=_NO_STORE)


@router.get("/tools/job-description/preview")
async def generator_preview(request: Request) -> Response:
    """The preview region alone (the htmx target), with the field messages swapped out of band."""
    form = generator.read_form(request.query_params)
    return render(request, "jobs/generator_preview.html", _context(form, oob=True), headers=_NO_STORE)


@router.get("/tools/job-description/download")
async def generator_download(
    request: Request, format: Annotated[Literal["md", "html"], Query()] = "md"
) -> Response:
    form = generator.read_form(request.query_params)
    data = generator.build_input(form)
    if data is None or form.errors:
        context = _context(form, oob=False)
        return render(request, "jobs/generator.html", context, status_code=422, headers=_NO_STORE)
    disposition = f'attachment; filename="{generator.filename(data, format)}"'
    headers = {**_NO_STORE, "Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
    if format == "md":
        return Response(jd.render_markdown(data), media_type="text/markdown; charset=utf-8", headers=headers)
    document = render(
        request,
        "jobs/generator_document.html",
        {"title": data.job.title, "article": Markup(jd.render_html(data))},  # noqa: S704 - renderer output
        headers={**headers, "Content-Security-Policy": _DOCUMENT_CSP},
    )
    return document
