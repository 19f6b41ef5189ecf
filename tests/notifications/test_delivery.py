"""The sender's contract with the SMTP server: settings, temporary failures, retries."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.notifications.sender import SmtpTransport
from tests.conftest import FrozenClock
from tests.factories import Tenant, apply_form, open_job
from tests.notifications.conftest import Inbox, send
from tests.notifications.test_candidate_mail import rows


def test_the_smtp_url_chooses_tls_and_credentials() -> None:
    plain = SmtpTransport("smtp://mailer%40example.com:p%3Ass@mail.example.com")
    assert (plain.hostname, plain.port, plain.implicit_tls, plain.require_starttls) == (
        "mail.example.com",
        587,
        False,
        False,
    )
    assert (plain.username, plain.password) == ("mailer@example.com", "p:ss")
    required = SmtpTransport("smtp://mail.example.com:2525?starttls=require")
    assert (required.port, required.require_starttls) == (2525, True)
    implicit = SmtpTransport("smtps://mail.example.com")
    assert (implicit.port, implicit.implicit_tls) == (465, True)
    with pytest.raises(ValueError, match="ROLECALL_SMTP_URL"):
        SmtpTransport("http://mail.example.com")


async def test_a_refused_message_is_retried_with_backoff_and_sent_once(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    inbox: Inbox,
    clock: FrozenClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    job = await open_job(client, app, tenant)
    form = apply_form(email="later@example.com")
    assert (await client.post(f"/v1/board/postings/{job['id']}/applications", **form)).status_code == 202
    inbox.refuse = 2
    assert await send(app) == 0
    (row,) = await rows(sessionmaker)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error is not None
    assert "451" in row.last_error
    assert await send(app) == 0  # not due yet: one minute of backoff
    clock.advance(minutes=1, seconds=1)
    assert await send(app) == 0  # refused again; now two minutes
    clock.advance(minutes=2, seconds=1)
    assert await send(app) == 1
    (row,) = await rows(sessionmaker)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(inbox.to("later@example.com")) == 1
