"""A real SMTP server (aiosmtpd) in the test process, and settings that send through it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from pydantic import SecretStr

from rolecall.config import Settings
from rolecall.notifications import sender


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    """What the SMTP server accepted, in order."""

    port: int
    received: list[Received] = field(default_factory=list)
    refuse: int = 0  # answer this many messages with a temporary failure

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return "451 Requested action aborted: try again later"
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address.lower() in [a.lower() for a in r.rcpt_tos]]

    def clear(self) -> None:
        self.received.clear()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    found = Inbox(port=_free_port())
    controller = Controller(found, hostname="127.0.0.1", port=found.port)
    controller.start()
    try:
        yield found
    finally:
        controller.stop()


@pytest.fixture
def settings(settings: Settings, inbox: Inbox, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(f"smtp://127.0.0.1:{inbox.port}"),
            "mail_from": "Rolecall Hiring <hiring@rolecall.test>",
            "mail_outbox_dir": tmp_path / "mail",
        }
    )


async def send(app: FastAPI) -> int:
    """One round of the sender, through the real SMTP server."""
    return await sender.deliver_due(app.state.sessionmaker, app.state.settings)
