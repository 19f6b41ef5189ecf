"""Request and response bodies of the privacy routes.

The export document itself has no model here: it is assembled from what each context exports, and
its shape is described in ``docs/privacy.md`` and versioned by its ``schema_version``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from rolecall.platform.strict import Numeric

Outcome = Literal["rejected", "withdrawn"]
# A code, not free text: the reason is kept in the audit log after the person's data is gone, and
# free text about a person is exactly what erasure must not leave behind.
ErasureReason = Literal["data_subject_request", "consent_withdrawn", "legal_obligation", "retention", "other"]


class EraseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ErasureReason = Field(description="Why the candidate is erased (kept in the audit log)")


class ErasureOut(BaseModel):
    candidate_id: uuid.UUID
    already_erased: bool = Field(
        description="True when the candidate had been erased before: nothing changed"
    )
    files_deleted: int = Field(description="Stored files (resumes, attachments) deleted with the erasure")


class RetentionRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: Annotated[int, Numeric] = Field(
        ge=1, le=120, description="Calendar months without activity before erasure"
    )


class RetentionRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    outcome: Outcome
    months: int
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime
