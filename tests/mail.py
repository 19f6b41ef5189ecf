"""Reading the e-mail Rolecall sends, in tests: run the sender once and keep what it handed over.

The notifications tests also run a real SMTP server (tests/notifications); tests elsewhere only need
what a message says, such as the status link an applicant receives, so they capture the messages at
the transport instead.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import parseaddr

from fastapi import FastAPI

from rolecall.notifications import sender

STATUS_LINK = re.compile(r"https?://\S+/status/([A-Za-z0-9_-]{20,100})")


class Captured:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.messages.append(message)


async def send_mail(app: FastAPI) -> list[EmailMessage]:
    """Send every due message once; returns the messages as the SMTP server would have received them."""
    captured = Captured()
    await sender.deliver_due(app.state.sessionmaker, app.state.settings, transport=captured)
    return captured.messages


def to(message: EmailMessage) -> str:
    return parseaddr(str(message["To"]))[1]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


def status_token(messages: list[EmailMessage], email: str) -> str:
    """The status link's token from the one message sent to ``email`` that carries one."""
    found = [STATUS_LINK.search(text_of(m)) for m in messages if to(m).lower() == email.lower()]
    tokens = [match.group(1) for match in found if match]
    assert len(tokens) == 1, f"expected one status link for {email}, found {len(tokens)}"
    return tokens[0]
