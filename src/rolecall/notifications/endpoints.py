"""E-mail routes: the organisation's settings and template overrides, queued messages, my preferences."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from rolecall.notifications import rendering, service
from rolecall.notifications.auth import Myself, NotificationsRead, NotificationsWrite
from rolecall.notifications.schemas import (
    MessageOut,
    PreferencesIn,
    PreferencesOut,
    PreviewOut,
    SettingsIn,
    SettingsOut,
    TemplateIn,
    TemplateOut,
    TemplateSummary,
)
from rolecall.platform.auth import DbSession
from rolecall.platform.http import AfterTransaction, follow_up_transaction, no_store, set_etag
from rolecall.platform.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])
Paging = Annotated[PageParams, Depends(page_params)]
LanguageQuery = Annotated[str | None, Query(pattern="^(" + "|".join(rendering.LANGUAGES) + ")$")]


@router.get("/settings", response_model=SettingsOut)
async def get_settings(session: DbSession, principal: NotificationsRead, response: Response) -> SettingsOut:
    found = await service.get_settings(session, principal.organisation_id)
    set_etag(response, principal.organisation_id, found.version)
    return SettingsOut.model_validate(found)


@router.put("/settings", response_model=SettingsOut)
async def put_settings(
    body: SettingsIn,
    session: DbSession,
    principal: NotificationsWrite,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> SettingsOut:
    found = await service.update_settings(session, principal, body, if_match)
    set_etag(response, principal.organisation_id, found.version)
    return SettingsOut.model_validate(found)


@router.get("/templates", response_model=list[TemplateSummary])
async def list_templates(principal: NotificationsRead) -> list[TemplateSummary]:
    return [TemplateSummary(name=name, variables=list(v)) for name, v in rendering.TEMPLATES.items()]


def _template_out(name: str, language: str, source: rendering.Source, overridden: bool) -> TemplateOut:
    return TemplateOut(
        name=name,
        language=language,
        overridden=overridden,
        subject=source.subject,
        text=source.text,
        html=source.html,
        variables=list(rendering.TEMPLATES[name]),
    )


@router.get("/templates/{name}", response_model=TemplateOut)
async def get_template(
    name: str, session: DbSession, principal: NotificationsRead, language: LanguageQuery = None
) -> TemplateOut:
    source, lang, found = await service.get_template(session, principal, name, language)
    return _template_out(name, lang, source, found is not None)


@router.put("/templates/{name}", response_model=TemplateOut)
async def put_template(
    name: str, body: TemplateIn, request: Request, principal: NotificationsWrite
) -> Response:
    """Replace the organisation's version; refused (422) unless it renders with the sample data."""

    async def produce() -> Response:
        # The trial render runs under its budget with no transaction open; then a short write.
        await service.check_template(name, body)
        async with follow_up_transaction(request) as session:
            source, lang, _ = await service.put_template(session, principal, name, body, checked=True)
        return JSONResponse(_template_out(name, lang, source, True).model_dump(mode="json"))

    return AfterTransaction(produce)


@router.delete("/templates/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_template(
    name: str, session: DbSession, principal: NotificationsWrite, language: LanguageQuery = None
) -> Response:
    await service.delete_template(session, principal, name, language)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/templates/{name}/preview", response_model=PreviewOut)
async def preview_template(
    name: str,
    session: DbSession,
    principal: NotificationsRead,
    body: Annotated[TemplateIn | None, Body()] = None,
    language: LanguageQuery = None,
) -> Response:
    """Render a draft (the body) or the template in force with sample data; nothing is stored."""
    source = await service.preview_source(session, principal, name, body, language)

    async def produce() -> Response:
        # Rendered after the request's transaction has ended, under the render budget.
        rendered = await service.render_preview(source)
        out = PreviewOut(subject=rendered.subject, text=rendered.text, html=rendered.html)
        return JSONResponse(out.model_dump(mode="json"))

    return AfterTransaction(produce)


@router.get("/messages", response_model=Page[MessageOut])
async def list_messages(
    session: DbSession,
    principal: NotificationsRead,
    params: Paging,
    application_id: uuid.UUID | None = None,
    status: Annotated[str | None, Query(pattern="^(queued|sent|failed|cancelled)$")] = None,
    template: Annotated[str | None, Query(max_length=60)] = None,
) -> Page[MessageOut]:
    rows, cursor = await service.list_messages(
        session, principal, params, application_id=application_id, status=status, template=template
    )
    return Page(
        items=[MessageOut.model_validate(r) for r in rows],
        next_cursor=cursor,
        next_updated_since=params.next_updated_since,
    )


@router.get("/messages/{message_id}", response_model=MessageOut)
async def get_message(message_id: uuid.UUID, session: DbSession, principal: NotificationsRead) -> MessageOut:
    return MessageOut.model_validate(await service.get_message(session, principal, message_id))


@router.post("/messages/{message_id}/cancel", response_model=MessageOut)
async def cancel_message(
    message_id: uuid.UUID, session: DbSession, principal: NotificationsWrite
) -> MessageOut:
    """Stop a message that has not gone yet, typically a rejection waiting for its delay (409 after)."""
    return MessageOut.model_validate(await service.cancel_message(session, principal, message_id))


@router.get("/preferences/me", response_model=PreferencesOut)
async def get_my_preferences(session: DbSession, principal: Myself, response: Response) -> PreferencesOut:
    no_store(response)
    return PreferencesOut.model_validate(await service.get_preferences(session, principal))


@router.put("/preferences/me", response_model=PreferencesOut)
async def put_my_preferences(
    body: PreferencesIn, session: DbSession, principal: Myself, response: Response
) -> PreferencesOut:
    no_store(response)
    return PreferencesOut.model_validate(await service.put_preferences(session, principal, body))
