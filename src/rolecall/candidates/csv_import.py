"""Importing candidates from a CSV file, with a dry run that says what each row would do.

Every row ends up in one of three outcomes: ``create`` (nobody on file has its e-mail or phone),
``merge`` (someone does: their record gains what it lacked, exactly as ``POST /v1/candidates``
does with a known person) or ``refuse`` (with the reasons: an invalid value, no name, no way to
reach the person, the same e-mail or phone as an earlier row of the file). A dry run decides the
outcomes and changes nothing. A real run applies the ``create`` and ``merge`` rows through
:func:`rolecall.candidates.service.create_candidate`, so the same events and audit entries follow
as through the API, all in the request's one transaction: either every accepted row is saved or,
if the database refuses one, none is. Refused rows are skipped and reported either way. The
report names rows by number and candidates by id, never by name or e-mail.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.candidates import repository, service
from rolecall.candidates.schemas import CandidateCreate
from rolecall.platform.auth import Principal
from rolecall.platform.errors import PayloadTooLarge, Unprocessable
from rolecall.platform.pii import BlindIndex, KeyRing

MAX_BYTES = 5_000_000
MAX_ROWS = 5_000
COLUMNS = ("full_name", "first_name", "last_name", "email", "phone", "location", "source", "tags")
TAG_SEPARATOR = ";"
Outcome = Literal["create", "merge", "refuse"]


@dataclass
class RowReport:
    row: int  # the line's number in the file, the header being row 1
    outcome: Outcome
    candidate_id: uuid.UUID | None = None
    reasons: list[str] = field(default_factory=list)


def _column_error(message: str) -> dict[str, str]:
    return {"field": "header", "message": f"{message}; accepted columns: {', '.join(COLUMNS)}"}


def parse(data: bytes) -> list[dict[str, str]]:
    """The file's rows keyed by column, refusing a file too large, not UTF-8 or with unknown columns."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"A CSV import holds at most {MAX_BYTES} bytes.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable("The file must be UTF-8 text.") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    unknown = sorted(set(header) - set(COLUMNS))
    if not header or unknown:
        raise Unprocessable(
            "The header row names columns this import does not know."
            if unknown
            else "The file has no header row.",
            extra={"errors": [_column_error(f"unknown column '{name}'") for name in unknown or ["(none)"]]},
        )
    if not ({"full_name", "first_name", "last_name"} & set(header)) or not ({"email", "phone"} & set(header)):
        raise Unprocessable(
            "The header needs a name column (full_name, or first_name/last_name) and email or phone.",
            extra={"errors": [_column_error("a name column and an email or phone column are required")]},
        )
    reader.fieldnames = header
    rows: list[dict[str, str]] = []
    for values in reader:
        if len(rows) >= MAX_ROWS:
            # The bytes fit (that is the 413); the content asks for more than one import may do.
            raise Unprocessable(
                f"A CSV import holds at most {MAX_ROWS} rows; split the file.",
                extra={"errors": [{"field": "file", "message": f"more than {MAX_ROWS} rows"}]},
            )
        rows.append({key: (value or "").strip() for key, value in values.items() if key in COLUMNS})
    return rows


def _body(values: dict[str, str]) -> CandidateCreate:
    name = values.get("full_name") or " ".join(
        part for part in (values.get("first_name"), values.get("last_name")) if part
    )
    data: dict[str, Any] = {"full_name": name}
    for key in ("email", "phone", "location", "source"):
        if values.get(key):
            data[key] = values[key]
    if values.get("tags"):
        data["tags"] = [tag.strip() for tag in values["tags"].split(TAG_SEPARATOR) if tag.strip()]
    return CandidateCreate.model_validate(data)


def _reasons(error: ValidationError) -> list[str]:
    reasons = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        reasons.append(f"{where}: {message}" if where else message)
    return reasons


async def import_candidates(
    session: AsyncSession,
    principal: Principal,
    data: bytes,
    *,
    dry_run: bool,
    keyring: KeyRing,
    index: BlindIndex,
) -> list[RowReport]:
    """One report per data row; with ``dry_run`` false the accepted rows are saved too.

    The people already on file are found with one batched blind-index lookup before anything is
    written; rows repeating an earlier row's e-mail or phone are refused, so no row of the file can
    match a candidate another row creates and the lookup stays true throughout a real run.
    """
    reports: list[RowReport] = []
    accepted: list[tuple[RowReport, CandidateCreate, str | None, str | None]] = []
    seen: dict[str, int] = {}  # blind index of an e-mail or phone -> the row that had it first
    for number, values in enumerate(parse(data), start=2):
        try:
            body = _body(values)
        except ValidationError as error:
            reports.append(RowReport(number, "refuse", reasons=_reasons(error)))
            continue
        email = index.email(body.email) if body.email is not None else None
        phone = index.phone(body.phone) if body.phone is not None else None
        keys = [(kind, key) for kind, key in (("email", email), ("phone", phone)) if key is not None]
        repeated = [f"same {kind} as row {seen[key]}" for kind, key in keys if key in seen]
        if repeated:
            reports.append(RowReport(number, "refuse", reasons=repeated))
            continue
        for _kind, key in keys:
            seen[key] = number
        report = RowReport(number, "create")
        reports.append(report)
        accepted.append((report, body, email, phone))

    by_email, by_phone = await repository.ids_by_contact_indexes(
        session,
        [email for _r, _b, email, _p in accepted if email is not None],
        [phone for _r, _b, _e, phone in accepted if phone is not None],
    )
    for report, body, email, phone in accepted:
        # As in POST /v1/candidates: a match by e-mail wins over a match by phone.
        known = (by_email.get(email) if email else None) or (by_phone.get(phone) if phone else None)
        if known is not None:
            report.outcome, report.candidate_id = "merge", known
        if not dry_run:
            view, _created = await service.create_candidate(
                session, principal, body, keyring=keyring, index=index
            )
            report.candidate_id = view.id
    return reports
