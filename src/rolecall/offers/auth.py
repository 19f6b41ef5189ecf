"""Who may read, make and approve offers.

Approving also needs the role of the offer's current approval step; that depends on the offer, so
the service checks it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rolecall.platform.auth import Principal, requires

OffersRead = Annotated[Principal, Depends(requires("offers:read"))]
OffersWrite = Annotated[Principal, Depends(requires("offers:write"))]
OffersApprove = Annotated[Principal, Depends(requires("offers:approve"))]
