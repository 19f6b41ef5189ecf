"""The CloudEvents 1.0 structured-mode envelope every consumer receives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CloudEvent(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    specversion: str = "1.0"
    id: uuid.UUID
    source: str
    type: str
    time: datetime
    subject: str
    datacontenttype: str = "application/json"
    organisationid: uuid.UUID = Field(description="CloudEvents extension: the owning tenant")
    data: dict[str, Any]
