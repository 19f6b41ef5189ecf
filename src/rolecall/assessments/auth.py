"""Who may do what with assessments.

Scopes decide which routes a caller reaches. Candidates never hold scopes: they reach their own
session through its link (see :mod:`rolecall.assessments.taking`), and only that session.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

AssessmentsRead = Annotated[Principal, Depends(requires("assessments:read"))]
AssessmentsWrite = Annotated[Principal, Depends(requires("assessments:write"))]
AssessmentsMark = Annotated[Principal, Depends(requires("assessments:mark"))]
AssessmentsRank = Annotated[Principal, Depends(requires("assessments:read", "applications:read"))]
