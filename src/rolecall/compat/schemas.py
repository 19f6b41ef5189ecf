"""Bodies of the board-key admin routes. The Greenhouse and Lever routes answer in those vendors'
own published shapes (built in :mod:`rolecall.compat.service`), not in Rolecall's."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class BoardKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"label": "careers site"}]})

    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class BoardKeyOut(BaseModel):
    """A board key without its secret: only the prefix identifies it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    label: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class BoardKeyCreated(BoardKeyOut):
    """Answered once, when a key is created or rotated: the key is never shown again."""

    key: str = Field(
        description="The board key: the HTTP Basic user name (empty password) for the Greenhouse-shaped "
        "apply route and the ?key= of the Lever-shaped one"
    )
