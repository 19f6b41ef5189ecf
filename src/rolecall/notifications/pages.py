"""The development mailbox: ``/app/dev/mail`` lists the messages the file outbox wrote.

Only in ``ROLECALL_ENVIRONMENT=development`` (404 otherwise), and only for staff who may read
notifications: the files hold candidates' e-mails in clear, which is acceptable on a developer's
machine with demo data and nowhere else.
"""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from rolecall.platform.auth import Principal
from rolecall.platform.errors import NotFound
from rolecall.web.auth import page_requires
from rolecall.web.templating import render

router = APIRouter(include_in_schema=False)
MailReader = Annotated[Principal, Depends(page_requires("notifications:read"))]
_NAME = re.compile(r"^[0-9T]{15,30}-[0-9a-f]{16}\.eml$")
LISTED = 200


def _folder(request: Request) -> Path:
    settings = request.app.state.settings
    if settings.environment != "development":
        raise NotFound()
    return Path(settings.mail_outbox_dir)


def _read(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        parsed: EmailMessage = BytesParser(policy=policy.default).parse(handle)
    return parsed


def _summary(path: Path) -> dict[str, Any]:
    message = _read(path)
    return {
        "name": path.name,
        "subject": str(message["Subject"] or ""),
        "to": str(message["To"] or ""),
        "date": str(message["Date"] or ""),
        "template": str(message["X-Rolecall-Template"] or ""),
    }


# Plain functions: FastAPI runs them in its thread pool, so reading the files blocks no event loop.
@router.get("/app/dev/mail")
def mailbox(request: Request, principal: MailReader) -> Response:
    folder = _folder(request)
    files = sorted(folder.glob("*.eml"), reverse=True)[:LISTED] if folder.is_dir() else []
    return render(
        request,
        "notifications/dev_mail.html",
        {"messages": [_summary(p) for p in files], "folder": str(folder)},
    )


@router.get("/app/dev/mail/{name}")
def message_page(name: str, request: Request, principal: MailReader) -> Response:
    folder = _folder(request)
    if not _NAME.fullmatch(name) or not (folder / name).is_file():
        raise NotFound("There is no such message.")
    message = _read(folder / name)
    text = message.get_body(preferencelist=("plain",))
    attachments = [
        {"filename": part.get_filename() or "", "type": part.get_content_type()}
        for part in message.iter_attachments()
    ]
    context = {
        **_summary(folder / name),
        "from": str(message["From"] or ""),
        "message_id": str(message["Message-ID"] or ""),
        "text": text.get_content() if text is not None else "",
        "attachments": attachments,
    }
    return render(request, "notifications/dev_mail_message.html", context)
