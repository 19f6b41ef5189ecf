"""Who may read and change interviews and scorecards.

Scopes decide which routes a caller reaches; which interviews and scorecards they then see (an
interviewer only their own interviews, others' scorecards only after submitting theirs) is decided
by the service, because it depends on the rows.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

InterviewsRead = Annotated[Principal, Depends(requires("interviews:read"))]
InterviewsWrite = Annotated[Principal, Depends(requires("interviews:write"))]
ScorecardsWrite = Annotated[Principal, Depends(requires("interviews:read", "scorecards:write"))]
ScorecardsSummaryRead = Annotated[Principal, Depends(requires("applications:read", "interviews:read"))]
