"""A sliding-window rate limit per key, held in the process's memory.

Used where a public route needs a brake against floods (the apply form) and a lost count on restart
does no harm. With several API processes each counts on its own, so the effective limit is the
setting times the number of processes; docs/configuration.md says so.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime, timedelta

from rolecall.platform.clock import utcnow

MAX_KEYS = 100_000  # above this the oldest keys are forgotten, so memory stays bounded under attack


class SlidingWindowLimiter:
    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[datetime]] = {}

    def hit(self, key: str) -> float | None:
        """Count one request; ``None`` when allowed, else the seconds until the next one would be."""
        now = utcnow()
        hits = self._hits.pop(key, None) or deque()
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        self._hits[key] = hits  # re-inserted: dict order doubles as least-recently-used order
        if len(hits) >= self.limit:
            return max(1.0, math.ceil((hits[0] + self.window - now).total_seconds()))
        hits.append(now)
        while len(self._hits) > MAX_KEYS:
            self._hits.pop(next(iter(self._hits)))
        return None
