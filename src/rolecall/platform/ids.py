"""Time-ordered identifiers.

UUIDv7 keeps B-tree inserts append-only and gives cursor pagination a stable, creation-ordered key
without a separate sequence column.
"""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    return uuid.UUID(int=uuid6.uuid7().int)
